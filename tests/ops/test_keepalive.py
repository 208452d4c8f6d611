"""Rasa's action calls reuse kept-alive connections (bot/rasa_ext/keepalive.py, issue 7)."""
from __future__ import annotations

import asyncio

from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

import bot.rasa_ext  # noqa: F401 - installs the patch, as Rasa's import of our tracker store does
from bot.rasa_ext import keepalive


async def _serve(seen: list) -> tuple[web.AppRunner, int]:
    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append((request.transport.get_extra_info("peername")[1], request.headers.get("X-Secret"), body))
        return web.json_response({"events": [], "responses": [], "echo": body["n"]})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]


def test_calls_share_one_connection_until_it_idles_and_settings_stay_apart(monkeypatch):
    monkeypatch.setattr(keepalive, "IDLE_SECONDS", 0.5)

    async def scenario() -> list:
        seen: list = []
        runner, port = await _serve(seen)
        try:
            one = EndpointConfig(f"http://127.0.0.1:{port}/webhook", headers={"X-Secret": "a"})
            other = EndpointConfig(f"http://127.0.0.1:{port}/webhook", headers={"X-Secret": "b"})
            answers = [await one.request(json={"n": n}, method="post") for n in range(5)]
            assert [a["echo"] for a in answers] == list(range(5))
            await other.request(json={"n": 5}, method="post")
            await asyncio.sleep(1.0)  # idle longer than IDLE_SECONDS: that connection is closed
            await one.request(json={"n": 6}, method="post")
            return seen
        finally:
            for session in keepalive._sessions.pop(asyncio.get_running_loop()).values():
                await session.close()
            await runner.cleanup()

    seen = asyncio.run(scenario())
    ports = [port for port, _, _ in seen]
    assert len(set(ports[:5])) == 1  # five calls, one connection
    assert ports[5] != ports[0] and seen[5][1] == "b"  # other headers: another session
    assert ports[6] != ports[0] and seen[6][1] == "a"  # after idling: a fresh connection
    assert all(secret == "a" for _, secret, body in seen if body["n"] != 5)
