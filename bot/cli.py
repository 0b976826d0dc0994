"""`coach`: run the bot, chat in the terminal, inspect dialogs, manage the database."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence

from bot import logs
from bot.app import App, running
from bot.config import Settings, SettingsError, load_settings
from bot.store import migrate
from bot.store.runner import runner_for
from bot.store.schema import metadata
from bot.store.sealed import SealError, reseal_all
from dialogs import catalog

log = logging.getLogger("bot")


ROLES = ("telegram", "discord", "nudges")  # what `coach run --only` can pick


def _roles(value: str) -> frozenset[str]:
    roles = frozenset(r.strip() for r in value.split(",") if r.strip())
    if not roles or not roles <= set(ROLES):
        raise argparse.ArgumentTypeError(f"use one or more of {', '.join(ROLES)}, comma-separated")
    return roles


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coach",
        description="A resilience micro-coaching bot (an automated coach, not therapy).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run = sub.add_parser(
        "run", help="run every adapter whose token is set; with none, the terminal chat"
    )
    run.add_argument(
        "--worker",
        action="store_true",
        help="only sweep and send scheduled nudges (several may share one PostgreSQL database)",
    )
    run.add_argument(
        "--no-poll",
        action="store_true",
        help="do not poll Telegram in this process (another one does; TELEGRAM_MODE=webhook "
        "is not affected): for extra processes running Discord shards or nudge sweeps",
    )
    run.add_argument(
        "--only",
        type=_roles,
        metavar="ROLES",
        help=f"run only these, comma-separated: {', '.join(ROLES)} (default: all configured); "
        "e.g. webhook workers with --only telegram, a Discord shard process with --only discord",
    )
    sub.add_parser("chat", help="chat in this terminal (also reads piped input)")
    dialogs = sub.add_parser("dialogs", help="list the coaching flows or draw one")
    dialogs_sub = dialogs.add_subparsers(dest="action", metavar="ACTION", required=True)
    dialogs_sub.add_parser("list", help="list the flows and their states")
    show = dialogs_sub.add_parser("show", help="print a flow as a Mermaid state diagram")
    show.add_argument("name")
    db = sub.add_parser("db", help="database schema: upgrade or check")
    db_sub = db.add_subparsers(dest="action", metavar="ACTION", required=True)
    db_sub.add_parser("upgrade", help="apply pending migrations (also done on every start)")
    db_sub.add_parser("check", help="exit 1 if migrations are pending")
    db_sub.add_parser(
        "rotate-key", help="re-encrypt all free text with the first DATA_ENCRYPTION_KEY"
    )
    discord = sub.add_parser("discord", help="Discord: register the slash commands")
    discord_sub = discord.add_subparsers(dest="action", metavar="ACTION", required=True)
    sync = discord_sub.add_parser("sync", help="register the slash commands now")
    sync.add_argument("--guild", type=int, metavar="ID", help="only in this server (shows at once)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "dialogs":
        return _dialogs(args)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"coach: {exc}", file=sys.stderr)
        return 2
    keys = (settings.telegram_bot_token, settings.discord_bot_token, settings.data_encryption_key)
    secrets = [s.get_secret_value() for s in keys if s]
    quiet = args.command == "chat" or not _adapters(settings)
    logs.configure(
        "WARNING" if quiet and settings.log_level != "DEBUG" else settings.log_level, secrets
    )
    try:
        return asyncio.run(_commands[args.command](settings, args))
    except KeyboardInterrupt:
        return 130
    except SealError as exc:  # a key is missing or wrong: say which setting
        print(f"coach: {exc}", file=sys.stderr)
        return 2


def _dialogs(args: argparse.Namespace) -> int:
    flows = {d.name: d for d in catalog()}
    if args.action == "list":
        for dialog in flows.values():
            print(f"{dialog.name}: {', '.join(dialog.states)}")
        return 0
    if args.name not in flows:
        print(f"coach: no dialog {args.name!r}; try: {', '.join(flows)}", file=sys.stderr)
        return 2
    print(flows[args.name].mermaid())
    return 0


def _adapters(settings: Settings) -> list[str]:
    return [
        name
        for name, token in (
            ("telegram", settings.telegram_bot_token),
            ("discord", settings.discord_bot_token),
        )
        if token
    ]


Service = Callable[[App, asyncio.Event], Awaitable[None]]


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    configured = _adapters(settings)
    if args.worker:
        return await _worker(settings, configured)
    if not configured and args.only is None:
        return await _chat(settings, args)
    roles = args.only or frozenset(ROLES)
    try:  # bad settings fail here, before anything starts
        services = _services([a for a in configured if a in roles], poll=not args.no_poll)
        if "nudges" in roles:
            nudges = _nudge_services(configured)
            services += [(name, _tracked(name, serve)) for name, serve in nudges]
    except SettingsError as exc:
        print(f"coach: {exc}", file=sys.stderr)
        return 2
    if not services:
        print(
            "coach: nothing to run in this process: check --only, --no-poll and which "
            "platform tokens are set",
            file=sys.stderr,
        )
        return 2
    return await _serve_all(settings, services + _ops_services(settings))


async def _serve_all(settings: Settings, services: list[tuple[str, Service]]) -> int:
    """Run the services side by side until SIGINT/SIGTERM or until one of them ends."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)  # a clean stop keeps pending updates
    async with running(settings) as app:
        tasks = [asyncio.create_task(serve(app, stop), name=name) for name, serve in services]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        stop.set()  # one ended (stopped or failed): stop the others
        results = await asyncio.gather(*tasks, return_exceptions=True)
    failed = False
    for task, result in zip(tasks, results, strict=True):
        if isinstance(result, SettingsError):
            print(f"coach: {result}", file=sys.stderr)
            failed = True
        elif isinstance(result, BaseException):
            log.error("%s failed", task.get_name(), exc_info=result)
            failed = True
    return 1 if failed else 0


def _services(configured: list[str], poll: bool = True) -> list[tuple[str, Service]]:
    """What `coach run` starts, each as `serve(app, stop)`."""
    services: list[tuple[str, Service]] = []
    if "telegram" in configured:
        from adapters import telegram

        tg = telegram.load_telegram_settings()
        if tg.mode == "webhook" or poll:

            def serve_telegram(app: App, stop: asyncio.Event) -> Awaitable[None]:
                return telegram.serve(
                    app.engine,
                    app.store,
                    tg,
                    stop,
                    metrics=app.metrics,
                    ready=app.readiness.expect("telegram"),
                    database_url=app.settings.database_url,
                    limiter=app.pacers.get("telegram", tg.limits),
                )

            services.append(("telegram", serve_telegram))
        else:
            log.info("not polling Telegram in this process (--no-poll)")
    if "discord" in configured:
        from adapters import discord
        from adapters.discord.shards import load_shard_settings

        dc = discord.DiscordSettings()
        load_shard_settings()  # a bad DISCORD_SHARD_* fails here, before anything starts
        services.append(
            (
                "discord",
                _tracked(
                    "discord", lambda app, stop: discord.serve(app.engine, app.store, dc, stop)
                ),
            )
        )
    return services


def _tracked(name: str, serve: Service) -> Service:
    """A service without a readiness report of its own counts as ready while it runs."""

    async def run(app: App, stop: asyncio.Event) -> None:
        ready = app.readiness.expect(name)
        ready(True)
        try:
            await serve(app, stop)
        finally:
            ready(False)

    return run


def _ops_services(settings: Settings) -> list[tuple[str, Service]]:
    """/healthz, /readyz and /metrics on OPS_PORT (not served when it is 0)."""
    if not settings.ops_port:
        return []
    from bot import ops

    def serve_ops(app: App, stop: asyncio.Event) -> Awaitable[None]:
        return ops.serve(app.metrics, app.readiness, settings.ops_host, settings.ops_port, stop)

    return [("ops", serve_ops)]


async def _worker(settings: Settings, configured: list[str]) -> int:
    """`coach run --worker`: the nudge sweep alone, through the configured platforms."""
    try:
        services = _nudge_services(configured)
    except SettingsError as exc:
        print(f"coach: {exc}", file=sys.stderr)
        return 2
    if not services:
        wired = ", ".join(configured) or "none"
        print(
            f"coach: --worker needs a platform with a nudge sender (configured: {wired})",
            file=sys.stderr,
        )
        return 2
    # On SIGTERM the sweep finishes the batch in hand, then stops.
    tracked = [(name, _tracked(name, serve)) for name, serve in services]
    return await _serve_all(settings, tracked + _ops_services(settings))


def _nudge_services(configured: list[str]) -> list[tuple[str, Service]]:
    """Scheduled nudges, sent through each configured adapter that provides
    `nudge_sender(app)`: an async context manager yielding a `bot.delivery.Sender`."""
    from bot.scheduler import worker
    from bot.scheduler.settings import load_scheduler_settings

    makers = []
    for name in configured:
        adapter = importlib.import_module(f"adapters.{name}")
        if hasattr(adapter, "nudge_sender"):
            makers.append(adapter.nudge_sender)
    if not makers:
        return []
    scheduler = load_scheduler_settings()

    async def serve(app: App, stop: asyncio.Event) -> None:
        async with contextlib.AsyncExitStack() as stack:
            senders = [await stack.enter_async_context(make(app)) for make in makers]
            await worker.serve(app, senders, scheduler, stop)

    return [("nudges", serve)]


async def _chat(settings: Settings, args: argparse.Namespace) -> int:
    from adapters import console
    from adapters.console_delivery import deliver_due

    async with running(settings) as app:
        await deliver_due(app.engine, sys.stdout)  # the terminal shows nudges due meanwhile
        await console.chat(app.engine)
    return 0


async def _db(settings: Settings, args: argparse.Namespace) -> int:
    runner = runner_for(settings.database_url, settings.sealer())
    try:
        if args.action == "rotate-key":
            await runner.run(migrate.upgrade)
            count = await runner.run(reseal_all, list(metadata.tables.values()))
            print(f"re-encrypted {count} values with the first key")
            return 0
        if args.action == "upgrade":
            await runner.run(migrate.upgrade)
            print("database is up to date")
            return 0
        pending = await runner.run(migrate.pending)
        print(f"pending migrations: {', '.join(pending)}" if pending else "database is up to date")
        return 1 if pending else 0
    finally:
        await runner.close()


async def _discord(settings: Settings, args: argparse.Namespace) -> int:
    from adapters.discord import DiscordSettings, sync_once

    discord_settings = DiscordSettings()
    if discord_settings.discord_bot_token is None:
        print("coach: set DISCORD_BOT_TOKEN first", file=sys.stderr)
        return 2
    async with running(settings) as app:
        count = await sync_once(app.engine, app.store, discord_settings, args.guild)
    where = f"in server {args.guild}" if args.guild else "globally (clients may take a while)"
    print(f"registered {count} commands {where}")
    return 0


_commands = {"run": _run, "chat": _chat, "db": _db, "discord": _discord}
