"""The chat widget and the staff console as people use them in the browser tests: a customer who
types and taps in the widget, a staff member who logs in to the console and works a case."""
from __future__ import annotations

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.store.models import Case

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


class Chat:
    """The widget on the demo page, opened; `say` waits until the bot has answered."""

    def __init__(self, page, web_url: str) -> None:
        from playwright.sync_api import expect

        self.page, self.expect = page, expect
        page.goto(f"{web_url}/")
        page.locator(".bh-launcher").click()
        self.log = page.get_by_role("log")
        self.box = page.get_by_label("Je bericht")
        self.answers = self.log.locator(".bh-msg-bot, .bh-msg-staff")

    def say(self, text: str, answered: bool = True) -> None:
        before = self.answers.count()
        self.box.fill(text)
        self.box.press("Enter")
        self.expect(self.log.locator(".bh-msg-user").last).to_contain_text(text)
        if answered:
            self.expect(self.answers).not_to_have_count(before, timeout=30_000)
        self.expect(self.page.locator(".bh-typing")).to_be_hidden(timeout=30_000)

    def last_answer(self):
        return self.log.locator(".bh-msg-bot, .bh-msg-staff").last

    def verify(self, number: str, birth_date: str) -> None:
        self.say("hoi")
        self.say(number)
        self.say(birth_date)

    @property
    def conversation_id(self) -> str:
        """The widget's conversation, read from its signed token (readable, not forgeable)."""
        token = self.page.evaluate("JSON.parse(sessionStorage.getItem('betaalhulp-widget')).token")
        _, payload = URLSafeTimedSerializer("unused").loads_unsafe(token)
        return f"web:{payload['s']}"


def case_of(stack, sender_id: str) -> Case:
    engine = create_engine(stack.database_url)
    try:
        with Session(engine) as session:
            return session.execute(select(Case).where(Case.sender_id == sender_id)
                                   .order_by(Case.id.desc())).scalars().first()
    finally:
        engine.dispose()


def staff_login(page, console_url: str, username: str, password: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{console_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{console_url}/queue")
