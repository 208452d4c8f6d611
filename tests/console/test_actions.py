"""Replies, notes, assignment, resolve, hand back, and the supervisor's decision on a solution,
checked against what reached the (fake, but real HTTP) Rasa server."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.console.users import add_user
from bot.store.db import session_scope
from bot.store.models import AuditEntry, Case, CaseNote
from tests.console.conftest import SENDER, csrf, handed_over_case, login


def audited(action: str) -> list[AuditEntry]:
    with session_scope() as session:
        return session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars().all()


def test_a_reply_goes_out_on_the_customers_channel_and_into_the_transcript(agent, case_id, fake_rasa):
    response = agent.post(f"/cases/{case_id}/reply", data={"text": "Hoi, ik help je verder.", "canned": "welcome"},
                          headers={"X-CSRF-Token": csrf(agent), "Accept": "application/json"})
    assert response.status_code == 200 and response.json() == {"ok": True}
    call = fake_rasa.calls("/tracker/events")[-1]
    assert call["query"]["output_channel"] == ["latest"] and call["query"]["execute_side_effects"] == ["true"]
    assert call["body"][0]["event"] == "bot" and call["body"][0]["text"] == "Hoi, ik help je verder."
    assert call["body"][0]["metadata"]["staff_name"] == "Demo agent"
    assert "Medewerker (Demo agent)" in agent.get(f"/cases/{case_id}").text
    [entry] = audited("reply")
    assert entry.case_id == case_id and entry.detail == {"length": 23, "canned": "welcome"}


def test_a_plain_form_reply_redirects_back(agent, case_id):
    response = agent.post(f"/cases/{case_id}/reply", data={"text": "Dag!", "csrf_token": csrf(agent)})
    assert response.status_code == 303 and response.headers["location"] == f"/cases/{case_id}"


def test_empty_or_misplaced_replies_are_refused(agent, case_id, fake_rasa, staff):
    token = csrf(agent)
    assert agent.post(f"/cases/{case_id}/reply", data={"text": "  ", "csrf_token": token}).status_code == 400
    assert agent.post(f"/cases/{case_id}/reply", data={"text": "x" * 2001, "csrf_token": token}).status_code == 400
    with session_scope() as session:
        session.get(Case, case_id).status = "open"
    # Handed back to the bot: no longer any agent's to open (issue 23 §6) ...
    assert agent.post(f"/cases/{case_id}/reply", data={"text": "hoi", "csrf_token": token}).status_code == 403
    with session_scope() as session:
        session.get(Case, case_id).assigned_to = staff["agent"]
    # ... unless it is theirs; then the reply is refused because the bot has the conversation.
    assert agent.post(f"/cases/{case_id}/reply", data={"text": "hoi", "csrf_token": token}).status_code == 409
    assert fake_rasa.calls("/tracker/events") == []


def test_a_reply_while_rasa_is_down_says_nothing_was_sent(agent, case_id, fake_rasa):
    fake_rasa.down = True
    response = agent.post(f"/cases/{case_id}/reply", data={"text": "hoi", "csrf_token": csrf(agent)})
    assert response.status_code == 502 and "niets verstuurd" in response.text
    assert audited("reply") == []


def test_notes_are_private_and_assign_takes_the_case(agent, case_id, fake_rasa):
    token = csrf(agent)
    assert agent.post(f"/cases/{case_id}/notes", data={"text": "Klant is erg gespannen.",
                                                       "csrf_token": token}).status_code == 303
    assert agent.post(f"/cases/{case_id}/assign", data={"csrf_token": token}).status_code == 303
    with session_scope() as session:
        [note] = session.execute(select(CaseNote)).scalars().all()
        assert note.text == "Klant is erg gespannen." and session.get(Case, case_id).assigned_to is not None
    assert fake_rasa.calls("/tracker/events") == []  # a note never reaches the customer
    html = agent.get(f"/cases/{case_id}").text
    assert "Klant is erg gespannen." in html and "Behandelaar: jij" in html
    assert "Jij" in agent.get("/queue").text
    assert audited("add_note")[0].detail == {"note_id": note.id}
    assert audited("assign")[0].detail == {"previous_assignee": None}


@pytest.mark.parametrize("step", ["", "greet"])
def test_hand_back_resumes_first_then_triggers_the_next_step(agent, case_id, fake_rasa, step, staff):
    response = agent.post(f"/cases/{case_id}/handback", data={"next_step": step, "csrf_token": csrf(agent)})
    assert response.status_code == 303
    posts = [r for r in fake_rasa.requests if r["method"] == "POST"]
    assert posts[0]["body"] == [{"event": "resume"}]
    if step:
        assert posts[1]["path"].endswith("/trigger_intent") and posts[1]["body"]["name"] == "greet"
        assert fake_rasa.tracker(SENDER)["events"][-1]["text"] == "Hoi! Fijn dat je er weer bent."
    else:
        # No next step: the customer hears the bot is back, and the conversation ends in a listen,
        # so their "dank je" is a fresh turn (issue 26), with the misunderstood count at zero.
        assert fake_rasa.calls("/execute")[-1]["body"] == {"name": "utter_handover_handed_back"}
        assert {"event": "slot", "name": "not_understood_count", "value": 0} in posts[1]["body"]
        assert posts[-1]["body"] == [{"event": "action", "name": "action_listen"}]
    with session_scope() as session:
        case = session.get(Case, case_id)
        assert case.status == "open"
        # Nobody had taken it: the agent who handed it back has it now, and can still open it.
        assert case.assigned_to == staff["agent"]
    assert audited("hand_back")[0].detail == {"next_step": step or None, "assigned": True}
    assert agent.get(f"/cases/{case_id}").status_code == 200


def test_hand_back_refuses_an_unknown_next_step(agent, case_id, fake_rasa):
    response = agent.post(f"/cases/{case_id}/handback", data={"next_step": "restart", "csrf_token": csrf(agent)})
    assert response.status_code == 400 and fake_rasa.calls("/tracker/events") == []


def test_resolve_closes_the_case_and_the_bot_answers_again(agent, case_id, fake_rasa):
    assert agent.post(f"/cases/{case_id}/resolve", data={"csrf_token": csrf(agent)}).status_code == 303
    with session_scope() as session:
        case = session.get(Case, case_id)
        assert case.status == "closed" and case.resolved_at is not None
    assert fake_rasa.tracker(SENDER)["paused"] is False
    assert fake_rasa.calls("/execute")[-1]["body"] == {"name": "utter_handover_closed"}  # told it is closed
    assert f'data-case="{case_id}"' not in agent.get("/queue").text


def remission_case() -> int:
    return handed_over_case("rest:remission", reason="staff_confirmation:remission_arrangement",
                            offer={"solution": "remission_arrangement", "arrangement_amount": 60,
                                   "arrangement_months": 36, "agreed": False})


def second_supervisor(app):
    """A second supervisor in a browser of their own (R30: four eyes)."""
    add_user("supervisor2", "supervisor", "Tweede supervisor", "second-supervisor-pw-123")
    second = TestClient(app, follow_redirects=False)
    assert login(second, "supervisor2", "second-supervisor-pw-123").status_code == 303
    return second


def customer_says(fake_rasa, sender: str, text: str, intent: str) -> None:
    fake_rasa.add(sender, {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}})


def test_remission_needs_a_second_supervisor_before_the_customer_hears_anything(client, app, fake_rasa):
    case_id = remission_case()
    login(client, "supervisor")
    assert "Voorstel goedkeuren" in client.get(f"/cases/{case_id}").text
    assert client.post(f"/cases/{case_id}/solution/confirm", data={"csrf_token": csrf(client)}).status_code == 303
    assert fake_rasa.calls("/execute") == []  # R30: one person is not enough
    assert "Wacht op een tweede beoordelaar" in client.get(f"/cases/{case_id}").text
    again = client.post(f"/cases/{case_id}/solution/confirm", data={"csrf_token": csrf(client)})
    assert again.status_code == 409 and "tweede collega" in again.text
    second = second_supervisor(app)
    assert "Als tweede beoordelaar goedkeuren" in second.get(f"/cases/{case_id}").text
    assert second.post(f"/cases/{case_id}/solution/confirm", data={"csrf_token": csrf(second)}).status_code == 303
    slots = fake_rasa.calls("/tracker/events")[-3]["body"]  # decision slots, listen, (question,) listen
    assert {s["name"]: s["value"] for s in slots if s["event"] == "slot"} == {
        "staff_solution_name": "regeling met kwijtschelding van de rest",
        "staff_arrangement_amount": "€ 60", "staff_arrangement_months": "36",
        "staff_arrangement_period": "36 maanden", "staff_pay_now_amount": None, "staff_checkin_date": None,
        "staff_reassess_moment": None}
    assert [c["body"] for c in fake_rasa.calls("/execute")] == [
        {"name": "utter_staff_confirmed_remission_arrangement"}, {"name": "utter_staff_ask_agreement"}]
    assert fake_rasa.calls("/execute")[-1]["query"]["output_channel"] == ["latest"]
    with session_scope() as session:
        offer = session.get(Case, case_id).offer
    assert offer["staff_confirmed"] is True and offer["arrangement_amount"] == 60
    assert offer["first_approval"]["by"] != offer["second_approval"]["by"]
    assert [e.detail["four_eyes"] for e in audited("confirm_solution")] == [True]


def test_a_supervisor_adjusts_within_the_customers_capacity_or_writes_why(client, app, fake_rasa):
    case_id = remission_case()
    login(client, "supervisor")
    token = csrf(client)
    bad = client.post(f"/cases/{case_id}/solution/adjust",
                      data={"arrangement_amount": "-5", "arrangement_months": "200", "csrf_token": token})
    assert bad.status_code == 400 and fake_rasa.calls("/execute") == []
    # € 90 is more than the € 60 the policy sized to this customer: refused without a reason.
    over = client.post(f"/cases/{case_id}/solution/adjust",
                       data={"arrangement_amount": "90", "arrangement_months": "36", "csrf_token": token})
    assert over.status_code == 400 and "€ 60" in over.text and "waarom" in over.text
    ok = client.post(f"/cases/{case_id}/solution/adjust",
                     data={"arrangement_amount": "45", "arrangement_months": "48", "csrf_token": token})
    assert ok.status_code == 303 and fake_rasa.calls("/execute") == []  # waits for the second person
    second = second_supervisor(app)
    assert second.post(f"/cases/{case_id}/solution/confirm", data={"csrf_token": csrf(second)}).status_code == 303
    assert fake_rasa.calls("/execute")[-2]["body"] == {"name": "utter_staff_adjusted_solution"}
    assert {s["name"]: s["value"] for s in fake_rasa.calls("/tracker/events")[-3]["body"] if s["event"] == "slot"}[
        "staff_arrangement_amount"] == "€ 45"
    with session_scope() as session:
        offer = session.get(Case, case_id).offer
    assert (offer["arrangement_amount"], offer["arrangement_months"]) == (45, 48)
    assert offer["adjusted_from"] == {"arrangement_amount": 60, "arrangement_months": 36}


def test_above_capacity_with_a_written_reason_is_kept_and_shown(client, fake_rasa):
    case_id = handed_over_case("rest:arrangement", reason="customer_asked",
                               offer={"solution": "payment_arrangement", "arrangement_amount": 100,
                                      "arrangement_months": 6, "monthly_capacity": 120, "agreed": False})
    login(client, "supervisor")
    reason = "Klant belde: krijgt vanaf volgende maand een hoger loon, loonstrook gezien."
    response = client.post(f"/cases/{case_id}/solution/adjust", data={
        "arrangement_amount": "150", "arrangement_months": "4", "reason": reason, "csrf_token": csrf(client)})
    assert response.status_code == 303  # no four eyes for an ordinary arrangement
    with session_scope() as session:
        offer = session.get(Case, case_id).offer
    assert offer["over_capacity"] == {"limit": 120, "reason": reason}
    assert reason in client.get(f"/cases/{case_id}").text
    assert audited("adjust_solution")[0].detail["over_capacity"] is True


def test_the_agent_does_not_see_the_supervisor_controls(agent):
    case_id = remission_case()
    assert "Voorstel goedkeuren" not in agent.get(f"/cases/{case_id}").text


def test_a_confirmed_remission_binds_only_after_the_customer_says_yes(client, app, fake_rasa):
    from sqlalchemy import select

    from bot.store.models import Arrangement, Customer, OutcomeEvent

    case_id = remission_case()
    with session_scope() as session:
        kees = session.execute(select(Customer).where(Customer.customer_number == "100004")).scalar_one()
        session.get(Case, case_id).customer_id = kees.id
    login(client, "supervisor")
    assert client.post(f"/cases/{case_id}/solution/confirm", data={"csrf_token": csrf(client)}).status_code == 303
    second = second_supervisor(app)
    assert second.post(f"/cases/{case_id}/solution/confirm", data={"csrf_token": csrf(second)}).status_code == 303
    # a further click changes nothing: the decision is out
    assert second.post(f"/cases/{case_id}/solution/confirm", data={"csrf_token": csrf(second)}).status_code == 409
    with session_scope() as session:
        assert session.execute(select(Arrangement).where(Arrangement.case_id == case_id)).first() is None
    agreed = f"/cases/{case_id}/solution/customer-agreed"
    assert "Klant zei ja" in client.get(f"/cases/{case_id}").text
    customer_says(fake_rasa, "rest:remission", "nee wacht even", "deny")
    refused = client.post(agreed, data={"csrf_token": csrf(client)})
    assert refused.status_code == 409 and "nog geen ja" in refused.text
    customer_says(fake_rasa, "rest:remission", "ja is goed", "affirm")
    assert client.post(agreed, data={"csrf_token": csrf(client)}).status_code == 303
    assert client.post(agreed, data={"csrf_token": csrf(client)}).status_code == 409  # one arrangement per case
    with session_scope() as session:
        [arrangement] = session.execute(select(Arrangement).where(Arrangement.case_id == case_id)).scalars().all()
        amounts = {i.amount_cents for i in arrangement.instalments}
        accepted = session.execute(select(OutcomeEvent.reason).where(OutcomeEvent.kind == "solution_accepted",
                                                                     OutcomeEvent.case_id == case_id)).scalars().all()
        assert arrangement.solution == "remission_arrangement" and len(arrangement.instalments) == 36
        assert amounts == {6000} and arrangement.contact_person
        assert accepted == ["remission_arrangement"]
    assert "Akkoord van klant" in client.get(f"/cases/{case_id}").text


def test_staff_judge_cannot_will_not_or_does_not_manage_with_a_reason_and_the_card_shows_it(agent, case_id):
    """R10: the class is on the summary card with its evidence, and a person can change it."""
    page = agent.get(f"/cases/{case_id}").text
    assert "Kan niet, wil niet of lukt niet" in page and "Nog niet bekend" in page
    token = csrf(agent)
    refused = agent.post(f"/cases/{case_id}/stance", data={"stance": "will_not", "reason": " ", "csrf_token": token})
    assert refused.status_code == 400 and "waarom" in refused.text
    assert agent.post(f"/cases/{case_id}/stance", data={"stance": "lazy", "reason": "x",
                                                        "csrf_token": token}).status_code == 400
    response = agent.post(f"/cases/{case_id}/stance", headers={"Accept": "application/json", "X-CSRF-Token": token},
                          data={"stance": "does_not_manage", "reason": "Belde: post ligt ongeopend"})
    assert response.status_code == 200 and response.json()["stance"] == "does_not_manage"
    page = agent.get(f"/cases/{case_id}").text
    assert "Het lukt niet (stress, schaamte of overzicht kwijt)" in page
    assert "Oordeel medewerker" in page and "Belde: post ligt ongeopend" in page
    [entry] = audited("judge_stance")
    assert entry.detail == {"stance": "does_not_manage", "result": "does_not_manage"}
