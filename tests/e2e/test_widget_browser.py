"""The website widget in a real headless browser (Debian's chromium via Playwright) against the
real Rasa server, action server and customer web app (issue 6): the demo page, a whole
conversation to a payment link and a QR code by clicking the buttons, a reload that keeps the
conversation, and a push through Rasa's HTTP API that reaches the open widget."""
from __future__ import annotations

import pytest
import requests
from itsdangerous import URLSafeTimedSerializer

from tests.browser import launch, require_chromium
from tests.e2e.servers import ROOT, decode_qr

pytestmark = pytest.mark.e2e
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def web(stack):
    require_chromium()
    return stack  # scripts/run.sh starts the customer web app with everything else



def test_a_customer_chats_to_a_payment_link_and_qr_code_and_keeps_it_after_a_reload(web):
    from playwright.sync_api import expect, sync_playwright

    stack = web
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{stack.web_url}/")
            expect(page.locator("h1")).to_have_text("Lukt betalen even niet?")
            launcher = page.locator(".bh-launcher")
            expect(launcher).to_have_attribute("aria-expanded", "false")
            launcher.click()
            expect(launcher).to_have_attribute("aria-expanded", "true")
            panel = page.get_by_role("dialog", name="Betaalhulp")
            expect(panel).to_be_visible()
            box = page.get_by_label("Je bericht")
            expect(box).to_be_focused()  # focus goes into the chat on open
            log = page.get_by_role("log")
            bot = log.locator(".bh-msg-bot")

            def say(text: str) -> None:
                before = bot.count()
                box.fill(text)
                box.press("Enter")
                expect(log.locator(".bh-msg-user").last).to_contain_text(text)
                expect(bot).not_to_have_count(before, timeout=30_000)
                expect(page.locator(".bh-typing")).to_be_hidden(timeout=30_000)

            say("hoi")
            say("100001")
            say("12-04-1988")
            expect(log).to_contain_text("210")  # the arrears, in plain words, once verified
            say("ik wil nu betalen")
            link_button = log.get_by_role("button", name="Betaallink (iDEAL)").last
            expect(link_button).to_be_enabled()
            link_button.click()
            payment_link = log.locator(f"a[href^='{stack.web_url}/pay/']").first
            expect(payment_link).to_be_visible(timeout=30_000)
            url = payment_link.get_attribute("href")
            assert url == stack.slots(conversation_id(page))["payment_url"]
            expect(link_button).to_be_disabled()  # an answered question's buttons are done

            say("ik wil toch betalen")
            qr_button = log.get_by_role("button", name="QR-code").last
            expect(qr_button).to_be_enabled()
            qr_button.click()
            image = log.locator(".bh-image img").first
            expect(image).to_be_visible(timeout=30_000)
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
            assert decode_qr(requests.get(image.get_attribute("src"), timeout=10).content) == url
            expect(image).to_have_attribute("alt", "Afbeelding van Betaalhulp (QR-code). Scan hem met je telefoon.")

            shown = log.locator(".bh-msg").count()
            page.reload()
            expect(panel).to_be_visible()  # it was open: it opens again, with the same conversation
            expect(log.locator(".bh-msg")).to_have_count(shown, timeout=20_000)
            expect(log).to_contain_text("100001")
            expect(log.locator(f"a[href='{url}']").first).to_be_visible()
            expect(log.locator(".bh-image img").first).to_be_visible()
            expect(log.locator(".bh-msg-user").filter(has_text="Betaallink (iDEAL)")).to_have_count(1)

            # A push from outside the conversation (a staff reply through Rasa's HTTP API) reaches the open widget.
            pushed = stack.push(conversation_id(page), "Hoi, ik ben Anouk van het klantcontact. Ik kijk even mee.")
            assert pushed.ok, pushed.text
            expect(log).to_contain_text("Ik kijk even mee.", timeout=10_000)

            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "widget_conversation.png"), full_page=False)

            # Keyboard: Escape closes and gives the focus back to the launcher.
            box.focus()
            page.keyboard.press("Escape")
            expect(panel).to_be_hidden()
            expect(launcher).to_be_focused()
            assert not [e for e in errors if "betaalhulp" in e.lower() or "widget" in e.lower()], errors

            # A phone-sized screen: the open chat fills the screen.
            phone = browser.new_page(viewport={"width": 375, "height": 667})
            phone.goto(f"{stack.web_url}/")
            phone.locator(".bh-launcher").click()
            size = phone.locator(".bh-panel").bounding_box()
            assert size["width"] == 375 and size["height"] == 667
            expect(phone.locator(".bh-launcher")).to_be_hidden()  # nothing covers the input
            phone.get_by_role("button", name="Chat sluiten").click()
            expect(phone.locator(".bh-launcher")).to_be_focused()
            phone.locator(".bh-launcher").click()
            phone.screenshot(path=str(ARTIFACTS / "widget_phone.png"))
        finally:
            browser.close()


def conversation_id(page) -> str:
    """The widget's conversation, read from its signed token (the payload is readable, not forgeable)."""
    token = page.evaluate("JSON.parse(sessionStorage.getItem('betaalhulp-widget')).token")
    _, payload = URLSafeTimedSerializer("unused").loads_unsafe(token)
    return f"web:{payload['s']}"

