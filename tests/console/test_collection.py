"""R6 in the console: cases approaching collection, the kind notice on the customer's channel,
and a handover a supervisor can only make after the notice and its period."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot import clock
from bot.formatting import format_date_nl
from bot.store.db import session_scope
from bot.store.models import AuditEntry, CollectionNotice, Loan
from tests.console.conftest import csrf, login


def loan_id() -> int:
    with session_scope() as session:
        return session.execute(select(Loan.id).where(Loan.reference == "RE-100002")).scalar_one()


def test_notice_first_then_the_period_then_a_supervisor_hands_over(client, fake_rasa):
    login(client, "agent")
    page = client.get("/collection").text
    assert "100002" in page and "Vooraankondiging sturen" in page and "100001" not in page
    loan = loan_id()
    early = client.post(f"/collection/{loan}/handover", data={"csrf_token": csrf(client)})
    assert early.status_code == 403  # agents never hand over
    assert client.post(f"/collection/{loan}/notice", data={"csrf_token": csrf(client)}).status_code == 303
    execute = fake_rasa.calls("/execute")[-1]
    assert execute["body"] == {"name": "utter_collection_notice"}
    assert execute["query"]["output_channel"] == ["twilio_signed"]
    assert "+31612345002" in execute["path"]
    slots = {s["name"]: s["value"] for s in fake_rasa.calls("/tracker/events")[-2]["body"] if s["event"] == "slot"}
    assert slots == {"arrears_amount": "€ 750", "collection_date": format_date_nl(clock.today() + timedelta(days=14))}
    again = client.post(f"/collection/{loan}/notice", data={"csrf_token": csrf(client)})
    assert again.status_code == 409 and len(fake_rasa.calls("/execute")) == 1
    client.post("/logout", data={"csrf_token": csrf(client)})
    login(client, "supervisor")
    refused = client.post(f"/collection/{loan}/handover", data={"csrf_token": csrf(client)})
    assert refused.status_code == 409 and "de klant heeft tot dan de tijd" in refused.text
    assert "De klant heeft nog tijd" in client.get("/collection").text
    with session_scope() as session:  # the 14 days pass (the staff session would not survive a moved clock)
        notice = session.execute(select(CollectionNotice)).scalar_one()
        assert notice.handover_from == clock.today() + timedelta(days=14)
        notice.handover_from = clock.today()
    assert "Overdragen aan incasso" in client.get("/collection").text
    assert client.post(f"/collection/{loan}/handover", data={"csrf_token": csrf(client)}).status_code == 303
    with session_scope() as session:
        notice = session.execute(select(CollectionNotice)).scalar_one()
        assert notice.handed_over_at is not None and notice.sent_by != notice.handed_over_by
        actions = [a for (a,) in session.execute(select(AuditEntry.action))]
    assert "collection_notice" in actions and "collection_handover" in actions
