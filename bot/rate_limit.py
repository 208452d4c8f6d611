"""At most `limit` hits per key in a sliding window, in memory: enough to stop a flood from one
sender or one client (per process; each worker counts its own)."""
from __future__ import annotations

import time
from collections import OrderedDict, deque


class RateLimit:
    """At most `limit` hits per key in `window` seconds (per worker; enough to stop a flood)."""

    def __init__(self, limit: int, window: float, max_keys: int = 50_000) -> None:
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._hits: OrderedDict[str, deque] = OrderedDict()

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        hits = self._hits.pop(key, None) or deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        allowed = len(hits) < self.limit
        if allowed:
            hits.append(now)
        self._hits[key] = hits
        while len(self._hits) > self.max_keys:
            self._hits.popitem(last=False)
        return allowed
