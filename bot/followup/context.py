"""What the rules need to know about a batch of claimed follow-ups (bot/followup/engine.py):
the instalments and arrangements they are about, the customers' addresses and opt-outs, the
WhatsApp windows and each customer's contacts in the pressure window.

Everything is read fresh for every batch, in the batch's own transaction, so an opt-out, a new
conversation or a changed phone number written meanwhile counts for the next batch. The
statements are built once (their IN lists are parameters): a simulated year runs thousands of
batches, and building a statement with an inline list of 2,000 ids costs more than running it.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from bot.addresses import is_whatsapp, sms_to
from bot.clock import as_utc
from bot.followup import calendar, first_contact, notices, plan, planner
from bot.followup.outreach import customers_in_arrangement, customers_in_arrears
from bot.followup.plan import each_in
from bot.followup.policy import Policy
from bot.store.idlists import id_list, in_list
from bot.store.models import Arrangement, Case, ChannelOutbound, ChannelSender, Customer, FollowUp, Instalment

F = FollowUp.__table__.c
WHATSAPP_WINDOW = timedelta(hours=24)  # as bot/channels/state.py: free-form only this long after the customer

# Table columns rather than the models' attributes: plain rows, without the ORM's loading.
INSTALMENT, ARRANGEMENT = Instalment.__table__.c, Arrangement.__table__.c
_INSTALMENTS = select(INSTALMENT.id, INSTALMENT.status, INSTALMENT.due_on, INSTALMENT.amount_cents,
                      INSTALMENT.paid_cents, INSTALMENT.arrangement_id).where(in_list(INSTALMENT.id, id_list()))
_ARRANGEMENTS = select(ARRANGEMENT.id, ARRANGEMENT.status, ARRANGEMENT.customer_id, ARRANGEMENT.loan_id,
                       ARRANGEMENT.case_id, ARRANGEMENT.sender_id, ARRANGEMENT.contact_person
                       ).where(in_list(ARRANGEMENT.id, id_list()))
SENDER, OUTBOUND = ChannelSender.__table__.c, ChannelOutbound.__table__.c
_WINDOWS = select(SENDER.sender_id, SENDER.last_inbound_at).where(in_list(SENDER.sender_id, id_list()))
# Only sent rows have sent_at: read from the partial index (customer_id, sent_at) of sent rows.
_SENT = select(F.customer_id, F.sent_at).where(in_list(F.customer_id, id_list()), F.sent_at > bindparam("since"))
# Rows being sent by another engine (or by this one in an earlier batch): the batch's own rows are
# left out in SQL rather than read and dropped (they are most of what is `sending`).
_SENDING = select(F.customer_id, F.claim_expires_at).where(
    in_list(F.customer_id, id_list()), F.status == "sending", ~in_list(F.id, id_list("batch")))
# R10: the stance of each customer's cases, oldest first, so the newest case's class counts.
CASE = Case.__table__.c
_STANCES = select(CASE.customer_id, CASE.stance).where(
    in_list(CASE.customer_id, id_list()), CASE.stance.is_not(None)).order_by(CASE.id)
# The reminders a customer who does not manage gets a person for instead (R10).
REMINDER_KINDS = ("reminder_before", "reminder_today", "missed", "reassessment")
# The language each customer chose or wrote in (issue 27): a reminder is said in it.
CUSTOMER = Customer.__table__.c
_LANGUAGES = select(CUSTOMER.id, CUSTOMER.language).where(in_list(CUSTOMER.id, id_list()), CUSTOMER.language.isnot(None))
_STAFF_REPLIES = select(OUTBOUND.sender_id, OUTBOUND.created_at).where(
    and_(in_list(OUTBOUND.sender_id, id_list()), OUTBOUND.source == "staff_reply",
         OUTBOUND.created_at > bindparam("since")))



@dataclass
class Context:
    instalments: dict[int, Any]
    arrangements: dict[int, Any]
    counts: dict[int, tuple[int, int, int]]
    in_arrears: set[int]
    in_arrangement: set[int]
    book: plan.AddressBook
    window_open: set[str]
    templated: set[str]
    template_names: dict[str, str]
    contacts: dict[int, list[datetime]]
    tried: dict[str, set[str]]
    # First contact on new arrears (bot/followup/first_contact.py): the episodes of the batch's
    # rows, and the customers who talked to us since we saw their arrears.
    episodes: dict[int, Any] = field(default_factory=dict)
    in_conversation: set[int] = field(default_factory=set)
    # R10: customers whose newest case says they do not manage (stress, shame, overview lost).
    not_managing: set[int] = field(default_factory=set)
    # Payment notices (bot/followup/notices.py): their payments, and those a later payment paid.
    payments: dict[int, Any] = field(default_factory=dict)
    superseded: set[int] = field(default_factory=set)
    languages: dict[int, str] = field(default_factory=dict)

    def templated_name(self, response: str) -> str | None:
        return self.template_names.get(response)

    @classmethod
    def load(cls, session: Session, rows: list[dict], now: datetime, policy: Policy,
             template_names: dict[str, str]) -> "Context":
        customer_ids = sorted({r["customer_id"] for r in rows})
        instalment_ids = sorted({r["instalment_id"] for r in rows if r["instalment_id"]})
        arrangement_ids = sorted({r["arrangement_id"] for r in rows if r["arrangement_id"]})
        instalments = {r.id: r for r in each_in(session, _INSTALMENTS, instalment_ids)}
        arrangements = {r.id: r for r in each_in(session, _ARRANGEMENTS, arrangement_ids)}
        counts = planner.instalment_counts(session, arrangement_ids, calendar.local_today(now))
        every = {r["sender_id"] for r in rows if r["sender_id"]} | {a.sender_id for a in arrangements.values()
                                                                   if a.sender_id}
        book = plan.AddressBook(session).ensure(customer_ids, every)
        for customer_id in customer_ids:
            every.update(book.senders(customer_id))
        whatsapp = sorted(s for s in every if is_whatsapp(s))
        window_open = {sender_id for sender_id, last in each_in(session, _WINDOWS, whatsapp)
                       if last is not None and now - as_utc(last) <= WHATSAPP_WINDOW}
        contacts = _contacts(session, rows, customer_ids, book, every, now, policy)
        # Whether the customer is in arrears or in an arrangement only matters for outreach.
        outreach = sorted({r["customer_id"] for r in rows if r["kind"] in ("aftercare", "preventive",
                                                                          "arrangement_broken", first_contact.KIND)})
        episodes = first_contact.episodes_of(session, rows)
        payments, superseded = notices.payments_of(session, rows)
        return cls(instalments=instalments, arrangements=arrangements, counts=counts,
                   in_arrears=customers_in_arrears(session, outreach),
                   in_arrangement=customers_in_arrangement(session, outreach), book=book,
                   window_open=window_open, templated=set(template_names), template_names=template_names,
                   contacts=contacts, tried={}, episodes=episodes,
                   in_conversation=first_contact.in_conversation(session, episodes), payments=payments,
                   superseded=superseded,
                   not_managing=customers_not_managing(
                       session, sorted({r["customer_id"] for r in rows if r["kind"] in REMINDER_KINDS})),
                   languages=dict(each_in(session, _LANGUAGES, customer_ids)))

    def tried_for(self, session: Session, customer_id: int, kind: str, logical: str) -> set[str]:
        """The channels this message already has a row on (looked up only when the planned
        address cannot be used)."""
        if logical not in self.tried:
            found = set()
            for key, channel in session.execute(select(F.key, F.channel).where(F.customer_id == customer_id,
                                                                                F.kind == kind)):
                if plan.logical_of(key) == logical:
                    found.add(channel)
            self.tried[logical] = found
        return self.tried[logical]


def customers_not_managing(session: Session, customer_ids: list[int]) -> set[int]:
    newest: dict[int, str] = {}
    for customer_id, stance in each_in(session, _STANCES, customer_ids):
        newest[customer_id] = stance
    return {customer_id for customer_id, stance in newest.items() if stance == "does_not_manage"}


def _contacts(session: Session, rows: list[dict], customer_ids: list[int], book: plan.AddressBook,
              addresses: set[str], now: datetime, policy: Policy) -> dict[int, list[datetime]]:
    """Per customer, the moments of unprompted contact in the pressure window: follow-ups sent,
    follow-ups being sent by another engine, and (when counted) staff replies from the console."""
    since = now - timedelta(days=policy.window_days)
    contacts: dict[int, list[datetime]] = defaultdict(list)
    lease = timedelta(seconds=policy.lease_seconds)
    for customer_id, sent_at in each_in(session, _SENT, customer_ids, since=since):
        contacts[customer_id].append(as_utc(sent_at))
    batch = sorted(r["id"] for r in rows)
    for customer_id, expires in each_in(session, _SENDING, customer_ids, batch=batch):
        if expires is not None:
            contacts[customer_id].append(min(now, as_utc(expires) - lease))
    if policy.count_staff_replies and addresses:
        owner = {}
        for customer_id in customer_ids:
            for sender in book.cases.get(customer_id, []):
                owner[sender] = customer_id
            phone = book.phones.get(customer_id)
            if phone:
                owner[sms_to(phone)] = customer_id
        for row in rows:
            if row["sender_id"]:
                owner.setdefault(row["sender_id"], row["customer_id"])
        for sender_id, created_at in each_in(session, _STAFF_REPLIES, sorted(owner), since=since):
            contacts[owner[sender_id]].append(as_utc(created_at))
    return contacts
