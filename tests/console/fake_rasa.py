"""A real local HTTP server standing in for Rasa 3.6's HTTP API: it answers with tracker JSON
shaped like Rasa's and records every request, so the console's calls can be checked exactly."""
from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

import jwt

from tests.rasa_auth import signed_by

TOKEN = "fake-rasa-token"


class FakeRasa:
    def __init__(self) -> None:
        self.events: dict[str, list[dict]] = {}
        self.requests: list[dict] = []
        self.down = False
        # A Rasa OutputChannel (e.g. TwilioSignedOutput): bot events sent with output_channel=latest
        # go out through it, as Rasa's execute_side_effects and /execute do.
        self.output = None
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "FakeRasa":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add(self, sender: str, event: dict) -> dict:
        stored = {"timestamp": time.time(), **event}
        with self._lock:
            self.events.setdefault(sender, []).append(stored)
        return stored

    def send_out(self, sender: str, event: dict) -> None:
        """What Rasa does with a bot event for output_channel=latest: the message to the channel."""
        if self.output is None or event.get("event") != "bot":
            return
        from rasa.shared.core.events import Event

        asyncio.run(self.output.send_response(sender, Event.from_parameters(event).message()))

    def say(self, sender: str, text: str) -> None:
        """A customer message as Rasa logs it (intent and entities left out: the console ignores them)."""
        self.add(sender, {"event": "user", "text": text, "parse_data": {"intent": {"name": "inform"}},
                          "input_channel": "rest"})

    def tracker(self, sender: str) -> dict:
        events = list(self.events.get(sender, []))
        paused = False
        for event in events:
            paused = {"pause": True, "resume": False}.get(event["event"], paused)
        slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
        return {"sender_id": sender, "slots": slots, "latest_message": {}, "paused": paused,
                "latest_event_time": events[-1]["timestamp"] if events else None, "followup_action": None,
                "events": events, "latest_input_channel": "rest", "active_loop": {},
                "latest_action": {"action_name": "action_listen"}, "latest_action_name": "action_listen"}

    def calls(self, path_end: str) -> list[dict]:
        return [r for r in self.requests if r["path"].endswith(path_end) and r["method"] == "POST"]

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def _answer(self, status: int, body: dict | None = None) -> None:
                data = json.dumps(body or {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _route(self, method: str) -> None:
                url = urlparse(self.path)
                query = parse_qs(url.query)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                fake.requests.append({"method": method, "path": url.path, "query": query, "body": body})
                if fake.down:
                    return self._answer(503)
                # As Rasa's JWT check (bot/ops/rasa_server.py): a token signed with the secret, in the header.
                try:
                    signed_by(self.headers.get("Authorization", ""), TOKEN)
                except (AssertionError, jwt.PyJWTError):
                    return self._answer(401, {"status": "failure", "reason": "NotAuthenticated"})
                parts = url.path.strip("/").split("/")
                if len(parts) < 3 or parts[0] != "conversations":
                    return self._answer(404)
                sender, action = unquote(parts[1]), "/".join(parts[2:])
                if method == "GET" and action == "tracker":
                    return self._answer(200, fake.tracker(sender))
                if method == "POST" and action == "tracker/events":
                    for event in body:
                        stored = fake.add(sender, event)
                        if query.get("execute_side_effects") == ["true"]:
                            fake.send_out(sender, stored)
                    return self._answer(200, fake.tracker(sender))
                if method == "POST" and action == "execute":
                    slots = fake.tracker(sender)["slots"]
                    fake.send_out(sender, fake.add(sender, {
                        "event": "bot", "text": f"[{body['name']}] {json.dumps(slots, sort_keys=True, ensure_ascii=False)}",
                        "metadata": {"utter_action": body["name"]}}))
                    return self._answer(200, {"tracker": fake.tracker(sender), "messages": []})
                if method == "POST" and action == "trigger_intent":
                    if fake.tracker(sender)["paused"]:
                        return self._answer(200, {"tracker": fake.tracker(sender), "messages": []})
                    fake.add(sender, {"event": "user", "text": f"/{body['name']}"})
                    fake.add(sender, {"event": "bot", "text": "Hoi! Fijn dat je er weer bent."})
                    return self._answer(200, {"tracker": fake.tracker(sender), "messages": []})
                return self._answer(404)

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

        return Handler
