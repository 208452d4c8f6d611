"""A supervisor's decision on a solution, under the same rules as the bot's own proposals:
an adjusted amount is checked against the customer's capacity (R13) or carries a written reason,
remission and restructuring need a second supervisor (R30), and nothing binds before the
customer said yes in the conversation (R12, R28). Policy in decisions.yml."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from dateutil.relativedelta import relativedelta
from starlette.requests import Request
from starlette.responses import Response

from bot import cases, clock
from bot.console.auth import Staff
from bot.console.case_actions import RASA_DOWN, done, load_case, text_field
from bot.console.queue import SOLUTIONS
from bot.console.security import audit, guarded, refused
from bot.followup import ledger
from bot.formatting import euros
from bot.rasa_api import RasaUnavailable
from bot.solutions import affordability, staff_decision
from bot.store.db import session_scope
from bot.store.models import Case

POLICY_FILE = Path(__file__).with_name("decisions.yml")
# R15: a remission arrangement runs 3 to 5 years; nothing longer is offered from the console.
MAX_MONTHS = 60
MAX_MONTHLY_EUROS = 100_000
MAX_REASON = 1000


@lru_cache(maxsize=1)
def decision_policy() -> dict:
    return yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))


def monthly_limit(offer: dict[str, Any], finances: dict[str, Any]) -> int | None:
    """What the customer can pay each month: the capacity from the income check, else the amount
    the policy proposed (it was sized to what the customer told us)."""
    capacity = affordability(finances or {})
    if capacity is not None:
        return int(capacity.monthly_capacity)
    if isinstance(offer.get("monthly_capacity"), int):
        return offer["monthly_capacity"]
    amount = offer.get("arrangement_amount")
    return amount if isinstance(amount, int) else None


def _whole_number(raw: str, low: int, high: int) -> int | None:
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if low <= value <= high else None


def _adjusted(offer: dict[str, Any], form: Any, finances: dict[str, Any]) -> dict[str, Any] | str:
    """The offer with the supervisor's amounts, or why they are refused."""
    amount = _whole_number(text_field(form, "arrangement_amount"), 1, MAX_MONTHLY_EUROS)
    months = _whole_number(text_field(form, "arrangement_months"), 1, MAX_MONTHS)
    if amount is None or months is None:
        return f"Vul een bedrag in hele euro's en 1 tot {MAX_MONTHS} maanden in."
    limit = monthly_limit(offer, finances)
    reason = text_field(form, "reason")
    adjusted = dict(offer)
    if limit is not None and amount > limit:
        minimum = decision_policy()["over_capacity_reason_min_chars"]
        if len(reason) < minimum or len(reason) > MAX_REASON:
            return (f"Dit is meer dan de klant per maand kan missen ({euros(limit)}). Kies een lager bedrag, "
                    f"of schrijf in minstens {minimum} tekens waarom het toch kan.")
        adjusted["over_capacity"] = {"limit": limit, "reason": reason}
    else:
        adjusted.pop("over_capacity", None)
    adjusted["adjusted_from"] = {"arrangement_amount": offer.get("arrangement_amount"),
                                 "arrangement_months": offer.get("arrangement_months")}
    adjusted.update(arrangement_amount=amount, arrangement_months=months, adjusted=True,
                    schedule=ledger.monthly_schedule(amount, months, clock.today() + relativedelta(months=1)),
                    end_date=(clock.today() + relativedelta(months=months)).isoformat())
    return adjusted


async def _decide(request: Request, staff: Staff, adjust: bool) -> Response:
    case, refused_response = load_case(request, staff)
    if refused_response:
        return refused_response
    if not case.offer or case.status != "handed_over" or case.offer.get("proposed_at"):
        return refused(409, "Er is hier geen voorstel om te bevestigen.")
    offer = dict(case.offer)
    if adjust:
        adjusted = _adjusted(offer, await request.form(), case.finances or {})
        if isinstance(adjusted, str):
            return refused(400, adjusted)
        offer = adjusted
    now = clock.utcnow()
    decision = {"by": staff.id, "at": now.isoformat(), "adjusted": adjust}
    first = offer.get("first_approval")
    if offer.get("solution") in decision_policy()["four_eyes"] and (adjust or not first):
        # R30: this decision is the first of two; a different supervisor confirms it.
        offer["first_approval"] = decision
        _store(case.id, offer)
        audit(staff.id, "first_approval", case.id, solution=offer.get("solution"), adjusted=adjust,
              over_capacity=bool(offer.get("over_capacity")))
        return done(request, case.id, waiting_for="second_supervisor")
    if first and first["by"] == staff.id:
        return refused(409, "Een tweede collega moet dit bevestigen (vier ogen).")
    # The message names only what is true for this solution (issue 21 §3): a restructuring has no
    # months to count, a pause asks no money.
    response, slots = staff_decision(offer, adjusted=bool(offer.get("adjusted")))
    slots["staff_solution_name"] = SOLUTIONS.get(offer.get("solution"), "je regeling").lower()
    needs_yes = offer.get("solution") not in decision_policy()["no_agreement_needed"]
    rasa = request.app.state.rasa
    try:
        await rasa.utter(case.sender_id, response, slots)
        if needs_yes:
            await rasa.utter(case.sender_id, "utter_staff_ask_agreement", {})
    except RasaUnavailable:
        return refused(502, RASA_DOWN)
    offer.update(staff_confirmed=True, confirmed_by=staff.id, confirmed_at=now.isoformat(),
                 proposed_at=now.timestamp())
    if first:
        offer["second_approval"] = decision
    _store(case.id, offer, bind=not needs_yes)
    audit(staff.id, "adjust_solution" if adjust else "confirm_solution", case.id, solution=offer.get("solution"),
          over_capacity=bool(offer.get("over_capacity")), four_eyes=bool(first))
    return done(request, case.id)


def _store(case_id: int, offer: dict[str, Any], bind: bool = False) -> None:
    with session_scope() as session:
        stored = session.get(Case, case_id)
        stored.offer = offer  # a new dict, so SQLAlchemy sees the change
        if bind and stored.customer_id is not None:
            cases.agree(session, stored)


def customer_said_yes(tracker: dict, since: float) -> bool:
    """The transcript holds a customer message after the proposal that means yes (Rasa's NLU
    still reads messages while the bot is paused)."""
    for event in tracker.get("events") or []:
        if event.get("event") != "user" or float(event.get("timestamp") or 0) <= since:
            continue
        if ((event.get("parse_data") or {}).get("intent") or {}).get("name") == "affirm":
            return True
    return False


@guarded("api")
async def customer_agreed(request: Request, staff: Staff) -> Response:
    """The customer said yes to the staff decision: only now does it bind (an arrangement starts)."""
    case, refused_response = load_case(request, staff)
    if refused_response:
        return refused_response
    offer = dict(case.offer or {})
    if not offer.get("proposed_at") or offer.get("customer_agreed_at"):
        return refused(409, "Er wacht hier geen voorstel op het akkoord van de klant.")
    try:
        tracker = await request.app.state.rasa.tracker(case.sender_id)
    except RasaUnavailable:
        return refused(502, RASA_DOWN)
    if not customer_said_yes(tracker, float(offer["proposed_at"])):
        return refused(409, "De klant heeft nog geen ja gezegd op dit voorstel.")
    offer.update(agreed=True, customer_agreed_at=clock.utcnow().isoformat(), agreement_recorded_by=staff.id)
    _store(case.id, offer, bind=True)
    audit(staff.id, "customer_agreed", case.id, solution=offer.get("solution"))
    return done(request, case.id)


@guarded("api", role="supervisor")
async def confirm_solution(request: Request, staff: Staff) -> Response:
    return await _decide(request, staff, adjust=False)


@guarded("api", role="supervisor")
async def adjust_solution(request: Request, staff: Staff) -> Response:
    return await _decide(request, staff, adjust=True)
