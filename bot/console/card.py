"""The summary card (R20) as the template shows it: whatever the handover stored, tolerantly.

`Case.summary` is written by the handover; an older case, or one handed over before the
summary existed, still gets a card from the case's own columns.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import stance
from bot.console.labels import label as dutch
from bot.console.queue import SOLUTIONS, language_label, priority, reason_label
from bot.formatting import euros
from bot.money import euros_to_cents, format_euro
from bot.store.models import Case, Loan, Payment

CONTROL_LABELS = {
    "income_changed": "Inkomen veranderd sinds de lening",
    "situation_changed": "Andere veranderingen (gezin, uitgaven)",
    "other_debts": "Andere schulden of achterstanden",
    "upcoming_changes": "Grote uitgaven of inkomsten op komst",
}
FINANCE_LABELS = {
    "net_monthly_income": "Netto inkomen per maand",
    "housing_costs": "Woonlasten",
    "other_fixed_costs": "Andere vaste lasten",
    "household_type": "Huishouden",
    "children": "Kinderen",
    "monthly_capacity": "Kan per maand missen",
}
MONEY_FIELDS = ("net_monthly_income", "housing_costs", "other_fixed_costs", "monthly_capacity")
HOUSEHOLDS = {"single": "Alleenstaand", "couple": "Samen", "single_parent": "Alleenstaande ouder",
              "family": "Gezin met kinderen"}
OFFER_LABELS = {
    "arrangement_amount": "Bedrag per maand",
    "arrangement_months": "Aantal maanden",
    "pause_months": "Maanden pauze",
    "monthly_capacity": "Kan per maand missen",
    "policy_version": "Beleidsversie",
}


def yes_no(value: Any) -> str:
    return {True: "Ja", False: "Nee"}.get(value, "Niet gevraagd") if value is None or isinstance(value, bool) \
        else str(value)


def money(value: Any) -> str:
    """Amounts arrive written ("€ 210") or as euros (int/float); both end up written."""
    if value is None or value == "":
        return "-"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_euro(euros_to_cents(value))
    return str(value)


def _finances(finances: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    for key, label in FINANCE_LABELS.items():
        if key not in finances or finances[key] is None:
            continue
        value = finances[key]
        if key in MONEY_FIELDS:
            value = money(value)
        elif key == "household_type":
            value = HOUSEHOLDS.get(value, value)
        rows.append((label, str(value)))
    return rows


def offer_status(offer: dict[str, Any]) -> str:
    """Where a staff decision stands: nothing binds before the second person (R30) and the
    customer's yes."""
    if offer.get("customer_agreed_at") or (offer.get("agreed") and not offer.get("proposed_at")):
        return "Akkoord van klant"
    if offer.get("proposed_at"):
        return "Voorgesteld, wacht op het ja van de klant"
    if offer.get("first_approval"):
        return "Wacht op een tweede beoordelaar (vier ogen)"
    return "Nog niet bevestigd"


def _offer(offer: dict[str, Any] | None) -> dict[str, Any] | None:
    if not offer:
        return None
    rows = []
    for key, label in OFFER_LABELS.items():
        value = offer.get(key)
        if value is None:
            continue
        if key in ("arrangement_amount", "monthly_capacity") and isinstance(value, int):
            value = euros(value)
        rows.append((label, str(value)))
    status = offer_status(offer)
    if offer.get("over_capacity"):
        rows.append(("Boven wat de klant kan missen, want", str(offer["over_capacity"].get("reason"))))
    return {"solution": SOLUTIONS.get(offer.get("solution"), offer.get("solution") or "-"), "rows": rows,
            "status": status, "awaiting_customer": bool(offer.get("proposed_at") and not offer.get("customer_agreed_at"))}


EVIDENCE_KINDS = {"words": "Klant zei", "signal": "Signaal", "cause": "Oorzaak", "capacity": "Kan per maand < termijn",
                  "staff": "Oordeel medewerker"}


def _stance(case: Case) -> dict[str, Any]:
    """R10: the class with every piece of evidence, so staff see why and can judge otherwise."""
    evidence = [e for e in map(stance.Evidence.of, case.stance_evidence or []) if e is not None]
    return {"value": case.stance or stance.UNKNOWN, "label": stance.label(case.stance),
            "evidence": [(EVIDENCE_KINDS[e.kind], stance.label(e.stance), e.detail) for e in evidence],
            "choices": {name: stance.label(name) for name in stance.CLASSES}}


def card(case: Case) -> dict[str, Any]:
    summary = dict(case.summary or {})
    cause = summary.get("cause") or {"category": case.cause, "structural": case.cause_structural}
    structural = cause.get("structural")
    control = summary.get("control") or (case.answers or {}).get("control") or {}
    return {
        "present": bool(case.summary),
        "priority": priority(case),
        "reason": reason_label(summary.get("reason") or case.handoff_reason),
        "language": language_label(case),
        "customer": summary.get("customer") or None,
        "loans": [{**loan, "arrears": money(loan.get("arrears")), "monthly_term": money(loan.get("monthly_term"))}
                  for loan in summary.get("loans") or [] if isinstance(loan, dict)],
        "recurring": summary.get("recurring_arrears"),
        "cause": {"category": dutch("causes", cause.get("category")),
                  "structural": {True: "Blijvend", False: "Tijdelijk"}.get(structural, "Onbekend"),
                  "description": cause.get("description"), "followup": cause.get("followup")},
        "control": [(CONTROL_LABELS.get(k, k), yes_no(v)) for k, v in control.items()],
        "stance": _stance(case),
        "finances": _finances(summary.get("finances") or case.finances or {}),
        "signals": [{**s, "name": dutch("signals", s.get("name"))}
                    for s in (summary.get("signals") or case.signals or []) if isinstance(s, dict)],
        "offer": _offer(case.offer or summary.get("offer")),
        "open_payments": [{**p, "amount": money(p.get("amount"))}
                          for p in summary.get("open_payments") or [] if isinstance(p, dict)],
    }


def credits(session: Session, case: Case) -> list[dict[str, Any]]:
    """Money the customer paid beyond the arrears, live from the loans (the card is a snapshot at
    handover): staff refund it or count it to the next term, and see which payments made it."""
    if case.customer_id is None:
        return []
    loans = session.execute(select(Loan).where(Loan.customer_id == case.customer_id, Loan.credit_cents > 0)
                            .order_by(Loan.id)).scalars().all()
    result = []
    for loan in loans:
        paid = session.execute(select(Payment.paid_at, Payment.credit_cents).where(
            Payment.loan_id == loan.id, Payment.credit_cents > 0).order_by(Payment.paid_at)).all()
        result.append({"reference": loan.reference, "credit": format_euro(loan.credit_cents),
                       "payments": [{"paid_at": at.strftime("%d-%m-%Y %H:%M") if at else "-",
                                     "credit": format_euro(cents)} for at, cents in paid]})
    return result
