"""The outcome figures' settings and results (issue 11): kpis.yml as a KpiConfig, the dashboard's
Filters, and one frozen dataclass per KPI, as bot/outcomes/kpis.py computes them and the tables,
charts, monitor and console show them. No SQL here."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CONFIG_PATH = Path(__file__).with_name("kpis.yml")
DIMENSIONS = ("channel", "age_band", "cause", "vulnerable")


# -- configuration (kpis.yml) ------------------------------------------------------------------
@dataclass(frozen=True)
class KpiConfig:
    version: str
    grace_days: int
    relapse_windows: tuple[int, ...]
    cure_months: int
    preventive_kinds: tuple[str, ...]
    min_customers: int
    margins: dict[str, float]
    monitor_relapse_window: int
    dimensions: tuple[str, ...]
    labels: dict[str, dict[str, str]] = field(default_factory=dict)

    def label(self, kind: str, value: Any) -> str:
        if value is None:
            return "Onbekend"
        return self.labels.get(kind, {}).get(str(value), str(value))


def parse_config(raw: dict[str, Any]) -> KpiConfig:
    windows = tuple(int(n) for n in raw["relapse"]["windows_months"])
    monitor = raw["monitor"]
    config = KpiConfig(
        version=str(raw["version"]), grace_days=int(raw["adherence"]["grace_days"]), relapse_windows=windows,
        cure_months=int(raw["cure"]["months"]), preventive_kinds=tuple(raw["preventive"]["contact_kinds"]),
        min_customers=int(monitor["min_customers"]),
        margins={k: float(monitor["margins"][k]) for k in ("adherence", "relapse", "satisfaction")},
        monitor_relapse_window=int(monitor["relapse_window_months"]), dimensions=tuple(monitor["dimensions"]),
        labels={k: {str(a): str(b) for a, b in v.items()} for k, v in (raw.get("labels") or {}).items()})
    if config.grace_days < 0 or not windows or sorted(windows) != list(windows) or windows[0] < 1:
        raise ValueError("kpis.yml: grace_days >= 0 and increasing relapse windows of at least 1 month")
    if config.monitor_relapse_window not in windows:
        raise ValueError("kpis.yml: monitor.relapse_window_months must be one of relapse.windows_months")
    if config.min_customers < 2 or any(m < 0 for m in config.margins.values()):
        raise ValueError("kpis.yml: monitor.min_customers >= 2 and margins >= 0")
    if not set(config.dimensions) <= set(DIMENSIONS):
        raise ValueError(f"kpis.yml: monitor.dimensions must be among {DIMENSIONS}")
    return config


@lru_cache(maxsize=1)
def load_config(path: str | None = None) -> KpiConfig:
    with open(path or CONFIG_PATH, encoding="utf-8") as handle:
        return parse_config(yaml.safe_load(handle))


# -- filters -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    """Period (inclusive UTC dates, either end open) and what to select on; None = everything."""

    start: date | None = None
    end: date | None = None
    channel: str | None = None
    loan_type: str | None = None
    cause: str | None = None

    def period_only(self) -> Filters:
        return Filters(start=self.start, end=self.end)

    def as_dict(self) -> dict[str, str]:
        values = {"from": self.start.isoformat() if self.start else None, "to": self.end.isoformat() if self.end else None,
                  "channel": self.channel, "loan_type": self.loan_type, "cause": self.cause}
        return {k: v for k, v in values.items() if v}


# -- results -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class Adherence:
    total: Ratio                                 # instalments kept / instalments due
    months: tuple[tuple[str, Ratio], ...]        # by due month


@dataclass(frozen=True)
class Cohort:
    month: str
    ended: int
    relapsed: dict[int, int]      # window in months -> arrangements in arrears again within it
    complete: dict[int, bool]     # window -> has the window passed for every arrangement in the cohort

    def rate(self, months: int) -> float | None:
        """None while the window is still running for part of the cohort."""
        return self.relapsed[months] / self.ended if self.complete[months] and self.ended else None


@dataclass(frozen=True)
class Relapse:
    windows: tuple[int, ...]
    cohorts: tuple[Cohort, ...]

    def pooled(self, months: int) -> Ratio:
        """Over the cohorts whose window has fully passed."""
        done = [c for c in self.cohorts if c.complete[months]]
        return Ratio(sum(c.relapsed[months] for c in done), sum(c.ended for c in done))


@dataclass(frozen=True)
class Cure:
    months: int
    total: Ratio                                 # cured / arrangements whose window has passed
    by_month: tuple[tuple[str, Ratio], ...]      # by month of acceptance


@dataclass(frozen=True)
class SatisfactionMonth:
    month: str
    asked: int
    answered: int
    score_sum: int

    @property
    def mean(self) -> float | None:
        return self.score_sum / self.answered if self.answered else None


@dataclass(frozen=True)
class Satisfaction:
    asked: int
    answered: int
    score_sum: int
    distribution: dict[int, int]
    months: tuple[SatisfactionMonth, ...]

    @property
    def mean(self) -> float | None:
        return self.score_sum / self.answered if self.answered else None

    @property
    def response(self) -> Ratio:
        return Ratio(self.answered, self.asked)


@dataclass(frozen=True)
class TimeToSolution:
    count: int
    median_seconds: float | None
    p90_seconds: float | None


@dataclass(frozen=True)
class Handovers:
    cases: int
    handed_over: int
    reasons: tuple[tuple[str, int], ...]         # most frequent first

    @property
    def rate(self) -> Ratio:
        return Ratio(self.handed_over, self.cases)


@dataclass(frozen=True)
class PreventiveReach:
    signalled: int
    contacted: int
    accepted: int


@dataclass(frozen=True)
class Dashboard:
    config_version: str
    today: date
    filters: Filters
    adherence: Adherence
    relapse: Relapse
    cure: Cure
    satisfaction: Satisfaction
    time_to_solution: TimeToSolution
    handovers: Handovers
    preventive: PreventiveReach
