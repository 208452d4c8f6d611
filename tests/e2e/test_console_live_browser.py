"""The console as staff would choose it over a generic inbox (issue 26), in headless Chromium against
the stack scripts/run.sh starts: a queue that refreshes itself with the count in the tab title,
waiting time in red past the service level, mine / unassigned / all and search, a case that opens
at the newest message, Ctrl+Enter to send, "In behandeling" once taken, Dutch words instead of
codes, and no sideways scrolling on a phone."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from bot import clock
from bot.handover import service_level_minutes
from tests.browser import launch, require_chromium
from tests.e2e.widget_page import DESKTOP, PHONE, case_of, staff_login

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def console(stack):
    require_chromium()
    stack.extra.setdefault("noor_password", stack.seed_user("noor", "agent", "Noor Bakker"))
    return stack


def hand_over(stack, sender: str) -> int:
    for said in ("hoi", "100003", "21-07-1965", "ik wil een medewerker spreken"):
        stack.say(sender, said)
    return case_of(stack, f"rest:{sender}").id


def no_sideways_scroll(page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url} scrolls sideways: {width[0]} px content in {width[1]} px"


def test_the_queue_is_live_filtered_and_a_case_is_worked_from_the_keyboard(console):
    from playwright.sync_api import expect, sync_playwright

    stack = console
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport=DESKTOP)
            staff_login(page, stack.console_url, "noor", stack.extra["noor_password"])
            page.evaluate("() => { window.notReloaded = true; }")
            before = page.locator("#queue tbody tr[data-case]").count()
            expect(page).to_have_title(f"({before}) Wachtrij - Betaalhulp console")

            case_id = hand_over(stack, f"live-{uuid.uuid4().hex[:8]}")
            row = page.locator(f"#queue tr[data-case='{case_id}']")
            expect(row).to_contain_text("Petra Jansen (100003)", timeout=15_000)  # appeared by itself
            expect(page).to_have_title(f"({before + 1}) Wachtrij - Betaalhulp console")
            assert page.evaluate("() => window.notReloaded") is True  # no reload happened
            expect(row).to_contain_text("Wacht op medewerker")
            expect(row.locator("td.late")).to_have_count(0)

            # Past the service level (policy data), the waiting time turns red and says so.
            engine = create_engine(stack.database_url)
            late = clock.utcnow() - timedelta(minutes=service_level_minutes("normal") + 5)
            with engine.begin() as connection:
                connection.execute(text("UPDATE cases SET handed_over_at = :at WHERE id = :id"),
                                   {"at": late, "id": case_id})
            engine.dispose()
            expect(row.locator("td.late")).to_contain_text("(te laat)", timeout=15_000)
            assert row.locator("td.late").evaluate("el => getComputedStyle(el).color") == "rgb(155, 28, 28)"

            page.get_by_label("Zoek op klantnummer of naam").fill("100003")
            page.get_by_role("button", name="Zoeken").click()
            expect(page.locator(f"#queue tr[data-case='{case_id}']")).to_be_visible()
            for cell in page.locator("#queue tbody tr[data-case] td[data-label='Klant']").all_inner_texts():
                assert "100003" in cell
            page.get_by_label("Zoek op klantnummer of naam").fill("Sanne zonder zaak")
            page.get_by_role("button", name="Zoeken").click()
            expect(page.locator("#queue tbody tr[data-case]")).to_have_count(0)

            page.goto(f"{stack.console_url}/queue?view=unassigned")
            expect(page.locator(f"#queue tr[data-case='{case_id}']")).to_be_visible()
            page.locator(f"#queue tr[data-case='{case_id}'] a").click()

            transcript = page.locator("#transcript")
            expect(transcript).to_contain_text("ik wil een medewerker spreken")
            at_end = "el => el.scrollHeight - el.scrollTop - el.clientHeight < 2"
            assert transcript.evaluate(at_end)  # opens at the newest message
            card = page.locator("#summary").inner_text()
            expect(page.locator(".meta")).to_contain_text("Kanaal: test (REST)")  # a word, not the code
            for code in ("signal:", "twilio_signed", "job_loss", "{"):
                assert code not in card
            page.get_by_role("button", name="Aan mij toewijzen").click()
            expect(page.locator("h1 .status")).to_have_text("In behandeling")

            page.get_by_label("Jouw antwoord aan de klant (Ctrl+Enter verstuurt)").fill("Hoi Petra, ik ben Noor.")
            page.keyboard.press("Control+Enter")
            expect(page.locator("#reply-status")).to_have_text("Verstuurd.")
            expect(transcript.locator(".line-staff").last).to_contain_text("ik ben Noor", timeout=10_000)

            page.goto(f"{stack.console_url}/queue?view=mine")
            expect(page.locator(f"#queue tr[data-case='{case_id}']")).to_contain_text("In behandeling")
            page.goto(f"{stack.console_url}/queue?view=unassigned")
            expect(page.locator(f"#queue tr[data-case='{case_id}']")).to_have_count(0)

            page.goto(f"{stack.console_url}/followups")
            for cell in page.locator("#upcoming td:last-child, #done td:last-child").all_inner_texts():
                assert "{" not in cell and "_" not in cell, cell  # "Waarom" in words, no raw JSON
        finally:
            browser.close()


def test_the_console_works_on_a_phone_without_sideways_scrolling(console):
    from playwright.sync_api import expect, sync_playwright

    stack = console
    case_id = hand_over(stack, f"phone-{uuid.uuid4().hex[:8]}")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport=PHONE)
            staff_login(page, stack.console_url, "noor", stack.extra["noor_password"])
            expect(page.locator(f"#queue tr[data-case='{case_id}']")).to_be_visible()
            no_sideways_scroll(page)
            for path in (f"/cases/{case_id}", "/followups"):
                page.goto(f"{stack.console_url}{path}")
                expect(page.locator("h1")).to_be_visible()
                no_sideways_scroll(page)
        finally:
            browser.close()
