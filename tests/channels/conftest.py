"""Stand-ins for Twilio's and Telegram's APIs (real HTTP servers on free loopback ports that record
every request) and a real Sanic app with our channels mounted the way Rasa mounts them."""
from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Recorded:
    path: str
    headers: dict
    body: bytes

    @property
    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode(), keep_blank_values=True)

    def field(self, name: str) -> str | None:
        values = self.form.get(name)
        return values[0] if values else None

    @property
    def method(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass
class StandIn:
    """A provider API on 127.0.0.1: records requests; `fail_next` statuses are answered first."""

    kind: str  # "twilio" | "telegram"
    host: str = "127.0.0.1"  # tests/scale/test_hosts.py: the machine's address on its test network
    requests: list[Recorded] = field(default_factory=list)  # answered with success
    attempts: int = 0  # every request, failures included
    fail_next: list[int | tuple[int, dict]] = field(default_factory=list)  # a status, or a status and body
    delay: float = 0.0  # seconds before each answer: a slow provider
    server: ThreadingHTTPServer | None = None
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.server.server_port}"

    def answer(self, recorded: Recorded) -> tuple[int, dict]:
        if self.fail_next:
            status = self.fail_next.pop(0)
            if isinstance(status, tuple):
                return status
            return status, {"code": 20500 if status >= 500 else 21211, "message": "stand-in failure"}
        n = next(self._ids)
        if self.kind == "twilio":
            return 201, {"sid": f"SM{n:032d}", "status": "queued"}
        if recorded.method == "answerCallbackQuery":
            return 200, {"ok": True, "result": True}
        chat_id = int(recorded.field("chat_id") or 0)
        return 200, {"ok": True, "result": {"message_id": n, "date": 1700000000,
                                            "chat": {"id": chat_id, "type": "private"}}}

    def start(self) -> "StandIn":
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                recorded = Recorded(self.path, dict(self.headers), body)
                stand_in.attempts += 1
                time.sleep(stand_in.delay)
                status, payload = stand_in.answer(recorded)
                if status < 300:
                    stand_in.requests.append(recorded)
                out = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((self.host, 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def twilio_api():
    stand_in = StandIn("twilio").start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def telegram_api():
    stand_in = StandIn("telegram").start()
    yield stand_in
    stand_in.stop()


class RecordingAgent:
    """Stands in for Rasa's agent behind `rasa.core.channels.channel.register`: records every
    UserMessage and, when given replies, sends them through the message's output channel."""

    def __init__(self) -> None:
        self.messages = []
        self.replies: list[dict] = []

    async def handle_message(self, message) -> None:
        self.messages.append(message)
        for reply in self.replies:
            await message.output_channel.send_response(message.sender_id, dict(reply))


class MountedApp:
    """A real Sanic app with channels registered like `rasa run` does, served on a free port from
    its own event loop thread."""

    def __init__(self, channels: list) -> None:
        from rasa.core.channels.channel import register
        from sanic import Sanic

        Sanic.test_mode = True  # as sanic-testing does: lets TouchUp run again for a second app in one process
        self.app = Sanic(f"channels_{uuid.uuid4().hex[:8]}")
        self.agent = RecordingAgent()
        self.app.ctx.agent = self.agent
        register(channels, self.app, route="/webhooks/")
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def start():
            self.server = await self.app.create_server(host="127.0.0.1", port=self.port,
                                                       return_asyncio_server=True, access_log=False)
            await self.server.startup()
            await self.server.before_start()
            await self.server.after_start()
            self._ready.set()

        self.loop.run_until_complete(start())
        self.loop.run_forever()

    def start(self) -> "MountedApp":
        self._thread.start()
        assert self._ready.wait(15), "Sanic app did not start"
        return self

    def run(self, coro):
        """Runs a coroutine on the app's loop (as a push through Rasa's HTTP API would)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def stop(self) -> None:
        async def stop():
            await self.server.before_stop()
            await self.server.close()
            await self.server.after_stop()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(15)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


@pytest.fixture
def mount():
    apps = []

    def _mount(*channels) -> MountedApp:
        app = MountedApp(list(channels)).start()
        apps.append(app)
        return app

    yield _mount
    for app in apps:
        app.stop()
