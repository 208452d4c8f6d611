"""The website chat widget's channel (issue 6; issue 9 section 1), a connector of our own.

Routes (channel name `widget`, prefix `/webhooks/widget`):
- `GET  /`          health
- `POST /session`   `{}` -> a new session; `{"token": t}` -> a fresh token for the same session
- `POST /message`   `{"token", "message", "label"?, "client_id"?}` -> the bot's replies
- `POST /messages`  `{"token", "since", "wait"}` -> the conversation after `since` (history, and
                    with `wait: true` a long poll that returns as soon as a push arrives)
Both answers carry `handover`: `{"person": bool, "name": first name or null}`, so the widget can
say that a colleague reads along, and who answers (a staff reply is `from: "staff"` with `name`).

Why not Rasa's socket.io channel: it takes the session id from the client (anyone can continue
anyone's conversation), needs a vendored socket.io client in the page, loses every reply with
python-socketio 5.10+ unless patched, and a push to a socket held by another worker is lost.
Here every request is plain HTTP, and the conversation itself lives in Rasa's tracker store:

- The session id is made by this server and handed out inside a token signed with itsdangerous
  (`BETAALHULP_WIDGET_SECRET`; random per process when unset) that expires after
  `BETAALHULP_WIDGET_SESSION_HOURS` (12). The widget never names a conversation: it shows its
  token and gets `web:<session>`, so it cannot reach another customer's one.
- What the widget shows is read back from the tracker (user and bot events, with stable ids), so a
  reload, a lost network or a push to another worker loses nothing: the next poll catches up.
  Pushes through Rasa's HTTP API (`output_channel=latest`: payment confirmed, a staff reply) go
  through `get_output_channel()`, which wakes the widget's waiting poll on this worker at once
  (on another worker the poll picks them up within `POLL_SECONDS`).
- Requests are CORS "simple requests" (POST with a text/plain JSON body, no custom headers), so
  browsers send no preflight and the token never sits in a URL or a log. Allowed origins:
  `BETAALHULP_WIDGET_ORIGINS` (space or comma separated), by default the web app's public URL
  (`BETAALHULP_PUBLIC_URL`). A browser request from another origin: 403. This channel is the only
  place that sets `Access-Control-Allow-Origin` (scripts/run.sh gives Rasa no `--cors`).
- As on every channel of ours, a message passes the one inbound pipeline (bot/channels/inbound.py:
  the per-sender limit of BETAALHULP_MAX_MESSAGES_PER_MINUTE, length, slash syntax, the guarded
  turn that never leaves the customer in silence); bodies are limited, malformed input gets a 4xx
  with a reason, and nothing the customer wrote is logged.
"""
from __future__ import annotations

import json
import logging
import math
import os
import re
import secrets
import uuid
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import addresses
from bot.channels.inbound import Inbound, InboundPipeline
from bot.channels.widget_hub import Hub
from bot.channels.widget_transcript import CHANNEL_NAME, bot_message, conversation, handover_state, replies_to
from bot.rasa_ext.tracker_store import retrieve_session
from bot.rate_limit import RateLimit

logger = logging.getLogger(__name__)

PREFIX = addresses.WIDGET
MAX_BODY_BYTES = 16 * 1024  # room for MAX_TEXT_LENGTH characters of any script, not for a flood
MAX_LABEL_LENGTH = 200
POLL_SECONDS = 25.0
MAX_WAITERS_PER_SESSION = 4  # open tabs of one customer
SESSIONS_PER_TEN_MINUTES = 30  # new sessions per client address
DEFAULT_SESSION_HOURS = 12
TOKEN_SALT = "betaalhulp-widget-session"
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
NO_STORE = {"Cache-Control": "no-store"}


class SessionError(Exception):
    """The token is missing, forged, tampered with or expired; `str()` says which."""


# -- sessions ------------------------------------------------------------------------------------
class WidgetSessions:
    """Issues and checks the signed, expiring session tokens. The session id inside is random
    and made here; the signature means a client can neither pick nor alter it."""

    def __init__(self, secret: str | None = None, max_age_seconds: int = DEFAULT_SESSION_HOURS * 3600) -> None:
        if not secret:
            logger.warning("BETAALHULP_WIDGET_SECRET is unset: widget sessions end when this process stops, "
                           "and do not work across processes")
        self.max_age_seconds = max_age_seconds
        self._serializer = URLSafeTimedSerializer(secret or secrets.token_hex(32), salt=TOKEN_SALT)

    def issue(self, session: str | None = None) -> tuple[str, str]:
        """(token, session id); a new random session unless an existing one is renewed."""
        session = session or secrets.token_urlsafe(18)
        return self._serializer.dumps({"s": session}), session

    def open(self, token: Any) -> str:
        """The session id inside a good token, else SessionError."""
        if not isinstance(token, str) or not token or len(token) > 512:
            raise SessionError("'token' missing: ask POST /session for one")
        try:
            data = self._serializer.loads(token, max_age=self.max_age_seconds)
        except SignatureExpired:
            raise SessionError("session expired: ask POST /session for a new one") from None
        except BadSignature:
            raise SessionError("token invalid") from None
        session = data.get("s") if isinstance(data, dict) else None
        if not isinstance(session, str) or not SESSION_ID.match(session):
            raise SessionError("token invalid")
        return session


def sender_id_for(session: str) -> str:
    return PREFIX + session


def client_address(request: Request) -> str:
    """The visitor's address. Behind our nginx every request comes from nginx: Rasa then runs with
    SANIC_PROXIES_COUNT=1 (docs/DEPLOY.md) and Sanic takes the address nginx forwarded."""
    return request.remote_addr or request.ip or "unknown"


# -- what the widget shows -----------------------------------------------------------------------
class WidgetOutput(OutputChannel):
    """Pushes from outside a turn (Rasa's HTTP API with output_channel=latest). The message is
    in the tracker once Rasa saves it; this only wakes the widget's waiting poll, which reads it
    from there after the conversation's lock is released (i.e. after the save)."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        if recipient_id.startswith(PREFIX):
            self.hub.notify(recipient_id)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})


LOOPBACK_NAMES = ("localhost", "127.0.0.1")


def _csv(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        items: Iterable[str] = (str(v) for v in value)
    else:
        items = re.split(r"[\s,]+", str(value or ""))
    return [item.strip().rstrip("/") for item in items if item.strip()]


def default_origins() -> list[str]:
    """BETAALHULP_WIDGET_ORIGINS, else the web app's own origin (the demo page), with both
    spellings of a loopback host so http://127.0.0.1:8080 works as well as http://localhost:8080."""
    origins = _csv(os.environ.get("BETAALHULP_WIDGET_ORIGINS"))
    if origins:
        return origins
    public = urlsplit(os.environ.get("BETAALHULP_PUBLIC_URL", "http://localhost:8080"))
    origins = [f"{public.scheme}://{public.netloc}"]
    if public.hostname in LOOPBACK_NAMES:
        port = f":{public.port}" if public.port else ""
        origins += [f"{public.scheme}://{name}{port}" for name in LOOPBACK_NAMES]
    return list(dict.fromkeys(origins))


class WidgetInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict | None) -> "WidgetInput":
        credentials = credentials or {}
        secret = credentials.get("secret") or os.environ.get("BETAALHULP_WIDGET_SECRET") or None
        hours = credentials.get("session_hours") or os.environ.get("BETAALHULP_WIDGET_SESSION_HOURS")
        origins = _csv(credentials.get("allowed_origins")) or default_origins()
        return cls(secret=secret, session_hours=float(hours) if hours else DEFAULT_SESSION_HOURS,
                   allowed_origins=origins)

    def __init__(self, secret: str | None = None, session_hours: float = DEFAULT_SESSION_HOURS,
                 allowed_origins: list[str] | None = None) -> None:
        self.sessions = WidgetSessions(secret, int(session_hours * 3600))
        self.allowed_origins = set(allowed_origins if allowed_origins is not None else default_origins())
        self.hub = Hub()
        self.pipeline = InboundPipeline(CHANNEL_NAME)
        self.session_limit = RateLimit(SESSIONS_PER_TEN_MINUTES, 600)
        # A retried send (same client_id) gets the first answer, not a second turn.
        self._answered: OrderedDict[str, dict] = OrderedDict()

    def get_output_channel(self) -> OutputChannel:
        return WidgetOutput(self.hub)

    # helpers ---------------------------------------------------------------------------------
    def _cors(self, request: Request) -> dict[str, str]:
        origin = request.headers.get("origin")
        if origin and origin.rstrip("/") in self.allowed_origins:
            return {"Access-Control-Allow-Origin": origin, "Vary": "Origin", **NO_STORE}
        return {"Vary": "Origin", **NO_STORE}

    def _json(self, request: Request, body: dict, status: int = 200) -> HTTPResponse:
        return response.json(body, status=status, headers=self._cors(request))

    def _problem(self, request: Request, status: int, reason: str) -> HTTPResponse:
        return self._json(request, {"error": reason}, status)

    def _open(self, request: Request) -> tuple[str, dict] | HTTPResponse:
        """The checks every session request passes: origin, body, a valid token."""
        if self._origin_refused(request):
            return self._problem(request, 403, "origin not allowed")
        body = self._body(request)
        if isinstance(body, str):
            return self._problem(request, 413 if body.startswith("body larger") else 400, body)
        try:
            return self.sessions.open(body.get("token")), body
        except SessionError as error:
            return self._problem(request, 401, str(error))

    def _origin_refused(self, request: Request) -> bool:
        origin = request.headers.get("origin")
        return bool(origin) and origin.rstrip("/") not in self.allowed_origins

    def _body(self, request: Request, allow_empty: bool = False) -> dict | str:
        """The JSON object in the body (any content type: the widget sends text/plain to stay
        a CORS simple request), or the reason it is not one."""
        raw = request.body or b""
        if len(raw) > MAX_BODY_BYTES:
            return f"body larger than {MAX_BODY_BYTES} bytes"
        if not raw.strip() and allow_empty:
            return {}
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return "body is not valid JSON"
        if not isinstance(body, dict):
            return "body must be a JSON object"
        return body

    async def _tracker(self, request: Request, sender_id: str, whole_session: bool = False):
        """The conversation as Rasa reads it for a turn (the newest events: enough for the replies
        to a message just sent), or the whole session (the history the widget shows)."""
        agent = getattr(request.app.ctx, "agent", None)
        if agent is None or agent.tracker_store is None:
            return None
        if whole_session:
            return await retrieve_session(agent.tracker_store, sender_id)
        return await agent.tracker_store.retrieve(sender_id)

    async def _read_after_push(self, request: Request, sender_id: str):
        """A push holds the conversation's lock until its events are saved: read after it."""
        agent = getattr(request.app.ctx, "agent", None)
        if agent is not None and getattr(agent, "lock_store", None) is not None:
            async with agent.lock_store.lock(sender_id):
                return await self._tracker(request, sender_id, whole_session=True)
        return await self._tracker(request, sender_id, whole_session=True)

    def _remember(self, key: str, answer: dict) -> None:
        self._answered[key] = answer
        while len(self._answered) > 10_000:
            self._answered.popitem(last=False)

    # routes ------------------------------------------------------------------------------------
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        widget = Blueprint("betaalhulp_widget", __name__)

        @widget.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return self._json(request, {"status": "ok"})

        @widget.route("/session", methods=["POST"])
        async def session(request: Request) -> HTTPResponse:
            if self._origin_refused(request):
                return self._problem(request, 403, "origin not allowed")
            body = self._body(request, allow_empty=True)
            if isinstance(body, str):
                return self._problem(request, 400, body)
            if body.get("token") is not None:
                try:
                    existing = self.sessions.open(body.get("token"))
                except SessionError as error:
                    return self._problem(request, 401, str(error))
                token, _ = self.sessions.issue(existing)
            else:
                if not self.session_limit.allow(client_address(request)):
                    return self._problem(request, 429, "too many new sessions from this address; try again later")
                token, _ = self.sessions.issue()
            return self._json(request, {"token": token, "expires_in": self.sessions.max_age_seconds})

        @widget.route("/message", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            opened = self._open(request)
            if isinstance(opened, HTTPResponse):
                return opened
            session_id, body = opened
            text, label, client_id = body.get("message"), body.get("label"), body.get("client_id")
            if not isinstance(text, str) or not text.strip():
                return self._problem(request, 400, "'message' must be a non-empty string")
            if label is not None and (not isinstance(label, str) or len(label) > MAX_LABEL_LENGTH):
                return self._problem(request, 400, f"'label' must be a string of at most {MAX_LABEL_LENGTH} characters")
            if client_id is not None and (not isinstance(client_id, str) or not CLIENT_ID.match(client_id)):
                return self._problem(request, 400, "'client_id' must be 8 to 64 letters, digits, _ or -")
            sender_id = sender_id_for(session_id)
            key = f"{sender_id}/{client_id}" if client_id else None
            if key and key in self._answered:
                return self._json(request, self._answered[key])
            if key and body.get("retry") is True:
                # A retry after a gateway error may reach another host: the shared tracker knows
                # whether the first try was taken, so it is answered, not taken twice.
                tracker = await self._tracker(request, sender_id)
                logged = replies_to(tracker.events, client_id) if tracker is not None else None
                if logged is not None:
                    return self._json(request, {"messages": logged, "cursor": max((m["ts"] for m in logged), default=None)})
            message_id = client_id or uuid.uuid4().hex
            inbound = Inbound(sender_id, text, CollectingOutputChannel(), message_id=message_id,
                              metadata={"widget_label": label} if label else None)
            # A turn we stopped waiting for: the widget's poll fetches its real replies.
            outcome = await self.pipeline.handle(request.app, on_new_message, inbound,
                                                 on_late=lambda: self.hub.notify(sender_id))
            if outcome.status == "limited":
                return self._json(request, {"error": "too many messages; wait a minute",
                                            "messages": _ephemeral(outcome.said)}, 429)
            if outcome.status == "too_long":
                return self._json(request, {"messages": _ephemeral(outcome.said), "cursor": None})
            said = outcome.said
            tracker = await self._tracker(request, sender_id)
            logged = replies_to(tracker.events, message_id) if tracker is not None else None
            if logged is None or (not logged and said):
                messages, cursor = _ephemeral(said), None
            else:
                messages = logged
                cursor = max((m["ts"] for m in logged), default=None)
            answer = {"messages": messages, "cursor": cursor,
                      "handover": handover_state(tracker.events) if tracker is not None else None}
            if key and logged is not None:
                self._remember(key, answer)
            return self._json(request, answer)

        @widget.route("/messages", methods=["POST"])
        async def messages(request: Request) -> HTTPResponse:
            opened = self._open(request)
            if isinstance(opened, HTTPResponse):
                return opened
            session_id, body = opened
            since, wait = body.get("since", 0), body.get("wait", False)
            if isinstance(since, bool) or not isinstance(since, (int, float)) or not math.isfinite(since) or since < 0:
                return self._problem(request, 400, "'since' must be a number >= 0 (the last cursor)")
            if not isinstance(wait, bool):
                return self._problem(request, 400, "'wait' must be true or false")
            sender_id = sender_id_for(session_id)
            tracker = await self._tracker(request, sender_id, whole_session=True)
            found = conversation(tracker.events, float(since)) if tracker is not None else []
            if not found and wait:
                if self.hub.waiting(sender_id) >= MAX_WAITERS_PER_SESSION:
                    return self._problem(request, 429, "too many open windows for this session")
                if await self.hub.wait(sender_id, POLL_SECONDS):
                    tracker = await self._read_after_push(request, sender_id)
                    found = conversation(tracker.events, float(since)) if tracker is not None else []
            cursor = max([float(since)] + [m["ts"] for m in found])
            return self._json(request, {"messages": found, "cursor": cursor,
                                        "handover": handover_state(tracker.events) if tracker is not None else None})

        return widget


def _ephemeral(said: list[dict]) -> list[dict]:
    """Messages that are not in the tracker (a kind message from the guard): no id."""
    return [m for m in (bot_message(s, None, None) for s in said) if m]
