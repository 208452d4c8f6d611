"""What the engine knows about a case; checked on entry so the rules can trust it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from .vocabulary import CAUSES, LOAN_TYPES, SIGNALS, WISHES


def _whole(value: Any, name: str, minimum: int, optional: bool = False) -> None:
    if value is None and optional:
        return
    # Whole euros only: floats and bools are refused rather than rounded behind our back.
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")


@dataclass(frozen=True)
class CaseFacts:
    """One customer's arrears on one loan, in whole euros per month.

    monthly_capacity is None when no full income check was done; the caller then already
    judged the control answers (R8) as "no changes", so the regular term counts as affordable.
    """

    arrears_amount: int
    terms_behind: int
    monthly_term: int
    loan_type: str
    cause: str
    cause_structural: bool = False
    recurring: bool = False
    monthly_capacity: Optional[int] = None
    customer_wish: Optional[str] = None
    customer_offer: Optional[int] = None
    signals: tuple[str, ...] = field(default_factory=tuple)
    can_pay_now: Optional[bool] = None
    pay_now_amount: Optional[int] = None
    temporary_end_months: Optional[int] = None

    def __post_init__(self) -> None:
        _whole(self.arrears_amount, "arrears_amount", 1)
        _whole(self.terms_behind, "terms_behind", 0)
        _whole(self.monthly_term, "monthly_term", 1)
        _whole(self.monthly_capacity, "monthly_capacity", 0, optional=True)
        _whole(self.customer_offer, "customer_offer", 0, optional=True)
        _whole(self.pay_now_amount, "pay_now_amount", 0, optional=True)
        _whole(self.temporary_end_months, "temporary_end_months", 0, optional=True)
        if self.loan_type not in LOAN_TYPES:
            raise ValueError(f"loan_type must be one of {LOAN_TYPES}")
        if self.cause not in CAUSES:
            raise ValueError(f"cause must be one of {CAUSES}")
        if self.customer_wish not in (None, *WISHES):
            raise ValueError(f"customer_wish must be None or one of {WISHES}")
        for name in ("cause_structural", "recurring"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be a bool")
        if self.can_pay_now not in (None, True, False):
            raise ValueError("can_pay_now must be None or a bool")
        if isinstance(self.signals, str):
            raise ValueError("signals must be a list of strings, not one string")
        signals = tuple(sorted(set(self.signals)))
        unknown = set(signals) - set(SIGNALS)
        if unknown:
            raise ValueError(f"unknown signals {sorted(unknown)}")
        # Sorted and deduplicated: the same facts in another order are the same facts (R14).
        object.__setattr__(self, "signals", signals)
