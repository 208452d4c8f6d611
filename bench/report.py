"""The bench's arithmetic and its Markdown report: pure code, no servers, no Rasa import
(tests/ops/test_bench.py runs it on fixed figures)."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Iterable

# Issue 7's targets (checked here, reported in the note; not timed tests).
TARGETS = {
    "p95_ratio": ("sequential turn p95 / baseline p95", "<=", 1.5),
    "throughput_ratio": ("msg/s at 10 customers / baseline msg/s at 10 clients", ">=", 0.8),
    "long_ratio": ("turn after 2,500 events / turn after 100", "<=", 1.5),
    "faults_50": ("errors + lost + doubled + unanswered at 50 customers", "<=", 0),
    "rasa_rss_mb": ("Rasa server peak RSS (MB)", "<=", 1300),
    "actions_rss_mb": ("action server peak RSS (MB)", "<=", 300),
}


def percentile(values: Iterable[float], q: float) -> float:
    """The q-th percentile (0-100), linear between closest ranks (numpy's default, Excel's PERCENTILE.INC)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Run:
    """One load level: what the clients saw."""

    label: str
    clients: int
    latencies: list[float] = field(default_factory=list)  # seconds, one per turn sent
    seconds: float = 0.0
    conversations: int = 0
    errors: int = 0  # HTTP error, exception, empty reply, or the "something went wrong" message
    slow: int = 0  # the guard's "still working" message: the turn took longer than its 8 s
    without_link: int = 0  # whole conversations whose last reply had no payment link
    checks: dict | None = None  # lost/doubled/unanswered events from the trackers (bench.checks)

    def summary(self) -> dict:
        turns = len(self.latencies)
        ms = [v * 1000 for v in self.latencies]
        return {"label": self.label, "clients": self.clients, "turns": turns,
                "p50_ms": round(percentile(ms, 50)) if ms else None,
                "p95_ms": round(percentile(ms, 95)) if ms else None,
                "p99_ms": round(percentile(ms, 99)) if ms else None,
                "conv_per_min": round(self.conversations / self.seconds * 60, 1) if self.seconds else None,
                "msg_per_s": round(turns / self.seconds, 2) if self.seconds else None,
                "errors": self.errors, "slow": self.slow, "without_link": self.without_link,
                "seconds": round(self.seconds, 1)}


def ratio(ours: float | None, theirs: float | None) -> float | None:
    if ours is None or not theirs:
        return None
    return round(ours / theirs, 2)


def verdict(key: str, value: float | None) -> str:
    if value is None:
        return "not measured"
    _, op, target = TARGETS[key]
    met = value <= target if op == "<=" else value >= target
    return "met" if met else "NOT met"


def comparison(ours_sequential: dict | None, ours_10: dict | None, base_sequential: dict | None,
               base_10: dict | None) -> dict:
    """Our sequential p95 and our throughput at 10 customers against the baseline's."""
    return {
        "p95_ratio": ratio(ours_sequential and ours_sequential["p95_ms"], base_sequential and base_sequential["p95_ms"]),
        "throughput_ratio": ratio(ours_10 and ours_10["msg_per_s"], base_10 and base_10["msg_per_s"]),
    }


def long_ratio(short_turns: list[float], long_turns: list[float]) -> float | None:
    """Median turn at the long end over the median turn at the short end."""
    if not short_turns or not long_turns:
        return None
    return ratio(statistics.median(long_turns), statistics.median(short_turns))


def _cell(value) -> str:
    return "-" if value is None else str(value)


def load_table(rows: list[dict]) -> list[str]:
    lines = ["| run | clients | turns | p50 ms | p95 ms | p99 ms | conv/min | msg/s | errors | slow (>8 s) | no link "
             "| lost | doubled | unanswered | load avg |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        checks = r.get("checks") or {}
        lines.append("| " + " | ".join(_cell(v) for v in (
            r["label"], r["clients"], r["turns"], r["p50_ms"], r["p95_ms"], r["p99_ms"], r["conv_per_min"],
            r["msg_per_s"], r["errors"], r["slow"], r["without_link"], checks.get("lost"), checks.get("doubled"),
            checks.get("unanswered"), r.get("load_avg"))) + " |")
    return lines


def targets_table(values: dict) -> list[str]:
    lines = ["| target | measured | limit | verdict |", "|---|---|---|---|"]
    for key, (what, op, limit) in TARGETS.items():
        if key in values:
            lines.append(f"| {what} | {_cell(values[key])} | {op} {limit} | {verdict(key, values[key])} |")
    return lines


def render(title: str, notes: list[str], rows: list[dict], targets: dict, extra: list[str] = ()) -> str:
    """The whole results file: the load table, the targets with their verdicts, then anything else."""
    out = [f"# {title}", ""]
    out += [*notes, ""] if notes else []
    out += load_table(rows)
    if targets:
        out += ["", "## Targets (issue 7)", ""] + targets_table(targets)
    if extra:
        out += ["", *extra]
    return "\n".join(out) + "\n"
