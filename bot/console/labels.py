"""Dutch words for stored codes, so staff never read `signal:garnishment`, `twilio_signed`, `other`
or raw JSON (issue 26). The words live in labels.yml next to this file."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.money import format_euro

LABELS_FILE = Path(__file__).with_name("labels.yml")


@lru_cache(maxsize=1)
def _labels() -> dict[str, dict[str, str]]:
    return yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))


def label(kind: str, code: Any) -> str:
    """The Dutch word for `code` in `kind` (signals, causes, channels, reasons), else the code."""
    if code is None or code == "":
        return "-"
    return _labels()[kind].get(str(code), str(code))


def _value(key: str, value: Any) -> str:
    if key.endswith("_cents") and isinstance(value, int):
        return format_euro(value)
    if key == "signals" and isinstance(value, dict):
        return ", ".join(f"{label('signals', k)} ({n}x)" for k, n in value.items())
    if key in ("moved_from",):
        return label("channels", value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "-" if value is None else str(value)


def facts_text(facts: dict[str, Any] | None) -> str:
    """A follow-up's facts as one readable line: "achterstand: € 210; termijnen achter: 1"."""
    names = _labels()["facts"]
    return "; ".join(f"{names.get(key, key.replace('_', ' '))}: {_value(key, value)}"
                     for key, value in (facts or {}).items()) or "-"
