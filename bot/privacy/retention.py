"""Conversations are kept only as long as their purpose needs (AVG art. 5): a set number of days
after their last event, unless an open case still needs them."""
from __future__ import annotations

import os
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.privacy import tracker_store
from bot.store.models import AuditEntry, Case, CaseNote, ChannelOutbound

DEFAULT_DAYS = 90


def retention_days() -> int:
    return int(os.environ.get("BETAALHULP_RETENTION_DAYS") or DEFAULT_DAYS)


def apply_retention(session: Session, now: datetime, days: int | None = None,
                    tracker: Engine | None = None) -> dict[str, int]:
    days = days or retention_days()
    cutoff = now - timedelta(days=days)
    engine = tracker or tracker_store.tracker_engine()
    still_needed = set(session.execute(select(Case.sender_id).where(Case.status != "closed")).scalars())
    expired = [sender for sender, last in tracker_store.last_event_times(engine).items()
               if last < cutoff.timestamp() and sender not in still_needed]
    old_cases = list(session.execute(select(Case.id).where(Case.status == "closed", Case.updated_at < cutoff))
                     .scalars())
    counts = {"conversations": len(expired),
              "conversation_events": tracker_store.delete_conversations(engine, expired),
              "case_notes": session.execute(delete(CaseNote).where(CaseNote.case_id.in_(old_cases))).rowcount}
    for entry in session.execute(select(AuditEntry).where(AuditEntry.case_id.in_(old_cases))).scalars():
        entry.case_id = None
    counts["channel_outbound"] = session.execute(delete(ChannelOutbound).where(
        or_(ChannelOutbound.case_id.in_(old_cases), ChannelOutbound.sender_id.in_(expired)))).rowcount
    counts["cases"] = session.execute(delete(Case).where(Case.id.in_(old_cases))).rowcount
    # The run itself is recorded, with counts only.
    session.add(AuditEntry(action="retention_run", detail={"days": days, **counts}))
    return counts
