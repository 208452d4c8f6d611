"""Growing delays after failed staff logins, per account and per address (issue 23 §6).

The rule (bot/console/login_throttle.yml) is the same for both: after a few free failures, each
further failure doubles the wait before the next attempt is even looked at, up to a cap. The
account's count lives in the database (staff_users.failed_logins, and locked_until as "no attempt
before"), so it holds across restarts; the address's lives in this process (the console runs as
one process; see docs/SECURITY.md, known limits). Time comes from `bot.clock`.
"""
from __future__ import annotations

import functools
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml

RULES_FILE = Path(__file__).with_name("login_throttle.yml")


@dataclass(frozen=True)
class DelayRule:
    free_failures: int
    first_delay_seconds: float
    max_delay_seconds: float
    forget_after_seconds: float

    def delay(self, failures: int) -> timedelta:
        """How long to wait after the `failures`-th failure in a row."""
        over = failures - self.free_failures
        if over <= 0:
            return timedelta(0)
        seconds = min(self.max_delay_seconds, self.first_delay_seconds * 2 ** min(over - 1, 30))
        return timedelta(seconds=seconds)

    def forgotten(self, last_failure: datetime, now: datetime) -> bool:
        return now - last_failure > timedelta(seconds=self.forget_after_seconds)


@functools.lru_cache(maxsize=1)
def rules() -> dict[str, DelayRule]:
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    result = {}
    for scope in ("account", "address"):
        values = data[scope]
        rule = DelayRule(int(values["free_failures"]), float(values["first_delay_seconds"]),
                         float(values["max_delay_seconds"]), float(values["forget_after_seconds"]))
        if rule.free_failures < 0 or not 0 < rule.first_delay_seconds <= rule.max_delay_seconds:
            raise ValueError(f"{RULES_FILE.name}: {scope} needs free_failures >= 0 and 0 < first <= max delay")
        result[scope] = rule
    return result


def seconds_left(not_before: datetime | None, now: datetime) -> int:
    """Whole seconds still to wait (rounded up, so "0" always means: go ahead)."""
    if not_before is None or not_before <= now:
        return 0
    return max(1, int(-(-(not_before - now).total_seconds() // 1)))


class AddressThrottle:
    """Failed logins per client address, in memory; the oldest addresses are dropped past max_keys."""

    def __init__(self, rule: DelayRule | None = None, max_keys: int = 50_000) -> None:
        self.rule = rule or rules()["address"]
        self.max_keys = max_keys
        self._failures: OrderedDict[str, tuple[int, datetime]] = OrderedDict()

    def wait(self, address: str, now: datetime) -> int:
        count, last = self._failures.get(address, (0, None))
        if last is None:
            return 0
        if self.rule.forgotten(last, now):
            self._failures.pop(address, None)
            return 0
        return seconds_left(last + self.rule.delay(count), now)

    def failed(self, address: str, now: datetime) -> None:
        count, last = self._failures.pop(address, (0, None))
        if last is not None and self.rule.forgotten(last, now):
            count = 0
        self._failures[address] = (count + 1, now)
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)
