"""What staff see of the cases: the queue (crisis first, then longest waiting) and the labels.

Reads `Case` only; the Dutch labels are for staff, the stored values stay English codes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import clock
from bot.clock import as_utc
from bot.language.choice import DEFAULT as DEFAULT_LANGUAGE
from bot.language.choice import profiles
from bot.store.models import Case, StaffUser

REASONS = {
    "customer_asked": "Klant vroeg om een medewerker",
    "crisis": "Crisis: direct reageren (113)",
    "multiple_problems": "Meerdere problemen",
    "vulnerability": "Kwetsbare klant",
    "not_understood": "Bot begreep de klant niet",
}
SOLUTIONS = {
    "pay_now": "In één keer betalen",
    "partial_payment": "Deel nu betalen, rest in termijnen",
    "payment_arrangement": "Betalingsregeling",
    "payment_pause": "Betaalpauze",
    "interest_freeze": "Rentestop",
    "restructuring": "Lening anders inrichten",
    "debt_help_referral": "Doorverwijzing naar gratis schuldhulp",
    "remission_arrangement": "Regeling met kwijtschelding van de rest",
    "mortgage_review": "Hypotheek samen bekijken (verkoop of restschuld)",
}
PRIORITIES = {"crisis": "Crisis", "high": "Hoog", "normal": "Normaal"}
STATUSES = {"open": "Bij de bot", "handed_over": "Wacht op medewerker", "closed": "Afgerond"}


def reason_label(reason: str | None) -> str:
    if not reason:
        return "Onbekend"
    if reason.startswith("staff_confirmation:"):
        solution = reason.split(":", 1)[1]
        return f"Oplossing bevestigen: {SOLUTIONS.get(solution, solution)}"
    return REASONS.get(reason, reason)


def priority(case: Case) -> str:
    summary = case.summary or {}
    if case.handoff_reason == "crisis" or summary.get("priority") == "crisis":
        return "crisis"
    return summary.get("priority") if summary.get("priority") in PRIORITIES else "normal"


def waiting(since: datetime | None, now: datetime | None = None) -> str:
    if since is None:
        return "-"
    minutes = max(0, int(((now or clock.utcnow()) - as_utc(since)).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} u {minutes} min"
    return f"{hours // 24} d {hours % 24} u"


@dataclass(frozen=True)
class QueueRow:
    id: int
    channel: str
    priority: str
    priority_label: str
    reason: str
    waiting: str
    assignee: str | None
    assigned_to_me: bool
    language: str = "Nederlands"


def language_label(case: Case) -> str:
    """The customer's language by its own name (issue 27): the handover stores it on the summary."""
    code = (case.summary or {}).get("language") or DEFAULT_LANGUAGE
    profile = profiles().get(code)
    return profile.name if profile else code


def handed_over_queue(session: Session, me: int) -> list[QueueRow]:
    """Handed-over cases: crisis first, then whoever has waited longest (R19)."""
    rows = session.execute(
        select(Case, StaffUser.display_name).outerjoin(StaffUser, StaffUser.id == Case.assigned_to)
        .where(Case.status == "handed_over")
    ).all()
    now = clock.utcnow()
    far_future = datetime.max.replace(tzinfo=now.tzinfo)

    def order(row: Any) -> tuple:
        case = row[0]
        return (priority(case) != "crisis", as_utc(case.handed_over_at) or far_future, case.id)

    return [QueueRow(id=case.id, channel=case.channel or "-", priority=priority(case),
                     priority_label=PRIORITIES[priority(case)], reason=reason_label(case.handoff_reason),
                     waiting=waiting(case.handed_over_at, now), assignee=name,
                     assigned_to_me=case.assigned_to == me, language=language_label(case))
            for case, name in sorted(rows, key=order)]


def staff_name(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = session.get(StaffUser, user_id)
    return user.display_name if user else None
