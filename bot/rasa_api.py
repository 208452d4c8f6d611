"""Talking to a running Rasa server over its HTTP API: read a conversation, speak into it.

Used by the staff console, the payment webhooks and the follow-up engine, so that every
message reaches the customer through the channel they used last (DESIGN: one path).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from bot.config import settings

TIMEOUT = httpx.Timeout(10.0, connect=3.0)


class RasaUnavailable(RuntimeError):
    """The Rasa server did not answer; the caller keeps the work and tries again later."""


class RasaApi:
    def __init__(self, base_url: str | None = None, token: str | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        config = settings()
        self.base_url = (base_url or config.rasa_url).rstrip("/")
        self.token = token if token is not None else config.rasa_auth_token
        self._transport = transport

    def _params(self, **extra: Any) -> dict[str, Any]:
        return {**({"token": self.token} if self.token else {}), **extra}

    def _url(self, sender_id: str, path: str) -> str:
        # Rasa (Sanic) does not decode %3A in the path: "rest:anna" must travel as it is, or the
        # events land in a new conversation called "rest%3Aanna".
        return f"{self.base_url}/conversations/{quote(sender_id, safe=':+@')}/{path}"

    async def _request(self, method: str, url: str, **kwargs: Any) -> Any:
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT, transport=self._transport) as client:
                response = await client.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            raise RasaUnavailable(type(error).__name__) from error
        if response.status_code >= 500:
            raise RasaUnavailable(f"status {response.status_code}")
        response.raise_for_status()
        return response.json() if response.content else None

    async def tracker(self, sender_id: str) -> dict:
        return await self._request("GET", self._url(sender_id, "tracker"), params=self._params())

    async def append_events(self, sender_id: str, events: list[dict], *, to_customer: bool = True) -> dict:
        """Appends events; a `bot` event is also sent out on the customer's latest channel."""
        params = self._params(**({"output_channel": "latest", "execute_side_effects": "true"} if to_customer else {}))
        return await self._request("POST", self._url(sender_id, "tracker/events"), params=params, json=events)

    async def send_text(self, sender_id: str, text: str, metadata: dict | None = None) -> dict:
        """A person's own words (a staff reply) into the conversation and out to the customer."""
        return await self.append_events(sender_id, [{"event": "bot", "text": text, "metadata": metadata or {}}])

    async def utter(self, sender_id: str, response: str, slots: dict[str, Any] | None = None,
                    output_channel: str = "latest") -> dict:
        """A domain response by name, with its variables set as slots first. `output_channel`
        names the channel when the conversation may have none yet (the follow-up engine)."""
        if slots:
            await self.append_events(sender_id, [{"event": "slot", "name": k, "value": v} for k, v in slots.items()],
                                     to_customer=False)
        result = await self._request("POST", self._url(sender_id, "execute"),
                                     params=self._params(output_channel=output_channel), json={"name": response})
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
                                   params=self._params(output_channel="latest"),
                                   json={"name": intent, "entities": entities or {}})
