"""`coach`: run the bot, chat in the terminal, inspect dialogs, manage the database."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence

from bot import logs
from bot.app import App, running
from bot.config import Settings, SettingsError, load_settings
from bot.store import migrate
from bot.store.runner import runner_for
from dialogs import catalog

log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coach",
        description="A resilience micro-coaching bot (an automated coach, not therapy).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sub.add_parser("run", help="run every adapter whose token is set; with none, the terminal chat")
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
    secrets = [
        s.get_secret_value() for s in (settings.telegram_bot_token, settings.discord_bot_token) if s
    ]
    quiet = args.command == "chat" or not _adapters(settings)
    logs.configure(
        "WARNING" if quiet and settings.log_level != "DEBUG" else settings.log_level, secrets
    )
    try:
        return asyncio.run(_commands[args.command](settings, args))
    except KeyboardInterrupt:
        return 130


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
    if not configured:
        return await _chat(settings, args)
    try:
        services = _services(configured)  # bad settings fail before anything starts
    except SettingsError as exc:
        print(f"coach: {exc}", file=sys.stderr)
        return 2
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


def _services(configured: list[str]) -> list[tuple[str, Service]]:
    """What `coach run` starts, each as `serve(app, stop)`."""
    services: list[tuple[str, Service]] = []
    if "telegram" in configured:
        from adapters import telegram

        tg = telegram.load_telegram_settings()
        services.append(
            ("telegram", lambda app, stop: telegram.serve(app.engine, app.store, tg, stop))
        )
    if "discord" in configured:
        from adapters import discord

        dc = discord.DiscordSettings()
        services.append(
            ("discord", lambda app, stop: discord.serve(app.engine, app.store, dc, stop))
        )
    return services


async def _chat(settings: Settings, args: argparse.Namespace) -> int:
    from adapters import console

    async with running(settings) as app:
        await console.chat(app.engine)
    return 0


async def _db(settings: Settings, args: argparse.Namespace) -> int:
    runner = runner_for(settings.database_url)
    try:
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
