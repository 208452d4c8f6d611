"""Marking what a batch sent (the engine's last step, bot/followup/engine.py), in one transaction
after the sends: `sent` with the moment, channel, slots and facts, and a `contacted` outcome
event; retries and failures. Only rows this engine still holds are marked: a row whose lease
ran out meanwhile belongs to the engine that took it over.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from bot.followup import plan
from bot.followup.deciding import Send
from bot.followup.policy import Policy
from bot.followup.report import TickReport
from bot.outcomes import events
from bot.store.bulk import BulkStatement
from bot.store.idlists import id_list, in_list
from bot.store.models import FollowUp

log = logging.getLogger("bot.followup.engine")

# The outcome event every sent follow-up writes (bulk-inserted with the columns events.record
# uses: events.record cannot carry data.kind, its own first parameter being called kind).
if "contacted" not in events.KINDS:  # pragma: no cover
    raise ImportError("bot.outcomes.events knows no 'contacted' event")

F = FollowUp.__table__.c
_MARK_SENT = BulkStatement(update(FollowUp.__table__).where(F.id == bindparam("b_id")).values(
    status="sent", sent_at=bindparam("b_sent_at"), outcome="sent", claim_expires_at=None, channel=bindparam("b_channel"),
    sender_id=bindparam("b_sender"), slots=bindparam("b_slots"), facts=bindparam("b_facts")),
    ("b_id", "b_sent_at", "b_channel", "b_sender", "b_slots", "b_facts"))
_OWNED = select(F.id).where(in_list(F.id, id_list()), F.status == "sending", F.claimed_by == bindparam("me"))
_OWNED_LOCKED = _OWNED.with_for_update()


def mark(session: Session, done: list[Send], later: list[tuple[Send, str]], failed: list[tuple[Send, str]], *,
         now: datetime, sent_at: datetime, engine_name: str, dialect: str, policy: Policy, report: TickReport) -> None:
    """Sent rows `sent`, rows the channel asked to send later back to `pending` (or `failed`
    after the policy's attempts), failed rows `failed`; all in the caller's transaction."""
    ids = [item.row["id"] for item in done] + [i.row["id"] for i, _ in later + failed]
    owned_query = _OWNED_LOCKED if dialect == "postgresql" else _OWNED
    owned = {row_id for row_id, in plan.each_in(session, owned_query, ids, me=engine_name)}
    lost = [item for item in done if item.row["id"] not in owned]
    if lost:
        # Another engine took these over after our lease ran out; it sends and marks them.
        report.lease_lost += len(lost)
        log.warning("follow-up: lease lost for %d sent message(s) (ids %s)", len(lost),
                    [item.row["id"] for item in lost][:10])
    marked = [item for item in done if item.row["id"] in owned]
    if marked:
        _MARK_SENT.execute(session, [
            {"b_id": item.row["id"], "b_sent_at": sent_at, "b_channel": item.row["channel"],
             "b_sender": item.delivery.sender_id, "b_slots": item.delivery.slots, "b_facts": item.facts}
            for item in marked])
        events.record_many(session, [{
            "at": sent_at, "kind": "contacted", "customer_id": item.row["customer_id"],
            "case_id": item.case_id, "arrangement_id": item.row["arrangement_id"],
            "instalment_id": item.row["instalment_id"], "channel": item.channel, "reason": item.row["rule"],
            "value": None, "data": {"kind": item.row["kind"], "key": item.row["key"],
                                    "policy_version": item.row["policy_version"],
                                    "response": item.row["response"]}} for item in marked])
        report.sent += len(marked)
    retry = []
    for item, error in later:
        if item.row["id"] not in owned:
            continue
        tries = int(item.facts.get("send_failures", 0)) + 1
        if tries >= policy.max_attempts:
            failed.append((item, error))
            continue
        retry.append({"b_id": item.row["id"], "b_not_before": now + timedelta(minutes=policy.retry_minutes),
                      "b_outcome": f"retry: {error}"[:64], "b_facts": {**item.facts, "send_failures": tries}})
    if retry:
        session.execute(update(FollowUp.__table__).where(F.id == bindparam("b_id")).values(
            status="pending", not_before=bindparam("b_not_before"), outcome=bindparam("b_outcome"),
            facts=bindparam("b_facts"), claim_expires_at=None), retry)
        report.retried += len(retry)
    gone = [{"b_id": item.row["id"], "b_outcome": f"failed: {error}"[:64]}
            for item, error in failed if item.row["id"] in owned]
    if gone:
        session.execute(update(FollowUp.__table__).where(F.id == bindparam("b_id")).values(
            status="failed", outcome=bindparam("b_outcome"), claim_expires_at=None), gone)
        report.failed += len(gone)
