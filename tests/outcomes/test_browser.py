"""The outcomes dashboard in a real headless browser (Debian's chromium via Playwright) against
the real console process (`python -m bot.console serve`) on a real SQLite database: a
supervisor opens it, the plots render, a filter changes them, a CSV downloads; an agent is
refused."""
from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from bot.config import settings
from bot.console.users import add_user
from bot.outcomes.synthetic import EventLog
from bot.store.db import engine_for, session_scope
from bot.store.migrate import upgrade
from tests.browser import launch, require_chromium
from tests.e2e.servers import wait_until
from tests.outcomes import seeded

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
PASSWORDS = {"boss": f"supervisor-{uuid.uuid4().hex}", "anouk": f"agent-{uuid.uuid4().hex}"}


def _free_port() -> int:
    """Our range for test servers: 6300-6399."""
    for port in range(6300, 6400):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 6300-6399")


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    require_chromium()
    folder = tmp_path_factory.mktemp("outcomes-browser")
    url = f"sqlite:///{folder / 'betaalhulp.db'}"
    previous = os.environ.get("BETAALHULP_DATABASE_URL")
    os.environ["BETAALHULP_DATABASE_URL"] = url
    settings.cache_clear()
    process = None
    try:
        upgrade(url)
        add_user("boss", "supervisor", "Sam Supervisor", PASSWORDS["boss"])
        add_user("anouk", "agent", "Anouk", PASSWORDS["anouk"])
        with session_scope(url) as session:
            log = seeded.one_disadvantaged_group()
            _handovers(log)
            log.write(session)
        engine_for(url).dispose()
        port = _free_port()
        env = {**os.environ, "BETAALHULP_DATABASE_URL": url, "RASA_URL": "http://127.0.0.1:9"}
        log = open(folder / "console.log", "ab")
        process = subprocess.Popen([sys.executable, "-m", "bot.console", "serve", "--port", str(port)], cwd=ROOT,
                                   env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: requests.get(f"{base}/login", timeout=2).ok, 60, "console")
        yield base, folder
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        if previous is None:
            os.environ.pop("BETAALHULP_DATABASE_URL", None)
        else:
            os.environ["BETAALHULP_DATABASE_URL"] = previous
        settings.cache_clear()


def _handovers(log: EventLog) -> None:
    """Handed-over conversations, a different mix per channel (the monitor does not look at these)."""
    reasons = ("customer_asked", "multiple_problems", "vulnerability", "crisis")
    case = 10_000
    for i, channel in enumerate(seeded.CHANNELS):
        for k in range(3 + 3 * i):
            case += 1
            at = datetime(2025, 3, 1 + k, 10, tzinfo=timezone.utc)
            log.add("conversation_started", at, case_id=case, customer_id=case, channel=channel)
            log.add("handed_over", at + timedelta(minutes=5), case_id=case, customer_id=case, channel=channel,
                    reason=reasons[(k + i) % len(reasons)])


def _browser(playwright):
    return launch(playwright)


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORDS[username])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/queue")


def _images(page) -> list[dict]:
    page.wait_for_function("Array.from(document.querySelectorAll('figure.chart img')).every(i => i.complete)",
                           timeout=60_000)
    return page.evaluate("""Array.from(document.querySelectorAll('figure.chart img')).map(i => ({
        src: i.getAttribute('src'), natural: i.naturalWidth, width: i.getBoundingClientRect().width,
        height: i.getBoundingClientRect().height}))""")


def _digest(page, src: str) -> str:
    body = page.evaluate("src => fetch(src).then(r => r.text())", src)
    return hashlib.sha256(body.encode()).hexdigest()


def test_a_supervisor_reads_the_plots_filters_them_and_downloads_csv(console):
    from playwright.sync_api import expect, sync_playwright

    base, folder = console
    with sync_playwright() as playwright:
        browser = _browser(playwright)
        try:
            page = browser.new_page(accept_downloads=True, viewport={"width": 1280, "height": 900})
            blocked = []
            page.on("request", lambda request: None if request.url.startswith(base) else blocked.append(request.url))
            _login(page, base, "boss")
            page.click("header nav a[href='/dashboard']")
            page.wait_for_url(f"{base}/dashboard")
            expect(page.locator("h1")).to_have_text("Uitkomsten")

            images = _images(page)
            assert [i["src"].split("?")[0] for i in images] == [
                f"/dashboard/charts/{name}.svg" for name in ("relapse", "adherence", "satisfaction", "handovers")]
            assert all(i["natural"] > 0 and i["width"] > 0 and i["height"] > 0 for i in images), images
            # The seeded group shows up as the only alert next to the plots.
            expect(page.locator("#monitor-alerts li")).to_have_count(1)
            expect(page.locator("#monitor-alerts li")).to_contain_text("65+")
            before = {i["src"]: _digest(page, i["src"]) for i in images}
            summary_before = page.locator("#summary").inner_text()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "outcomes_dashboard.png"), full_page=True)

            page.select_option("#filter-channel", "sms")
            page.click("#dashboard-filters button[type=submit]")
            page.wait_for_url("**/dashboard?*channel=sms*")
            filtered = _images(page)
            assert all("channel=sms" in i["src"] and i["natural"] > 0 and i["width"] > 0 for i in filtered), filtered
            after = {i["src"]: _digest(page, i["src"]) for i in filtered}
            assert set(before.values()).isdisjoint(after.values())  # every plot changed
            assert page.locator("#summary").inner_text() != summary_before
            expect(page.locator("#filter-channel")).to_have_value("sms")

            with page.expect_download() as waiting:
                page.locator("#figure-adherence a.csv").click()
            download = waiting.value
            assert download.suggested_filename.startswith("betaalhulp-adherence-")
            text = Path(download.path()).read_text(encoding="utf-8-sig")
            lines = text.splitlines()
            assert lines[0] == "month,due,kept,rate" and len(lines) > 3
            assert not blocked, blocked  # nothing loaded from anywhere but our own server
        finally:
            browser.close()


def test_an_agent_is_refused_in_the_browser(console):
    from playwright.sync_api import sync_playwright

    base, _ = console
    with sync_playwright() as playwright:
        browser = _browser(playwright)
        try:
            page = browser.new_page()
            _login(page, base, "anouk")
            assert page.locator("header nav a[href='/dashboard']").count() == 0
            response = page.goto(f"{base}/dashboard")
            assert response.status == 403
            assert "Alleen een supervisor" in page.content()
            assert page.goto(f"{base}/dashboard/charts/relapse.svg").status == 403
        finally:
            browser.close()
