"""Rasa's calls to the action server over kept-alive connections.

Rasa 3.6 opens a new aiohttp ClientSession, and so a new TCP connection, for every request to an
endpoint (`EndpointConfig.request`: `async with self.session() as session`). A turn makes two to
five action calls, and the connection set-up and teardown was a tenth of the Rasa server's CPU
per turn (bench/results/profile-20261123-0421.md). Here `EndpointConfig.session()` hands out one
long-lived session per event loop and endpoint settings instead; `async with` borrows it and
leaves it open.

Idle connections are closed by us after IDLE_SECONDS, before the action server's own keep-alive
timeout (Sanic: 5 s), so a request is never sent on a connection the server is closing.
"""
from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from rasa.utils import endpoints

IDLE_SECONDS = 3.0
_original_session = endpoints.EndpointConfig.session
# Per event loop (the loop itself, not its id, which a later loop could reuse; a session only
# works in its own loop), then per endpoint settings. The Rasa server has one loop.
_sessions: dict[asyncio.AbstractEventLoop, dict[tuple, aiohttp.ClientSession]] = {}


class _Borrowed:
    """What `async with endpoint.session()` gets: the shared session, not closed on exit."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(self, *exc: Any) -> None:
        return None


def _key(config: endpoints.EndpointConfig) -> tuple:
    return tuple(sorted((config.headers or {}).items())), tuple(sorted((config.basic_auth or {}).items()))


def session(self: endpoints.EndpointConfig) -> Any:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # not inside a loop: Rasa's own behaviour
        return _original_session(self)
    mine = _sessions.setdefault(loop, {})
    key = _key(self)
    shared = mine.get(key)
    if shared is None or shared.closed:
        auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) \
            if self.basic_auth else None
        shared = aiohttp.ClientSession(
            headers=self.headers, auth=auth, timeout=aiohttp.ClientTimeout(total=endpoints.DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_SECONDS))
        mine[key] = shared
    return _Borrowed(shared)


def install() -> None:
    endpoints.EndpointConfig.session = session
