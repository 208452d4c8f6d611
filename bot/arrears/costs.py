"""What a customer pays in costs for arrears (R16): at most the actual damage, capped, and waived
for a cooperating customer or one without means. The figures come from bot/arrears/arrears.yml."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import clock
from bot.arrears import arrears_policy
from bot.money import format_euro
from bot.store.followup_models import Arrangement
from bot.store.models import Case

COOPERATING = "cooperating"
WITHOUT_MEANS = "without_means"


@dataclass(frozen=True)
class CostDecision:
    recorded_cents: int    # what the lender's books say the arrears cost it
    chargeable_cents: int  # the recorded costs within the cap (the most we could ask)
    charged_cents: int     # what the customer pays: 0 when waived
    waiver: str | None     # COOPERATING, WITHOUT_MEANS or None

    @property
    def waived_cents(self) -> int:
        return self.chargeable_cents - self.charged_cents


def cap_cents(arrears_cents: int) -> int:
    cap = arrears_policy()["costs"]["cap"]
    # Rounded down: the customer never pays a cent above the share.
    return min(int(cap["max_cents"]), int(arrears_cents * cap["max_share_of_arrears"]))


def decide(recorded_cents: int, arrears_cents: int, *, cooperating: bool, without_means: bool) -> CostDecision:
    """Pure: the costs of one loan's arrears for a customer in this standing."""
    recorded = max(0, int(recorded_cents))
    chargeable = min(recorded, cap_cents(max(0, arrears_cents)))
    # Without means goes first: it is the reason that holds even when cooperation stops.
    waiver = WITHOUT_MEANS if without_means else COOPERATING if cooperating else None
    if chargeable == 0:
        waiver = None
    return CostDecision(recorded, chargeable, 0 if waiver else chargeable, waiver)


def broke_an_arrangement_recently(session: Session, customer_id: int, today: date) -> bool:
    months = arrears_policy()["costs"]["waive"]["broken_arrangement_months"]
    since = datetime.combine(today - relativedelta(months=months), time(0), clock.AMSTERDAM)
    found = session.execute(select(Arrangement.id).where(
        Arrangement.customer_id == customer_id, Arrangement.status == "broken",
        Arrangement.ended_at >= since).limit(1)).first()
    return found is not None


def has_no_means(session: Session, customer_id: int) -> bool:
    """An earlier conversation showed debt problems, or ended in a solution for a customer who
    cannot pay."""
    waive = arrears_policy()["costs"]["waive"]
    signals, solutions = set(waive["no_means_signals"]), set(waive["no_means_solutions"])
    for case_signals, solution in session.execute(
            select(Case.signals, Case.solution).where(Case.customer_id == customer_id)):
        # A case keeps each signal as {"name", "term", "text"} (bot/cases.py).
        names = {item.get("name") for item in case_signals or () if isinstance(item, dict)}
        if solution in solutions or signals & names:
            return True
    return False


def for_customer_in_contact(session: Session, customer_id: int, recorded_cents: int, arrears_cents: int,
                            today: date) -> CostDecision:
    """The costs for a customer who is talking to us now (that is cooperating, R16), unless an
    arrangement broke recently."""
    return decide(recorded_cents, arrears_cents,
                  cooperating=not broke_an_arrangement_recently(session, customer_id, today),
                  without_means=has_no_means(session, customer_id))


def slot_values(decision: CostDecision) -> dict:
    """What the conversation says: the costs charged, and a waived amount said as waived (R5)."""
    return {"arrears_costs": format_euro(decision.charged_cents),
            "costs_waived": format_euro(decision.waived_cents) if decision.waiver else None,
            "costs_waiver": decision.waiver}
