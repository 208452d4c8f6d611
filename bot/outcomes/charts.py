"""The dashboard's plots, drawn on our own server with matplotlib (no CDN, no browser library).

SVG from the object-oriented API (matplotlib.figure.Figure, never pyplot: no global state, safe
in threads); the Agg backend is selected so nothing ever looks for a display. Fonts become
paths, so the SVG needs nothing else to render. matplotlib is imported on first use, not when
the console starts."""
from __future__ import annotations

import io
from typing import Any

from bot.outcomes.figures import Dashboard
from bot.outcomes.tables import HANDOVER_REASONS

WIDTH, HEIGHT = 7.2, 3.4  # inches; 100 dpi
BLUE, ORANGE, GREY = "#1f3a5f", "#c05a00", "#8a94a3"
MAX_COHORTS = 12


def _figure() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=100, constrained_layout=True)
    return figure


def _svg(figure: Any) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return out.getvalue()


def _empty(figure: Any, title: str) -> bytes:
    axes = figure.subplots()
    axes.set_axis_off()
    axes.set_title(title, loc="left")
    axes.text(0.5, 0.5, "Nog geen gegevens voor deze selectie", ha="center", va="center", color=GREY)
    return _svg(figure)


def _percent_axis(axes: Any) -> None:
    from matplotlib.ticker import PercentFormatter

    axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axes.set_ylim(0, 1)
    axes.grid(axis="y", color="#dde2e8")


def _months_axis(axes: Any, months: list[str]) -> None:
    step = max(1, len(months) // 12)
    axes.set_xticks(range(0, len(months), step))
    axes.set_xticklabels(months[::step], rotation=45, ha="right", fontsize=8)


def relapse(d: Dashboard) -> bytes:
    figure, title = _figure(), "Terugval per cohort (maand van einde)"
    windows = list(d.relapse.windows)
    cohorts = [c for c in d.relapse.cohorts if any(c.rate(n) is not None for n in windows)][-MAX_COHORTS:]
    if not cohorts:
        return _empty(figure, title)
    axes = figure.subplots()
    for cohort in cohorts:
        points = [(n, cohort.rate(n)) for n in windows if cohort.rate(n) is not None]
        axes.plot([0] + [n for n, _ in points], [0.0] + [r for _, r in points], marker="o", label=cohort.month)
    axes.set_xticks([0, *windows])
    axes.set_xlabel("maanden na het einde van de regeling")
    axes.set_ylabel("weer in achterstand")
    _percent_axis(axes)
    axes.set_title(title, loc="left")
    axes.legend(title="cohort", fontsize=7, title_fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5),
                frameon=False)
    return _svg(figure)


def adherence(d: Dashboard) -> bytes:
    figure, title = _figure(), "Termijnen op tijd betaald, per maand"
    months = [(m, r.rate) for m, r in d.adherence.months if r.rate is not None]
    if not months:
        return _empty(figure, title)
    axes = figure.subplots()
    axes.plot(range(len(months)), [r for _, r in months], marker="o", color=BLUE)
    _months_axis(axes, [m for m, _ in months])
    _percent_axis(axes)
    axes.set_title(title, loc="left")
    return _svg(figure)


def satisfaction(d: Dashboard) -> bytes:
    figure, title = _figure(), "Tevredenheid (gemiddeld, 1 tot 5) en respons, per maand"
    months = d.satisfaction.months
    if not months:
        return _empty(figure, title)
    axes = figure.subplots()
    labels = [m.month for m in months]
    response = axes.twinx()
    response.bar(range(len(months)), [m.answered / m.asked if m.asked else 0 for m in months], color="#dde2e8",
                 label="respons")
    _percent_axis(response)
    response.grid(False)
    response.set_ylabel("respons")
    axes.set_zorder(response.get_zorder() + 1)
    axes.patch.set_visible(False)
    axes.plot(range(len(months)), [m.mean for m in months], marker="o", color=ORANGE, label="gemiddelde")
    axes.set_ylim(1, 5)
    axes.set_ylabel("gemiddeld cijfer")
    _months_axis(axes, labels)
    axes.set_title(title, loc="left")
    return _svg(figure)


def handovers(d: Dashboard) -> bytes:
    figure, title = _figure(), "Redenen van overdracht aan een medewerker"
    reasons = list(d.handovers.reasons)
    if not reasons:
        return _empty(figure, title)
    axes = figure.subplots()
    labels = [HANDOVER_REASONS.get(reason, reason) for reason, _ in reasons][::-1]
    counts = [n for _, n in reasons][::-1]
    axes.barh(labels, counts, color=BLUE)
    for y, n in enumerate(counts):
        axes.text(n, y, f" {n}", va="center", fontsize=8)
    axes.set_xlabel("overdrachten")
    axes.set_title(title, loc="left")
    return _svg(figure)


CHARTS = {"relapse": relapse, "adherence": adherence, "satisfaction": satisfaction, "handovers": handovers}
