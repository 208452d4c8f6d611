"""Arrears episodes, read from the loan data where it changes: the lender's books import
(bot/intake/books.py), a payment through our links (bot/payments/service.py), the demo seed and
the simulator all call `arrears_changed` after they changed a loan's arrears.

- arrears appear on a loan with no open episode: an episode opens (`started_on` the day the
  arrears began when the lender says so, else the day we saw them; `detected_at` now). First
  contact on new arrears plans from it (R24, bot/followup/first_contact.py);
- the arrears grow while the customer's latest arrangement has ended (completed or broken), or
  arrears appear again after an earlier episode was cured (went to 0): a relapse, the
  `arrears_again` outcome event the relapse and cure figures count (R21), once per arrangement
  or cure;
- the arrears go to 0: the open episode ends (cured).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import clock
from bot.followup.rules import ARREARS_CLEARED
from bot.outcomes import events
from bot.store.models import Arrangement, ArrearsEpisode, FollowUp, Loan, OutcomeEvent

ENDED = ("completed", "broken")


@dataclass(frozen=True)
class Change:
    opened: ArrearsEpisode | None = None
    ended: ArrearsEpisode | None = None
    relapse: bool = False


def open_episode(session: Session, loan_id: int) -> ArrearsEpisode | None:
    return session.execute(select(ArrearsEpisode).where(ArrearsEpisode.loan_id == loan_id,
                                                        ArrearsEpisode.ended_on.is_(None))
                           .order_by(ArrearsEpisode.id.desc()).limit(1)).scalar_one_or_none()


def arrears_changed(session: Session, loan: Loan, before_cents: int, day: date, *, began_on: date | None = None,
                    at: datetime | None = None) -> Change:
    """What a change of `loan.arrears_cents` from `before_cents` (on local day `day`) means:
    an episode opened or ended, and whether it is a relapse. Safe to call when nothing changed."""
    after = loan.arrears_cents
    current = open_episode(session, loan.id)
    if after <= 0:
        if current is None:
            return Change()
        current.ended_on = max(day, current.started_on)
        _skip_first_contact(session, loan.customer_id, current.id)
        return Change(ended=current)
    opened = None
    if current is None:
        opened = ArrearsEpisode(loan_id=loan.id, started_on=min(began_on or day, day), ended_on=None,
                                terms=max(1, loan.terms_behind), detected_at=(at or clock.utcnow()).astimezone(timezone.utc))
        session.add(opened)
        session.flush()
    else:
        current.terms = max(current.terms, loan.terms_behind)
    relapse = after > before_cents and _record_relapse(session, loan, day, new_episode=before_cents <= 0,
                                                       episode=opened)
    return Change(opened=opened, relapse=relapse)


def _record_relapse(session: Session, loan: Loan, day: date, *, new_episode: bool,
                    episode: ArrearsEpisode | None) -> bool:
    at = datetime.combine(day, time(12), clock.AMSTERDAM)
    latest = session.execute(select(Arrangement.id, Arrangement.status).where(Arrangement.customer_id == loan.customer_id)
                             .order_by(Arrangement.id.desc()).limit(1)).first()
    if latest is not None and latest.status in ENDED:
        if _relapse_recorded(session, arrangement_id=latest.id):
            return False
        events.record(session, "arrears_again", at=at, customer_id=loan.customer_id, arrangement_id=latest.id,
                      reason=loan.loan_type, after=latest.status,
                      episode=episode.id if episode is not None else None)
        return True
    if not new_episode or (latest is not None and latest.status == "active"):
        return False
    cured = session.execute(select(ArrearsEpisode.ended_on).join(Loan, Loan.id == ArrearsEpisode.loan_id)
                            .where(Loan.customer_id == loan.customer_id, ArrearsEpisode.ended_on.is_not(None))
                            .order_by(ArrearsEpisode.ended_on.desc()).limit(1)).scalar_one_or_none()
    if cured is None:
        return False  # the first arrears we know of: new, not again
    events.record(session, "arrears_again", at=at, customer_id=loan.customer_id, reason=loan.loan_type,
                  after="cured", cured_on=cured.isoformat(), episode=episode.id if episode is not None else None)
    return True


def _relapse_recorded(session: Session, *, arrangement_id: int) -> bool:
    return session.execute(select(OutcomeEvent.id).where(OutcomeEvent.arrangement_id == arrangement_id,
                                                         OutcomeEvent.kind == "arrears_again").limit(1)).first() is not None


def _skip_first_contact(session: Session, customer_id: int, episode_id: int) -> None:
    """A first contact still waiting for arrears just paid off is skipped at once (the reason the
    engine would give when it came up), so staff's list of planned messages no longer shows it."""
    from bot.followup import first_contact

    waiting = [row.id for row in session.execute(
        select(FollowUp.id, FollowUp.key).where(FollowUp.customer_id == customer_id, FollowUp.kind == first_contact.KIND,
                                                FollowUp.status == "pending"))
        if row.key.split("|", 1)[0] == first_contact.logical(episode_id)]
    if waiting:
        session.execute(update(FollowUp).where(FollowUp.id.in_(waiting), FollowUp.status == "pending")
                        .values(status="skipped", outcome=ARREARS_CLEARED)
                        .execution_options(synchronize_session=False))
