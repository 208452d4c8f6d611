"""The rules every unprompted message obeys at the moment it would go, as plain functions over
plain values (no database), so they can be tested exhaustively:

- still relevant (not paid meanwhile, the arrangement still runs, ...);
- quiet hours, Sundays and public holidays (calendar.py);
- contact pressure: at most `max_messages` per customer in any rolling `window_days`, over all
  channels, console replies included; a message over the limit waits for the first moment the
  limit allows;
- the channel: the planned address first, then the customer's other addresses; never an
  address that opted out, never a channel the policy excludes, and WhatsApp outside its
  24-hour window only with an approved template (never free-form).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from bot.addresses import channel_of, sms_to
from bot.followup import calendar
from bot.followup.policy import Policy

# Rasa's output channel per channel kind: named explicitly, because a conversation that never had
# a message has no "latest" channel.
OUTPUT_CHANNELS = {"whatsapp": "twilio_signed", "sms": "twilio_signed", "telegram": "telegram_secret",
                   "widget": "widget", "rest": "rest"}

# Skip reasons (FollowUp.outcome), in words staff can read in the console.
PAID = "paid_already"
STALE = "no_longer_relevant"
MOVED = "instalment_moved"
ENDED = "arrangement_ended"
IN_ARRANGEMENT = "arrangement_running"
IN_ARREARS = "arrears_now"
OPTED_OUT = "opted_out"
NO_CHANNEL = "no_channel"
WINDOW_CLOSED = "window_closed_no_template"
EXCLUDED = "channel_excluded"
ARREARS_CLEARED = "arrears_cleared"
IN_CONVERSATION = "in_conversation"
PERSON_INSTEAD = "person_instead"
TOLD_ALREADY = "told_already"


@dataclass(frozen=True)
class InstalmentState:
    status: str            # open | paid | missed
    due_on: date
    paid_at: datetime | None = None


@dataclass(frozen=True)
class ArrangementState:
    status: str            # active | completed | broken | cancelled


@dataclass(frozen=True)
class PaymentState:
    status: str            # the payment's status now
    told: bool             # the web app told the customer meanwhile
    superseded: bool       # a later payment of the same customer and loan went through


def relevance(kind: str, today: date, facts: dict, policy: Policy, *, instalment: InstalmentState | None = None,
              arrangement: ArrangementState | None = None, customer_has_arrears: bool = False,
              customer_in_arrangement: bool = False, arrears_open: bool = False,
              customer_in_conversation: bool = False, customer_not_managing: bool = False,
              payment: PaymentState | None = None) -> str | None:
    """None while the message still matters now, else the reason it no longer does."""
    if customer_not_managing and kind in ("reminder_before", "reminder_today", "missed", "reassessment"):
        # R10: a customer who does not manage (stress, shame, overview lost) gets a person, not
        # one more reminder; the engine hands the case over (deciding.py).
        return PERSON_INSTEAD
    if kind == "payment_notice":
        # What became of a payment (issue 21 §3): only while it is still news.
        if payment is None or payment.status != facts.get("status"):
            return STALE
        if payment.told:
            return TOLD_ALREADY
        if payment.superseded:
            return PAID
        meant = date.fromisoformat(facts["meant_for"]) if facts.get("meant_for") else None
        days = int(policy.kind(kind)["look_back_days"]) if kind in policy.kinds else 0
        return STALE if meant is not None and today > meant + timedelta(days=days) else None
    if kind in ("reminder_before", "reminder_today", "missed"):
        if instalment is None or arrangement is None:
            return STALE
        if instalment.status == "paid":
            return PAID
        if facts.get("due_on") and instalment.due_on.isoformat() != facts["due_on"]:
            return MOVED
        if arrangement.status != "active":
            return ENDED
        if kind == "reminder_before" and today >= instalment.due_on:
            return STALE  # the due date came: the reminder of the day itself says it now
        if kind == "reminder_today" and (instalment.status != "open" or
                                         today > instalment.due_on + timedelta(days=policy.grace_days)):
            return STALE  # missed by now: the missed message says it
        return None
    if kind == "reassessment":
        if arrangement is None or arrangement.status in ("completed", "cancelled"):
            return ENDED
        return None
    if kind == "success":
        return None if arrangement is not None and arrangement.status != "cancelled" else ENDED
    if kind == "aftercare":
        if customer_in_arrangement:
            return IN_ARRANGEMENT
        month_end = date.fromisoformat(facts["meant_for"]) + timedelta(days=28) if facts.get("meant_for") else None
        if month_end is not None and today > month_end:
            return STALE  # next month's check-in is the one that counts now
        return None
    if kind == "preventive":
        if customer_has_arrears:
            return IN_ARREARS
        if customer_in_arrangement:
            return IN_ARRANGEMENT
        return None
    if kind == "new_arrears":
        # First contact (R24): only while the arrears are open, not when a conversation since we
        # saw them or a running arrangement already said it, and within days of its moment (R25).
        if not arrears_open:
            return ARREARS_CLEARED
        if customer_in_arrangement:
            return IN_ARRANGEMENT
        if customer_in_conversation:
            return IN_CONVERSATION
        meant = date.fromisoformat(facts["meant_for"]) if facts.get("meant_for") else None
        stale_after = int(policy.kind(kind)["stale_after_days"]) if kind in policy.kinds else 0
        return STALE if meant is not None and today > meant + timedelta(days=stale_after) else None
    if kind == "arrangement_broken":
        # What changed and what can still be done (R5, R28): said unless a new arrangement runs.
        return IN_ARRANGEMENT if customer_in_arrangement else None
    if kind == "checkin":
        # A promised contact (R29): kept while the arrangement it was promised in still runs.
        return None if arrangement is not None and arrangement.status == "active" else ENDED
    if kind == "satisfaction":
        # Asked within a week of what it is about; later the answer would mean little.
        planned_for = date.fromisoformat(facts["meant_for"]) if facts.get("meant_for") else None
        return STALE if planned_for is not None and today > planned_for + timedelta(days=7) else None
    return STALE


# -- contact pressure --------------------------------------------------------------------------------
def pressure_count(contacts: list[datetime], now: datetime, policy: Policy) -> int:
    """Unprompted contacts (and console replies) within the rolling window ending now."""
    since = now - timedelta(days=policy.window_days)
    return sum(1 for moment in contacts if since < moment <= now)


def pressure_allows(contacts: list[datetime], now: datetime, policy: Policy) -> bool:
    return pressure_count(contacts, now, policy) < policy.max_messages


def pressure_frees_at(contacts: list[datetime], now: datetime, policy: Policy) -> datetime:
    """The first moment after now at which one more message keeps within the limit: when enough
    of the contacts in the window have aged out of it."""
    window = timedelta(days=policy.window_days)
    recent = sorted(m for m in contacts if now - window < m <= now)
    over = len(recent) - policy.max_messages  # this many must age out, plus one
    if over < 0:
        return now
    # A contact counts while now - window < moment, so it is out at moment + window.
    return recent[over] + window + timedelta(seconds=1)


# -- the channel ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Address:
    sender_id: str
    channel: str           # whatsapp | sms | telegram | widget | rest | other

    @classmethod
    def of(cls, sender_id: str) -> "Address":
        return _address(sender_id) if cls is Address else cls(sender_id, channel_of(sender_id))


@lru_cache(maxsize=65536)  # frozen, so one per address will do: a pass looks at every row's address
def _address(sender_id: str) -> Address:
    return Address(sender_id, channel_of(sender_id))


def addresses(planned: str | None, arrangement_sender: str | None, case_senders: list[str], phone: str | None,
              policy: Policy) -> list[Address]:
    """Where a customer can be reached, in order: the planned address, the arrangement's own
    conversation, the customer's other conversations (newest first), SMS to their phone."""
    found: list[str] = []
    for sender in [planned, arrangement_sender, *case_senders]:
        if sender and sender not in found:
            found.append(sender)
    if phone and policy.sms_from_phone:
        sms = sms_to(phone)
        if sms not in found:
            found.append(sms)
    return [Address.of(s) for s in found if channel_of(s) in OUTPUT_CHANNELS]


def address_refusal(address: Address, *, response: str, opted_out: set[str], window_open: set[str],
                    templated: set[str], policy: Policy) -> str | None:
    """None when this address may get this response now, else why not."""
    if address.channel in policy.never_channels:
        return EXCLUDED
    if address.sender_id in opted_out:
        return OPTED_OUT
    if address.channel == "whatsapp" and address.sender_id not in window_open and response not in templated:
        return WINDOW_CLOSED
    return None


def choose_address(candidates: list[Address], tried_channels: set[str], **checks) -> tuple[Address | None, str | None]:
    """The first candidate that may get the message now, skipping channels already tried for it;
    with the refusal of the first candidate (why the planned address was not used)."""
    first_refusal = None
    for address in candidates:
        if address.channel in tried_channels:
            continue
        refusal = address_refusal(address, **checks)
        if refusal is None:
            return address, first_refusal
        first_refusal = first_refusal or refusal
    return None, first_refusal or NO_CHANNEL


def quiet_now(now: datetime, policy: Policy) -> datetime | None:
    """None when a message may go now, else the first moment it may."""
    return None if calendar.allowed(now, policy) else calendar.next_allowed(now, policy)
