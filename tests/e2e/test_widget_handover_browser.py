"""The moment a person takes over, in the widget as the customer sees it and the console as staff
work it (issue 26), in headless Chromium against the stack scripts/run.sh starts:

- while waiting, the customer's message is answered ("een collega leest mee") and a banner says so;
- a staff reply looks different from the bot's and carries the person's first name;
- after "Teruggeven aan de bot" (next step: none) a thank-you, a goodbye or small talk gets a warm
  close and never a new handover; the case stays out of the queue;
- when staff close the case, the customer is told.
"""
from __future__ import annotations

import pytest

from tests.browser import launch, require_chromium
from tests.e2e.servers import ROOT
from tests.e2e.widget_page import DESKTOP, PHONE, Chat, case_of, staff_login

pytestmark = pytest.mark.e2e
ARTIFACTS = ROOT / "tests" / "artifacts"
WAITING = "Een collega leest mee. Je bericht is doorgegeven."


@pytest.fixture(scope="module")
def staffed(stack):
    require_chromium()
    stack.extra.setdefault("lotte_password", stack.seed_user("lotte", "agent", "Lotte van Dijk"))
    return stack


def take_over(stack, browser, chat: Chat) -> tuple[object, int]:
    """The customer asks for a person; a staff member opens the case in the console."""
    chat.say("ik wil een medewerker spreken")
    case = case_of(stack, chat.conversation_id)
    assert case is not None and case.status == "handed_over"
    console = browser.new_page(viewport=DESKTOP)
    staff_login(console, stack.console_url, "lotte", stack.extra["lotte_password"])
    console.goto(f"{stack.console_url}/cases/{case.id}")
    return console, case.id


def staff_reply(console, text: str) -> None:
    from playwright.sync_api import expect

    console.fill("#reply-text", text)
    console.click("#reply-form button")
    expect(console.locator("#reply-status")).to_have_text("Verstuurd.")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_person_takes_over_answers_in_their_own_style_and_hands_back_warmly(staffed, viewport):
    from playwright.sync_api import expect, sync_playwright

    stack = staffed
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            chat = Chat(browser.new_page(viewport=viewport), stack.web_url)
            chat.verify("100001", "12-04-1988")
            console, case_id = take_over(stack, browser, chat)
            banner = chat.page.locator(".bh-person")
            expect(banner).to_have_text("Een collega leest mee. Je krijgt hier antwoord.")

            # Waiting for the first reply: the customer's message is answered, not met with silence.
            chat.say("hallo? is daar iemand?")
            expect(chat.last_answer()).to_contain_text(WAITING)
            expect(console.locator("#transcript")).to_contain_text("hallo? is daar iemand?", timeout=10_000)

            staff_reply(console, "Hoi, ik ben Lotte. Ik kijk met je mee.")
            staff = chat.log.locator(".bh-msg-staff").last
            expect(staff).to_contain_text("Hoi, ik ben Lotte.", timeout=10_000)
            expect(staff.locator(".bh-sender")).to_have_text("Lotte · medewerker")  # first name only
            expect(banner).to_have_text("Je chat nu met Lotte, een collega van Betaalhulp.")
            bot_bubble = chat.log.locator(".bh-msg-bot .bh-bubble").first
            colour = "el => getComputedStyle(el).backgroundColor"
            assert staff.locator(".bh-bubble").evaluate(colour) != bot_bubble.evaluate(colour)  # a style of its own
            ARTIFACTS.mkdir(exist_ok=True)
            chat.page.screenshot(path=str(ARTIFACTS / f"handover_{viewport['width']}.png"))

            # A person talks now: the customer's message goes to them, the bot says nothing.
            shown = chat.answers.count()
            chat.say("fijn, dank je", answered=False)
            expect(console.locator("#transcript")).to_contain_text("fijn, dank je", timeout=10_000)
            assert chat.answers.count() == shown

            console.select_option("select[name=next_step]", "")
            console.click("#handback-form button")
            expect(console.locator("h1 .status")).to_have_text("Bij de bot")
            expect(chat.last_answer()).to_contain_text("Je praat nu weer met Betaalhulp", timeout=10_000)
            expect(banner).to_be_hidden()

            for text in ("dank je wel", "oké top", "doei"):  # a thank-you, small talk, a goodbye
                chat.say(text)
                answer = chat.last_answer()
                expect(answer).not_to_contain_text("begrijp")
                expect(answer).not_to_contain_text("collega")
            assert stack.tracker(chat.conversation_id)["paused"] is False  # no new handover
            assert case_of(stack, chat.conversation_id).status == "open"
            expect(chat.log.locator(".bh-msg-bot").filter(has_text="Graag gedaan")).not_to_have_count(0)
        finally:
            browser.close()


def test_the_customer_is_told_when_staff_close_the_case(staffed):
    from playwright.sync_api import expect, sync_playwright

    stack = staffed
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            chat = Chat(browser.new_page(viewport=PHONE), stack.web_url)
            chat.verify("100002", "03-11-1979")
            console, case_id = take_over(stack, browser, chat)
            staff_reply(console, "Ik heb je regeling aangepast. Je krijgt een brief.")
            expect(chat.log.locator(".bh-msg-staff").last).to_contain_text("regeling aangepast", timeout=10_000)
            console.get_by_role("button", name="Afronden").click()
            expect(console.locator("h1 .status")).to_have_text("Afgerond")
            expect(chat.last_answer()).to_contain_text("heeft je vraag afgerond", timeout=10_000)
            expect(chat.page.locator(".bh-person")).to_be_hidden()
            assert case_of(stack, chat.conversation_id).status == "closed"
        finally:
            browser.close()
