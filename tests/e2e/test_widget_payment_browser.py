"""Paying in the chat as a customer does it (issue 26), in headless Chromium at phone and desktop
size against the stack scripts/run.sh starts: a partial payment said so that the amounts add up,
one question with buttons, the payment link as a button, a link with every QR code, "link" typed
after the QR gives the link, and the bank account only once the customer chose to transfer."""
from __future__ import annotations

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.browser import launch, require_chromium
from tests.e2e.servers import ROOT, decode_qr
from tests.e2e.widget_page import DESKTOP, PHONE, Chat

pytestmark = pytest.mark.e2e
ARTIFACTS = ROOT / "tests" / "artifacts"
IBAN = "NL91ABNA0417164300"  # the demo lender's account (bot.config)


@pytest.fixture
def kees_paid_one_euro(stack):
    """Kees (2 terms of € 185) paid € 1 of them; restored after, other tests talk to him too."""
    require_chromium()
    engine = create_engine(stack.database_url)

    def arrears(cents: int) -> None:
        with engine.begin() as connection:
            connection.execute(text("UPDATE loans SET arrears_cents = :cents WHERE reference = 'PE-100004'"),
                               {"cents": cents})
    arrears(36_900)
    yield stack
    arrears(37_000)
    engine.dispose()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_paying_in_the_chat_is_one_question_and_one_tap(kees_paid_one_euro, viewport):
    from playwright.sync_api import expect, sync_playwright

    stack = kees_paid_one_euro
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            chat = Chat(browser.new_page(viewport=viewport), stack.web_url)
            chat.verify("100004", "30-01-1992")
            expect(chat.log).to_contain_text("Er staan 2 termijnen van € 185 van je persoonlijke lening open. "
                                             "Daarvan heb je al € 1 betaald. Er staat nog € 369 open.")

            chat.say("ik wil nu betalen")
            question = chat.last_answer()
            expect(question).to_contain_text("Hoe wil je betalen?")
            expect(question.get_by_role("button")).to_have_text(["Betaallink (iDEAL)", "QR-code", "Zelf overmaken"])
            question.get_by_role("button", name="Betaallink (iDEAL)").click()
            link = chat.log.locator(".bh-link-button").last
            expect(link).to_have_text("Naar de betaalpagina", timeout=30_000)
            url = link.get_attribute("href")
            assert url.startswith(f"{stack.web_url}/pay/") and url == stack.slots(chat.conversation_id)["payment_url"]
            assert "http" not in chat.last_answer().locator(".bh-bubble").inner_text()  # no raw address
            ARTIFACTS.mkdir(exist_ok=True)
            chat.page.screenshot(path=str(ARTIFACTS / f"payment_link_{viewport['width']}.png"))

            chat.say("ik wil toch betalen")
            chat.last_answer().get_by_role("button", name="QR-code").click()
            qr = chat.log.locator(".bh-msg-bot").filter(has=chat.page.locator(".bh-image")).last
            expect(qr.locator("img")).to_be_visible(timeout=30_000)
            assert decode_qr(requests.get(qr.locator("img").get_attribute("src"), timeout=10).content) == url
            expect(qr.locator(".bh-link-button")).to_have_attribute("href", url)  # tappable on this phone

            chat.say("link")
            expect(chat.last_answer().locator(".bh-link-button")).to_have_attribute("href", url)
            assert IBAN not in chat.log.inner_text()  # no bank account before the customer chose transfer

            chat.say("ik wil toch betalen")
            chat.last_answer().get_by_role("button", name="Zelf overmaken").click()
            expect(chat.last_answer()).to_contain_text(IBAN, timeout=30_000)
        finally:
            browser.close()
