"""Who a customer's named contact person is (R4), from contacts.yml."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

CONTACTS_FILE = Path(__file__).with_name("contacts.yml")


@lru_cache(maxsize=1)
def _names() -> tuple[str, ...]:
    names = tuple(yaml.safe_load(CONTACTS_FILE.read_text(encoding="utf-8"))["contact_persons"])
    if not names:
        raise ValueError("contacts.yml names no contact person")
    return names


def contact_person_for(customer_id: int) -> str:
    """The same person for the same customer, spread evenly over the team."""
    names = _names()
    return names[customer_id % len(names)]
