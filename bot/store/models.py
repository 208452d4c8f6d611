"""The lender's memory: customers, loans, arrears history and conversation cases (the follow-up
and outcome tables: bot/store/followup_models.py, imported from here too).

Money is stored in whole cents (integers) so no float rounding ever reaches a customer.
"""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import relationship

from bot.store.base import Base, utcnow  # noqa: F401 - Base and utcnow are imported from here too

LOAN_TYPES = ("personal_loan", "revolving_credit", "mortgage")
CASE_STATUSES = ("open", "handed_over", "closed")


class Customer(Base):
    __tablename__ = "customers"

    id = Column(Integer, primary_key=True)
    customer_number = Column(String(16), unique=True, nullable=False, index=True)
    full_name = Column(String(200), nullable=False)
    birth_date = Column(Date, nullable=False)
    phone = Column(String(32), index=True)
    created_at = Column(DateTime(timezone=True), default=utcnow, nullable=False)
    # The language the customer chose or wrote in (issue 27, bot/customer_language.py); empty: Dutch.
    language = Column(String(8), nullable=True)

    loans = relationship("Loan", back_populates="customer", order_by="Loan.id")


class Loan(Base):
    __tablename__ = "loans"

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False, index=True)
    reference = Column(String(32), unique=True, nullable=False)
    loan_type = Column(String(32), nullable=False)
    monthly_term_cents = Column(Integer, nullable=False)
    terms_behind = Column(Integer, nullable=False, default=0)
    arrears_cents = Column(Integer, nullable=False, default=0)
    costs_cents = Column(Integer, nullable=False, default=0)
    # Risk signals without arrears (R22): the follow-up issue reads these.
    bounced_debits_quarter = Column(Integer, nullable=False, default=0)
    # The lender's own figure for the arrears and the day it is as of (bot/intake/books.py): the
    # arrears above are this minus payments counted here that the figure does not hold yet.
    books_arrears_cents = Column(Integer, nullable=True)
    books_as_of = Column(Date, nullable=True)
    # Paid beyond the arrears (a late payment on a link for arrears already paid): kept for the
    # customer, never dropped; staff see it on the case and refund it or count it to the next term.
    credit_cents = Column(Integer, nullable=False, default=0, server_default="0")

    customer = relationship("Customer", back_populates="loans")
    episodes = relationship("ArrearsEpisode", back_populates="loan", order_by="ArrearsEpisode.started_on")


class ArrearsEpisode(Base):
    """An earlier period in arrears; several in a short time make the arrears recurring (R9)."""

    __tablename__ = "arrears_episodes"

    id = Column(Integer, primary_key=True)
    loan_id = Column(Integer, ForeignKey("loans.id"), nullable=False, index=True)
    started_on = Column(Date, nullable=False)
    ended_on = Column(Date)
    terms = Column(Integer, nullable=False, default=1)
    # When our data first showed these arrears (bot/followup/episodes.py); first contact (R24,
    # R25) counts from here. None for episodes made before migration 0014.
    detected_at = Column(DateTime(timezone=True), nullable=True)

    loan = relationship("Loan", back_populates="episodes")


class Case(Base):
    """What one conversation learned and offered, so nobody has to tell the story twice (R20)."""

    __tablename__ = "cases"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)
    channel = Column(String(32))
    customer_id = Column(Integer, ForeignKey("customers.id"), index=True)
    status = Column(String(16), nullable=False, default="open")
    opened_at = Column(DateTime(timezone=True), default=utcnow, nullable=False)
    updated_at = Column(DateTime(timezone=True), default=utcnow, onupdate=utcnow, nullable=False)
    cause = Column(String(32))
    cause_structural = Column(Boolean)
    answers = Column(JSON, nullable=False, default=dict)
    finances = Column(JSON, nullable=False, default=dict)
    signals = Column(JSON, nullable=False, default=list)
    solution = Column(String(32))
    offer = Column(JSON)
    policy_version = Column(String(32))
    handoff_reason = Column(Text)
    handed_over_at = Column(DateTime(timezone=True))
    assigned_to = Column(Integer, ForeignKey("staff_users.id"))
    resolved_at = Column(DateTime(timezone=True))
    summary = Column(JSON)
    # R10: cannot / will_not / does_not_manage / unknown, and the evidence for it (bot/stance).
    stance = Column(String(16))
    stance_evidence = Column(JSON)

    customer = relationship("Customer")


class VerificationFailure(Base):
    """A failed verification: the lockout counts these per customer number on every channel."""

    __tablename__ = "verification_failures"

    id = Column(Integer, primary_key=True)
    customer_number = Column(String(16), nullable=False, index=True)
    sender_id = Column(String(128), nullable=False, index=True)
    failed_at = Column(DateTime(timezone=True), default=utcnow, nullable=False, index=True)


class Payment(Base):
    """A payment request (iDEAL link, QR) and what the provider told us about it (issue 4).

    `status` only moves forward, and the arrears are reduced in the same transaction that moves
    it to paid, so a replayed or out-of-order webhook changes nothing twice.
    """

    __tablename__ = "payments"
    # Payment notices the follow-up engine plans every pass (bot/followup/notices.py): final
    # statuses reported in the last days (migration 0015).
    __table_args__ = (Index("ix_payments_status_updated_at", "status", "updated_at"),)

    id = Column(Integer, primary_key=True)
    public_id = Column(String(36), unique=True, nullable=False)
    provider = Column(String(16), nullable=False)
    provider_id = Column(String(64), index=True)
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False, index=True)
    loan_id = Column(Integer, ForeignKey("loans.id"), nullable=False)
    case_id = Column(Integer, ForeignKey("cases.id"))
    sender_id = Column(String(128))
    channel = Column(String(32))
    amount_cents = Column(Integer, nullable=False)
    amount_paid_cents = Column(Integer, nullable=False, default=0)
    description = Column(String(140), nullable=False)
    reference = Column(String(35), nullable=False)
    checkout_url = Column(Text)
    status = Column(String(16), nullable=False, default="open")
    # One link per intent to pay: a retried turn finds the link it already made.
    idempotency_key = Column(String(128), unique=True)
    created_at = Column(DateTime(timezone=True), default=utcnow, nullable=False)
    updated_at = Column(DateTime(timezone=True), default=utcnow, onupdate=utcnow, nullable=False)
    paid_at = Column(DateTime(timezone=True))
    customer_notified_at = Column(DateTime(timezone=True))
    # What this payment took off the loan's arrears when it became paid (part of an instalment
    # may cover the regular term); the lender's books import counts it until the books hold it.
    arrears_share_cents = Column(Integer, nullable=True)
    # The part of this payment that found no arrears left and went to the loan's credit.
    credit_cents = Column(Integer, nullable=True)
    # Set when we closed the link ourselves (bot/payments/closing.py): superseded | arrears_paid.
    # Money that still arrives on such a link is booked; the provider's own expiry stays final.
    closed_reason = Column(String(16), nullable=True)


class StaffUser(Base):
    __tablename__ = "staff_users"

    id = Column(Integer, primary_key=True)
    username = Column(String(64), unique=True, nullable=False)
    display_name = Column(String(128), nullable=False)
    password_hash = Column(String(256), nullable=False)
    role = Column(String(16), nullable=False)  # agent | supervisor
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime(timezone=True))
    created_at = Column(DateTime(timezone=True), default=utcnow, nullable=False)


class StaffSession(Base):
    """Server-side console sessions: the cookie holds a random id whose hash is stored here."""

    __tablename__ = "staff_sessions"

    id = Column(String(64), primary_key=True)  # sha256 of the cookie value
    user_id = Column(Integer, ForeignKey("staff_users.id"), nullable=False, index=True)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime(timezone=True), default=utcnow, nullable=False)
    expires_at = Column(DateTime(timezone=True), nullable=False)


class AuditEntry(Base):
    """Who saw and did what in the console; never updated or deleted by the application."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime(timezone=True), default=utcnow, nullable=False, index=True)
    user_id = Column(Integer, ForeignKey("staff_users.id"))
    action = Column(String(64), nullable=False)
    case_id = Column(Integer, ForeignKey("cases.id"))
    detail = Column(JSON, nullable=False, default=dict)


class CaseNote(Base):
    __tablename__ = "case_notes"

    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("cases.id"), nullable=False, index=True)
    user_id = Column(Integer, ForeignKey("staff_users.id"), nullable=False)
    at = Column(DateTime(timezone=True), default=utcnow, nullable=False)
    text = Column(Text, nullable=False)


# -- channels (bot/channels/): provider retries, the WhatsApp window, numbered buttons, delivery --
class ChannelInboundSeen(Base):
    """A provider message id already turned into a turn: the same id again makes no second turn."""

    __tablename__ = "channel_inbound_seen"
    __table_args__ = (UniqueConstraint("provider", "message_id", name="uq_channel_inbound_seen"),)

    id = Column(Integer, primary_key=True)
    provider = Column(String(16), nullable=False)
    message_id = Column(String(64), nullable=False)
    seen_at = Column(DateTime(timezone=True), default=utcnow, nullable=False, index=True)


class ChannelSender(Base):
    """Per channel sender: the last inbound message (WhatsApp 24-hour window) and the buttons
    last offered as a numbered list, so "2" maps back to the second payload."""

    __tablename__ = "channel_senders"

    sender_id = Column(String(128), primary_key=True)
    last_inbound_at = Column(DateTime(timezone=True), nullable=True)
    button_payloads = Column(JSON, nullable=True)
    buttons_at = Column(DateTime(timezone=True), nullable=True)


class ChannelDeliveryStatus(Base):
    """A provider status callback (delivered, failed, ...). No phone numbers, no text."""

    __tablename__ = "channel_delivery_status"

    id = Column(Integer, primary_key=True)
    provider = Column(String(16), nullable=False)
    message_id = Column(String(64), nullable=False, index=True)
    status = Column(String(32), nullable=False)
    error_code = Column(String(16), nullable=True)
    recorded_at = Column(DateTime(timezone=True), default=utcnow, nullable=False)


# -- payments (bot/payments/local.py): the embedded test provider's own side of a link ----------
class LocalPaymentLink(Base):
    """What the local test provider knows about a link, kept apart from `payments` on purpose:
    the webhook fetches this back exactly as it fetches a Mollie link, so our side never trusts
    the page that was clicked."""

    __tablename__ = "local_payment_links"

    id = Column(String(40), primary_key=True)  # "lp_" + random token, the provider id
    amount_cents = Column(Integer, nullable=False)
    amount_paid_cents = Column(Integer, nullable=False, default=0)
    description = Column(String(140), nullable=False)
    status = Column(String(16), nullable=False, default="open")
    created_at = Column(DateTime(timezone=True), default=utcnow, nullable=False)
    expires_at = Column(DateTime(timezone=True), nullable=False)
    completed_at = Column(DateTime(timezone=True))


# -- channels: proactive messages and the WhatsApp 24-hour window (bot/channels/twilio.py) ------
OUTBOUND_OUTCOMES = ("sent", "sent_as_template", "queued", "delivering", "delivered_from_queue", "failed", "expired")


class ChannelOutbound(Base):
    """A proactive message (a push through Rasa's HTTP API: payment news, a staff reply) and what
    became of it: sent, sent as an approved template, or queued until the customer writes again
    (outside WhatsApp's 24-hour window) and then delivered from the queue, once.

    `message` holds the queued message itself (what Rasa handed the output channel) only while
    it waits; it is cleared on delivery. `ref` links the row to its origin: the console's reply
    id, or the domain response name."""

    __tablename__ = "channel_outbound"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)
    # No foreign key: retention and erasure remove these rows with their case, in any order.
    case_id = Column(Integer, nullable=True, index=True)
    source = Column(String(16), nullable=False)  # staff_reply | response | bot
    ref = Column(String(64), nullable=True, index=True)
    outcome = Column(String(24), nullable=False)
    template = Column(String(64), nullable=True)
    message = Column(JSON, nullable=True)
    message_sid = Column(String(64), nullable=True)
    created_at = Column(DateTime(timezone=True), default=utcnow, nullable=False)
    delivered_at = Column(DateTime(timezone=True), nullable=True)


# The follow-up and outcome tables, importable from here like every other model.
from bot.store.collection_models import CollectionNotice  # noqa: E402 - notice before collection (R6)
from bot.store.followup_models import (  # noqa: E402 - they build on the tables above
    ARRANGEMENT_STATUSES,
    INSTALMENT_STATUSES,
    Arrangement,
    ChannelOptOut,
    FollowUp,
    FollowUpDay,
    Instalment,
    OutcomeEvent,
    RiskSignal,
)
from bot.store.intake_models import BookedPayment, DailyJob, LenderRecord  # noqa: E402 - lender data (issue 21)

__all__ = ["ARRANGEMENT_STATUSES", "INSTALMENT_STATUSES", "Arrangement", "ChannelOptOut", "FollowUp", "FollowUpDay",
           "Instalment", "OutcomeEvent", "RiskSignal", "BookedPayment", "DailyJob", "LenderRecord",
           "CollectionNotice"]

# The follow-up engine's daily look-up of resolved cases (migration 0011): otherwise it reads the whole table.
Index("ix_cases_resolved_at", Case.resolved_at)
# First contact on new arrears (bot/followup/first_contact.py) finds the open episodes (migration 0014).
Index("ix_arrears_episodes_open", ArrearsEpisode.ended_on, ArrearsEpisode.started_on)
