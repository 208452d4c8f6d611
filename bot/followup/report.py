"""What one pass of the follow-up engine did (bot/followup/engine.py), added up by the simulator."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date


@dataclass
class TickReport:
    days_closed: list[date] = field(default_factory=list)
    planned: int = 0
    sent: int = 0
    skipped: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    deferred: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failed: int = 0
    retried: int = 0
    lease_lost: int = 0

    def add(self, other: "TickReport") -> None:
        self.days_closed += other.days_closed
        self.planned += other.planned
        self.sent += other.sent
        self.failed += other.failed
        self.retried += other.retried
        self.lease_lost += other.lease_lost
        for mine, theirs in ((self.skipped, other.skipped), (self.deferred, other.deferred)):
            for reason, count in theirs.items():
                mine[reason] += count
