"""An atomic Redis lock store for Rasa 3.6 (`lock_store: type: bot.ops.lock_store.AtomicRedisLockStore`).

Rasa's own `RedisLockStore` issues a ticket by reading the whole lock (GET), appending a ticket
in Python and writing it back (SET). Two workers that do this for one conversation at the same
moment read the same lock, both take ticket N, and both believe they are served: their turns
run at once on one tracker (RasaHQ/rasa #9213; the atomic fix was reverted in #11428). The
same read-modify-write races also exist in `finish_serving`, `update_lock` and `cleanup`, where
a worker can delete a lock another worker has just taken a ticket on.

Here every change is one Redis operation or one Lua script, so Redis serialises them:

- `<prefix>lock:<conversation>` is a sorted set: member = ticket number, score = expiry time;
- `<prefix>lock:<conversation>:n` is the ticket counter (INCR);
- issuing = drop expired tickets, INCR, ZADD, in one script; finishing = ZREM; cleanup = ZREM
  and, only when no ticket is left, delete both keys, in one script.

The ticket algorithm itself (the lowest live ticket is served; waiting tickets poll) is Rasa's
`TicketLock`, so `get_lock` returns one and Rasa's `lock()` context manager works unchanged,
except that it polls every `poll_interval` seconds (default 0.05) instead of every second.
"""
from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Optional

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore

log = logging.getLogger(__name__)

# Keys live a little longer than the longest ticket, so an abandoned lock cleans itself up.
_ISSUE = """
local now = tonumber(ARGV[1])
local lifetime = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
local number = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], ARGV[3], number)
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return number
"""

_CLEANUP = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2])
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
return 0
"""


class AtomicRedisLockStore(LockStore):
    """Ticket locks in Redis with atomic issue, finish and cleanup."""

    def __init__(self, endpoint_config: Any = None, *, url: Optional[str] = None, host: str = "localhost",
                 port: int = 6379, db: int = 1, username: Optional[str] = None, password: Optional[str] = None,
                 use_ssl: bool = False, key_prefix: Optional[str] = None, socket_timeout: float = 10.0,
                 poll_interval: float = 0.05, **_: Any) -> None:
        import redis

        if endpoint_config is not None:  # loaded by Rasa from endpoints.yml (`type: module.Class`)
            kwargs = dict(endpoint_config.kwargs or {})
            url = endpoint_config.url or url
            host, port, db = kwargs.get("host", host), kwargs.get("port", port), kwargs.get("db", db)
            username, password = kwargs.get("username", username), kwargs.get("password", password)
            use_ssl = str(kwargs.get("use_ssl", use_ssl)).lower() in ("1", "true", "yes")
            key_prefix = kwargs.get("key_prefix", key_prefix)
            socket_timeout = float(kwargs.get("socket_timeout", socket_timeout))
            poll_interval = float(kwargs.get("poll_interval", poll_interval))
        if url and "://" in url:
            self.red = redis.Redis.from_url(url, socket_timeout=socket_timeout)
        else:
            self.red = redis.Redis(host=url or host, port=int(port), db=int(db), username=username or None,
                                   password=password or None, ssl=use_ssl, socket_timeout=socket_timeout)
        prefix = str(key_prefix or "")
        if prefix and not prefix.isalnum():
            raise ValueError(f"key_prefix must be alphanumeric, not {prefix!r}")
        self.key_prefix = f"{prefix}:lock:" if prefix else "lock:"
        self.poll_interval = float(poll_interval)
        self._issue = self.red.register_script(_ISSUE)
        self._cleanup = self.red.register_script(_CLEANUP)
        super().__init__()

    # -- keys ---------------------------------------------------------------------------------
    def _keys(self, conversation_id: str) -> list[str]:
        key = self.key_prefix + conversation_id
        return [key, key + ":n"]

    # -- the atomic operations ----------------------------------------------------------------
    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        now = time.time()
        try:
            return int(self._issue(keys=self._keys(conversation_id),
                                   args=[repr(now), repr(lock_lifetime), repr(now + lock_lifetime),
                                         int(math.ceil(lock_lifetime)) + 60]))
        except Exception as error:  # noqa: BLE001 - Rasa expects LockError for any failure
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        rows = self.red.zrange(self._keys(conversation_id)[0], 0, -1, withscores=True)
        now = time.time()
        tickets = sorted((Ticket(int(member), float(score)) for member, score in rows if float(score) >= now),
                         key=lambda ticket: ticket.number)
        return TicketLock(conversation_id, deque(tickets)) if tickets else None

    def update_lock(self, conversation_id: str) -> None:
        self.red.zremrangebyscore(self._keys(conversation_id)[0], "-inf", f"({time.time()!r}")

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self.red.zrem(self._keys(conversation_id)[0], ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        deleted = self._cleanup(keys=self._keys(conversation_id), args=[ticket_number, repr(time.time())])
        self._log_deletion(conversation_id, bool(deleted))

    def delete_lock(self, conversation_id: str) -> None:
        self._log_deletion(conversation_id, bool(self.red.delete(*self._keys(conversation_id))))

    def save_lock(self, lock: TicketLock) -> None:
        """Writes a whole lock (Rasa's base class only; our own paths never call it)."""
        key, counter = self._keys(lock.conversation_id)
        with self.red.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            if lock.tickets:
                pipe.zadd(key, {str(t.number): t.expires for t in lock.tickets})
                pipe.set(counter, max(t.number for t in lock.tickets))
            pipe.execute()

    def is_someone_waiting(self, conversation_id: str) -> bool:
        return self.get_lock(conversation_id) is not None

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: Optional[float] = None) -> AsyncGenerator[TicketLock, None]:
        """Rasa's ticket lock, polling every `poll_interval` seconds (Rasa's default is 1 s)."""
        wait = self.poll_interval if wait_time_in_seconds is None else min(wait_time_in_seconds, self.poll_interval)
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait)
        finally:
            self.cleanup(conversation_id, ticket)

    async def _acquire_lock(self, conversation_id: str, ticket: int, wait_time_in_seconds: float) -> TicketLock:
        while True:
            lock = self.get_lock(conversation_id)
            if not lock:
                break
            if not lock.is_locked(ticket):
                return lock
            if lock._ticket_for_ticket_number(ticket) is None:
                break  # our own ticket expired while we waited
            await asyncio.sleep(wait_time_in_seconds)
        raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
