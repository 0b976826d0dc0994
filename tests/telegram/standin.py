"""A Bot API stand-in on loopback: enough of Telegram for PTB to poll, send, edit and answer.

Faithful where it matters to the adapter: the token is checked in the path `/bot<token>/<m>`;
fields arrive form-encoded (JSON-encoded values such as reply_markup) or as JSON; HTML is
parsed the way Telegram does (unknown tags and stray `<` are refused, entities decoded) and the
4,096-unit and 64-byte callback_data limits are enforced; getUpdates honours `offset`
(confirmed updates are forgotten, others come again) and long-polls; a method can be told to
fail the next N calls with 429 (retry_after), 403 or 5xx.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "code", "pre", "blockquote", "tg-emoji",
}  # fmt: skip
_TAG = re.compile(r"</?([a-zA-Z-]+)(?:\s[^<>]*)?>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
LONG_POLL_CAP = 1.0  # seconds; keeps shutdowns quick whatever timeout the client asks for


class ApiError(Exception):
    def __init__(self, description: str, code: int = 400) -> None:
        super().__init__(description)
        self.description, self.code = description, code


@dataclass
class Fault:
    status: int
    description: str
    retry_after: int | None = None

    def response(self) -> web.Response:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return web.json_response(body, status=self.status)


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    status: int = 200


@dataclass
class Person:
    """Someone using Telegram."""

    id: int
    first_name: str = "Ann"
    language_code: str | None = "en"

    def as_user(self) -> dict[str, Any]:
        user = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def private_chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


def group_chat(chat_id: int = -1001234567890, title: str = "Friends") -> dict[str, Any]:
    return {"id": chat_id, "type": "supergroup", "title": title}


def telegram_html(text: str) -> str:
    """The text a user sees for `text` sent with parse_mode HTML, or ApiError like Telegram's."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "<":
            tag = _TAG.match(text, i)
            if tag is None or tag.group(1).lower() not in ALLOWED_TAGS:
                raise ApiError(f"Bad Request: can't parse entities: unsupported tag at {i}")
            i = tag.end()
            continue
        if ch == "&" and (entity := _ENTITY.match(text, i)):
            out.append(html.unescape(entity.group(0)))
            i = entity.end()
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class BotAPI:
    token: str
    username: str = "coach_test_bot"
    bot_id: int = 7000000001
    port: int = 0
    updates: list[dict[str, Any]] = field(default_factory=list)  # not yet confirmed
    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)  # the bot's messages, in order
    files: list[tuple[int, str, str, bytes]] = field(default_factory=list)  # chat, kind, name, data
    html_of: dict[tuple[int, int], str] = field(default_factory=dict)  # as the bot sent it
    commands: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    webhook: dict[str, Any] = field(default_factory=dict)
    answered: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: dict[str, deque[Fault]] = field(default_factory=lambda: defaultdict(deque))
    allowed_updates: list[str] | None = None

    def __post_init__(self) -> None:
        self._ids = itertools.count(500_000)
        self._message_ids: dict[int, itertools.count] = defaultdict(lambda: itertools.count(1))
        self._query_ids = itertools.count(9_000_000_000_000_000_000)
        self._chats: dict[int, dict[str, Any]] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._closing = False

    # --- serving --------------------------------------------------------------------------

    async def start(self) -> BotAPI:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._endpoint)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        async with self._changed:
            self._closing = True  # ends pending long polls now
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Coach", "username": self.username}

    # --- scripting ------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int,
        times: int = 1,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        """The next `times` calls of `method` answer `status` instead of doing anything."""
        text = description or {
            403: "Forbidden: bot was blocked by the user",
            429: f"Too Many Requests: retry after {retry_after}",
        }.get(status, "Internal Server Error")
        for _ in range(times):
            self.faults[method].append(Fault(status, text, retry_after))

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an update, as Telegram does when a user acts."""
        update = {"update_id": next(self._ids), kind: payload}
        async with self._changed:
            self.updates.append(update)
            self._changed.notify_all()
        return update

    def new_message(
        self, chat: dict[str, Any], sender: dict[str, Any], **content: Any
    ) -> dict[str, Any]:
        self._chats[chat["id"]] = chat
        message = {
            "message_id": next(self._message_ids[chat["id"]]),
            "date": int(time.time()),  # seconds, like Telegram
            "chat": chat,
            "from": sender,
            **content,
        }
        self.messages[(chat["id"], message["message_id"])] = message
        return message

    def new_query_id(self) -> str:
        return str(next(self._query_ids))

    async def wait_until(self, check: Any, within: float = 2.0) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(check), within)

    # --- the HTTP endpoint ----------------------------------------------------------------

    async def _endpoint(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await _params(request)
        call = Call(method, params, time.monotonic())
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        if self.faults[method]:
            fault = self.faults[method].popleft()
            call.status = fault.status
            return fault.response()
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            call.status = 404
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        try:
            result = await handler(params)
        except ApiError as exc:
            call.status = exc.code
            body = {"ok": False, "error_code": exc.code, "description": exc.description}
            return web.json_response(body, status=exc.code)
        async with self._changed:
            self._changed.notify_all()
        return web.json_response({"ok": True, "result": result})

    # --- methods --------------------------------------------------------------------------

    async def _api_getMe(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user() | {"can_join_groups": True, "supports_inline_queries": False}

    async def _api_deleteWebhook(self, p: dict[str, Any]) -> bool:
        self.webhook = {}
        if _flag(p.get("drop_pending_updates")):
            self.updates.clear()
        return True

    async def _api_setWebhook(self, p: dict[str, Any]) -> bool:
        self.webhook = dict(p)
        if _flag(p.get("drop_pending_updates")):
            self.updates.clear()
        return True

    async def _api_setMyCommands(self, p: dict[str, Any]) -> bool:
        scope = _json(p.get("scope")) or {"type": "default"}
        self.commands[(scope["type"], p.get("language_code") or "")] = _json(p["commands"])
        return True

    async def _api_getUpdates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        if p.get("allowed_updates") is not None:
            self.allowed_updates = _json(p["allowed_updates"])
        offset = int(p.get("offset") or 0)
        wait = min(float(p.get("timeout") or 0), LONG_POLL_CAP)
        async with self._changed:
            # Telegram forgets an update once a later offset confirms it.
            self.updates[:] = [u for u in self.updates if u["update_id"] >= offset]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: self._closing or self._deliverable()), wait
                )
            return self._deliverable()[: int(p.get("limit") or 100)]

    def _deliverable(self) -> list[dict[str, Any]]:
        allowed = self.allowed_updates
        return [u for u in self.updates if allowed is None or set(u) - {"update_id"} <= {*allowed}]

    async def _api_sendMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(p["chat_id"])
        if chat_id not in self._chats:
            raise ApiError("Bad Request: chat not found")
        visible = self._text(p)
        content: dict[str, Any] = {"text": visible}
        markup = self._markup(p)
        if markup is not None:
            content["reply_markup"] = markup
        reply = _json(p.get("reply_parameters"))
        if reply and (chat_id, reply["message_id"]) in self.messages:
            content["reply_to_message"] = self.messages[(chat_id, reply["message_id"])]
        message = self.new_message(self._chats[chat_id], self.bot_user(), **content)
        self.html_of[(chat_id, message["message_id"])] = p["text"]
        self.sent.append(message)
        return message

    async def _api_sendDocument(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._file_message(p, "document")

    async def _api_sendPhoto(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._file_message(p, "photo")

    def _file_message(self, p: dict[str, Any], kind: str) -> dict[str, Any]:
        chat_id = int(p["chat_id"])
        if chat_id not in self._chats:
            raise ApiError("Bad Request: chat not found")
        filename, data = p[kind]
        self.files.append((chat_id, kind, filename, data))
        meta = {"file_id": f"f{len(self.files)}", "file_unique_id": f"u{len(self.files)}"}
        if kind == "photo":
            content: dict[str, Any] = {"photo": [meta | {"width": 1, "height": 1}]}
        else:
            content = {"document": meta | {"file_name": filename}}
        message = self.new_message(self._chats[chat_id], self.bot_user(), **content)
        self.sent.append(message)
        return message

    async def _api_editMessageReplyMarkup(self, p: dict[str, Any]) -> dict[str, Any]:
        message = self._own_message(p)
        markup = self._markup(p)
        if markup == message.get("reply_markup"):
            raise ApiError("Bad Request: message is not modified")
        _set_markup(message, markup)
        return message | {"edit_date": int(time.time())}

    async def _api_editMessageText(self, p: dict[str, Any]) -> dict[str, Any]:
        message = self._own_message(p)
        message["text"] = self._text(p)
        self.html_of[(message["chat"]["id"], message["message_id"])] = p["text"]
        _set_markup(message, self._markup(p))  # without reply_markup the keyboard goes
        return message | {"edit_date": int(time.time())}

    async def _api_answerCallbackQuery(self, p: dict[str, Any]) -> bool:
        query_id = p["callback_query_id"]
        if query_id in self.answered:
            raise ApiError("Bad Request: query is too old and response timeout expired")
        self.answered[query_id] = dict(p)
        return True

    # --- checks Telegram makes ------------------------------------------------------------

    def _text(self, p: dict[str, Any]) -> str:
        text = p.get("text") or ""
        visible = telegram_html(text) if p.get("parse_mode") == "HTML" else text
        if not visible.strip():
            raise ApiError("Bad Request: message text is empty")
        if units(visible) > 4096:
            raise ApiError("Bad Request: message is too long")
        return visible

    def _markup(self, p: dict[str, Any]) -> dict[str, Any] | None:
        markup = _json(p.get("reply_markup"))
        if not markup:
            return None
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if len(button.get("callback_data", "").encode()) > 64:
                    raise ApiError("Bad Request: BUTTON_DATA_INVALID")
        return markup

    def _own_message(self, p: dict[str, Any]) -> dict[str, Any]:
        found = self.messages.get((int(p["chat_id"]), int(p["message_id"])))
        if found is None or found["from"]["id"] != self.bot_id:
            raise ApiError("Bad Request: message to edit not found")
        return found


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return dict(await request.json())
    if request.method == "POST":  # files arrive as (filename, bytes)
        return {
            k: v if isinstance(v, str) else (v.filename, v.file.read())
            for k, v in (await request.post()).items()
        }
    return dict(request.query)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _flag(value: Any) -> bool:
    return value in (True, "true", "True", "1")


def _set_markup(message: dict[str, Any], markup: dict[str, Any] | None) -> None:
    if markup is None:
        message.pop("reply_markup", None)
    else:
        message["reply_markup"] = markup
