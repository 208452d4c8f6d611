"""The follow-up (issue 10) and outcome (issue 11) tables: arrangements, their instalments, the
outbox of unprompted messages, closed days, opt-outs, risk signals and the outcome events."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import relationship

from bot.store.base import Base, utcnow

# -- follow-up (issue 10): arrangements, their instalments, and the outbox of unprompted messages --
ARRANGEMENT_STATUSES = ("active", "completed", "broken", "cancelled")
INSTALMENT_STATUSES = ("open", "paid", "missed")


class Arrangement(Base):
    """An agreed solution with a schedule (payment arrangement, pause, remission), the thing the
    follow-up engine keeps the customer company through, and whose outcome counts (R21, R23)."""

    __tablename__ = "arrangements"

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False, index=True)
    loan_id = Column(Integer, ForeignKey("loans.id"), nullable=False, index=True)
    case_id = Column(Integer, nullable=True, index=True)
    solution = Column(String(32), nullable=False)
    policy_version = Column(String(32), nullable=False)
    status = Column(String(16), nullable=False, default="active", index=True)
    starts_on = Column(Date, nullable=False)
    ends_on = Column(Date, nullable=False)
    # The named person the customer can ask for (R4); shown in follow-up messages.
    contact_person = Column(String(64), nullable=False)
    # The conversation where it was agreed: follow-ups go back into it first.
    sender_id = Column(String(128), nullable=True)
    channel = Column(String(32), nullable=True)
    created_at = Column(DateTime(timezone=True), default=utcnow, nullable=False)
    ended_at = Column(DateTime(timezone=True), index=True)  # index: migration 0008
    # The day the follow-up engine first saw it ended (when its kind gets aftercare): check-in m is
    # meant for this day plus m months, each planned as its day comes into view (migration 0012).
    # A date, not ended_at: that moment is stored differently per database and writer.
    aftercare_from = Column(Date, nullable=True, index=True)
    # The day the bot said it would get in touch (the offer's check-in date, e.g. a pause's "Op
    # {datum} nemen we contact met je op"); the follow-up engine plans that message (migration 0015).
    checkin_on = Column(Date, nullable=True, index=True)

    instalments = relationship("Instalment", back_populates="arrangement", order_by="Instalment.number")


class Instalment(Base):
    __tablename__ = "instalments"
    __table_args__ = (UniqueConstraint("arrangement_id", "number", name="uq_instalment_number"),)

    id = Column(Integer, primary_key=True)
    arrangement_id = Column(Integer, ForeignKey("arrangements.id"), nullable=False, index=True)
    number = Column(Integer, nullable=False)
    due_on = Column(Date, nullable=False, index=True)
    # Set when the customer moved this instalment (once, within the plan page's limits).
    original_due_on = Column(Date, nullable=True)
    moved_at = Column(DateTime(timezone=True), nullable=True)
    amount_cents = Column(Integer, nullable=False)
    paid_cents = Column(Integer, nullable=False, default=0)
    status = Column(String(8), nullable=False, default="open")
    paid_at = Column(DateTime(timezone=True), index=True)  # index: migration 0008
    payment_public_id = Column(String(36), nullable=True)
    # The "instalment due" outcome event is written once, on the due date (ledger.close_day).
    due_logged = Column(Boolean, nullable=False, default=False)

    arrangement = relationship("Arrangement", back_populates="instalments")


class FollowUp(Base):
    """One unprompted message, planned, then claimed and sent by the follow-up engine exactly once.

    `key` is unique (arrangement, instalment, kind, channel, or for outreach the customer and the
    period), so planning twice plans nothing twice. `rule`, `policy_version` and `facts` say why
    it went out, for staff."""

    __tablename__ = "follow_ups"

    id = Column(Integer, primary_key=True)
    key = Column(String(160), unique=True, nullable=False)
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False)
    arrangement_id = Column(Integer, nullable=True)
    instalment_id = Column(Integer, nullable=True)
    kind = Column(String(32), nullable=False)
    channel = Column(String(32), nullable=False)
    sender_id = Column(String(128), nullable=False)
    response = Column(String(64), nullable=False)
    slots = Column(JSON, nullable=False, default=dict)
    rule = Column(String(64), nullable=False)
    policy_version = Column(String(32), nullable=False)
    facts = Column(JSON, nullable=False, default=dict)
    not_before = Column(DateTime(timezone=True), nullable=False)
    status = Column(String(12), nullable=False, default="pending")  # pending|sending|sent|skipped|failed
    attempts = Column(Integer, nullable=False, default=0)
    claimed_by = Column(String(64), nullable=True)
    claim_expires_at = Column(DateTime(timezone=True), nullable=True)
    sent_at = Column(DateTime(timezone=True), nullable=True)
    outcome = Column(String(64), nullable=True)
    created_at = Column(DateTime(timezone=True), default=utcnow, nullable=False)


Index("ix_follow_ups_due", FollowUp.status, FollowUp.not_before)
# A customer's or an arrangement's rows of one kind (planning looks up which messages already
# have a row; migration 0013): by the customer or arrangement alone, SQLite would read every one
# of their rows to check its kind.
Index("ix_follow_ups_customer_kind", FollowUp.customer_id, FollowUp.kind)
Index("ix_follow_ups_arrangement_kind", FollowUp.arrangement_id, FollowUp.kind)
Index("ix_follow_ups_instalment_kind", FollowUp.instalment_id, FollowUp.kind)  # migration 0008
# The contact-pressure window (sent moments per customer) read from the index alone; partial, so
# only marking a row sent writes to it (migration 0010).
Index("ix_follow_ups_sent", FollowUp.customer_id, FollowUp.sent_at, sqlite_where=FollowUp.sent_at.is_not(None),
      postgresql_where=FollowUp.sent_at.is_not(None))
# The daily close (ledger.close_day) finds open, missed and not yet logged instalments by these
# (migration 0008), without walking every instalment ever due.
Index("ix_instalments_status_due", Instalment.status, Instalment.due_on)
Index("ix_instalments_status", Instalment.status, Instalment.arrangement_id)
Index("ix_instalments_due_logged", Instalment.due_logged, Instalment.due_on)
# A paid webhook finds its instalment by the payment (migration 0009).
Index("ix_instalments_payment_public_id", Instalment.payment_public_id)


class FollowUpDay(Base):
    """A local day the follow-up engine has closed (ledger.close_day) and planned the next day's
    messages after. Written in the same transaction as that work, so each day is done exactly
    once however many engine processes run (migration 0008)."""

    __tablename__ = "follow_up_days"

    day = Column(Date, primary_key=True, autoincrement=False)
    closed_at = Column(DateTime(timezone=True), nullable=False)
    closed_by = Column(String(64), nullable=False)
    due = Column(Integer, nullable=False, default=0)
    missed = Column(Integer, nullable=False, default=0)
    ended = Column(Integer, nullable=False, default=0)
    planned = Column(Integer, nullable=False, default=0)


class ChannelOptOut(Base):
    """A channel address that wants no unprompted messages (the customer said STOP, or the
    provider refused: Twilio 21610/63014, Telegram 403). Answers to the customer still go."""

    __tablename__ = "channel_opt_outs"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), unique=True, nullable=False)
    channel = Column(String(32), nullable=False)
    customer_id = Column(Integer, nullable=True, index=True)
    reason = Column(String(32), nullable=False)
    opted_out_at = Column(DateTime(timezone=True), default=utcnow, nullable=False)


class RiskSignal(Base):
    """A sign of trouble before any arrears (R22): a bounced direct debit, a rising overdraft,
    a missed payment elsewhere. Read by preventive outreach and the console's list."""

    __tablename__ = "risk_signals"

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False, index=True)
    kind = Column(String(32), nullable=False)
    observed_on = Column(Date, nullable=False)
    detail = Column(JSON, nullable=False, default=dict)

    customer = relationship("Customer")


# -- outcomes (issue 11): an append-only log of the facts the KPIs are computed from ----------
class OutcomeEvent(Base):
    """Written where the fact happens and never updated. No foreign keys: erasure removes a
    customer's events by customer id, in any order."""

    __tablename__ = "outcome_events"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), nullable=False, index=True)
    kind = Column(String(32), nullable=False, index=True)
    customer_id = Column(Integer, nullable=True, index=True)
    case_id = Column(Integer, nullable=True)
    arrangement_id = Column(Integer, nullable=True, index=True)
    instalment_id = Column(Integer, nullable=True)
    channel = Column(String(32), nullable=True)
    reason = Column(String(64), nullable=True)
    value = Column(Integer, nullable=True)
    data = Column(JSON, nullable=False, default=dict)


# The follow-up engine's daily look-up of recent risk signals (migration 0011).
Index("ix_risk_signals_observed_on", RiskSignal.observed_on)
