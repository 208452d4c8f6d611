"""Deciding about a claimed batch of follow-ups (the engine's third step, bot/followup/engine.py):
the rules (bot/followup/rules.py) applied to each row in the batch's transaction. Rows that may
not go now are skipped (no longer relevant, no address) or deferred (quiet hours, contact
pressure) with the reason in `outcome`; a message whose planned address cannot be used moves to
the customer's next address as a row of its own; the rest is returned to be sent, with its
slots and the facts that made it go out.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from bot import cases
from bot.followup import calendar, first_contact, plan, rules
from bot.followup.context import Context
from bot.followup.links import PaymentLinks
from bot.followup.policy import Policy
from bot.followup.report import TickReport
from bot.followup.sending import Delivery
from bot.formatting import format_date_nl
from bot.money import format_euro
from bot.store.bulk import BulkStatement
from bot.store.db import core
from bot.store.idlists import id_list, in_list
from bot.store.models import FollowUp

F = FollowUp.__table__.c
LINK_KINDS = ("reminder_before", "reminder_today", "missed")

# The claimed rows of a batch that this engine still holds: the columns a decision, a send, its
# mark and a message moved to another address need (not the claim's own, nor created_at).
_CLAIMED = select(F.id, F.key, F.customer_id, F.arrangement_id, F.instalment_id, F.kind, F.channel, F.sender_id,
                  F.response, F.slots, F.rule, F.policy_version, F.facts, F.not_before, F.attempts).where(
    in_list(F.id, id_list()), F.status == "sending", F.claimed_by == bindparam("me"))
# Written for many rows at once: compiled once, without SQLAlchemy's per-row work (bot/store/bulk.py).
_SKIP = BulkStatement(update(FollowUp.__table__).where(F.id == bindparam("b_id"), F.claimed_by == bindparam("me"))
                      .values(status="skipped", outcome=bindparam("b_outcome"), claim_expires_at=None),
                      ("b_id", "me", "b_outcome"))
_DEFER = BulkStatement(update(FollowUp.__table__).where(F.id == bindparam("b_id"), F.claimed_by == bindparam("me"))
                       .values(status="pending", not_before=bindparam("b_not_before"), outcome=bindparam("b_outcome"),
                               claim_expires_at=None),
                       ("b_id", "me", "b_not_before", "b_outcome"))


@dataclass
class Send:
    row: dict[str, Any]
    delivery: Delivery
    facts: dict[str, Any]
    channel: str
    case_id: int | None


def decide(session: Session, ids: list[int], now: datetime, *, policy: Policy, engine_name: str,
           links: PaymentLinks, report: TickReport) -> list[Send]:
    """Applies the rules to the claimed rows `ids`; skips, defers and moves what may not go now
    and returns what is to be sent."""
    today = calendar.local_today(now)
    rows = [r._asdict() for r in core(session).execute(_CLAIMED, {"ids": ids, "me": engine_name}).all()]
    if not rows:
        return []
    context = Context.load(session, rows, now, policy, whatsapp_templates())
    sends: list[Send] = []
    skips: list[dict] = []
    defers: list[dict] = []
    fallbacks: list[dict] = []
    to_a_person: set[int] = set()
    contacts = context.contacts
    quiet_until = rules.quiet_now(now, policy)
    priority = {name: spec.priority for name, spec in policy.kinds.items()}
    order = sorted(rows, key=lambda r: (r["customer_id"], priority.get(r["kind"], 99), r["not_before"], r["id"]))
    # The same for every row; only the response differs.
    refusal_checks = {"opted_out": context.book.opted_out, "window_open": context.window_open,
                      "templated": context.templated, "policy": policy}
    for row in order:
        facts = row["facts"] or {}  # the row's own copy, read from the database just now
        kind = row["kind"]
        instalment = context.instalments.get(row["instalment_id"])
        arrangement = context.arrangements.get(row["arrangement_id"])
        episode = context.episodes.get(int(facts.get("episode") or 0))
        payment = context.payments.get(int(facts.get("payment") or 0)) if kind == "payment_notice" else None
        reason = rules.relevance(
            kind, today, facts, policy,
            instalment=rules.InstalmentState(instalment.status, instalment.due_on) if instalment else None,
            arrangement=rules.ArrangementState(arrangement.status) if arrangement else None,
            customer_has_arrears=row["customer_id"] in context.in_arrears,
            customer_in_arrangement=row["customer_id"] in context.in_arrangement,
            arrears_open=episode is not None and episode.ended_on is None and episode.arrears_cents > 0,
            customer_in_conversation=row["customer_id"] in context.in_conversation,
            customer_not_managing=row["customer_id"] in context.not_managing,
            payment=rules.PaymentState(payment.status, payment.customer_notified_at is not None,
                                       payment.id in context.superseded) if payment else None)
        if reason == rules.PERSON_INSTEAD:
            to_a_person.add(row["customer_id"])
        if reason is not None:
            skips.append({"b_id": row["id"], "b_outcome": reason})
            report.skipped[reason] += 1
            continue
        if quiet_until is not None:
            defers.append({"b_id": row["id"], "b_not_before": quiet_until, "b_outcome": "deferred:quiet_hours"})
            report.deferred["quiet_hours"] += 1
            continue
        customer_contacts = contacts[row["customer_id"]]
        pressure = rules.pressure_count(customer_contacts, now, policy)
        if pressure >= policy.max_messages:  # rules.pressure_allows, counted once for the facts too
            until = calendar.next_allowed(rules.pressure_frees_at(customer_contacts, now, policy), policy)
            defers.append({"b_id": row["id"], "b_not_before": until, "b_outcome": "deferred:pressure"})
            report.deferred["pressure"] += 1
            continue
        checks = {"response": row["response"], **refusal_checks}
        logical = plan.logical_of(row["key"])
        own = rules.Address.of(row["sender_id"]) if row["sender_id"] else None
        if own is not None and own.channel in rules.OUTPUT_CHANNELS and \
                rules.address_refusal(own, **checks) is None:
            address, refusal = own, None
        else:
            # The planned address may not be used now: the next of the customer's addresses,
            # on a channel this message has not been tried on yet.
            arrangement_sender = arrangement.sender_id if arrangement else None
            candidates = context.book.candidates(row["customer_id"], row["sender_id"] or None,
                                                 arrangement_sender, policy)
            if kind == first_contact.KIND:
                candidates = first_contact.preferred(candidates, policy)
            tried = context.tried_for(session, row["customer_id"], row["kind"], logical) - {row["channel"]}
            address, refusal = rules.choose_address(candidates, tried, **checks)
        if address is None:
            skips.append({"b_id": row["id"], "b_outcome": refusal})
            report.skipped[refusal] += 1
            continue
        if address.sender_id != row["sender_id"]:
            # Not on the planned address: this row is skipped with the reason, and the
            # message moves to the next address as a row of its own (same message, that
            # channel), claimed by us and sent now.
            reason = refusal or "address_changed"
            skips.append({"b_id": row["id"], "b_outcome": f"{reason}; moved to {address.channel}"})
            report.skipped[f"{reason} (moved)"] += 1
            context.tried_for(session, row["customer_id"], row["kind"], logical).update(
                {row["channel"], address.channel})
            moved = {k: v for k, v in row.items() if k != "id"}
            moved.update(key=plan.make_key(logical, address.channel), channel=address.channel,
                         sender_id=address.sender_id, status="sending", attempts=1, claimed_by=engine_name,
                         claim_expires_at=now + timedelta(seconds=policy.lease_seconds), outcome=None,
                         created_at=now, facts={**facts, "moved_from": row["channel"], "moved_because": reason})
            fallbacks.append(moved)
            row = moved
            facts = moved["facts"]
        slots = message_slots(session, row, instalment, arrangement, context, address, links)
        if row["customer_id"] in context.languages:
            # Said in the customer's language (issue 27): the NLG picks the catalogue by this slot.
            slots["language"] = context.languages[row["customer_id"]]
        if kind == first_contact.KIND and not slots.get("payment_link"):
            # The message is the link (R24): without one (the provider is down) it waits and tries again.
            until = calendar.next_allowed(now + timedelta(minutes=policy.retry_minutes), policy)
            if "id" in row:
                defers.append({"b_id": row["id"], "b_not_before": until, "b_outcome": "deferred:no_payment_link"})
            else:  # moved to another address just now: that row is inserted waiting
                row.update(status="pending", claimed_by=None, claim_expires_at=None, not_before=until,
                           outcome="deferred:no_payment_link")
            report.deferred["no_payment_link"] += 1
            continue
        if arrangement is not None and arrangement.id in context.counts:
            total, paid, behind = context.counts[arrangement.id]
            facts.update(instalment_count=total, paid_count=paid, behind_count=behind)
        facts.update(pressure_before=pressure,
                     pressure_limit=policy.max_messages, pressure_window_days=policy.window_days,
                     channel=address.channel, attempt=int(row.get("attempts") or 1))
        if address.channel == "whatsapp" and address.sender_id not in context.window_open:
            facts["whatsapp_template"] = context.templated_name(row["response"])
        customer_contacts.append(now)
        sends.append(Send(row=row, facts=facts, channel=address.channel,
                           case_id=arrangement.case_id if arrangement else None,
                           delivery=Delivery(key=row["key"], customer_id=row["customer_id"], kind=kind,
                                             sender_id=address.sender_id,
                                             output_channel=rules.OUTPUT_CHANNELS[address.channel],
                                             response=row["response"], slots=slots)))
    if skips:
        _SKIP.execute(session, [{**skip, "me": engine_name} for skip in skips])
    for customer_id in sorted(to_a_person):
        cases.hand_to_person(session, customer_id, "does_not_manage", now)
    if defers:
        _DEFER.execute(session, [{**defer, "me": engine_name} for defer in defers])
    if fallbacks:
        plan.insert_ignoring_duplicates(session, fallbacks)
        keys = [f["key"] for f in fallbacks]
        mine = dict(session.execute(select(F.key, F.id).where(F.key.in_(keys), F.claimed_by == engine_name,
                                                              F.status == "sending")).all())
        kept = []
        for item in sends:
            if "id" in item.row:
                kept.append(item)
            elif item.row["key"] in mine:
                item.row["id"] = mine[item.row["key"]]
                kept.append(item)
        sends = kept
    return sends


def message_slots(session: Session, row: dict, instalment: Any, arrangement: Any, context: Context,
                  address: rules.Address, links: PaymentLinks) -> dict[str, Any]:
    kind = row["kind"]
    slots: dict[str, Any] = {}
    contact = arrangement.contact_person if arrangement else None
    if kind in LINK_KINDS and instalment is not None and arrangement is not None:
        slots["instalment_amount"] = format_euro(instalment.amount_cents - instalment.paid_cents)
        if kind != "missed":
            slots["due_date"] = format_date_nl(instalment.due_on)
        link, qr = links.link(session, instalment=instalment, arrangement=arrangement,
                              sender_id=address.sender_id, channel=address.channel)
        slots["payment_link"] = link
        if qr:
            slots["payment_qr_url"] = qr
    elif kind == "success" and arrangement is not None:
        total, paid, _ = context.counts.get(arrangement.id, (0, 0, 0))
        slots.update(paid_count=str(paid), instalment_count=str(total))
    elif kind == first_contact.KIND:
        episode = context.episodes.get(int((row["facts"] or {}).get("episode") or 0))
        if episode is not None:
            slots["arrears_amount"] = format_euro(episode.arrears_cents)
            link, qr = links.arrears_link(session, customer_id=episode.customer_id, loan_id=episode.loan_id,
                                          episode_id=episode.id, cents=episode.arrears_cents,
                                          sender_id=address.sender_id, channel=address.channel)
            slots["payment_link"] = link
            if qr:
                slots["payment_qr_url"] = qr
        return slots  # no arrangement, so no contact person yet
    elif kind in ("checkin", "arrangement_broken"):
        slots.update({k: v for k, v in (row["slots"] or {}).items() if k != "contact_person"})
    elif kind in ("satisfaction", "payment_notice"):
        # Their own slots as planned (the question's context; the payment's amount), no contact person.
        return dict(row["slots"] or {})
    if kind != "preventive":
        slots["contact_person"] = contact or (row["slots"] or {}).get("contact_person")
    return slots


@lru_cache(maxsize=1)
def whatsapp_templates() -> dict[str, str]:
    """Domain response -> approved WhatsApp template (bot/channels/whatsapp_templates.yml): the
    responses that may go to WhatsApp outside the 24-hour window."""
    from bot.channels.twilio_templates import load_window_rules

    return {response: template for response, (template, _) in load_window_rules().responses.items()}
