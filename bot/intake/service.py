"""Taking in a batch of the lender's records (an HTTP request or a file), all or nothing.

A batch is one transaction: every record is checked first (the schema, then what it names: a
known customer or loan, its id not used for other content, a figure not older than the one we
hold); if any record is refused, nothing of the batch is written and each refused record is
reported with its line, a 4xx status and the reason. Why not record by record: a books file is
one picture of the lender's books (figures and the payments behind them); half of it would
leave arrears that match neither the old picture nor the new one, and a first-contact message
could go out on such a half. Sending the corrected file again is safe: records already taken are
recognised by their id and change nothing (status 200 instead of 201).

After the records are applied, each loan the batch touched is settled (bot/intake/books.py) and
its change of arrears read as the loan data's news (bot/followup/episodes.py): new arrears open
an episode (first contact, R24), a relapse is recorded (R21), arrears paid off end one.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import clock
from bot.followup import episodes, ledger
from bot.intake import books
from bot.intake.schema import IntakePolicy, Parsed, Record, Refusal, policy
from bot.store.db import engine, engine_for
from bot.store.models import AuditEntry, Customer, LenderRecord, Loan

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    accepted: bool
    records: list[dict[str, Any]] = field(default_factory=list)   # per record: line, type, id, status
    refusals: list[Refusal] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)

    @property
    def status(self) -> int:
        """The HTTP status of the whole batch: 201 something new, 200 all known already, else
        the refusals' (409 when every refusal is a conflict, 400 when none was a record at all)."""
        if self.accepted:
            return 201 if self.counts["created"] else 200
        statuses = {r.status for r in self.refusals}
        return statuses.pop() if len(statuses) == 1 else 422

    def as_dict(self) -> dict[str, Any]:
        if self.accepted:
            return {"accepted": True, "created": self.counts["created"], "duplicates": self.counts["duplicates"],
                    "records": self.records}
        return {"accepted": False, "error": "nothing was taken in: fix the refused records and send the batch again",
                "refused": [r.as_dict() for r in self.refusals]}


@dataclass
class _Resolved:
    record: Record
    new: bool
    customer: Customer | None = None
    loan: Loan | None = None


def take_in(session: Session, parsed: Parsed, *, via: str, rules: IntakePolicy | None = None,
            now: datetime | None = None) -> Outcome:
    """Checks and applies a parsed batch in the caller's transaction. When the outcome is not
    accepted nothing was written; the caller should still roll back (and does, via raise)."""
    rules = rules or policy()
    now = now or clock.utcnow()
    outcome = Outcome(accepted=False, refusals=list(parsed.refusals))
    if len(parsed.records) + len(parsed.refusals) > rules.max_records:
        outcome.refusals = [Refusal(0, 413, f"more than {rules.max_records} records: split the batch")]
        return outcome
    if not parsed.records and not parsed.refusals:
        outcome.refusals = [Refusal(0, 400, "no records")]
        return outcome
    resolved = _resolve(session, parsed.records, outcome)
    if outcome.refusals:
        outcome.refusals.sort(key=lambda r: r.line)
        return outcome
    _apply(session, resolved, via=via, rules=rules, now=now, outcome=outcome)
    outcome.accepted = True
    session.add(AuditEntry(action="lender_intake", detail={"via": via, **outcome.counts}))
    log.info("lender intake (%s): %d created, %d already known", via, outcome.counts["created"],
             outcome.counts["duplicates"])
    return outcome


def _resolve(session: Session, records: list[Record], outcome: Outcome) -> list[_Resolved]:
    """What each record names, and whether we have it already; refusals go into `outcome`."""
    known = {}
    for kind in {r.type for r in records}:
        ids = [r.id for r in records if r.type == kind]
        for row in session.execute(select(LenderRecord.record_id, LenderRecord.digest)
                                   .where(LenderRecord.kind == kind, LenderRecord.record_id.in_(ids))):
            known[kind, row.record_id] = row.digest
    numbers = {r["customer_number"] for r in records if r.type == "signal"}
    customers = {c.customer_number: c for c in session.execute(
        select(Customer).where(Customer.customer_number.in_(numbers))).scalars()} if numbers else {}
    references = {r["loan_reference"] for r in records if r["loan_reference"]}
    loans = {loan.reference: loan for loan in session.execute(
        select(Loan).where(Loan.reference.in_(references)).with_for_update()).scalars()} if references else {}
    in_batch: dict[tuple[str, str], str] = {}
    resolved = []
    for record in records:
        refuse = _refusal_of(session, record, known, in_batch, customers, loans)
        if refuse is not None:
            outcome.refusals.append(Refusal(record.line, refuse[0], refuse[1], record.type, record.id))
            continue
        new = (record.type, record.id) not in known and (record.type, record.id) not in in_batch
        in_batch[record.type, record.id] = record.digest
        loan = loans.get(record["loan_reference"]) if record["loan_reference"] else None
        customer = customers.get(record["customer_number"]) if record.type == "signal" else None
        resolved.append(_Resolved(record, new, customer, loan))
    return resolved


def _refusal_of(session: Session, record: Record, known: dict, in_batch: dict, customers: dict,
                loans: dict) -> tuple[int, str] | None:
    key = (record.type, record.id)
    earlier = known.get(key) or in_batch.get(key)
    if earlier is not None:
        return None if earlier == record.digest else (409, "this id was already used for a record with other content")
    loan = loans.get(record["loan_reference"]) if record["loan_reference"] else None
    if record.type == "signal":
        customer = customers.get(record["customer_number"])
        if customer is None:
            return 422, "unknown customer number"
        if record["loan_reference"] and (loan is None or loan.customer_id != customer.id):
            return 422, "the loan reference is not a loan of this customer"
        return None
    if loan is None:
        return 422, "unknown loan reference"
    if record.type == "loan" and loan.books_as_of is not None and record["as_of"] < loan.books_as_of:
        return 409, f"older than the books we hold for this loan (as of {loan.books_as_of.isoformat()})"
    if record.type == "payment" and record["reference"]:
        ours = books.our_payment(session, record["reference"])
        if ours is not None and ours.loan_id != loan.id:
            return 422, "the reference is a payment for another loan"
    return None


def _apply(session: Session, resolved: list[_Resolved], *, via: str, rules: IntakePolicy, now: datetime,
           outcome: Outcome) -> None:
    before: dict[int, int] = {}
    figures: dict[int, Record] = {}
    # Figures in the order of their dates (a file may list an older one after a newer one).
    ordered = sorted(resolved, key=lambda r: (r.record.type != "loan", r.record["as_of"] or date.min, r.record.line))
    for item in ordered:
        record, loan = item.record, item.loan
        outcome.records.append({"line": record.line, "type": record.type, "id": record.id,
                                "status": 201 if item.new else 200})
        outcome.counts["created" if item.new else "duplicates"] += 1
        if not item.new:
            continue
        customer_id = item.customer.id if item.customer is not None else loan.customer_id
        session.add(LenderRecord(kind=record.type, record_id=record.id, digest=record.digest, via=via,
                                 customer_id=customer_id, received_at=now))
        if record.type == "signal":
            detail = {"source": "lender", "record": record.id}
            if record["loan_reference"]:
                detail["loan"] = record["loan_reference"]
            if record["amount_cents"] is not None:
                detail["amount_cents"] = record["amount_cents"]
            ledger.record_risk_signal(session, customer_id, record["kind"], record["observed_on"], detail)
            continue
        before.setdefault(loan.id, loan.arrears_cents)
        if record.type == "loan":
            if loan.books_as_of is None or record["as_of"] >= loan.books_as_of:
                books.apply_figure(loan, record)
                figures[loan.id] = record
        else:
            books.apply_payment(session, loan, record)
    outcome.records.sort(key=lambda r: r["line"])
    today = clock.today()
    for loan_id, was in before.items():
        loan = session.get(Loan, loan_id)
        figure = figures.get(loan_id)
        books.settle(session, loan, lag_days=rules.booking_lag_days,
                     lender_terms=figure["terms_behind"] if figure is not None else None)
        episodes.arrears_changed(session, loan, was, today, began_on=figure["arrears_since"] if figure else None,
                                 at=now)


def refused_everything(reason: str, status: int = 400) -> Outcome:
    return Outcome(accepted=False, refusals=[Refusal(0, status, reason)])



def take_in_batch(parsed: Parsed, *, via: str, database_url: str | None = None, dry_run: bool = False) -> Outcome:
    """take_in in a transaction of its own: committed when accepted (and not a dry run), else
    rolled back. Two batches naming the same new id at once: the second fails on the unique
    key, and is run once more, when it finds the first's record."""
    for attempt in (1, 2):
        with Session(engine_for(database_url) if database_url else engine(), future=True,
                     expire_on_commit=False) as session:
            try:
                session.begin()
                outcome = take_in(session, parsed, via=via)
                if outcome.accepted and not dry_run:
                    session.commit()
                else:
                    session.rollback()
                return outcome
            except IntegrityError:
                session.rollback()
                if attempt == 2:
                    raise
    raise AssertionError("unreachable")  # pragma: no cover
