"""What staff do with a case: reply, note, assign, resolve, hand back, judge the stance (decisions
on a solution: decisions.py).

Every action is audited. Messages reach the customer through Rasa's HTTP API on the channel
they used last (DESIGN: one path), so the tracker stays the whole conversation.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from bot import cases, clock, stance
from bot.console.access import refusal
from bot.console.auth import Staff
from bot.console.delivery import LABELS, outcome_of
from bot.console.security import audit, guarded, refused
from bot.console.views import NEXT_STEPS, case_id_of
from bot.rasa_api import RasaUnavailable
from bot.store.db import session_scope
from bot.store.models import Case, CaseNote

log = logging.getLogger(__name__)
MAX_TEXT = 2000
MAX_REASON = 500
RASA_DOWN = "De bot is nu niet bereikbaar. Er is niets verstuurd; probeer het zo opnieuw."


def done(request: Request, case_id: int, **body: Any) -> Response:
    """JSON for the page's script, a redirect back for a plain form post."""
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"ok": True, **body})
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


def load_case(request: Request, staff: Staff) -> tuple[Case | None, Response | None]:
    """The case of the URL, or the (audited) refusal when it is unknown or not this staff's."""
    case_id = case_id_of(request)
    with session_scope() as session:
        case = session.get(Case, case_id) if case_id else None
    refused_response = refusal(request, staff, case_id, case)
    return (None, refused_response) if refused_response else (case, None)


def text_field(form: Any, name: str) -> str:
    return str(form.get(name) or "").strip()


@guarded("api")
async def reply(request: Request, staff: Staff) -> Response:
    case, refused_response = load_case(request, staff)
    if refused_response:
        return refused_response
    if case.status != "handed_over":
        return refused(409, "Deze zaak is niet overgedragen; de bot praat nu met de klant.")
    text = text_field(await request.form(), "text")
    if not text or len(text) > MAX_TEXT:
        return refused(400, f"Een bericht is 1 tot {MAX_TEXT} tekens lang.")
    # The reply id travels in the bot event's metadata to the output channel, which records what
    # became of the message under it (WhatsApp: sent, sent as a template, queued).
    reply_id = uuid.uuid4().hex
    try:
        await request.app.state.rasa.send_text(case.sender_id, text, {"staff_name": staff.display_name,
                                                                      "staff_id": staff.id, "reply_id": reply_id})
    except RasaUnavailable:
        log.warning("reply for case %s not sent: Rasa unavailable", case.id)
        return refused(502, RASA_DOWN)
    outcome = await asyncio.to_thread(outcome_of, case.sender_id, reply_id)
    audit(staff.id, "reply", case.id, length=len(text), canned=text_field(await request.form(), "canned") or None,
          **({"delivery": outcome} if outcome else {}))
    return done(request, case.id, **({"delivery": outcome, "delivery_label": LABELS.get(outcome, outcome)}
                                      if outcome else {}))


@guarded("api")
async def add_note(request: Request, staff: Staff) -> Response:
    case, refused_response = load_case(request, staff)
    if refused_response:
        return refused_response
    text = text_field(await request.form(), "text")
    if not text or len(text) > MAX_TEXT:
        return refused(400, f"Een notitie is 1 tot {MAX_TEXT} tekens lang.")
    with session_scope() as session:
        note = CaseNote(case_id=case.id, user_id=staff.id, text=text, at=clock.utcnow())
        session.add(note)
        session.flush()
        note_id = note.id
    audit(staff.id, "add_note", case.id, note_id=note_id)
    return done(request, case.id)


@guarded("api")
async def assign_to_me(request: Request, staff: Staff) -> Response:
    case, refused_response = load_case(request, staff)
    if refused_response:
        return refused_response
    with session_scope() as session:
        case = session.get(Case, case.id)
        previous, case.assigned_to = case.assigned_to, staff.id
    audit(staff.id, "assign", case.id, previous_assignee=previous)
    return done(request, case.id)


@guarded("api")
async def resolve(request: Request, staff: Staff) -> Response:
    case, refused_response = load_case(request, staff)
    if refused_response:
        return refused_response
    if case.status == "closed":
        return refused(409, "Deze zaak is al afgerond.")
    # The bot answers again after a resolve: a paused conversation nobody watches would leave
    # the customer's next message unanswered (R4). The customer hears that the case is closed;
    # the utterance also ends with a listen, so the next message is a fresh turn for the rules.
    rasa = request.app.state.rasa
    try:
        await rasa.resume(case.sender_id)
        if case.status == "handed_over":
            await rasa.utter(case.sender_id, "utter_handover_closed", {"not_understood_count": 0})
    except RasaUnavailable:
        return refused(502, RASA_DOWN)
    with session_scope() as session:
        row = session.get(Case, case.id)
        row.status, row.resolved_at = "closed", clock.utcnow()
        took = _take_if_nobodys(row, staff)
    audit(staff.id, "resolve", case.id, **took)
    return done(request, case.id)


@guarded("api")
async def hand_back(request: Request, staff: Staff) -> Response:
    case, refused_response = load_case(request, staff)
    if refused_response:
        return refused_response
    if case.status != "handed_over":
        return refused(409, "Deze zaak is niet overgedragen.")
    step = text_field(await request.form(), "next_step")
    if step not in NEXT_STEPS:
        return refused(400, "Onbekende volgende stap.")
    rasa = request.app.state.rasa
    try:
        await rasa.resume(case.sender_id)  # trigger_intent does nothing while paused
        if step:
            await rasa.trigger_intent(case.sender_id, step)
        else:
            # The customer is told the bot is back; the listen after it makes their next message
            # ("dank je") a fresh turn that the rules answer, not a fallback and a new handover.
            await rasa.utter(case.sender_id, "utter_handover_handed_back", {"not_understood_count": 0})
    except RasaUnavailable:
        return refused(502, RASA_DOWN)
    with session_scope() as session:
        row = session.get(Case, case.id)
        row.status = "open"
        took = _take_if_nobodys(row, staff)
    audit(staff.id, "hand_back", case.id, next_step=step or None, **took)
    return done(request, case.id)


@guarded("api")
async def judge_stance(request: Request, staff: Staff) -> Response:
    """R10: a person judges cannot / will not / does not manage, always with a reason; the
    judgement is evidence on the case like any other and newer evidence can change it again."""
    form = await request.form()
    judged, reason = text_field(form, "stance"), text_field(form, "reason")
    if judged not in stance.CLASSES:
        return refused(400, "Kies kan niet, wil niet of lukt niet.")
    if not reason or len(reason) > MAX_REASON:
        return refused(400, f"Schrijf in 1 tot {MAX_REASON} tekens waarom.")
    loaded, refused_response = load_case(request, staff)
    if refused_response:
        return refused_response
    with session_scope() as session:
        case = session.get(Case, loaded.id)
        now_class = cases.judge_stance(session, case, judged, reason, staff.display_name)
        case_id = case.id
    audit(staff.id, "judge_stance", case_id, stance=judged, result=now_class)
    return done(request, case_id, stance=now_class)


def _take_if_nobodys(case: Case, staff: Staff) -> dict:
    """Who resolves or hands back a case nobody had taken becomes its assignee: it leaves the
    queue, and an agent may open only queued cases and their own (bot/console/access.py), so
    they can still read the case they just closed."""
    if case.assigned_to is not None:
        return {}
    case.assigned_to = staff.id
    return {"assigned": True}

