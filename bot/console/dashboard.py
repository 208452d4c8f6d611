"""The outcomes dashboard (issue 11, R21): supervisors only.

GET /dashboard                      the page: filters, KPIs at a glance, group alerts, each plot
                                    with its table and CSV link
GET /dashboard/charts/{name}.svg    one plot, drawn on this server (bot/outcomes/charts.py)
GET /dashboard/data/{name}.csv      one figure's table as CSV

The filters travel in the query string (from, to, channel, loan_type, cause), so a plot or a
CSV always shows the same selection as the page it sits on. An agent gets 403 and the attempt
is in the audit log (security.guarded). The database work runs in a worker thread.
"""
from __future__ import annotations

import asyncio
import re
from datetime import date
from typing import Any, Mapping
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from bot import clock
from bot.console.auth import Staff
from bot.console.security import audit, guarded, refused
from bot.console.views import render
from bot.outcomes import charts, kpis, monitor, tables
from bot.outcomes.figures import Filters
from bot.store.db import session_scope

CODE = re.compile(r"^[a-z0-9_+\-]{1,32}$")
FILTER_FIELDS = ("channel", "loan_type", "cause")
CHART_KPIS = {"relapse": ("relapse",), "adherence": ("adherence",), "satisfaction": ("satisfaction",),
              "handovers": ("handovers",)}
CSV_KPIS = {"summary": tuple(kpis.KPIS), "adherence": ("adherence",), "relapse": ("relapse",), "cure": ("cure",),
            "satisfaction": ("satisfaction",), "satisfaction_scores": ("satisfaction",),
            "handovers": ("handovers",), "time_to_solution": ("time_to_solution",),
            "preventive": ("preventive",), "monitor": ()}
FIGURES = (  # (chart, table, caption) in the order of the page
    ("relapse", "relapse", "Terugval per cohort: welk deel van de regelingen die in een maand eindigden, "
                           "was binnen 3, 6 en 12 maanden weer in achterstand."),
    ("adherence", "adherence", "Regeling nagekomen: welk deel van de vervallen termijnen op tijd (binnen de marge) "
                               "volledig betaald werd, per maand van de vervaldatum."),
    ("satisfaction", "satisfaction", "Tevredenheid: het gemiddelde cijfer (lijn) en de respons (staven) per maand."),
    ("handovers", "handovers", "Redenen waarom een gesprek naar een medewerker ging."),
)


class FilterError(ValueError):
    pass


def parse_filters(params: Mapping[str, str]) -> Filters:
    """The selection from the query string; anything malformed is refused, not guessed."""
    def day(name: str) -> date | None:
        text = (params.get(name) or "").strip()
        if not text:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise FilterError(f"'{name}' is geen datum (jjjj-mm-dd)") from None

    start, end = day("from"), day("to")
    if start and end and start > end:
        raise FilterError("de begindatum ligt na de einddatum")
    codes: dict[str, str | None] = {}
    for name in FILTER_FIELDS:
        text = (params.get(name) or "").strip()
        if text and not CODE.match(text):
            raise FilterError(f"onbekende waarde voor '{name}'")
        codes[name] = text or None
    return Filters(start=start, end=end, **codes)


def _query(filters: Filters) -> str:
    return urlencode(filters.as_dict())


def _compute(filters: Filters, names: tuple[str, ...]) -> dict[str, Any]:
    """Only the KPIs a response needs; the rest stay None."""
    config = kpis.load_config()
    today = clock.today()
    with session_scope() as session:
        dashboard = kpis.compute(session, filters, config=config, today=today, names=names)
    return {"dashboard": dashboard, "config": config, "today": today}


def _page_data(filters: Filters) -> dict[str, Any]:
    data = _compute(filters, tuple(kpis.KPIS))
    with session_scope() as session:
        data["monitor"] = monitor.evaluate(session, filters, config=data["config"], today=data["today"])
        data["options"] = kpis.options(session)
    return data


def _options_view(config: kpis.KpiConfig, options: dict[str, list[str]], filters: Filters) -> dict[str, list]:
    view = {}
    for name in FILTER_FIELDS:
        values = list(options.get(name, []))
        chosen = getattr(filters, name)
        if chosen and chosen not in values:
            values.append(chosen)  # keep what was asked for visible, even with no data
        view[name] = [(value, config.label(name, value), value == chosen) for value in values]
    return view


STATUS_LABELS = {monitor.TOO_SMALL: "te klein", monitor.HIDDEN: "verborgen"}


def _monitor_view(result: monitor.MonitorResult, config: kpis.KpiConfig) -> list[dict[str, Any]]:
    view = []
    for metric in result.metrics:
        show = tables.score if metric.metric == "satisfaction" else tables.percent
        rows = [{"dimension": config.label("dimensions", g.dimension), "group": config.label(g.dimension, g.value),
                 "customers": tables.display(g.customers, tables.Column("", "", "int", empty="")),
                 "figure": "" if g.figure is None else show(g.figure), "status": g.status, "alert": g.alert,
                 "status_label": STATUS_LABELS.get(g.status, "slechter" if g.alert else "")}
                for g in metric.groups]
        view.append({"metric": metric.metric, "label": monitor.METRICS[metric.metric][0],
                     "whole": show(metric.whole) if metric.comparable else "te weinig klanten om te vergelijken",
                     "customers": metric.whole_customers, "comparable": metric.comparable, "rows": rows,
                     "figure_title": "Gemiddelde" if metric.metric == "satisfaction" else "Percentage"})
    return view


@guarded("page", role="supervisor")
async def dashboard_page(request: Request, staff: Staff) -> Response:
    error = None
    try:
        filters = parse_filters(request.query_params)
    except FilterError as problem:
        error, filters = f"Filter niet gebruikt: {problem}.", Filters()
    data = await asyncio.to_thread(_page_data, filters)
    audit(staff.id, "view_dashboard", filters=filters.as_dict())
    d, config, result = data["dashboard"], data["config"], data["monitor"]
    query = _query(filters)
    figures = [{"chart": chart, "src": f"/dashboard/charts/{chart}.svg" + (f"?{query}" if query else ""),
                "csv": f"/dashboard/data/{table}.csv" + (f"?{query}" if query else ""),
                "caption": caption, "table": tables.DASHBOARD_TABLES[table](d)}
               for chart, table, caption in FIGURES]
    extra = [tables.DASHBOARD_TABLES[name](d) for name in ("cure", "satisfaction_scores", "time_to_solution",
                                                           "preventive")]
    alerts = [{"metric": monitor.METRICS[a.metric][0], "dimension": config.label("dimensions", a.dimension),
               "group": config.label(a.dimension, a.value), "figure": a.figure, "whole": a.whole,
               "kind": "score" if a.metric == "satisfaction" else "pct", "margin": a.margin}
              for a in result.alerts]
    return render(request, "dashboard.html", staff=staff, filters=filters, error=error, query=query,
                  summary=tables.summary(d), figures=figures, extra=extra, alerts=alerts,
                  monitor=tables.monitor(result, config), monitor_result=result, config=config,
                  monitor_view=_monitor_view(result, config),
                  options=_options_view(config, data["options"], filters), today=data["today"],
                  csv_link=lambda name: f"/dashboard/data/{name}.csv" + (f"?{query}" if query else ""),
                  percent=tables.percent, score=tables.score)


@guarded("page", role="supervisor")
async def dashboard_chart(request: Request, staff: Staff) -> Response:
    name = request.path_params.get("name", "")
    if name not in charts.CHARTS:
        return refused(404, "Deze grafiek bestaat niet.")
    try:
        filters = parse_filters(request.query_params)
    except FilterError as problem:
        return refused(400, f"Filter niet gebruikt: {problem}.")

    def draw() -> bytes:
        return charts.CHARTS[name](_compute(filters, CHART_KPIS[name])["dashboard"])

    return Response(await asyncio.to_thread(draw), media_type="image/svg+xml")


@guarded("page", role="supervisor")
async def dashboard_csv(request: Request, staff: Staff) -> Response:
    name = request.path_params.get("name", "")
    if name not in CSV_KPIS:
        return refused(404, "Deze tabel bestaat niet.")
    try:
        filters = parse_filters(request.query_params)
    except FilterError as problem:
        return refused(400, f"Filter niet gebruikt: {problem}.")

    def build() -> tuple[str, date]:
        data = _compute(filters, CSV_KPIS[name])
        if name == "monitor":
            with session_scope() as session:
                result = monitor.evaluate(session, filters, config=data["config"], today=data["today"])
            return tables.csv_text(tables.monitor(result, data["config"])), data["today"]
        return tables.csv_text(tables.DASHBOARD_TABLES[name](data["dashboard"])), data["today"]

    text, today = await asyncio.to_thread(build)
    audit(staff.id, "download_dashboard_csv", table=name, filters=filters.as_dict())
    return Response(text.encode("utf-8-sig"), media_type="text/csv; charset=utf-8", headers={
        "content-disposition": f'attachment; filename="betaalhulp-{name}-{today.isoformat()}.csv"'})
