"""What the follow-up engine plans and sent, and why (issue 10), and the preventive list of
customers with risk signals and no arrears, most urgent first (R22)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from bot import clock
from bot.console.auth import Staff
from bot.console.labels import facts_text, label
from bot.console.security import audit, guarded
from bot.console.views import render
from bot.followup import policy
from bot.store.db import session_scope
from bot.store.models import ChannelOptOut, Customer, FollowUp, Loan, RiskSignal

LIMIT = 200
KIND_LABELS = {
    "reminder_before": "herinnering vooraf", "reminder_today": "herinnering op de dag", "missed": "gemist",
    "reassessment": "opnieuw kijken", "success": "compliment", "aftercare": "nazorg", "preventive": "preventief",
    "new_arrears": "nieuwe achterstand", "checkin": "beloofd contact",
    "arrangement_broken": "regeling gestopt", "payment_notice": "bericht over betaling",
}


def signal_weights() -> dict[str, int]:
    """How heavily each signal weighs in the list: the follow-up policy's weights (policy.yml)."""
    return {kind: int(weight) for kind, weight in (policy.default().kind("preventive")["weights"] or {}).items()}


def signal_max_age_days() -> int:
    """How long a signal counts: as long as it can still lead to preventive contact."""
    return int(policy.default().kind("preventive")["signal_max_age_days"])


def _row(followup: FollowUp, number: str) -> dict:
    moment = followup.sent_at or followup.not_before
    return {"id": followup.id, "customer_number": number, "kind": KIND_LABELS.get(followup.kind, followup.kind),
            "channel": label("channels", followup.channel), "status": followup.status,
            "outcome": followup.outcome or "", "rule": followup.rule, "policy_version": followup.policy_version,
            "facts": followup.facts or {}, "why": facts_text(followup.facts),
            "at": moment.astimezone(clock.AMSTERDAM) if moment else None}


def followup_lists(session: Session) -> tuple[list[dict], list[dict]]:
    """Upcoming (pending, soonest first) and done (sent or skipped, latest first)."""
    base = select(FollowUp, Customer.customer_number).join(Customer, Customer.id == FollowUp.customer_id)
    upcoming = session.execute(base.where(FollowUp.status.in_(("pending", "sending")))
                               .order_by(FollowUp.not_before).limit(LIMIT)).all()
    done = session.execute(base.where(FollowUp.status.in_(("sent", "skipped", "failed")))
                           .order_by(FollowUp.sent_at.desc(), FollowUp.id.desc()).limit(LIMIT)).all()
    return [_row(f, n) for f, n in upcoming], [_row(f, n) for f, n in done]


def preventive_list(session: Session, today: date) -> list[dict]:
    """Customers with recent risk signals and no arrears, the heaviest signals first."""
    since = today - timedelta(days=signal_max_age_days())
    weights = signal_weights()
    in_arrears = select(Loan.customer_id).where(Loan.arrears_cents > 0)
    rows = session.execute(
        select(RiskSignal.customer_id, RiskSignal.kind, RiskSignal.observed_on, Customer.customer_number)
        .join(Customer, Customer.id == RiskSignal.customer_id)
        .where(RiskSignal.observed_on >= since, RiskSignal.customer_id.not_in(in_arrears))).all()
    found: dict[int, dict] = defaultdict(lambda: {"score": 0, "signals": defaultdict(int), "last_seen": None})
    for customer_id, kind, observed_on, number in rows:
        entry = found[customer_id]
        entry["customer_number"] = number
        entry["score"] += weights.get(kind, 1)
        entry["signals"][label("signals", kind)] += 1
        entry["last_seen"] = max(filter(None, (entry["last_seen"], observed_on)))
    if not found:
        return []
    contacted = dict(session.execute(
        select(FollowUp.customer_id, func.max(FollowUp.sent_at))
        .where(FollowUp.kind == "preventive", FollowUp.status == "sent", FollowUp.customer_id.in_(list(found)))
        .group_by(FollowUp.customer_id)).all())
    opted_out = defaultdict(list)
    for customer_id, channel in session.execute(select(ChannelOptOut.customer_id, ChannelOptOut.channel)
                                                .where(ChannelOptOut.customer_id.in_(list(found)))):
        opted_out[customer_id].append(channel)
    result = [{**entry, "signals": dict(entry["signals"]), "contacted_at": contacted.get(customer_id),
               "opted_out": sorted(opted_out[customer_id])} for customer_id, entry in found.items()]
    return sorted(result, key=lambda e: (-e["score"], -e["last_seen"].toordinal(), e["customer_number"]))


@guarded("page")
async def followups_page(request: Request, staff: Staff) -> Response:
    with session_scope() as session:
        upcoming, done = followup_lists(session)
        preventive = preventive_list(session, clock.today())
    audit(staff.id, "view_followups", upcoming=len(upcoming), done=len(done), preventive=len(preventive))
    return render(request, "followups.html", staff=staff, upcoming=upcoming, done=done, preventive=preventive)
