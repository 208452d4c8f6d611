"""Canned replies as data: a versioned YAML file staff can read and change without code."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

CANNED_FILE = Path(__file__).with_name("canned_replies.yml")


@lru_cache(maxsize=1)
def canned_replies() -> dict:
    data = yaml.safe_load(CANNED_FILE.read_text(encoding="utf-8"))
    replies = data["replies"]
    if len({r["id"] for r in replies}) != len(replies):
        raise ValueError("canned reply ids must be unique")
    return {"version": str(data["version"]), "replies": replies}
