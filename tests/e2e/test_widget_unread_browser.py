"""Coming back to the chat (issue 26), in headless Chromium against the stack scripts/run.sh starts:
messages that arrive while the chat is closed are counted on the launcher's badge, and opening it
scrolls to the first of them; the payment page says that it updates itself while the bank answers."""
from __future__ import annotations

import re

import pytest

from tests.browser import launch, require_chromium
from tests.e2e.widget_page import PHONE, Chat

pytestmark = pytest.mark.e2e


def test_unread_messages_are_counted_and_reopening_shows_the_first(stack):
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            chat = Chat(browser.new_page(viewport=PHONE), stack.web_url)
            chat.verify("100001", "12-04-1988")
            chat.say("ik wil graag een regeling")
            chat.page.keyboard.press("Escape")
            launcher = chat.page.locator(".bh-launcher")
            expect(launcher).to_be_visible()
            badge = chat.page.locator(".bh-badge")
            # More than fit on the screen: scrolling to the end would hide the first of them.
            pushed = ["Je betaling is binnen, dank je!"] + [f"Bericht {n} van je regeling: alles loopt goed, "
                                                            "je hoeft nu niets te doen." for n in range(2, 11)]
            for text in pushed:
                assert stack.push(chat.conversation_id, text).ok
            expect(badge).to_have_text("10", timeout=20_000)
            expect(launcher).to_have_attribute("aria-label", "Chat met Betaalhulp (10 nieuwe berichten)")

            launcher.click()
            expect(badge).to_be_hidden()
            first = chat.log.locator(".bh-msg").filter(has=chat.page.locator(".bh-unread-mark"))
            expect(first).to_have_count(1)
            expect(first).to_contain_text("Je betaling is binnen")
            log_box, first_box = chat.log.bounding_box(), first.bounding_box()
            assert log_box["y"] <= first_box["y"] < log_box["y"] + log_box["height"] / 3  # at the top, in view
            assert chat.log.evaluate("el => el.scrollHeight - el.scrollTop - el.clientHeight") > 50  # not the end
        finally:
            browser.close()


def test_the_payment_page_says_it_updates_itself_while_the_bank_answers(stack):
    from playwright.sync_api import expect, sync_playwright

    require_chromium()
    sender = "updates-itself"
    for text in ("hoi", "100002", "03-11-1979"):
        stack.say(sender, text)
    said = " ".join(m.get("text") or "" for m in stack.say(sender, "ik wil betalen met een link"))
    url = re.search(r"https?://\S+/pay/\S+", said).group(0)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport=PHONE)
            page.goto(f"{url}/done")
            expect(page.locator("#updates-itself")).to_have_text(
                "Deze pagina ververst zichzelf. Zodra je bank de betaling doorgeeft, zie je het hier. "
                "Je hoeft niets te doen.")
        finally:
            browser.close()
