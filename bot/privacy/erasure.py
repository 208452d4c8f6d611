"""Export (AVG art. 15) and erasure (art. 17) of one customer, across every store we keep."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.identity import normalise_phone
from bot.privacy import tracker_store
from bot.store.models import (
    Arrangement,
    ArrearsEpisode,
    AuditEntry,
    BookedPayment,
    Case,
    CaseNote,
    ChannelOptOut,
    ChannelOutbound,
    ChannelSender,
    Customer,
    FollowUp,
    Instalment,
    LenderRecord,
    Loan,
    LocalPaymentLink,
    OutcomeEvent,
    Payment,
    RiskSignal,
    VerificationFailure,
)


@dataclass(frozen=True)
class Footprint:
    customer: Customer
    loan_ids: list[int]
    case_ids: list[int]
    sender_ids: list[str]


def footprint(session: Session, customer_number: str) -> Footprint | None:
    customer = session.execute(select(Customer).where(Customer.customer_number == customer_number)).scalar_one_or_none()
    if customer is None:
        return None
    loan_ids = list(session.execute(select(Loan.id).where(Loan.customer_id == customer.id)).scalars())
    cases = session.execute(select(Case.id, Case.sender_id).where(Case.customer_id == customer.id)).all()
    senders = {sender for _, sender in cases}
    senders |= set(session.execute(select(Payment.sender_id).where(Payment.customer_id == customer.id)).scalars())
    senders |= set(session.execute(select(VerificationFailure.sender_id)
                                   .where(VerificationFailure.customer_number == customer_number)).scalars())
    if customer.phone:
        # Channels key conversations by phone number (twilio_whatsapp:+316...), verified or not.
        phone = normalise_phone(customer.phone)
        senders |= set(session.execute(select(ChannelSender.sender_id)
                                       .where(ChannelSender.sender_id.like(f"%{phone}"))).scalars())
    senders.discard(None)
    return Footprint(customer, loan_ids, [case_id for case_id, _ in cases], sorted(senders))


def _rows(session: Session, model, *conditions) -> list[dict[str, Any]]:
    columns = model.__table__.columns
    return [{c.name: getattr(row, c.key) for c in columns}
            for row in session.execute(select(model).where(*conditions)).scalars()]


def export_customer(session: Session, customer_number: str, tracker: Engine | None = None) -> dict | None:
    found = footprint(session, customer_number)
    if found is None:
        return None
    customer_id = found.customer.id
    data = {
        "customer": _rows(session, Customer, Customer.id == customer_id),
        "loans": _rows(session, Loan, Loan.customer_id == customer_id),
        "arrears_episodes": _rows(session, ArrearsEpisode, ArrearsEpisode.loan_id.in_(found.loan_ids)),
        "cases": _rows(session, Case, Case.customer_id == customer_id),
        "case_notes": _rows(session, CaseNote, CaseNote.case_id.in_(found.case_ids)),
        "payments": _rows(session, Payment, Payment.customer_id == customer_id),
        "verification_failures": _rows(session, VerificationFailure,
                                       VerificationFailure.customer_number == customer_number),
        "channel_outbound": _rows(session, ChannelOutbound, or_(ChannelOutbound.sender_id.in_(found.sender_ids),
                                                                ChannelOutbound.case_id.in_(found.case_ids))),
        "arrangements": _rows(session, Arrangement, Arrangement.customer_id == customer_id),
        "instalments": _rows(session, Instalment, Instalment.arrangement_id.in_(
            select(Arrangement.id).where(Arrangement.customer_id == customer_id))),
        "follow_ups": _rows(session, FollowUp, FollowUp.customer_id == customer_id),
        "channel_opt_outs": _rows(session, ChannelOptOut, or_(ChannelOptOut.customer_id == customer_id,
                                                              ChannelOptOut.sender_id.in_(found.sender_ids))),
        "risk_signals": _rows(session, RiskSignal, RiskSignal.customer_id == customer_id),
        "booked_payments": _rows(session, BookedPayment, BookedPayment.loan_id.in_(found.loan_ids)),
        "lender_records": _rows(session, LenderRecord, LenderRecord.customer_id == customer_id),
        "outcome_events": _rows(session, OutcomeEvent, OutcomeEvent.customer_id == customer_id),
        "conversations": {sender: [json.loads(event) for event in events] for sender, events in
                          tracker_store.conversation_events(tracker or tracker_store.tracker_engine(),
                                                            found.sender_ids).items()},
    }
    return json.loads(json.dumps(data, default=str))


def erase_customer(session: Session, customer_number: str, tracker: Engine | None = None) -> dict[str, int] | None:
    """Deletes everything of this customer; returns how many rows went from each store."""
    found = footprint(session, customer_number)
    if found is None:
        return None
    customer_id = found.customer.id
    counts: dict[str, int] = {}

    def remove(name: str, statement) -> None:
        counts[name] = session.execute(statement).rowcount

    remove("case_notes", delete(CaseNote).where(CaseNote.case_id.in_(found.case_ids)))
    # The audit trail keeps that a case was seen, not about whom: the link to the case goes.
    counts["audit_entries_unlinked"] = len(session.execute(
        select(AuditEntry.id).where(AuditEntry.case_id.in_(found.case_ids))).all())
    for entry in session.execute(select(AuditEntry).where(AuditEntry.case_id.in_(found.case_ids))).scalars():
        entry.case_id, entry.detail = None, {"erased": True}
    local_links = list(session.execute(select(Payment.provider_id).where(
        Payment.customer_id == customer_id, Payment.provider == "local")).scalars())
    remove("local_payment_links", delete(LocalPaymentLink).where(LocalPaymentLink.id.in_(local_links)))
    # The lender's payments and records about this customer (bot/intake), before the payments they name.
    remove("booked_payments", delete(BookedPayment).where(BookedPayment.loan_id.in_(found.loan_ids)))
    remove("lender_records", delete(LenderRecord).where(LenderRecord.customer_id == customer_id))
    remove("payments", delete(Payment).where(or_(Payment.customer_id == customer_id,
                                                   Payment.case_id.in_(found.case_ids))))
    arrangement_ids = list(session.execute(select(Arrangement.id)
                                           .where(Arrangement.customer_id == customer_id)).scalars())
    remove("instalments", delete(Instalment).where(Instalment.arrangement_id.in_(arrangement_ids)))
    remove("arrangements", delete(Arrangement).where(Arrangement.customer_id == customer_id))
    remove("follow_ups", delete(FollowUp).where(FollowUp.customer_id == customer_id))
    remove("channel_opt_outs", delete(ChannelOptOut).where(or_(ChannelOptOut.customer_id == customer_id,
                                                               ChannelOptOut.sender_id.in_(found.sender_ids))))
    remove("risk_signals", delete(RiskSignal).where(RiskSignal.customer_id == customer_id))
    # Erasure (AVG art. 17) outranks the log's append-only rule: the person's facts go too.
    remove("outcome_events", delete(OutcomeEvent).where(OutcomeEvent.customer_id == customer_id))
    remove("cases", delete(Case).where(or_(Case.customer_id == customer_id, Case.sender_id.in_(found.sender_ids))))
    remove("verification_failures", delete(VerificationFailure)
           .where(VerificationFailure.customer_number == customer_number))
    remove("channel_outbound", delete(ChannelOutbound).where(or_(ChannelOutbound.sender_id.in_(found.sender_ids),
                                                                 ChannelOutbound.case_id.in_(found.case_ids))))
    remove("channel_senders", delete(ChannelSender).where(ChannelSender.sender_id.in_(found.sender_ids)))
    remove("arrears_episodes", delete(ArrearsEpisode).where(ArrearsEpisode.loan_id.in_(found.loan_ids)))
    remove("loans", delete(Loan).where(Loan.customer_id == customer_id))
    remove("customers", delete(Customer).where(Customer.id == customer_id))
    counts["conversation_events"] = tracker_store.delete_conversations(
        tracker or tracker_store.tracker_engine(), found.sender_ids)
    return counts
