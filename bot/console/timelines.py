"""Cases past the R25 timelines: new arrears without a first contact within days, and arrears
whose cause and financial position are still unknown after about 90 days. Policy in timelines.yml."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from bot import clock
from bot.clock import as_utc
from bot.console.security import audit, guarded
from bot.console.views import render
from bot.followup import calendar
from bot.money import format_euro
from bot.store.db import session_scope
from bot.store.models import ArrearsEpisode, Case, Customer, FollowUp, Loan

POLICY_FILE = Path(__file__).with_name("timelines.yml")


@lru_cache(maxsize=1)
def timeline_policy() -> dict:
    return yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Late:
    customer_number: str
    loan_reference: str
    arrears: str
    since: date       # when we saw the arrears (first contact) or when they began (understanding)
    days: int


def _understood(case: Case) -> bool:
    """The cause is recorded and the financial position is known: the full check, or control
    answers that called for none."""
    if not case.cause:
        return False
    finances = case.finances or {}
    control = (case.answers or {}).get("control") or {}
    return bool(finances.get("net_monthly_income") is not None or (control and not any(control.values())))


def late_cases(session: Session, now: datetime) -> tuple[list[Late], list[Late]]:
    """(no first contact in time, not understood in time) for the open arrears episodes."""
    policy = timeline_policy()
    today = calendar.local_today(now)
    rows = session.execute(
        select(ArrearsEpisode, Loan, Customer.customer_number).join(Loan, Loan.id == ArrearsEpisode.loan_id)
        .join(Customer, Customer.id == Loan.customer_id)
        .where(ArrearsEpisode.ended_on.is_(None), Loan.arrears_cents > 0)).all()
    customers = sorted({loan.customer_id for _, loan, _ in rows})
    cases: dict[int, list[Case]] = {}
    for case in session.execute(select(Case).where(Case.customer_id.in_(customers))).scalars():
        cases.setdefault(case.customer_id, []).append(case)
    contacted = {int((facts or {}).get("episode") or 0) for (facts,) in session.execute(
        select(FollowUp.facts).where(FollowUp.kind == "new_arrears", FollowUp.status == "sent",
                                     FollowUp.customer_id.in_(customers)))}
    no_contact, not_understood = [], []
    for episode, loan, number in rows:
        own = cases.get(loan.customer_id, [])
        seen = as_utc(episode.detected_at) if episode.detected_at else None
        if seen is not None and now - seen > timedelta(days=int(policy["first_contact_days"])) and \
                episode.id not in contacted and not any(as_utc(c.updated_at) >= seen for c in own):
            no_contact.append(Late(number, loan.reference, format_euro(loan.arrears_cents), seen.date(),
                                   (now - seen).days))
        age = (today - episode.started_on).days
        if age > int(policy["understood_within_days"]) and not any(_understood(c) for c in own):
            not_understood.append(Late(number, loan.reference, format_euro(loan.arrears_cents),
                                       episode.started_on, age))
    return (sorted(no_contact, key=lambda late: -late.days),  # the longest overdue first
            sorted(not_understood, key=lambda late: -late.days))


@guarded("page")
async def timelines_page(request: Request, staff) -> Response:
    with session_scope() as session:
        no_contact, not_understood = late_cases(session, clock.utcnow())
    audit(staff.id, "view_timelines")
    return render(request, "timelines.html", staff=staff, no_contact=no_contact, not_understood=not_understood,
                  policy=timeline_policy())
