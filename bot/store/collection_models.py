"""The advance notice before external collection (R6): when it went, to whom, from which day a
handover is allowed, and the handover itself (who, when)."""
from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, ForeignKey, Integer, String

from bot.store.base import Base, utcnow


class CollectionNotice(Base):
    __tablename__ = "collection_notices"

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customers.id"), nullable=False, index=True)
    loan_id = Column(Integer, ForeignKey("loans.id"), nullable=False, index=True)
    sender_id = Column(String(128), nullable=False)
    sent_at = Column(DateTime(timezone=True), default=utcnow, nullable=False)
    sent_by = Column(Integer, ForeignKey("staff_users.id"))
    # The first day a handover to an external agency is allowed: the notice's period has passed.
    handover_from = Column(Date, nullable=False)
    policy_version = Column(String(32), nullable=False)
    handed_over_at = Column(DateTime(timezone=True))
    handed_over_by = Column(Integer, ForeignKey("staff_users.id"))
