"""The console's follow-up page (issue 10): upcoming and sent follow-ups with the rule and facts
that made them go, and the preventive list of customers with risk signals and no arrears."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select, update

from bot.console.followups import preventive_list
from bot.followup import optout
from bot.store.db import session_scope
from bot.store.models import AuditEntry, Customer, FollowUp, Loan, RiskSignal

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


def customer_id(number: str) -> int:
    with session_scope() as session:
        return session.execute(select(Customer.id).where(Customer.customer_number == number)).scalar_one()


def add_followup(key: str, number: str, status: str, *, kind: str = "reminder_before", minutes: int = 60) -> None:
    with session_scope() as session:
        session.add(FollowUp(key=key, customer_id=customer_id(number), kind=kind, channel="whatsapp",
                             sender_id="twilio_whatsapp:+31612345002", response="utter_followup_reminder_before",
                             slots={}, rule="reminder_3_days_before", policy_version="2026.1",
                             facts={"days_to_due": 3}, not_before=NOW + timedelta(minutes=minutes), status=status,
                             sent_at=NOW if status == "sent" else None))


def test_an_agent_sees_upcoming_and_sent_follow_ups_with_why(agent):
    add_followup("a:1", "100002", "pending", minutes=120)
    add_followup("a:2", "100002", "sent")
    page = agent.get("/followups")
    assert page.status_code == 200
    upcoming = page.text.split('id="upcoming"')[1].split("</table>")[0]
    done = page.text.split('id="done"')[1].split("</table>")[0]
    assert "100002" in upcoming and "reminder_3_days_before (2026.1)" in upcoming and "dagen tot vervaldag: 3" in upcoming
    assert "days_to_due" not in upcoming and "{" not in upcoming  # Dutch, no raw JSON (issue 26)
    assert "verstuurd" in done and "100002" in done
    with session_scope() as session:
        assert session.execute(select(AuditEntry.action).where(AuditEntry.action == "view_followups")).first()


def test_fatima_is_on_the_preventive_list_and_customers_in_arrears_are_not(agent):
    page = agent.get("/followups")
    preventive = page.text.split('id="preventive"')[1].split("</table>")[0]
    assert "100005" in preventive and "2x incasso gestorneerd" in preventive and "nog niet" in preventive
    assert "100002" not in preventive  # in arrears: that is the normal conversation, not prevention


def test_the_preventive_list_weighs_signals_as_the_policy_does_and_shows_contact_and_opt_out(database):
    today = date(2026, 11, 23)
    with session_scope() as session:
        sanne = session.execute(select(Customer).where(Customer.customer_number == "100001")).scalar_one()
        session.execute(update(Loan).where(Loan.customer_id == sanne.id).values(arrears_cents=0, terms_behind=0))
        for kind in ("missed_payment_elsewhere", "rising_overdraft"):
            session.add(RiskSignal(customer_id=sanne.id, kind=kind, observed_on=today - timedelta(days=3), detail={}))
        # an old signal no longer counts
        session.add(RiskSignal(customer_id=sanne.id, kind="bounced_debit", observed_on=today - timedelta(days=400),
                               detail={}))
        optout.opt_out(session, "twilio_sms:+31612345001", "customer_stop", sanne.id)
    add_followup("p:1", "100005", "sent", kind="preventive")
    with session_scope() as session:
        rows = preventive_list(session, today)
    # weights from policy.yml: bounced debit 3 (Fatima has two: 6), missed elsewhere 3 + overdraft 2 (5)
    assert [(r["customer_number"], r["score"]) for r in rows] == [("100005", 6), ("100001", 5)]
    assert rows[1]["opted_out"] == ["sms"] and rows[1]["contacted_at"] is None
    assert rows[0]["contacted_at"] is not None


def test_the_page_needs_a_login(client):
    assert client.get("/followups").status_code in (302, 303, 401)
