"""Telegram on python-telegram-bot (issue 6), not Rasa's aiogram channel.

Routes (channel name `telegram_secret`):
- `POST /webhooks/telegram_secret/webhook`  updates; `X-Telegram-Bot-Api-Secret-Token` checked on
  every one (403 when wrong or missing), so nobody but Telegram can speak for a chat
- `GET  /webhooks/telegram_secret/`         health

Sender ids are `telegram:<chat_id>`. Buttons are an inline keyboard (callback_data = payload; the
callback query is answered so the client stops its spinner); images are sent as photos. The
output channel holds no connection and needs no conversation, so pushes through Rasa's HTTP API
(`output_channel=latest`) work. After the secret, an update passes the inbound pipeline every
channel shares (bot/channels/inbound.py): the same update_id twice makes one turn, "/stop", the
per-sender limit, length, slash syntax in text and callback data alike, and the guarded turn (a
kind "still working" in the webhook's answer after 8 s while the turn goes on). A message the Bot
API does not take after every retry waits in the outbox (bot/channels/state.py) and goes out first
at the chat's next message. The webhook is set by
`python -m bot.channels.telegram set-webhook URL`, never at start-up.

Telegram gives no verified phone number (unless the user shares a contact, ignored for now):
these customers verify with customer number and birth date.
"""
from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import logging
import os
import sys
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot import addresses
from bot.channels.inbound import MEDIA_WITHOUT_TEXT, Inbound, InboundPipeline  # noqa: F401
from bot.channels.state import ChannelState, storable

logger = logging.getLogger(__name__)

CHANNEL_NAME = "telegram_secret"
SENDER_PREFIX = addresses.TELEGRAM
MAX_UPDATE_BYTES = 256 * 1024
CALLBACK_DATA_LIMIT = 64  # bytes, Telegram's limit
ALLOWED_UPDATES = ["message", "callback_query"]


@dataclass(frozen=True)
class TelegramSettings:
    token: str
    secret_token: str
    api_base_url: str = "https://api.telegram.org/bot"
    max_attempts: int = 4
    backoff_seconds: float = 0.5

    @property
    def bot_id(self) -> str:
        return self.token.split(":", 1)[0]

    @classmethod
    def from_credentials(cls, credentials: dict | None) -> "TelegramSettings":
        credentials = credentials or {}

        def value(key: str, env: str) -> str | None:
            raw = credentials.get(key)
            raw = raw if raw not in (None, "") else os.environ.get(env)
            return str(raw).strip() if raw not in (None, "") else None

        token, secret = value("token", "TELEGRAM_BOT_TOKEN"), value("secret_token", "TELEGRAM_SECRET_TOKEN")
        if not token or not secret:
            raise ValueError("Telegram channel: TELEGRAM_BOT_TOKEN and TELEGRAM_SECRET_TOKEN are required")
        return cls(token=token, secret_token=secret,
                   api_base_url=value("api_base_url", "TELEGRAM_API_BASE_URL") or "https://api.telegram.org/bot",
                   max_attempts=int(value("max_attempts", "TELEGRAM_MAX_ATTEMPTS") or 4),
                   backoff_seconds=float(value("backoff_seconds", "TELEGRAM_BACKOFF_SECONDS") or 0.5))

    def new_bot(self) -> Bot:
        return Bot(self.token, base_url=self.api_base_url)


def chat_id_of(sender_id: str) -> int:
    if not sender_id.startswith(SENDER_PREFIX):
        raise ValueError("not a Telegram sender id (expected telegram:<chat_id>)")
    try:
        return int(sender_id.removeprefix(SENDER_PREFIX))
    except ValueError:
        raise ValueError("not a Telegram sender id (expected telegram:<chat_id>)") from None


async def call_with_retry(settings: TelegramSettings, what: str, call: Callable[[Bot], Awaitable[Any]],
                          on_forbidden: Callable[[], Any] | None = None,
                          on_gave_up: Callable[[], None] | None = None) -> Any:
    """One Bot API call on a short-lived Bot (no connection outlives the call, so any event loop
    may push), retried with backoff on network errors and flood limits."""
    delay = settings.backoff_seconds
    bot = settings.new_bot()
    try:
        for attempt in range(1, settings.max_attempts + 1):
            try:
                return await call(bot)
            except RetryAfter as error:
                wait = error.retry_after
                wait = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
                outcome = f"flood limit, retry after {wait:.0f} s"
                wait = max(wait, delay)
            except BadRequest as error:
                logger.error("telegram: %s refused: %s", what, type(error).__name__)
                return None
            except NetworkError as error:
                outcome, wait = type(error).__name__, delay
            except Forbidden:
                # 403: the user blocked the bot. Outreach to this chat ends (issue 10).
                logger.error("telegram: %s refused: Forbidden", what)
                if on_forbidden is not None:
                    await asyncio.to_thread(on_forbidden)
                return None
            except TelegramError as error:  # Forbidden (blocked by the user) and the like
                logger.error("telegram: %s refused: %s", what, type(error).__name__)
                return None
            if attempt < settings.max_attempts:
                logger.warning("telegram: %s attempt %d failed (%s); retrying", what, attempt, outcome)
                await asyncio.sleep(wait)
                delay *= 2
        logger.error("telegram: %s not sent after %d attempts (%s)", what, settings.max_attempts, outcome)
        if on_gave_up is not None:
            on_gave_up()
        return None
    finally:
        await bot.shutdown()


class TelegramSecretOutput(OutputChannel):
    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    def __init__(self, settings: TelegramSettings, state: ChannelState | None = None) -> None:
        self.settings = settings
        self.state = state or ChannelState()
        self._unreachable = False  # the last call failed on the network or a flood limit after every retry

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """A message the Bot API did not take after every retry waits in the outbox (the turn
        that said it is saved) and goes out first when the customer writes again."""
        self._unreachable = False
        await super().send_response(recipient_id, dict(message))
        if self._unreachable:
            row_id, case_id = await asyncio.to_thread(self.state.record_outbound, recipient_id, "queued",
                                                      source="bot", message=storable(message))
            logger.info("telegram: message %s for case %s queued until the customer writes again", row_id,
                        case_id or "-")

    async def deliver_queued(self, recipient_id: str) -> int:
        """Sends what waited for this chat, each message once even with several workers."""
        delivered = 0
        for row_id, message in await asyncio.to_thread(self.state.queued, recipient_id):
            if not await asyncio.to_thread(self.state.claim, row_id):
                continue  # another worker has it
            self._unreachable = False
            await super().send_response(recipient_id, dict(message))
            if self._unreachable:
                await asyncio.to_thread(self.state.release, row_id)
                break  # still down: the rest waits too, in order
            await asyncio.to_thread(self.state.delivered, row_id, None)
            delivered += 1
        return delivered

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        chat_id = chat_id_of(recipient_id)
        await self._call(recipient_id, "sendMessage", lambda bot: bot.send_message(chat_id, text))

    async def _call(self, recipient_id: str, what: str, call: Callable[[Bot], Awaitable[Any]]) -> Any:
        return await call_with_retry(self.settings, what, call,
                                     on_forbidden=lambda: self.state.opt_out(recipient_id, "telegram_403"),
                                     on_gave_up=lambda: setattr(self, "_unreachable", True))

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]],
                                     **kwargs: Any) -> None:
        chat_id = chat_id_of(recipient_id)
        payloads = [str(b.get("payload") or b.get("title") or "") for b in buttons]
        if all(len(p.encode("utf-8")) <= CALLBACK_DATA_LIMIT for p in payloads):
            data = payloads
        else:
            # Too long for callback_data: send the number and map it back like a typed "2".
            await asyncio.to_thread(self.state.offer_buttons, recipient_id, payloads)
            data = [str(i) for i in range(1, len(payloads) + 1)]
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton(str(b.get("title") or p), callback_data=d)] for b, p, d in zip(buttons, payloads, data)])
        await self._call(recipient_id, "sendMessage",
                         lambda bot: bot.send_message(chat_id, text, reply_markup=keyboard))

    async def send_quick_replies(self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]],
                                 **kwargs: Any) -> None:
        await self.send_text_with_buttons(recipient_id, text, quick_replies)

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        chat_id = chat_id_of(recipient_id)
        await self._call(recipient_id, "sendPhoto", lambda bot: bot.send_photo(chat_id, photo=image))

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        logger.warning("telegram: custom payload ignored")


class TelegramSecretInput(InputChannel):
    """Register in credentials.yml as `bot.channels.telegram.TelegramSecretInput`."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(TelegramSettings.from_credentials(credentials))

    def __init__(self, settings: TelegramSettings, state: ChannelState | None = None) -> None:
        self.settings = settings
        self.state = state or ChannelState()
        self.pipeline = InboundPipeline(self.name(), provider="telegram", state=self.state)
        self._callbacks: set[asyncio.Task] = set()

    def get_output_channel(self) -> OutputChannel:
        return TelegramSecretOutput(self.settings, self.state)

    def _answer_callback(self, callback_id: str) -> None:
        task = asyncio.ensure_future(call_with_retry(self.settings, "answerCallbackQuery",
                                                     lambda bot: bot.answer_callback_query(callback_id)))
        self._callbacks.add(task)
        task.add_done_callback(self._callbacks.discard)

    def _secret_ok(self, request: Request) -> bool:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token") or ""
        return bool(given) and hmac.compare_digest(given.encode(), self.settings.secret_token.encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hook = Blueprint(f"{self.name()}_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self._secret_ok(request):
                logger.warning("telegram: update with a missing or wrong secret token refused")
                return response.json({"error": "missing or wrong X-Telegram-Bot-Api-Secret-Token"}, status=403)
            if len(request.body or b"") > MAX_UPDATE_BYTES:
                return response.json({"error": "body too large"}, status=413)
            try:
                data = json.loads(request.body or b"")
            except ValueError:
                return response.json({"error": "body is not JSON"}, status=400)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                return response.json({"error": "expected a Telegram Update object with an integer update_id"},
                                     status=400)
            try:
                update = Update.de_json(data, None)
            except Exception:  # PTB raises KeyError/TypeError on malformed objects
                return response.json({"error": "malformed Telegram Update"}, status=400)

            incoming = self._incoming(update)
            if incoming is None:
                return response.json({"status": "ignored"})  # edits, channel posts, ...: no turn
            chat_id, text, callback_id = incoming

            if callback_id:
                # Stops the client's spinner; not awaited, so a slow Bot API never delays the turn.
                self._answer_callback(callback_id)
            sender_id = f"{SENDER_PREFIX}{chat_id}"
            output = self.get_output_channel()

            async def turn(message: UserMessage) -> None:
                # What the Bot API could not take earlier goes first, once.
                try:
                    await output.deliver_queued(sender_id)
                except Exception:
                    logger.exception("telegram: delivering queued messages for update %s failed", update.update_id)
                await on_new_message(message)

            outcome = await self.pipeline.handle(request.app, turn, Inbound(
                sender_id, text, output, provider_id=f"{self.settings.bot_id}:{update.update_id}",
                metadata={"channel": "telegram", "update_id": update.update_id}))
            if outcome.status == "duplicate":
                return response.json({"status": "duplicate"})
            quiet = outcome.status in ("answered", "silent") or outcome.told_before
            if quiet or not outcome.texts:
                return response.json({"status": "ok"})
            # What the turn could not send in time goes back as a Bot API call in the answer
            # itself (Telegram runs it), so it arrives even when the Bot API is slow for us.
            return response.json({"method": "sendMessage", "chat_id": chat_id, "text": "\n\n".join(outcome.texts)})

        return hook

    @staticmethod
    def _incoming(update: Update) -> tuple[int, str | None, str | None] | None:
        """(chat id, text for the bot, callback query id) or None when the update makes no turn."""
        if update.callback_query is not None:
            query = update.callback_query
            chat = query.message.chat if query.message is not None else None
            if chat is None or not query.data:
                return None
            return chat.id, query.data, query.id
        message = update.message
        if message is None or message.chat is None:
            return None
        text = (message.text or message.caption or "").strip()
        return message.chat.id, text or None, None  # None: a photo or sticker without caption


# -- CLI: python -m bot.channels.telegram set-webhook URL | delete-webhook | webhook-info -------------
async def _cli(args: argparse.Namespace, settings: TelegramSettings) -> int:
    bot = settings.new_bot()
    try:
        if args.command == "set-webhook":
            ok = await bot.set_webhook(args.url, secret_token=settings.secret_token,
                                       allowed_updates=ALLOWED_UPDATES, drop_pending_updates=args.drop_pending)
            print("webhook set" if ok else "webhook NOT set")
            return 0 if ok else 1
        if args.command == "delete-webhook":
            ok = await bot.delete_webhook()
            print("webhook deleted" if ok else "webhook NOT deleted")
            return 0 if ok else 1
        info = await bot.get_webhook_info()
        print(json.dumps({"url": info.url, "pending_update_count": info.pending_update_count,
                          "last_error_message": info.last_error_message}, indent=2))
        return 0
    finally:
        await bot.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.channels.telegram",
                                     description="Telegram webhook management (uses TELEGRAM_BOT_TOKEN, "
                                                 "TELEGRAM_SECRET_TOKEN, TELEGRAM_API_BASE_URL)")
    sub = parser.add_subparsers(dest="command", required=True)
    set_hook = sub.add_parser("set-webhook", help="point Telegram at URL (…/webhooks/telegram_secret/webhook)")
    set_hook.add_argument("url")
    set_hook.add_argument("--drop-pending", action="store_true", help="drop updates Telegram still holds")
    sub.add_parser("delete-webhook")
    sub.add_parser("webhook-info")
    args = parser.parse_args(argv)
    if args.command == "set-webhook" and not args.url.startswith("https://"):
        parser.error("Telegram only calls https:// webhooks")
    try:
        settings = TelegramSettings.from_credentials(None)
    except ValueError as error:
        parser.error(str(error))
    return asyncio.run(_cli(args, settings))


if __name__ == "__main__":
    sys.exit(main())
