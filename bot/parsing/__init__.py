"""Turn free Dutch chat answers into values.

Every parser takes the raw customer text and returns a value or None when the
answer cannot be understood with confidence; none of them raises on customer
text. Pure Python on purpose: no Rasa, so the rules can be tested in
isolation and reused by the web pages.
"""
from .amounts import parse_amount
from .customer_number import parse_customer_number
from .dates import parse_birth_date
from .household import (
    COUPLE,
    COUPLE_WITH_CHILDREN,
    HOUSEHOLD_TYPES,
    SINGLE,
    SINGLE_PARENT,
    parse_children,
    parse_household_type,
)
from .numbers import parse_int
from .payment_method import parse_payment_method
from .yes_no import parse_yes_no

__all__ = [
    "parse_payment_method",
    "COUPLE",
    "COUPLE_WITH_CHILDREN",
    "HOUSEHOLD_TYPES",
    "SINGLE",
    "SINGLE_PARENT",
    "parse_amount",
    "parse_birth_date",
    "parse_children",
    "parse_customer_number",
    "parse_household_type",
    "parse_int",
    "parse_yes_no",
]
