"""The REST channel, made safe: a development channel in `make run`, off in production (issue 9).

Unlike Rasa's stock one it validates the body (4xx with a reason, never a 500) and namespaces the
sender id (`rest:<sender>`); everything else (slash syntax, limits, the answer within seconds
even when the action server is slow or down) is the inbound pipeline every channel shares
(bot/channels/inbound.py). Nothing the customer wrote is logged.
"""
from __future__ import annotations

import re
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import addresses
from bot.channels.inbound import Inbound, InboundPipeline

SENDER = re.compile(r"^[A-Za-z0-9_.:@+-]{1,128}$")
# Room for a long message (which gets a kind answer), not for a flood.
MAX_BODY_BYTES = 64 * 1024
PREFIX = addresses.REST


def problem(status: int, reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=status)


class SafeRestInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("safe_rest_webhook", __name__)
        pipeline = InboundPipeline(self.name())

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if len(request.body or b"") > MAX_BODY_BYTES:
                return problem(413, f"body larger than {MAX_BODY_BYTES} bytes")
            try:
                body = request.json
            except Exception:  # noqa: BLE001 - Sanic raises several kinds on bad JSON
                return problem(400, "body is not valid JSON")
            if not isinstance(body, dict):
                return problem(400, "body must be a JSON object with 'sender' and 'message'")
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not SENDER.match(sender):
                return problem(400, "'sender' must be 1 to 128 letters, digits or _.:@+-")
            if not isinstance(text, str):
                return problem(400, "'message' must be a string")
            sender_id = PREFIX + sender
            outcome = await pipeline.handle(request.app, on_new_message,
                                            Inbound(sender_id, text, CollectingOutputChannel()))
            return response.json(outcome.said, status=429 if outcome.status == "limited" else 200)

        return webhook
