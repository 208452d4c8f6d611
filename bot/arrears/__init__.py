"""What a customer owes us, in the terms the conversation needs (R5), and whether it recurs (R9)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.money import format_euro
from bot.store.models import Customer

POLICY_FILE = Path(__file__).with_name("arrears.yml")


@lru_cache(maxsize=1)
def arrears_policy() -> dict:
    return yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class LoanArrears:
    reference: str
    loan_type: str
    loan_name: str
    monthly_term_cents: int
    terms_behind: int
    arrears_cents: int
    costs_cents: int

    @property
    def paid_cents(self) -> int:
        """What the customer already paid on the open terms (a partial payment): the terms
        behind times the term, less what is still open; 0 when nothing was paid."""
        return max(0, self.terms_behind * self.monthly_term_cents - self.arrears_cents)


@dataclass(frozen=True)
class ArrearsOverview:
    customer_id: int
    loans: tuple[LoanArrears, ...]
    earlier_episodes: int
    recurring: bool

    @property
    def in_arrears(self) -> bool:
        return any(loan.arrears_cents > 0 for loan in self.loans)

    @property
    def main_loan(self) -> LoanArrears | None:
        """The loan the conversation is about: the one with the largest arrears."""
        if not self.loans:
            return None
        return max(self.loans, key=lambda loan: (loan.arrears_cents, -self.loans.index(loan)))

    @property
    def explain_bkr(self) -> bool:
        loan = self.main_loan
        return bool(loan) and loan.terms_behind >= arrears_policy()["bkr"]["explain_from_terms"]

    def as_slots(self) -> dict:
        """Slot values the Dutch responses fill in (amounts already written the Dutch way). The
        costs are not here: what the customer pays of them depends on who they are (costs.py)."""
        loan = self.main_loan
        if loan is None:
            return {"in_arrears": False, "recurring_arrears": self.recurring}
        return {
            "in_arrears": self.in_arrears,
            "recurring_arrears": self.recurring,
            "loan_reference": loan.reference,
            "loan_type": loan.loan_type,
            "loan_name": loan.loan_name,
            "monthly_term": format_euro(loan.monthly_term_cents),
            "terms_behind": loan.terms_behind,
            "arrears_amount": format_euro(loan.arrears_cents),
            "arrears_paid": format_euro(loan.paid_cents) if loan.paid_cents else None,
        }


def count_recent_episodes(starts: list[date], today: date) -> int:
    window_start = today - relativedelta(months=arrears_policy()["recurring"]["window_months"])
    return sum(1 for started in starts if started >= window_start)


def overview(session: Session, customer_id: int, today: date) -> ArrearsOverview:
    customer = session.execute(select(Customer).where(Customer.id == customer_id)).scalar_one()
    names = arrears_policy()["loan_type_names_nl"]
    loans = tuple(
        LoanArrears(loan.reference, loan.loan_type, names.get(loan.loan_type, loan.loan_type),
                    loan.monthly_term_cents, loan.terms_behind, loan.arrears_cents, loan.costs_cents)
        for loan in customer.loans
    )
    # Earlier episodes are the ended ones: the current arrears have an open episode of their own
    # (bot/followup/episodes.py, issue 21), which is not "again".
    starts = [episode.started_on for loan in customer.loans for episode in loan.episodes
              if episode.ended_on is not None]
    earlier = count_recent_episodes(starts, today)
    recurring = earlier >= arrears_policy()["recurring"]["min_earlier_episodes"]
    return ArrearsOverview(customer_id, loans, earlier, recurring)
