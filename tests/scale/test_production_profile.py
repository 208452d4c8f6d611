"""The production profile as a lender runs it (BETAALHULP_PROFILE=production scripts/run.sh):
PostgreSQL for our data and the tracker store, Redis for the lock store, credentials.production.yml
with every channel mounted (Twilio and Telegram pointed at a closed local port), and the widget
behind a real origin list. A visitor of the lender's page chats in headless Chromium through
verification to a payment link and finds the conversation again after a reload."""
from __future__ import annotations

import subprocess
import uuid

import pytest
import requests

from tests.browser import launch, require_chromium
from tests.e2e.servers import MODEL, ROOT, VENV_BIN, free_port, make_stack
from tests.scale.services import REDIS_URL, fresh_database

pytestmark = pytest.mark.e2e
CLOSED = f"http://127.0.0.1:{free_port()}"  # nothing listens: outgoing channel calls fail fast


@pytest.fixture(scope="module")
def production(tmp_path_factory, postgres, redis_server):
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train`")
    require_chromium()
    with fresh_database("prod_data") as data, fresh_database("prod_tracker") as tracker:
        folder = tmp_path_factory.mktemp("production")
        web_port = free_port()
        page_origin = f"http://localhost:{web_port}"
        stack = make_stack(folder, **{
            "BETAALHULP_PROFILE": "production", "BETAALHULP_DATABASE_URL": data, "BETAALHULP_TRACKER_URL": tracker,
            "BETAALHULP_REDIS_URL": REDIS_URL, "BETAALHULP_ACTION_SECRET": uuid.uuid4().hex,
            "BETAALHULP_WEB_SECRET": uuid.uuid4().hex, "BETAALHULP_WIDGET_SECRET": uuid.uuid4().hex,
            "WEB_PORT": str(web_port), "BETAALHULP_PUBLIC_URL": page_origin,
            # The lender's own site and the demo page; nothing else may use the widget.
            "BETAALHULP_WIDGET_ORIGINS": f"https://www.voorbeeldlener.nl {page_origin}",
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": uuid.uuid4().hex,
            "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886", "TWILIO_SMS_FROM": "+3197010250000",
            "TWILIO_API_BASE_URL": CLOSED, "TELEGRAM_BOT_TOKEN": "7000000001:AAprod-test",
            "TELEGRAM_SECRET_TOKEN": uuid.uuid4().hex, "TELEGRAM_API_BASE_URL": f"{CLOSED}/bot"})
        # The production profile seeds nothing: the lender's data arrives by its own import. The
        # demo customers stand in for it here, written by the operator command into PostgreSQL.
        subprocess.run([str(VENV_BIN / "python"), "-m", "bot.store", "seed"], cwd=ROOT, env=stack.env, check=True,
                       capture_output=True)
        stack.start()
        try:
            yield stack
        finally:
            stack.stop()


def test_the_rest_channel_is_not_there_and_the_widget_answers_only_its_origins(production):
    assert requests.post(f"{production.rasa_url}/webhooks/rest/webhook", json={"sender": "x", "message": "hoi"},
                         timeout=10).status_code == 404
    for origin, status in (("https://www.voorbeeldlener.nl", 200), (production.web_url, 200),
                           ("https://elders.example", 403)):
        answer = requests.post(f"{production.rasa_url}/webhooks/widget/session", data="{}", timeout=30,
                               headers={"Origin": origin, "Content-Type": "text/plain"})
        allow = [v for k, v in answer.raw.headers.items() if k.lower() == "access-control-allow-origin"]
        assert (answer.status_code, allow) == (status, [origin] if status == 200 else [])


def test_a_visitor_chats_to_a_payment_link_and_keeps_it_after_a_reload(production):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(f"{production.web_url}/")
            page.locator(".bh-launcher").click()
            box, log = page.get_by_label("Je bericht"), page.get_by_role("log")
            bot = log.locator(".bh-msg-bot")

            def say(text: str) -> None:
                before = bot.count()
                box.fill(text)
                box.press("Enter")
                expect(bot).not_to_have_count(before, timeout=30_000)
                expect(page.locator(".bh-typing")).to_be_hidden(timeout=30_000)

            for text in ("hoi", "100001", "12-04-1988"):
                say(text)
            expect(log).to_contain_text("210")
            say("ik wil nu betalen")
            say("link")
            link = log.locator(f"a[href^='{production.web_url}/pay/']").first
            expect(link).to_be_visible(timeout=30_000)
            expect(log).not_to_contain_text("Geen verbinding")
            shown = log.locator(".bh-msg").count()
            page.reload()
            expect(log.locator(".bh-msg")).to_have_count(shown, timeout=20_000)
            expect(log.locator(f"a[href='{link.get_attribute('href')}']").first).to_be_visible()
        finally:
            browser.close()
