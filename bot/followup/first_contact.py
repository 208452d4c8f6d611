"""First contact on new arrears (R24, R25): planned as soon as an arrears episode opens
(bot/followup/episodes.py, from the loan data), once per episode, meant for `delay_hours` after
we saw the arrears and moved out of quiet time like every message. The engine's rules decide at
the moment it would go (bot/followup/rules.py): not when the customer paid meanwhile, talked to
us since we saw the arrears, or has an arrangement running; never to an opted-out address,
within the contact-pressure limit and WhatsApp's window.

The message carries the amount, an iDEAL link and its QR code (made when it goes, for what is
open then, with bot/payments like every other link).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.followup import calendar
from bot.followup.plan import Plan, each_in
from bot.followup.policy import Policy
from bot.followup.rules import Address
from bot.money import format_euro
from bot.store.idlists import id_list, in_list
from bot.store.models import ArrearsEpisode, Case, Loan

KIND = "new_arrears"
EPISODE, LOAN, CASE = ArrearsEpisode.__table__.c, Loan.__table__.c, Case.__table__.c

_SEEN_SINCE = (select(EPISODE.id, EPISODE.loan_id, EPISODE.started_on, EPISODE.detected_at, LOAN.customer_id,
                      LOAN.arrears_cents, LOAN.terms_behind)
               .join(Loan.__table__, LOAN.id == EPISODE.loan_id)
               .where(EPISODE.ended_on.is_(None), EPISODE.started_on >= bindparam("oldest"),
                      EPISODE.detected_at >= bindparam("since"), LOAN.arrears_cents > 0)
               .order_by(EPISODE.id))

def logical(episode_id: int) -> str:
    return f"e{episode_id}:{KIND}"


def preferred(candidates: Iterable[Address], policy: Policy) -> list[Address]:
    """The customer's addresses on the channels first contact may use, in the policy's order."""
    order = {channel: n for n, channel in enumerate(policy.kind(KIND)["channels"])}
    return sorted((a for a in candidates if a.channel in order), key=lambda a: order[a.channel])


def plan_new_arrears(plan: Plan, *, seen_since: datetime | None = None) -> None:
    """Plans first contact for open episodes that began within `max_age_days` and that we saw
    since `seen_since` (every pass: since its last look), and at most `stale_after_days` ago (a
    first contact later than that is no longer prompt, R25; the daily planning looks that far
    back, to catch what a pass missed)."""
    if KIND not in plan.policy.kinds:
        return
    policy, session = plan.policy, plan.session
    spec = policy.kind(KIND)
    today = calendar.local_today(plan.now)
    earliest = calendar.start_of_day(today - timedelta(days=int(spec["stale_after_days"]) + 1))
    rows = [row for row in session.execute(_SEEN_SINCE, {
        "oldest": today - timedelta(days=int(spec["max_age_days"])),
        "since": max(seen_since, earliest) if seen_since is not None else earliest}).all()]
    if not rows:
        return
    customers = sorted({r.customer_id for r in rows})
    plan.existing(KIND, customer_ids=customers)
    rows = [row for row in rows if not plan.has(logical(row.id))]
    if not rows:
        return
    book = plan.book.ensure(customers)
    delay = timedelta(hours=int(spec["delay_hours"]))
    for row in rows:
        seen = as_utc(row.detected_at)
        moment = calendar.next_allowed(seen + delay, policy)  # already past: due at once
        address = next((a for a in preferred(book.candidates(row.customer_id, None, None, policy), policy)
                        if a.sender_id not in book.opted_out and a.channel not in policy.never_channels), None)
        plan.add(logical=logical(row.id), kind=KIND, customer_id=row.customer_id, address=address, moment=moment,
                 facts={"episode": row.id, "arrears_cents": row.arrears_cents, "terms_behind": row.terms_behind,
                        "arrears_began_on": row.started_on.isoformat(),
                        "seen_on": calendar.local_today(seen).isoformat(),
                        "days_since_arrears_began": (today - row.started_on).days,
                        "meant_for": calendar.local_today(moment).isoformat()},
                 slots={"arrears_amount": format_euro(row.arrears_cents)})


# -- what the rules need to know when it would go (bot/followup/context.py) --------------------------
_EPISODES = (select(EPISODE.id, EPISODE.ended_on, EPISODE.started_on, EPISODE.detected_at, EPISODE.loan_id,
                    LOAN.customer_id, LOAN.arrears_cents)
             .join(Loan.__table__, LOAN.id == EPISODE.loan_id).where(in_list(EPISODE.id, id_list())))
_CASES = select(CASE.customer_id, CASE.status, CASE.updated_at).where(
    in_list(CASE.customer_id, id_list()), or_(CASE.status == "handed_over", CASE.updated_at >= bindparam("since")))


def episodes_of(session: Session, rows: list[dict]) -> dict[int, Any]:
    ids = sorted({int((r["facts"] or {})["episode"]) for r in rows
                  if r["kind"] == KIND and (r["facts"] or {}).get("episode")})
    return {row.id: row for row in each_in(session, _EPISODES, ids)}


def in_conversation(session: Session, found: dict[int, Any]) -> set[int]:
    """Customers (of these episodes) who talked to us since we saw their arrears: a verified
    conversation touched since then, or a case handed over to staff. They know already; a first
    contact on top would be a second message about the same thing."""
    if not found:
        return set()
    seen: dict[int, datetime] = {}
    for episode in found.values():
        moment = as_utc(episode.detected_at) if episode.detected_at else calendar.start_of_day(episode.started_on)
        seen[episode.customer_id] = min(moment, seen.get(episode.customer_id, moment))
    since = min(seen.values())
    talked = set()
    for customer_id, status, updated_at in each_in(session, _CASES, sorted(seen), since=since):
        if status == "handed_over" or as_utc(updated_at) >= seen[customer_id]:
            talked.add(customer_id)
    return talked
