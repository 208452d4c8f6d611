"""What staff see of the cases: the queue (crisis first, then longest waiting) and the labels.

Reads `Case` only; the Dutch labels are for staff, the stored values stay English codes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot import clock
from bot.clock import as_utc
from bot.console.labels import label
from bot.handover import service_level_minutes
from bot.language.choice import DEFAULT as DEFAULT_LANGUAGE
from bot.language.choice import profiles
from bot.store.models import Case, Customer, StaffUser

REASONS = {
    "customer_asked": "Klant vroeg om een medewerker",
    "crisis": "Crisis: direct reageren (113)",
    "multiple_problems": "Meerdere problemen",
    "vulnerability": "Kwetsbare klant",
    "not_understood": "Bot begreep de klant niet",
    "does_not_manage": "Het lukt de klant niet: bel in plaats van herinneren (R10)",
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
    if reason.startswith("signal:"):
        return f"Signaal: {label('signals', reason.split(':', 1)[1])}"
    return REASONS.get(reason) or label("reasons", reason)


def priority(case: Case) -> str:
    summary = case.summary or {}
    if case.handoff_reason == "crisis" or summary.get("priority") == "crisis":
        return "crisis"
    return summary.get("priority") if summary.get("priority") in PRIORITIES else "normal"


def minutes_since(since: datetime | None, now: datetime | None = None) -> int | None:
    if since is None:
        return None
    return max(0, int(((now or clock.utcnow()) - as_utc(since)).total_seconds() // 60))


def waiting(since: datetime | None, now: datetime | None = None) -> str:
    minutes = minutes_since(since, now)
    if minutes is None:
        return "-"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} u {minutes} min"
    return f"{hours // 24} d {hours % 24} u"


def status_label(status: str, assigned: bool) -> str:
    """A handed-over case someone has taken is "In behandeling" (issue 26)."""
    if status == "handed_over" and assigned:
        return "In behandeling"
    return STATUSES.get(status, status)


VIEWS = {"all": "Alle", "mine": "Van mij", "unassigned": "Niet toegewezen"}


@dataclass(frozen=True)
class QueueRow:
    id: int
    channel: str
    priority: str
    priority_label: str
    reason: str
    waiting: str
    late: bool
    customer: str
    assignee: str | None
    assigned_to_me: bool
    status: str
    language: str = "Nederlands"


def language_label(case: Case) -> str:
    """The customer's language by its own name (issue 27): the handover stores it on the summary."""
    code = (case.summary or {}).get("language") or DEFAULT_LANGUAGE
    profile = profiles().get(code)
    return profile.name if profile else code


def handed_over_queue(session: Session, me: int, view: str = "all", search: str = "") -> list[QueueRow]:
    """Handed-over cases: crisis first, then whoever has waited longest (R19). `view`: all, mine
    or unassigned; `search`: part of the customer's number or name."""
    query = (select(Case, StaffUser.display_name, Customer.customer_number, Customer.full_name)
             .outerjoin(StaffUser, StaffUser.id == Case.assigned_to)
             .outerjoin(Customer, Customer.id == Case.customer_id)
             .where(Case.status == "handed_over"))
    if view == "mine":
        query = query.where(Case.assigned_to == me)
    elif view == "unassigned":
        query = query.where(Case.assigned_to.is_(None))
    search = search.strip()[:100]
    if search:
        pattern = f"%{search}%"
        query = query.where(or_(Customer.customer_number.ilike(pattern), Customer.full_name.ilike(pattern)))
    now = clock.utcnow()
    far_future = datetime.max.replace(tzinfo=now.tzinfo)

    def order(row: Any) -> tuple:
        case = row[0]
        return (priority(case) != "crisis", as_utc(case.handed_over_at) or far_future, case.id)

    rows = []
    for case, name, number, full_name in sorted(session.execute(query).all(), key=order):
        level = priority(case)
        minutes = minutes_since(case.handed_over_at, now)
        rows.append(QueueRow(
            id=case.id, channel=label("channels", case.channel), priority=level, priority_label=PRIORITIES[level],
            reason=reason_label(case.handoff_reason), waiting=waiting(case.handed_over_at, now),
            late=minutes is not None and minutes > service_level_minutes(level),
            customer=f"{full_name} ({number})" if number else "Niet geverifieerd", assignee=name,
            assigned_to_me=case.assigned_to == me, status=status_label(case.status, case.assigned_to is not None),
            language=language_label(case)))
    return rows


def staff_name(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = session.get(StaffUser, user_id)
    return user.display_name if user else None
