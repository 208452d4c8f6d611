"""HTTP hardening for the customer app: security headers, request size limits, form tokens."""
from __future__ import annotations

import hmac
import json
import secrets

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    # Payment ids are in our URLs: never hand them to another site.
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
MAX_BODY_BYTES = 16 * 1024  # a webhook or the payment form is a few hundred bytes
CSRF_COOKIE = "bh_form"
CSRF_MAX_AGE = 60 * 60


class SecurityHeaders:
    """Adds the headers to every response, including errors and static files."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in SECURITY_HEADERS if name not in names]
            await send(message)

        await self.app(scope, receive, with_headers)


class _TooLarge(Exception):
    pass


async def _send_413(send) -> None:
    body = json.dumps({"error": f"request body larger than {MAX_BODY_BYTES} bytes"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """413 for bodies over the limit, by Content-Length and while reading (chunked bodies too)."""

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            return await _send_413(send)
        received = 0
        started = False

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _send_413(send)


class FormTokens:
    """Double-submit form tokens: a signed token in the form, bound to the payment and to a
    random value in a SameSite=Strict cookie, so another site cannot press our buttons."""

    def __init__(self, secret: str | None) -> None:
        self._serializer = URLSafeTimedSerializer(secret or secrets.token_hex(32), salt="betaalhulp-pay-form")

    @staticmethod
    def new_nonce() -> str:
        return secrets.token_urlsafe(24)

    def token(self, public_id: str, nonce: str) -> str:
        return self._serializer.dumps({"p": public_id, "n": nonce})

    def check(self, token: str | None, public_id: str, nonce: str | None) -> str | None:
        """None when the token is good, else the reason it is not."""
        if not token or not nonce:
            return "form token or cookie missing; reload the page"
        try:
            data = self._serializer.loads(token, max_age=CSRF_MAX_AGE)
        except SignatureExpired:
            return "form token expired; reload the page"
        except BadSignature:
            return "form token invalid"
        if not isinstance(data, dict) or data.get("p") != public_id:
            return "form token belongs to another payment"
        if not hmac.compare_digest(str(data.get("n", "")), nonce):
            return "form token does not match the cookie"
        return None
