"""Euro amounts as a Dutch reader expects them: "€ 2.300" or "€ 2.100,50"."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def cents_to_euros(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def euros_to_cents(euros: Decimal | int | float | str) -> int:
    return int((Decimal(str(euros)) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def format_euro(cents: int) -> str:
    whole, rest = divmod(abs(cents), 100)
    grouped = f"{whole:,}".replace(",", ".")
    text = f"€ {grouped}" if rest == 0 else f"€ {grouped},{rest:02d}"
    return f"-{text}" if cents < 0 else text
