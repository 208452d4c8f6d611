"""Prometheus metrics in the text exposition format, written by hand (no new package).

One `Metrics` per process: counters (optionally with one label set each) and one request
latency histogram. `render()` returns what `/metrics` serves.
"""
from __future__ import annotations

import threading
from bisect import bisect_left

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _labels(labels: dict[str, str] | None) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
                     for k, v in sorted(labels.items()))
    return "{" + inner + "}"


class Metrics:
    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self._lock = threading.Lock()
        self._counters: dict[tuple[str, str], float] = {}
        self._help: dict[str, str] = {}
        self._buckets = [0] * len(BUCKETS)
        self._count = 0
        self._sum = 0.0
        for name, text in (("requests_total", "HTTP requests answered, by status class"),
                           ("errors_total", "requests that ended in a server error"),
                           ("refused_total", "requests refused for a missing or wrong secret")):
            self.describe(name, text)

    def describe(self, name: str, help_text: str) -> None:
        self._help[name] = help_text

    def inc(self, name: str, amount: float = 1.0, labels: dict[str, str] | None = None) -> None:
        with self._lock:
            key = (name, _labels(labels))
            self._counters[key] = self._counters.get(key, 0.0) + amount

    def observe_request(self, seconds: float, status: int) -> None:
        self.inc("requests_total", labels={"status": f"{status // 100}xx"})
        if status >= 500:
            self.inc("errors_total")
        with self._lock:
            index = bisect_left(BUCKETS, seconds)
            if index < len(BUCKETS):
                self._buckets[index] += 1
            self._count += 1
            self._sum += seconds

    def render(self) -> str:
        ns = self.namespace
        lines: list[str] = []
        with self._lock:
            names = sorted({name for name, _ in self._counters} | set(self._help))
            for name in names:
                lines.append(f"# HELP {ns}_{name} {self._help.get(name, name)}")
                lines.append(f"# TYPE {ns}_{name} counter")
                series = [(labels, value) for (n, labels), value in self._counters.items() if n == name]
                for labels, value in sorted(series) or [("", 0.0)]:
                    lines.append(f"{ns}_{name}{labels} {value:g}")
            hist = f"{ns}_request_duration_seconds"
            lines.append(f"# HELP {hist} time to answer a request")
            lines.append(f"# TYPE {hist} histogram")
            cumulative = 0
            for bound, count in zip(BUCKETS, self._buckets):
                cumulative += count
                lines.append(f'{hist}_bucket{{le="{bound:g}"}} {cumulative}')
            lines.append(f'{hist}_bucket{{le="+Inf"}} {self._count}')
            lines.append(f"{hist}_sum {self._sum:.6f}")
            lines.append(f"{hist}_count {self._count}")
        return "\n".join(lines) + "\n"
