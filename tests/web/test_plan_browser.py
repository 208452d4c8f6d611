"""The plan page in a real headless browser (Debian's chromium via Playwright), against
`python -m bot.web` as a real process with the embedded local payment provider: the schedule,
paying an instalment on the provider's test page (its webhook goes over real HTTP to the same
server), the instalment shown paid, and moving one instalment. Phone-sized, keyboard checked."""
from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from bot.config import settings
from bot.followup.plan_links import plan_token
from bot.formatting import format_date_nl
from tests.browser import launch, require_chromium
from tests.e2e.servers import free_port
from tests.web.test_plan_rules import instalments, make_arrangement

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
SECRET = "plan-browser-test-secret"
# Servers this test starts stay in one small range, away from other processes' ports.
PORTS = range(6200, 6300)
pytestmark = pytest.mark.timeout(180)


def _bind_in_range(make):
    for port in random.sample(PORTS, len(PORTS)):
        try:
            return make(port)
        except OSError:
            continue
    return make(free_port())


def _free_port_in_range() -> int:
    def probe(port: int) -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))
        return port

    return _bind_in_range(probe)


class RasaStandIn:
    """Rasa's HTTP API as far as the web app uses it: 200 with a JSON body; records the paths."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                self.rfile.read(int(self.headers.get("content-length") or 0))
                outer.paths.append(self.path.split("?")[0])
                body = json.dumps({"tracker": {}, "messages": []}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - the conversation, read before a message is said
                body = json.dumps({"events": [{"event": "user", "text": "hoi"}]}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = _bind_in_range(lambda port: ThreadingHTTPServer(("127.0.0.1", port), Handler))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> RasaStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def web(database, tmp_path, monkeypatch):
    require_chromium()
    monkeypatch.setenv("BETAALHULP_WEB_SECRET", SECRET)
    with RasaStandIn() as rasa:
        # The web app's port is found only now: the probe lets go of the port it finds, and the
        # stand-in, binding in the same range, could otherwise take it (CI met this once).
        port = _free_port_in_range()
        base = f"http://127.0.0.1:{port}"
        monkeypatch.setenv("BETAALHULP_PUBLIC_URL", base)
        settings.cache_clear()
        env = {**os.environ, "BETAALHULP_DATABASE_URL": database, "WEB_PORT": str(port), "WEB_HOST": "127.0.0.1",
               "BETAALHULP_PUBLIC_URL": base, "RASA_URL": rasa.url, "RASA_AUTH_TOKEN": "e2e",
               "BETAALHULP_PAYMENT_PROVIDER": "local", "BETAALHULP_WEB_SECRET": SECRET,
               "BETAALHULP_DATA_DIR": str(tmp_path)}
        log = open(tmp_path / "web.log", "wb")
        process = subprocess.Popen([sys.executable, "-m", "bot.web"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            else:
                pytest.fail((tmp_path / "web.log").read_text())
            yield base, rasa
        finally:
            process.terminate()
            process.wait(timeout=10)
            log.close()
    text = (tmp_path / "web.log").read_text()
    assert "Traceback" not in text, text
    assert SECRET not in text and "plan-klant" not in text, text  # no secret, no sender id in the log


def test_a_customer_sees_the_plan_pays_an_instalment_and_moves_one(database, web):
    from playwright.sync_api import expect, sync_playwright

    base, rasa = web
    today = date.today()
    due = (today + timedelta(days=5), today + timedelta(days=36), today + timedelta(days=67))
    arrangement = make_arrangement(database, due=due, starts_on=today, sender="rest:plan-klant")
    first, second, _ = instalments(database, arrangement)
    plan_url = f"{base}/plan/{plan_token(arrangement)}"

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 375, "height": 667})
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            failed: list[str] = []
            page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            page.goto(plan_url)

            # The schedule, as a screen reader finds it.
            expect(page.get_by_role("heading", level=1)).to_have_text("Je betalingsregeling")
            table = page.get_by_role("table")
            expect(table.get_by_role("columnheader")).to_have_text(["Termijn", "Datum", "Bedrag", "Stand"])
            expect(table.locator("tbody tr")).to_have_count(3)
            expect(table.locator("tbody tr").nth(0)).to_contain_text(format_date_nl(due[0]))
            expect(table.locator("tbody tr").nth(0)).to_contain_text("Open")
            expect(page.locator("#totals")).to_contain_text("€ 750")
            expect(page.get_by_text("Je vaste contactpersoon is Anouk")).to_be_visible()
            # Phone-sized: nothing sticks out sideways.
            assert page.evaluate("document.documentElement.scrollWidth") <= 375

            # Keyboard: Tab reaches the pay button, with a visible focus ring.
            pay_button = page.get_by_role("button", name="Termijn 1 betalen")
            for _ in range(10):
                page.keyboard.press("Tab")
                if pay_button.evaluate("b => b === document.activeElement"):
                    break
            expect(pay_button).to_be_focused()
            assert pay_button.evaluate("b => getComputedStyle(b).outlineStyle") == "solid"

            # Pay instalment 1: our page with the link and the QR code, then the provider's test page.
            page.keyboard.press("Enter")
            expect(page.get_by_role("heading", level=1)).to_have_text("Termijn 1 betalen")
            qr = page.get_by_role("img", name="QR-code met de betaallink. Scan hem met de camera van je telefoon.")
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
            captions = page.locator("figure.qr-figure figcaption")  # two QR codes, each says which it is
            expect(captions).to_have_text(["QR-code 1 van 2: betalen met iDEAL. Scan met de camera van je telefoon.",
                                           "QR-code 2 van 2: zelf overmaken. Scan in je bank-app."])
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "plan_pay.png"), full_page=True)
            page.get_by_role("link", name="Betaal € 250 met iDEAL").click()
            expect(page.get_by_text("TESTOMGEVING")).to_be_visible()
            expect(page.get_by_label("Bedrag in euro")).to_have_value("250,00")
            page.get_by_role("button", name="Betalen").click()
            expect(page.get_by_role("status")).to_have_text("Je betaling is gelukt. Dank je wel!", timeout=20_000)

            page.goto(plan_url)
            row = page.locator("tbody tr").nth(0)
            expect(row).to_contain_text("Betaald")
            expect(page.locator(".progress")).to_have_text("Je hebt 1 van de 3 termijnen betaald.")
            expect(page.locator("#totals")).to_contain_text("€ 500")
            expect(page.get_by_role("button", name="Termijn 2 betalen")).to_be_visible()

            # Move instalment 2 by 7 days, after the check.
            choice = page.get_by_role("radio", name=f"Termijn 2: {format_date_nl(due[1])} (€ 250)")
            choice.check()  # the instalment itself: term 1 is paid, so it is not the list's first any more
            assert choice.get_attribute("value") == str(second.id)
            page.get_by_label("Hoeveel dagen later?").select_option("7")
            page.get_by_role("button", name="Verder").click()
            new_date = format_date_nl(due[1] + timedelta(days=7))
            expect(page.get_by_role("heading", level=1)).to_have_text("Termijn 2 verzetten")
            page.get_by_role("button", name=f"Ja, verzet naar {new_date}").click()
            expect(page.get_by_role("status")).to_contain_text("Gelukt: je termijn is verzet.")
            moved = page.locator("tbody tr").nth(1)
            expect(moved).to_contain_text(new_date)
            expect(moved).to_contain_text(f"Verzet, was {format_date_nl(due[1])}")
            expect(page.get_by_text("Je hebt al een termijn verzet.")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "plan_page.png"), full_page=True)
            # Nothing the CSP blocked, no missing style sheet or image (the browser's own favicon aside).
            failed = [f for f in failed if not f.endswith("/favicon.ico")]
            assert not failed, failed
            assert not [e for e in errors if not e.startswith("Failed to load resource")], errors
        finally:
            browser.close()

    rows = instalments(database, arrangement)
    assert (rows[0].status, rows[0].paid_cents) == ("paid", 25000)
    assert (rows[1].due_on, rows[1].original_due_on) == (due[1] + timedelta(days=7), due[1])
    assert "/conversations/rest:plan-klant/execute" in rasa.paths  # "je betaling is binnen" in the chat
