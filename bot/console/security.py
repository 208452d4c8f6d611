"""Guards every console request: security headers, session, role, CSRF, audit.

Pages without a session redirect to the login; everything else (POSTs, the event stream)
answers 401, so a script never follows a redirect into a login form by accident.
"""
from __future__ import annotations

import functools
import hmac
import secrets
from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import clock
from bot.config import settings
from bot.console.auth import load_session
from bot.store.db import session_scope
from bot.store.models import AuditEntry

LOGIN_CSRF_COOKIE = "betaalhulp_console_login"

# No inline script or style anywhere: everything comes from /static (CSP script-src 'self').
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeaders:
    """Pure ASGI middleware, so the event stream is not buffered the way BaseHTTPMiddleware does."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                if settings().console_cookie_secure:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                if not static:
                    # Pages carry customer data: never keep them in a browser or proxy cache.
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def cookie_name() -> str:
    # The __Host- prefix makes the browser insist on Secure, path=/ and no Domain.
    return "__Host-betaalhulp_console" if settings().console_cookie_secure else "betaalhulp_console"


def set_cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=settings().console_cookie_secure)


def tokens_match(given: str | None, expected: str | None) -> bool:
    return bool(given) and bool(expected) and hmac.compare_digest(str(given), str(expected))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def audit(user_id: int | None, action: str, case_id: int | None = None, **detail: Any) -> None:
    """One append-only line: who, what, which case. Never names, numbers or amounts in `detail`."""
    with session_scope() as session:
        session.add(AuditEntry(user_id=user_id, action=action, case_id=case_id, detail=detail, at=clock.utcnow()))


Handler = Callable[..., Awaitable[Response]]


def refused(status: int, text: str) -> Response:
    return PlainTextResponse(text, status_code=status)


def guarded(kind: str = "page", role: str | None = None, touch: bool = True) -> Callable[[Handler], Handler]:
    """Wraps a handler: session required; role checked; CSRF checked on every POST.

    kind "page": no session -> redirect to /login. kind "api": no session -> 401.
    The handler receives (request, staff).
    """

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            with session_scope() as session:
                staff = load_session(session, request.cookies.get(cookie_name()), touch=touch)
            if staff is None:
                audit(None, "session_refused", path=request.url.path)
                if kind == "page" and request.method == "GET":
                    return RedirectResponse("/login", status_code=303)
                return refused(401, "Niet ingelogd. Log opnieuw in via /login.")
            if request.method == "POST":
                form = await request.form()
                given = request.headers.get("x-csrf-token") or form.get("csrf_token")
                if not tokens_match(given, staff.csrf_token):
                    audit(staff.id, "csrf_refused", path=request.url.path)
                    return refused(403, "Deze actie is geweigerd (ongeldig formulier). Laad de pagina opnieuw.")
            if role and staff.role != role:
                audit(staff.id, "role_refused", path=request.url.path)
                return refused(403, "Alleen een supervisor mag dit doen.")
            return await handler(request, staff)

        endpoint.console_kind = kind  # read by the route-coverage test
        return endpoint

    return wrap
