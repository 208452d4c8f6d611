"""Every dashboard figure as a plain table: the same rows feed the HTML table next to each plot
(for screen readers and for reading exact numbers) and the CSV download.

Cells hold raw values (ints, rates as floats 0..1, seconds); `display` turns them into Dutch
text for the page, `csv_text` writes them machine-readable (rates with 4 decimals, empty for
"no figure")."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any, Callable

from bot.outcomes.figures import Dashboard, KpiConfig
from bot.outcomes.monitor import HIDDEN, METRICS, TOO_SMALL, MonitorResult

HANDOVER_REASONS = {
    "customer_asked": "Klant vroeg om een medewerker",
    "crisis": "Crisis",
    "multiple_problems": "Meerdere problemen",
    "vulnerability": "Kwetsbare klant",
    "not_understood": "Bot begreep de klant niet",
    "unknown": "Onbekend",
}


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: str = "text"   # text | int | pct | score | seconds
    empty: str = "–"     # shown when there is no figure (a window still running, a small group)
    page: bool = True    # False: a code for the CSV, the page shows its label instead


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    note: str = ""

    def display_rows(self) -> list[list[str]]:
        return [[display(value, column) for value, column in zip(row, self.columns)] for row in self.rows]

    @property
    def page_columns(self) -> list[Column]:
        return [column for column in self.columns if column.page]

    def page_rows(self) -> list[list[str]]:
        """What the page shows: the display text of the columns meant for people."""
        keep = [i for i, column in enumerate(self.columns) if column.page]
        return [[cells[i] for i in keep] for cells in self.display_rows()]


def _number(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes = round(seconds / 60)
    if minutes < 1:
        return f"{round(seconds)} sec"
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} u {rest} min"
    return f"{_number(seconds / 86400, 1)} dagen"


def display(value: Any, column: Column) -> str:
    if value is None:
        return column.empty
    if column.kind == "int":
        return _number(value, 0)
    if column.kind == "pct":
        return f"{_number(value * 100, 1)}%"
    if column.kind == "score":
        return _number(value, 2)
    if column.kind == "seconds":
        return duration(value)
    return str(value)


def percent(value: float | None) -> str:
    return display(value, Column("", "", "pct"))


def score(value: float | None) -> str:
    return display(value, Column("", "", "score"))


def _csv_value(value: Any, column: Column) -> Any:
    if value is None:
        return ""
    if column.kind in ("pct", "score"):
        return f"{value:.4f}"
    if column.kind == "seconds":
        return f"{value:g}"
    text = str(value)
    # A spreadsheet runs cells that start like a formula: never let one through.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_text(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.key for column in table.columns])
    for row in table.rows:
        writer.writerow([_csv_value(value, column) for value, column in zip(row, table.columns)])
    return out.getvalue()


# -- the tables ---------------------------------------------------------------------------------
def summary(d: Dashboard) -> Table:
    """The dashboard at a glance: one line per KPI, its figure and what it was computed from."""
    last = d.relapse.windows[-1]
    pooled = d.relapse.pooled(last)
    s, t, h, p = d.satisfaction, d.time_to_solution, d.handovers, d.preventive
    rows = (
        ("adherence", "Termijnen op tijd betaald (binnen de marge)", d.adherence.total.rate, None, None,
         d.adherence.total.numerator, d.adherence.total.denominator),
        (f"relapse_{last}m", f"Terugval binnen {last} maanden (afgeronde cohorten)", pooled.rate, None, None,
         pooled.numerator, pooled.denominator),
        ("cure", f"Genezen: {d.cure.months} maanden na de oplossing geen nieuwe achterstand", d.cure.total.rate,
         None, None, d.cure.total.numerator, d.cure.total.denominator),
        ("satisfaction_mean", "Tevredenheid, gemiddeld (1 tot 5)", None, s.mean, None, s.score_sum, s.answered),
        ("satisfaction_response", "Tevredenheid, respons", s.response.rate, None, None, s.answered, s.asked),
        ("time_to_solution_median", "Tijd tot oplossing, mediaan", None, None, t.median_seconds, None, t.count),
        ("time_to_solution_p90", "Tijd tot oplossing, 90e percentiel", None, None, t.p90_seconds, None, t.count),
        ("handover_rate", "Overgedragen aan een medewerker", h.rate.rate, None, None, h.handed_over, h.cases),
        ("preventive_contacted", "Preventief benaderd, van gesignaleerd",
         p.contacted / p.signalled if p.signalled else None, None, None, p.contacted, p.signalled),
        ("preventive_accepted", "Preventief: hulp aangenomen, van benaderd",
         p.accepted / p.contacted if p.contacted else None, None, None, p.accepted, p.contacted),
    )
    return Table("summary", "In één oogopslag",
                 (Column("kpi", "Code", page=False), Column("label", "Wat"), Column("rate", "Percentage", "pct", empty=""),
                  Column("score", "Gemiddelde", "score", empty=""), Column("seconds", "Tijd", "seconds", empty=""),
                  Column("numerator", "Teller", "int", empty=""), Column("denominator", "Aantal", "int", empty="")),
                 rows, note=f"Berekend met kpis.yml versie {d.config_version} op {d.today.isoformat()}.")


def adherence(d: Dashboard) -> Table:
    return Table("adherence", "Regeling nagekomen per maand (vervaldatum)",
                 (Column("month", "Maand"), Column("due", "Termijnen vervallen", "int"),
                  Column("kept", "Op tijd betaald", "int"), Column("rate", "Nagekomen", "pct")),
                 tuple((month, r.denominator, r.numerator, r.rate) for month, r in d.adherence.months))


def relapse(d: Dashboard) -> Table:
    columns = [Column("cohort", "Cohort (maand van einde)"), Column("ended", "Regelingen beëindigd", "int")]
    for n in d.relapse.windows:
        columns += [Column(f"relapsed_{n}m", f"Terugval binnen {n} mnd (tot nu)", "int"),
                    Column(f"rate_{n}m", f"Terugval {n} mnd", "pct", empty="loopt nog")]
    rows = []
    for cohort in d.relapse.cohorts:
        row: list[Any] = [cohort.month, cohort.ended]
        for n in d.relapse.windows:
            row += [cohort.relapsed[n], cohort.rate(n)]
        rows.append(tuple(row))
    return Table("relapse", "Terugval per cohort", tuple(columns), tuple(rows),
                 note="Een percentage staat er pas als de periode voor het hele cohort voorbij is.")


def cure(d: Dashboard) -> Table:
    return Table("cure", f"Genezen na {d.cure.months} maanden, per maand van de oplossing",
                 (Column("month", "Maand van de oplossing"), Column("arrangements", "Regelingen", "int"),
                  Column("cured", "Genezen", "int"), Column("rate", "Genezen", "pct")),
                 tuple((month, r.denominator, r.numerator, r.rate) for month, r in d.cure.by_month))


def satisfaction(d: Dashboard) -> Table:
    return Table("satisfaction", "Tevredenheid per maand (maand van de vraag)",
                 (Column("month", "Maand"), Column("asked", "Gevraagd", "int"), Column("answered", "Beantwoord", "int"),
                  Column("response_rate", "Respons", "pct"), Column("mean", "Gemiddeld (1 tot 5)", "score")),
                 tuple((m.month, m.asked, m.answered, m.answered / m.asked if m.asked else None, m.mean)
                       for m in d.satisfaction.months))


def satisfaction_scores(d: Dashboard) -> Table:
    total = d.satisfaction.answered
    return Table("satisfaction_scores", "Verdeling van de antwoorden",
                 (Column("score", "Cijfer"), Column("answers", "Antwoorden", "int"), Column("share", "Aandeel", "pct")),
                 tuple((score, n, n / total if total else None) for score, n in d.satisfaction.distribution.items()))


def handovers(d: Dashboard) -> Table:
    h = d.handovers
    return Table("handovers", "Redenen van overdracht",
                 (Column("reason", "Code", page=False), Column("label", "Reden"), Column("handovers", "Overdrachten", "int"),
                  Column("share", "Aandeel", "pct")),
                 tuple((reason, HANDOVER_REASONS.get(reason, reason), n, n / h.handed_over if h.handed_over else None)
                       for reason, n in h.reasons),
                 note=f"{h.handed_over} van {h.cases} gesprekken overgedragen.")


def time_to_solution(d: Dashboard) -> Table:
    t = d.time_to_solution
    return Table("time_to_solution", "Tijd tot oplossing (gesprek begonnen tot oplossing aangenomen)",
                 (Column("solutions", "Oplossingen", "int"), Column("median_seconds", "Mediaan", "seconds"),
                  Column("p90_seconds", "90e percentiel", "seconds")),
                 ((t.count, t.median_seconds, t.p90_seconds),))


def preventive(d: Dashboard) -> Table:
    p = d.preventive
    return Table("preventive", "Preventief bereik (klanten met een risicosignaal)",
                 (Column("stage", "Code", page=False), Column("label", "Stap"), Column("customers", "Klanten", "int"),
                  Column("share", "Van gesignaleerd", "pct")),
                 (("signalled", "Risicosignaal", p.signalled, 1.0 if p.signalled else None),
                  ("contacted", "Preventief benaderd", p.contacted, p.contacted / p.signalled if p.signalled else None),
                  ("accepted", "Hulp aangenomen", p.accepted, p.accepted / p.signalled if p.signalled else None)),
                 note="Alleen op periode gefilterd: een signaal komt voor een gesprek.")


def monitor(result: MonitorResult, config: KpiConfig) -> Table:
    rows = []
    for metric in result.metrics:
        label, direction = METRICS[metric.metric]
        kind = "score" if metric.metric == "satisfaction" else "pct"
        for group in metric.groups:
            status = {TOO_SMALL: "te klein", HIDDEN: "verborgen"}.get(group.status, "signaal" if group.alert else "ok")
            rows.append((metric.metric, label, group.dimension, config.label("dimensions", group.dimension),
                         group.value or "", config.label(group.dimension, group.value), status, group.customers,
                         group.figure if kind == "pct" else None, group.figure if kind == "score" else None,
                         metric.whole if kind == "pct" else None, metric.whole if kind == "score" else None))
    return Table("monitor", "Groepsmonitor",
                 (Column("metric", "Code", page=False), Column("metric_label", "Uitkomst"),
                  Column("dimension", "Code", page=False), Column("dimension_label", "Indeling"),
                  Column("group", "Code", page=False), Column("group_label", "Groep"),
                  Column("status", "Status"), Column("customers", "Klanten", "int"),
                  Column("rate", "Cijfer", "pct"), Column("score", "Gemiddelde", "score"),
                  Column("whole_rate", "Iedereen", "pct"), Column("whole_score", "Iedereen (gemiddelde)", "score")),
                 tuple(rows),
                 note=f"Groepen met minder dan {result.min_customers} klanten: te klein, zonder cijfers.")


DASHBOARD_TABLES: dict[str, Callable[[Dashboard], Table]] = {
    "summary": summary, "adherence": adherence, "relapse": relapse, "cure": cure, "satisfaction": satisfaction,
    "satisfaction_scores": satisfaction_scores, "handovers": handovers, "time_to_solution": time_to_solution,
    "preventive": preventive,
}
