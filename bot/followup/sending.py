"""How a follow-up leaves the engine: through Rasa (one path for every message), or into a
recording (the simulator's and the tests' channel).

Both take a `Delivery` and either return (sent) or raise: `SendLater` when trying again later
may work (Rasa did not answer), `SendFailed` when it will not (Rasa refused the request).

Every delivery carries its follow-up key. A message whose engine was killed after sending and
before marking it sent is sent again with the same key (at-least-once towards the provider,
exactly once in our database), so a channel that wants to can drop the second copy.
"""
from __future__ import annotations

import asyncio
import json
import os
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

from bot.rasa_api import RasaApi, RasaUnavailable

# The slot that carries the key into the conversation (declare it in the domain to keep it).
KEY_SLOT = "followup_key"


@dataclass(frozen=True)
class Delivery:
    key: str
    customer_id: int
    kind: str
    sender_id: str
    output_channel: str
    response: str
    slots: dict[str, Any] = field(default_factory=dict)


class SendLater(RuntimeError):
    """Not sent; trying again later may work."""


class SendFailed(RuntimeError):
    """Not sent, and trying again will not help."""


class Sender(Protocol):
    def send(self, delivery: Delivery) -> None: ...


class RasaSender:
    """Says the domain response in the customer's conversation through Rasa's HTTP API, on the
    output channel of the address chosen (its slots are set first)."""

    def __init__(self, api: RasaApi | None = None, *, send_key_slot: bool = True) -> None:
        self.api = api or RasaApi()
        self.send_key_slot = send_key_slot
        self._loop = asyncio.new_event_loop()

    def send(self, delivery: Delivery) -> None:
        slots = dict(delivery.slots)
        if self.send_key_slot:
            slots[KEY_SLOT] = delivery.key
        try:
            result = self._loop.run_until_complete(self.api.utter(delivery.sender_id, delivery.response, slots,
                                                                  output_channel=delivery.output_channel))
        except RasaUnavailable as error:
            raise SendLater(f"rasa unavailable: {error}") from error
        except httpx.HTTPStatusError as error:
            raise SendFailed(f"rasa refused: status {error.response.status_code}") from error
        if isinstance(result, dict) and "messages" in result:
            # Rasa answers with the messages only when no connected channel took them (a channel
            # not configured on this server, or REST, which cannot push): nobody was reached.
            raise SendFailed(f"no connected channel: {delivery.output_channel}")

    def close(self) -> None:
        self._loop.close()


class RecordingSender:
    """Keeps every delivery (in memory, and one JSON line per delivery in `path` when given, with
    the process id), for the simulator and the tests. It is the channel, not a stand-in for Rasa:
    nothing else is checked or changed."""

    def __init__(self, path: str | Path | None = None, *, keep: bool = True) -> None:
        self.path = Path(path) if path else None
        self.keep = keep
        self.deliveries: list[Delivery] = []
        self.keys: Counter[str] = Counter()  # how often each key was handed over, kept or not
        self._lock = threading.Lock()
        self._file = open(self.path, "a", encoding="utf-8") if self.path else None  # noqa: SIM115

    def send(self, delivery: Delivery) -> None:
        with self._lock:
            self.keys[delivery.key] += 1
            if self.keep:
                self.deliveries.append(delivery)
            if self._file is not None:
                # One write() per line, unbuffered: a SIGKILL after it still leaves the line.
                line = json.dumps({"pid": os.getpid(), **asdict(delivery)}, default=str) + "\n"
                os.write(self._file.fileno(), line.encode())

    @property
    def count(self) -> int:
        """Deliveries handed over, repeated keys included."""
        return sum(self.keys.values())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def read_recording(path: str | Path) -> list[dict[str, Any]]:
    lines = Path(path).read_text(encoding="utf-8").splitlines() if Path(path).exists() else []
    return [json.loads(line) for line in lines if line.strip()]
