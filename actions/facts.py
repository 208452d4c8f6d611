"""Reads what the conversation learned from the tracker, for the solution policy."""
from __future__ import annotations

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from bot import clock
from bot.arrears import ArrearsOverview, overview
from bot.assessment import assess_cause
from bot.policy import WISHES
from bot.solutions import FINANCE_FIELDS, Conversation


def conversation_from(tracker: Tracker) -> Conversation:
    cause = tracker.get_slot("arrears_cause") or "other"
    answers = assess_cause(cause, tracker.get_slot("cause_description") or "",
                           tracker.get_slot("cause_followup") or "").answers
    wish = tracker.get_slot("customer_wish")
    months = tracker.get_slot("recovery_months")
    offer = tracker.get_slot("customer_offer")
    return Conversation(
        cause=cause,
        cause_structural=tracker.get_slot("cause_structural"),
        signals=tuple(tracker.get_slot("signals") or ()),
        customer_wish=wish if wish in WISHES else None,
        customer_offer=offer if isinstance(offer, (int, float)) and not isinstance(offer, bool) else None,
        can_pay_now=True if wish == "pay_now" else answers.get("can_pay_now"),
        recovery_months=months if isinstance(months, int) and months > 0 else None,
        finances={name: tracker.get_slot(name) for name in FINANCE_FIELDS},
    )


def customer_overview(session: Session, tracker: Tracker) -> ArrearsOverview | None:
    """Only for a verified conversation: the check is repeated here, not trusted from earlier."""
    customer_id = tracker.get_slot("customer_id")
    if not tracker.get_slot("verified") or customer_id is None:
        return None
    return overview(session, int(customer_id), clock.today())
