"""What a simulated year did (bot/followup/simulator.py), and its printed lines."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Summary:
    customers: int = 0
    arrangements: int = 0
    preventive_customers: int = 0
    days: int = 0
    ticks: int = 0
    idle_ticks: int = 0
    sent_by_kind: Counter = field(default_factory=Counter)
    sent_by_channel: Counter = field(default_factory=Counter)
    skipped_by_reason: Counter = field(default_factory=Counter)
    deferred_by_reason: Counter = field(default_factory=Counter)
    arrangements_by_status: Counter = field(default_factory=Counter)
    payments: int = 0
    opt_outs: int = 0
    relapses: int = 0
    risk_signals: int = 0
    recorded: int = 0
    duplicate_keys_db: int = 0
    duplicate_keys_sent: int = 0
    setup_seconds: float = 0.0
    run_seconds: float = 0.0
    engine_seconds: float = 0.0
    engine_phases: dict = field(default_factory=dict)

    def lines(self) -> list[str]:
        sent = sum(self.sent_by_kind.values())
        out = [f"customers {self.customers} ({self.arrangements} with an arrangement, "
               f"{self.preventive_customers} without arrears but with risk signals)",
               f"simulated {self.days} days, {self.ticks} engine passes "
               f"({self.idle_ticks} with nothing to do left out)",
               f"messages sent: {sent} (recorded by the channel: {self.recorded})"]
        out += [f"  {kind:<16} {count:>8}" for kind, count in sorted(self.sent_by_kind.items())]
        out.append("by channel: " + ", ".join(f"{k} {v}" for k, v in sorted(self.sent_by_channel.items())))
        out.append(f"skipped: {sum(self.skipped_by_reason.values())}")
        out += [f"  {reason:<40} {count:>8}" for reason, count in self.skipped_by_reason.most_common()]
        out.append("deferred (sent later): " + ", ".join(f"{k} {v}" for k, v in sorted(self.deferred_by_reason.items())))
        out.append("arrangements: " + ", ".join(f"{k} {v}" for k, v in sorted(self.arrangements_by_status.items())))
        out.append(f"payments {self.payments}, opt-outs {self.opt_outs}, relapses {self.relapses}, "
                   f"risk signals {self.risk_signals}")
        out.append(f"duplicates: {self.duplicate_keys_db} keys twice in the database, "
                   f"{self.duplicate_keys_sent} keys sent twice")
        out.append(f"runtime: setup {self.setup_seconds:.1f} s, simulation {self.run_seconds:.1f} s "
                   f"(engine {self.engine_seconds:.1f} s), total {self.setup_seconds + self.run_seconds:.1f} s")
        if self.engine_phases:
            out.append("engine phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in self.engine_phases.items()))
        return out
