"""The widget's long polls waiting on this worker (bot/channels/widget.py): a push wakes them."""
from __future__ import annotations

import asyncio


class Hub:
    """The long polls waiting on this worker, by sender id; a push wakes them."""

    def __init__(self) -> None:
        self._waiters: dict[str, set[asyncio.Event]] = {}

    def waiting(self, sender_id: str) -> int:
        return len(self._waiters.get(sender_id, ()))

    def notify(self, sender_id: str) -> None:
        for event in self._waiters.get(sender_id, ()):
            event.set()

    async def wait(self, sender_id: str, timeout: float) -> bool:
        """True when woken by a push, False after `timeout` seconds."""
        event = asyncio.Event()
        self._waiters.setdefault(sender_id, set()).add(event)
        try:
            await asyncio.wait_for(event.wait(), timeout=timeout)
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            waiters = self._waiters.get(sender_id)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    self._waiters.pop(sender_id, None)
