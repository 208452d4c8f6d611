"""The engine's answer: one proposal, with enough numbers to explain it month by month."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional

from .dates import add_months


@dataclass(frozen=True)
class AddOn:
    name: str                      # budget_coaching | savings_buffer | pause_while_in_debt_help
    amount: Optional[int] = None   # euros per month (savings_buffer, pause amount)
    months: Optional[int] = None   # pause_while_in_debt_help


@dataclass(frozen=True)
class ScheduleLine:
    month: int          # 0 = now (payment link), 1 = first month after the proposal
    due: date
    regular_term: int
    catch_up: int
    pay_now: int
    savings: int

    @property
    def total(self) -> int:
        return self.regular_term + self.catch_up + self.pay_now


@dataclass(frozen=True)
class Proposal:
    solution: str
    alternative: Optional[str]
    arrangement_amount: int       # total per month: term + catch-up, or pause/remission amount
    arrangement_months: int
    catch_up_amount: int          # per month; the last month may be lower (never higher)
    last_catch_up_amount: int     # the final month's catch-up, so the total is exactly the arrears
    pay_now_amount: int
    pause_months: int
    checkin_date: Optional[date]
    add_ons: tuple[AddOn, ...]
    costs: int
    needs_staff_confirmation: bool
    needs_income_check: bool
    policy_version: str
    reason: str
    proposed_on: date
    monthly_capacity: Optional[int]
    monthly_term: int
    arrears_amount: int
    forgiven: Optional[str] = None            # remission: what is forgiven once kept (rest_of_loan)
    reassess_every_months: Optional[int] = None  # remission: the capacity is looked at again (R15)

    def add_on(self, name: str) -> Optional[AddOn]:
        return next((a for a in self.add_ons if a.name == name), None)

    @property
    def savings_amount(self) -> int:
        buffer = self.add_on("savings_buffer")
        return buffer.amount if buffer and buffer.amount else 0

    def schedule(self) -> tuple[ScheduleLine, ...]:
        """Month by month what the customer pays; pauses show as months of the pause amount."""
        lines = []
        if self.pay_now_amount:
            lines.append(ScheduleLine(0, self.proposed_on, 0, 0, self.pay_now_amount, 0))
        if self.pause_months:
            for month in range(1, self.pause_months + 1):
                lines.append(self._line(month, self.arrangement_amount, 0, 0))
            return tuple(lines)
        for month in range(1, self.arrangement_months + 1):
            if self.catch_up_amount or self.solution in ("payment_arrangement", "partial_payment"):
                catch_up = self.last_catch_up_amount if month == self.arrangement_months else self.catch_up_amount
                lines.append(self._line(month, self.monthly_term, catch_up, self.savings_amount))
            else:
                lines.append(self._line(month, self.arrangement_amount, 0, self.savings_amount))
        return tuple(lines)

    def _line(self, month: int, term: int, catch_up: int, savings: int) -> ScheduleLine:
        return ScheduleLine(month, add_months(self.proposed_on, month), term, catch_up, 0, savings)

    @property
    def end_date(self) -> Optional[date]:
        months = self.pause_months or self.arrangement_months
        return add_months(self.proposed_on, months) if months else None
