"""Every page customers and staff see, scanned with axe-core in headless Chromium at phone and
desktop size (issue 26; the European Accessibility Act covers consumer credit since 28 June 2025,
aim WCAG 2.2 AA): the demo page with the chat open, the payment page, the plan page, and the
console's login, queue, case, follow-up, dashboard and audit pages. Any violation of impact
serious or critical fails, as do duplicate banner landmarks (tests/a11y/axe.py).

A stack of its own (scripts/run.sh): the plan page needs an arrangement made for it."""
from __future__ import annotations

import re
import subprocess

import pytest

from tests.a11y.axe import require_axe, violations
from tests.browser import launch, require_chromium
from tests.e2e.servers import MODEL, ROOT, VENV_BIN, started_stack
from tests.e2e.widget_page import DESKTOP, PHONE, case_of, staff_login
from tests.web.test_plan_rules import make_arrangement

pytestmark = pytest.mark.e2e
SIZES = pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The stack, a payment link, a plan link and a handed-over case, as customers and staff reach them."""
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train`")
    require_chromium()
    require_axe()
    stack = started_stack(tmp_path_factory.mktemp("a11y-e2e"))
    try:
        password = stack.seed_user("sam", "supervisor", "Sam Jansen")
        for text in ("hoi", "100001", "12-04-1988"):
            stack.say("a11y-pay", text)
        link = " ".join(m.get("text") or "" for m in stack.say("a11y-pay", "ik wil betalen met een link"))
        payment_url = re.search(r"https?://\S+/pay/\S+", link).group(0)
        for text in ("hoi", "100003", "21-07-1965", "ik wil een medewerker spreken"):
            stack.say("a11y-staff", text)
        case_id = case_of(stack, "rest:a11y-staff").id
        arrangement = make_arrangement(stack.database_url, "100002", sender=None)
        plan_url = subprocess.run(
            [str(VENV_BIN / "python"), "-c", f"from bot.followup.plan_links import plan_link; print(plan_link({arrangement}))"],
            cwd=ROOT, env={**stack.env, "BETAALHULP_PUBLIC_URL": stack.web_url}, check=True, capture_output=True, text=True).stdout.strip()
        yield {"stack": stack, "password": password, "payment": payment_url, "plan": plan_url, "case": case_id}
    finally:
        stack.stop()


def scan(page) -> None:
    found = violations(page)
    assert not found, f"{page.url}:\n" + "\n".join(found)


@SIZES
def test_the_customer_pages_have_no_serious_accessibility_problems(pages, viewport):
    from playwright.sync_api import expect, sync_playwright

    stack = pages["stack"]
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport=viewport)
            page.goto(f"{stack.web_url}/")
            scan(page)  # the demo page, chat closed
            page.locator(".bh-launcher").click()
            box = page.get_by_label("Je bericht")
            for text in ("hoi", "100001"):
                box.fill(text)
                box.press("Enter")
                expect(page.locator(".bh-msg-user").last).to_contain_text(text)
                expect(page.locator(".bh-typing")).to_be_hidden(timeout=30_000)
            expect(page.locator(".bh-msg-bot")).not_to_have_count(0)
            scan(page)  # the chat open, with messages and buttons

            page.goto(pages["payment"])
            expect(page.locator("h1")).to_be_visible()
            scan(page)
            page.goto(pages["plan"])
            expect(page.locator("h1")).to_be_visible()
            scan(page)
            # "Stel hem in de chat" leads to the chat, opened (issue 26).
            page.locator("section[aria-labelledby=contact]").get_by_role("link", name="in de chat").click()
            expect(page.get_by_role("dialog", name="Betaalhulp")).to_be_visible()
        finally:
            browser.close()


@SIZES
def test_the_console_pages_have_no_serious_accessibility_problems(pages, viewport):
    from playwright.sync_api import sync_playwright

    stack = pages["stack"]
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page(viewport=viewport)
            page.goto(f"{stack.console_url}/login")
            scan(page)
            staff_login(page, stack.console_url, "sam", pages["password"])
            scan(page)  # the queue
            for path in (f"/cases/{pages['case']}", "/followups", "/dashboard", "/audit", "/collection", "/timelines"):
                page.goto(f"{stack.console_url}{path}")
                page.wait_for_load_state("load")
                scan(page)
        finally:
            browser.close()
