"""The outcomes dashboard in the console (Starlette's TestClient, a real SQLite database):
supervisors only, plots as SVG from our own routes, every figure as CSV, filters carried to
every plot and download, views and refusals in the audit log."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.config import settings
from bot.console.app import create_app
from bot.console.users import add_user
from bot.outcomes import kpis, monitor
from bot.rasa_api import RasaApi
from bot.store.db import session_scope
from bot.store.models import AuditEntry
from tests.console.conftest import PASSWORDS, login
from tests.outcomes import seeded


@pytest.fixture
def client(database, fixed_clock):
    settings.cache_clear()
    monitor._logged.clear()
    for role in PASSWORDS:
        add_user(role, role, f"Demo {role}", PASSWORDS[role])
    with session_scope() as session:
        seeded.one_disadvantaged_group().write(session)
    # The dashboard never talks to Rasa; nothing listens on this address.
    app = create_app(RasaApi(base_url="http://127.0.0.1:9", token="unused"))
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client
    settings.cache_clear()


@pytest.fixture
def supervisor(client):
    assert login(client, "supervisor").status_code == 303
    return client


@pytest.fixture
def agent(client):
    assert login(client, "agent").status_code == 303
    return client


def _audit() -> list[AuditEntry]:
    with session_scope() as session:
        return session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()


def test_a_supervisor_reads_the_dashboard_at_a_glance(supervisor):
    response = supervisor.get("/dashboard")
    assert response.status_code == 200
    html = response.text
    assert "<h1>Uitkomsten</h1>" in html and 'href="/dashboard"' in html
    # At a glance: the seeded figures, formatted in Dutch.
    assert "65,0%" in html  # adherence: 468 of 720 instalments
    assert "50,0%" in html  # relapse within 12 months
    # The one disadvantaged group, on the page.
    alerts = re.search(r'<ul class="alert-list" id="monitor-alerts">(.*?)</ul>', html, re.S).group(1)
    assert alerts.count("<li") == 1 and "65+" in alerts and "25,0%" in alerts
    # Plots from our own routes, each with its table and CSV next to it; nothing from elsewhere.
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert sources == [f"/dashboard/charts/{name}.svg" for name in ("relapse", "adherence", "satisfaction", "handovers")]
    assert html.count("<caption>") >= 10 and html.count('class="csv"') == 4
    assert "http://" not in html.replace('http://www.w3.org', '') and "https://" not in html
    assert "style=" not in html and "<script>" not in html
    entry = _audit()[-1]
    assert entry.action == "view_dashboard" and entry.detail == {"filters": {}}


def test_plots_are_svg_made_here_and_follow_the_filters(supervisor):
    everything = supervisor.get("/dashboard/charts/adherence.svg")
    assert everything.status_code == 200 and everything.headers["content-type"].startswith("image/svg+xml")
    assert everything.content.startswith(b"<?xml") and b"<svg" in everything.content
    assert b"<script" not in everything.content and b"http://" not in everything.content.replace(
        b"http://www.w3.org", b"").replace(b"http://purl.org", b"").replace(b"http://creativecommons.org", b"")
    selected = supervisor.get("/dashboard/charts/adherence.svg?from=2025-03-01&to=2025-03-31")
    assert selected.status_code == 200 and selected.content != everything.content
    for name in ("relapse", "satisfaction", "handovers"):
        response = supervisor.get(f"/dashboard/charts/{name}.svg?channel=sms")
        assert response.status_code == 200 and b"<svg" in response.content, name
    empty = supervisor.get("/dashboard/charts/relapse.svg?channel=nobody")
    assert empty.status_code == 200 and b"<svg" in empty.content
    assert supervisor.get("/dashboard/charts/nothing.svg").status_code == 404
    assert supervisor.get("/dashboard/charts/adherence.svg?from=yesterday").status_code == 400


def test_the_filter_form_changes_the_figures_and_every_link_keeps_the_selection(supervisor):
    html = supervisor.get("/dashboard?channel=sms&cause=illness&from=2025-01-01").text
    query = "from=2025-01-01&amp;channel=sms&amp;cause=illness"
    assert f'/dashboard/charts/relapse.svg?{query}' in html and f'/dashboard/data/adherence.csv?{query}' in html
    assert re.search(r'<option value="sms" selected>SMS</option>', html)
    # 20 customers (sms x illness), 4 of them 65+: (16 x 3 + 4 x 1) / 80 = 65,0% again, by design;
    # the loan-type filter on a type nobody has empties every figure.
    empty = supervisor.get("/dashboard?loan_type=mortgage").text
    assert "Nog geen gegevens voor deze selectie." in empty
    bad = supervisor.get("/dashboard?from=2025-13-01")
    assert bad.status_code == 200 and "Filter niet gebruikt" in bad.text


def test_every_figure_downloads_as_csv(supervisor):
    response = supervisor.get("/dashboard/data/adherence.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == 'attachment; filename="betaalhulp-adherence-2026-11-22.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sum(int(r["due"]) for r in rows) == 720 and sum(int(r["kept"]) for r in rows) == 468
    assert all(float(r["rate"]) == pytest.approx(int(r["kept"]) / int(r["due"]), abs=5e-5) for r in rows)
    for name in ("summary", "relapse", "cure", "satisfaction", "satisfaction_scores", "handovers",
                 "time_to_solution", "preventive", "monitor"):
        download = supervisor.get(f"/dashboard/data/{name}.csv?channel=sms")
        assert download.status_code == 200, name
        header = download.content.decode("utf-8-sig").splitlines()[0]
        assert header and "," in header, name
    monitor_rows = list(csv.DictReader(io.StringIO(supervisor.get("/dashboard/data/monitor.csv").content.decode("utf-8-sig"))))
    flagged = [r for r in monitor_rows if r["status"] == "signaal"]
    assert [(r["metric"], r["dimension"], r["group"]) for r in flagged] == [seeded.DISADVANTAGED]
    assert supervisor.get("/dashboard/data/nothing.csv").status_code == 404
    downloads = [e for e in _audit() if e.action == "download_dashboard_csv"]
    assert downloads and downloads[-1].detail == {"table": "monitor", "filters": {}}


def test_an_agent_is_refused_and_the_attempt_is_audited(agent):
    assert 'href="/dashboard"' not in agent.get("/queue").text
    for path in ("/dashboard", "/dashboard/charts/relapse.svg", "/dashboard/data/summary.csv?channel=sms"):
        response = agent.get(path)
        assert response.status_code == 403, path
        assert "Uitkomsten" not in response.text and "<svg" not in response.text
    refused = [e for e in _audit() if e.action == "role_refused"]
    assert [e.detail["path"] for e in refused] == ["/dashboard", "/dashboard/charts/relapse.svg",
                                                   "/dashboard/data/summary.csv"]
    assert not [e for e in _audit() if e.action in ("view_dashboard", "download_dashboard_csv")]


def test_without_a_session_the_dashboard_sends_to_the_login(client):
    for path in ("/dashboard", "/dashboard/charts/relapse.svg", "/dashboard/data/summary.csv"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/login", path


def test_the_page_figures_are_the_kpis_of_the_same_selection(supervisor):
    """What the page prints is what kpis.compute returns for that selection."""
    with session_scope() as session:
        d = kpis.compute(session, kpis.Filters(channel="whatsapp"))
    html = supervisor.get("/dashboard?channel=whatsapp").text
    kept = f"{d.adherence.total.numerator:,}".replace(",", ".")
    due = f"{d.adherence.total.denominator:,}".replace(",", ".")
    assert f'<td class="int">{kept}</td><td class="int">{due}</td>' in html
