"""The queue, the conversation view with its summary card, and the live event stream."""
from __future__ import annotations

import json

from sqlalchemy import select

from bot.store.db import session_scope
from tests.console.conftest import SENDER, handed_over_case


def test_the_queue_puts_crisis_first_then_the_longest_waiting(agent, database):
    waited_short = handed_over_case("rest:a", reason="customer_asked", minutes_ago=3, summary=None)
    waited_long = handed_over_case("rest:b", reason="multiple_problems", minutes_ago=90, summary=None)
    crisis = handed_over_case("rest:c", reason="crisis", minutes_ago=1, summary={"priority": "crisis"})
    html = agent.get("/queue").text
    order = [html.index(f'data-case="{case}"') for case in (crisis, waited_long, waited_short)]
    assert order == sorted(order)
    assert "Crisis: direct reageren (113)" in html and "Meerdere problemen" in html
    assert "1 u 30 min" in html and "3 min" in html
    assert "Niemand" in html


def test_the_queue_shows_only_handed_over_cases(agent, database):
    visible = handed_over_case("rest:wait")
    hidden = handed_over_case("rest:done")
    from bot.store.db import session_scope
    from bot.store.models import Case
    with session_scope() as session:
        session.get(Case, hidden).status = "closed"
    html = agent.get("/queue").text
    assert f'data-case="{visible}"' in html and f'data-case="{hidden}"' not in html


def test_the_case_view_shows_the_summary_and_the_transcript(agent, case_id, fake_rasa):
    response = agent.get(f"/cases/{case_id}")
    assert response.status_code == 200
    html = response.text
    for expected in ("Mohamed El Amrani", "100002", "doorlopend krediet", "€ 750", "baan kwijt (Blijvend)", "deurwaarder",
                     "ik ben mijn baan kwijt", "de deurwaarder stond aan de deur", "€ 1.450", "Gezin met kinderen",
                     "Inkomen veranderd sinds de lening", "Niet gevraagd", "Meerdere problemen"):
        assert expected in html, expected
    assert "ik wil een medewerker spreken" in html and "Ik geef je door aan een collega." in html
    assert "Gesprek overgedragen aan een medewerker" in html
    assert "De bot is gepauzeerd" in html
    assert fake_rasa.requests[-1]["path"] == f"/conversations/{SENDER}/tracker"


def test_the_case_view_works_without_a_summary(agent, fake_rasa):
    case_id = handed_over_case("rest:bare", reason="customer_asked", summary=None)
    html = agent.get(f"/cases/{case_id}").text
    assert "geen samenvatting" in html and "Klant vroeg om een medewerker" in html and "Niet geverifieerd" in html


def test_customer_text_is_escaped(agent, fake_rasa):
    fake_rasa.say("rest:xss", "<script>alert(1)</script>")
    case_id = handed_over_case("rest:xss", summary={"signals": [{"name": "x", "text": "<img src=x>"}]})
    html = agent.get(f"/cases/{case_id}").text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<img src=x>" not in html


def test_the_case_view_survives_rasa_being_down(agent, case_id, fake_rasa):
    fake_rasa.down = True
    response = agent.get(f"/cases/{case_id}")
    assert response.status_code == 200 and "niet bereikbaar" in response.text
    assert "Mohamed El Amrani" in response.text  # the summary card still helps


def test_an_unknown_case_is_a_404(agent):
    assert agent.get("/cases/999").status_code == 404


def read_stream(client, url: str, headers: dict | None = None) -> list[tuple[str, dict]]:
    events, name = [], None
    with client.stream("GET", url, headers=headers or {}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
    return events


def test_the_event_stream_sends_only_new_lines(agent, case_id, fake_rasa):
    after = fake_rasa.tracker(SENDER)["events"][-1]["timestamp"]
    fake_rasa.say(SENDER, "hallo, is daar iemand?")
    events = read_stream(agent, f"/cases/{case_id}/events?after={after!r}")
    lines = [data for name, data in events if name == "line"]
    assert [(line["role"], line["text"]) for line in lines] == [("customer", "hallo, is daar iemand?")]
    assert ("status", {"paused": True}) in events


def test_the_event_stream_resumes_from_last_event_id(agent, case_id, fake_rasa):
    first = fake_rasa.tracker(SENDER)["events"][0]["timestamp"]
    events = read_stream(agent, f"/cases/{case_id}/events", headers={"Last-Event-ID": repr(first)})
    assert [d["text"] for n, d in events if n == "line"] == [
        "Ik geef je door aan een collega.", "Gesprek overgedragen aan een medewerker"]


def test_the_case_view_shows_money_paid_beyond_the_arrears(agent, database, fake_rasa):
    """Issue 23 §3: a late payment for arrears already paid is credit staff can see and act on."""
    from bot.payments.providers import ProviderStatus
    from bot.payments.service import apply_status, request_payment
    from bot.store.models import Case, Payment
    from tests.payments.conftest import demo_loan

    sanne = demo_loan(database, "100001")
    with session_scope() as session:
        made = [request_payment(session, customer_id=sanne.customer_id, loan_id=sanne.loan_id, amount_cents=21000,
                                sender_id=sender, channel="rest", idempotency_key=sender).public_id
                for sender in ("rest:one", "rest:two")]
    for public_id in made:
        with session_scope() as session:
            row = session.execute(select(Payment).where(Payment.public_id == public_id)).scalar_one()
            apply_status(session, row, ProviderStatus("paid", 21000))
    case_id = handed_over_case("rest:two", summary=None)
    before = agent.get(f"/cases/{case_id}").text
    assert 'id="credits"' not in before  # no customer on the case yet
    with session_scope() as session:
        session.get(Case, case_id).customer_id = sanne.customer_id
    html = agent.get(f"/cases/{case_id}").text
    credits = html[html.index('id="credits"'):]
    assert "Tegoed" in html and "PE-100001" in credits[:200] and "€ 210" in credits[:200]
