"""End to end in a real headless browser (Debian's chromium via Playwright) against the real
Rasa server and action server: handover, queue, summary, reply, live message, hand back."""
from __future__ import annotations

import time
import uuid

import pytest

from tests.browser import launch, require_chromium
from tests.e2e.servers import MODEL, ROOT, started_stack

pytestmark = pytest.mark.e2e
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """The product as `make run` starts it (scripts/run.sh), with a staff account made by the real
    command staff use; a stack of its own, so the queue holds only this test's case."""
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train`")
    require_chromium()
    stack = started_stack(tmp_path_factory.mktemp("console-e2e"))
    try:
        stack.extra["agent_password"] = stack.seed_user("anouk", "agent", "Anouk")
        yield stack, stack.console_url
    finally:
        stack.stop()


def bot_texts(stack, sender: str) -> list[str]:
    return [e.get("text") for e in stack.tracker(sender)["events"] if e["event"] == "bot"]


def test_an_agent_takes_over_replies_live_and_hands_back(running):
    from playwright.sync_api import expect, sync_playwright

    stack, console = running
    sender = f"console-e2e-{uuid.uuid4().hex[:8]}"
    stack.say(sender, "hoi")
    handover = stack.say(sender, "ik wil een medewerker spreken")
    assert handover and "collega" in " ".join(m.get("text", "") for m in handover)
    assert stack.tracker(sender)["paused"] is True

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            page.goto(f"{console}/cases/1")
            expect(page).to_have_url(f"{console}/login")  # no session: to the login first
            page.fill("input[name=username]", "anouk")
            page.fill("input[name=password]", stack.extra["agent_password"])
            page.click("button[type=submit]")
            expect(page).to_have_url(f"{console}/queue")
            row = page.locator("table.queue tbody tr").first
            expect(row).to_contain_text("Klant vroeg om een medewerker")
            row.locator("a").click()

            expect(page.locator("#summary")).to_contain_text("Klant vroeg om een medewerker")
            transcript = page.locator("#transcript")
            expect(transcript).to_contain_text("ik wil een medewerker spreken")

            page.select_option("#canned", "welcome")
            expect(page.locator("#reply-text")).to_have_value(
                "Hoi, ik ben een medewerker en ik help je verder. Ik heb ons gesprek gelezen. "
                "Je hoeft niets opnieuw te vertellen.")
            page.fill("#reply-text", "Hoi, ik ben Anouk. Ik help je verder.")
            page.click("#reply-form button")
            expect(page.locator("#reply-status")).to_have_text("Verstuurd.")
            # The tracker is the proof the reply went out on the customer's channel.
            assert "Hoi, ik ben Anouk. Ik help je verder." in bot_texts(stack, sender)
            expect(transcript.locator(".line-staff")).to_contain_text("Hoi, ik ben Anouk.", timeout=10_000)

            url_before = page.url
            assert stack.say(sender, "fijn, ik kan deze maand echt niet betalen") == []  # paused: no bot answer
            expect(transcript.locator(".line-customer .text").last).to_have_text(
                "fijn, ik kan deze maand echt niet betalen", timeout=10_000)
            assert page.url == url_before  # live, without a reload
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "console_conversation.png"), full_page=True)

            page.select_option("select[name=next_step]", "")
            page.click("#handback-form button")
            expect(page.locator("h1 .status")).to_have_text("Bij de bot")
        finally:
            browser.close()

    assert stack.tracker(sender)["paused"] is False
    deadline = time.monotonic() + 30
    answer = stack.say(sender, "hallo")
    while not answer and time.monotonic() < deadline:
        time.sleep(1)
        answer = stack.say(sender, "hallo")
    assert answer and any(m.get("text") for m in answer)
