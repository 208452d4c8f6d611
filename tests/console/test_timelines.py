"""R25: staff see the cases past the timelines: no first contact within days of new arrears, and
no cause and financial position known about 90 days after the arrears began."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select

from bot.console.timelines import late_cases, timeline_policy
from bot.store.db import session_scope
from bot.store.models import Case, Customer
from tests.console.conftest import login


def numbers(lates) -> list[str]:
    return sorted(late.customer_number for late in lates)


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def test_the_timelines_are_policy_data():
    assert timeline_policy()["first_contact_days"] == 5 and timeline_policy()["understood_within_days"] == 90


def test_late_first_contact_and_late_understanding_are_listed_until_they_happen(database):
    # The demo arrears were seen on 22 November 2026 (the seed day); Mohamed's began in September.
    with session_scope() as session:
        assert late_cases(session, at(2026, 11, 23, 12)) == ([], [])
        no_contact, _ = late_cases(session, at(2026, 11, 29, 12))
        assert numbers(no_contact) == ["100001", "100002", "100003", "100004"]
        sanne = session.execute(select(Customer.id).where(Customer.customer_number == "100001")).scalar_one()
        session.add(Case(sender_id="rest:sanne", customer_id=sanne, answers={}, finances={}, signals=[]))
        session.flush()
        no_contact, not_understood = late_cases(session, at(2026, 11, 29, 12))
        assert "100001" not in numbers(no_contact) and not_understood == []
        _, not_understood = late_cases(session, at(2026, 12, 30, 12))
        assert numbers(not_understood) == ["100002"] and not_understood[0].days > 90
        mohamed = session.execute(select(Customer.id).where(Customer.customer_number == "100002")).scalar_one()
        session.add(Case(sender_id="rest:mohamed", customer_id=mohamed, cause="job_loss", signals=[], finances={},
                         answers={"control": {"income_changed": False, "situation_changed": False,
                                              "other_debts": False, "upcoming_changes": False}}))
        session.flush()
        assert late_cases(session, at(2026, 12, 30, 12))[1] == []


def test_staff_see_the_page(client):
    login(client, "agent")
    page = client.get("/timelines")
    assert page.status_code == 200 and "Geen eerste contact binnen 5 dagen" in page.text
