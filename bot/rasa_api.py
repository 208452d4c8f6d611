"""Talking to a running Rasa server over its HTTP API: read a conversation, speak into it.

Used by the staff console, the payment webhooks and the follow-up engine, so that every
message reaches the customer through the channel they used last (DESIGN: one path).
"""
from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import httpx
import jwt

from bot.config import settings

TIMEOUT = httpx.Timeout(10.0, connect=3.0)
# A signed token lives this long: long enough for one request, too short to be worth stealing.
TOKEN_SECONDS = 300


def bearer_token(secret: str, now: float | None = None) -> str:
    """A short-lived JWT signed with the shared secret, which Rasa checks (bot/ops/rasa_server.py).

    The secret itself never travels: not in a URL (proxies log those), not in a header."""
    issued = int(time.time() if now is None else now)
    claims = {"user": {"username": "betaalhulp", "role": "admin"}, "iat": issued, "exp": issued + TOKEN_SECONDS}
    return jwt.encode(claims, secret, algorithm="HS256")


def auth_headers(secret: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {bearer_token(secret)}"} if secret else {}


class RasaUnavailable(RuntimeError):
    """The Rasa server did not answer; the caller keeps the work and tries again later."""


class RasaApi:
    def __init__(self, base_url: str | None = None, token: str | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        config = settings()
        self.base_url = (base_url or config.rasa_url).rstrip("/")
        self.token = token if token is not None else config.rasa_auth_token
        self._transport = transport

    def _url(self, sender_id: str, path: str) -> str:
        # Rasa (Sanic) does not decode %3A in the path: "rest:anna" must travel as it is, or the
        # events land in a new conversation called "rest%3Aanna".
        return f"{self.base_url}/conversations/{quote(sender_id, safe=':+@')}/{path}"

    async def _request(self, method: str, url: str, **kwargs: Any) -> Any:
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT, transport=self._transport) as client:
                response = await client.request(method, url, headers=auth_headers(self.token), **kwargs)
        except httpx.HTTPError as error:
            raise RasaUnavailable(type(error).__name__) from error
        if response.status_code >= 500:
            raise RasaUnavailable(f"status {response.status_code}")
        response.raise_for_status()
        return response.json() if response.content else None

    async def tracker(self, sender_id: str) -> dict:
        return await self._request("GET", self._url(sender_id, "tracker"))

    async def append_events(self, sender_id: str, events: list[dict], *, to_customer: bool = True) -> dict:
        """Appends events; a `bot` event is also sent out on the customer's latest channel."""
        params = {"output_channel": "latest", "execute_side_effects": "true"} if to_customer else {}
        return await self._request("POST", self._url(sender_id, "tracker/events"), params=params, json=events)

    async def send_text(self, sender_id: str, text: str, metadata: dict | None = None) -> dict:
        """A person's own words (a staff reply) into the conversation and out to the customer."""
        return await self.append_events(sender_id, [{"event": "bot", "text": text, "metadata": metadata or {}}])

    async def utter(self, sender_id: str, response: str, slots: dict[str, Any] | None = None,
                    output_channel: str = "latest") -> dict:
        """A domain response by name, with its variables set as slots first. `output_channel`
        names the channel when the conversation may have none yet (the follow-up engine)."""
        if slots:
            events = [{"event": "slot", "name": k, "value": v} for k, v in slots.items()]
            if not _has_history(await self.tracker(sender_id)):
                # A conversation not stored yet (a first contact by SMS): Rasa would start its
                # session in this same request, stamped after our slots, and read only the events
                # from the session's start on at the /execute: the text said "€ None". So the
                # session starts first, in our list.
                events = [{"event": "action", "name": "action_session_start"}, {"event": "session_started"},
                          {"event": "action", "name": "action_listen"}, *events]
            await self.append_events(sender_id, events, to_customer=False)
        result = await self._request("POST", self._url(sender_id, "execute"),
                                     params={"output_channel": output_channel}, json={"name": response})
        # Rasa's /execute leaves the bot "mid-turn": without this, the customer's answer follows
        # the response instead of a listen, and no rule about that answer can match.
        await self.append_events(sender_id, [{"event": "action", "name": "action_listen"}], to_customer=False)
        return result

    async def pause(self, sender_id: str) -> dict:
        return await self.append_events(sender_id, [{"event": "pause"}], to_customer=False)

    async def resume(self, sender_id: str) -> dict:
        return await self.append_events(sender_id, [{"event": "resume"}], to_customer=False)

    async def trigger_intent(self, sender_id: str, intent: str, entities: dict | None = None) -> dict:
        return await self._request("POST", self._url(sender_id, "trigger_intent"),
                                   params={"output_channel": "latest"},
                                   json={"name": intent, "entities": entities or {}})


if __name__ == "__main__":
    # `python -m bot.rasa_api`: a 5-minute bearer token for curl against Rasa's HTTP API, made from
    # RASA_AUTH_TOKEN in the environment (set it yourself before `make run` to use the API by hand).
    import sys

    secret = settings().rasa_auth_token
    if not secret:
        sys.exit("RASA_AUTH_TOKEN is not set")
    print(bearer_token(secret))


def _has_history(tracker: dict | None) -> bool:
    """Anything stored beyond the session start Rasa shows for a conversation it does not know."""
    starting = {"session_started", "action_session_start", "action_listen"}
    return any(event.get("event") not in starting and event.get("name") not in starting
               for event in (tracker or {}).get("events") or [])
