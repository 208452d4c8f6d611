"""Loads the living-cost norms from norms.yml, lazily and once.

The YAML is the policy; this module only checks it is complete and internally consistent,
so a typo by staff fails loudly instead of silently lowering what a customer keeps (R13).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import yaml

HOUSEHOLD_TYPES = ("single", "couple", "single_parent", "couple_with_children")
DEFAULT_NORMS_PATH = Path(__file__).with_name("norms.yml")


@dataclass(frozen=True)
class Norms:
    version: str
    date: str
    source: str
    living_norm: Mapping[str, int]
    per_child: int
    min_children: Mapping[str, int]
    floor_share_percent: int
    floor_basis: Mapping[str, int]
    floor_per_child_basis: int
    reserve: Mapping[str, int]

    def children_counted(self, household_type: str, children: int) -> int:
        return max(children, self.min_children.get(household_type, 0))

    def floor_for(self, household_type: str, children: int) -> int:
        counted = self.children_counted(household_type, children)
        basis = self.floor_basis[household_type] + self.floor_per_child_basis * counted
        # Ceiling: a higher floor protects the customer.
        return -(-basis * self.floor_share_percent // 100)

    def norm_for(self, household_type: str, children: int) -> int:
        counted = self.children_counted(household_type, children)
        return self.living_norm[household_type] + self.per_child * counted


def _money(value: Any, where: str) -> int:
    # bool is an int subclass; a YAML "yes" must not become one euro.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"norms.yml: {where} must be a whole number of euros >= 0, got {value!r}")
    return value


def _per_type(section: Mapping[str, Any], where: str) -> Mapping[str, int]:
    missing = [t for t in HOUSEHOLD_TYPES if t not in section]
    if missing:
        raise ValueError(f"norms.yml: {where} lacks {missing}")
    return MappingProxyType({t: _money(section[t], f"{where}.{t}") for t in HOUSEHOLD_TYPES})


def parse_norms(raw: Mapping[str, Any]) -> Norms:
    for key in ("version", "date", "source", "living_norm", "floor", "reserve"):
        if key not in raw:
            raise ValueError(f"norms.yml: missing '{key}'")
    floor = raw["floor"]
    share = _money(floor["share_percent"], "floor.share_percent")
    if not 0 < share <= 100:
        raise ValueError("norms.yml: floor.share_percent must be within 1..100")
    basis = floor["social_assistance_living_part"]
    norms = Norms(
        version=str(raw["version"]),
        date=str(raw["date"]),
        source=" ".join(str(raw["source"]).split()),
        living_norm=_per_type(raw["living_norm"], "living_norm"),
        per_child=_money(raw["living_norm"]["per_child"], "living_norm.per_child"),
        min_children=MappingProxyType(
            {k: _money(v, f"min_children.{k}") for k, v in (raw.get("min_children") or {}).items()}
        ),
        floor_share_percent=share,
        floor_basis=_per_type(basis, "floor.social_assistance_living_part"),
        floor_per_child_basis=_money(basis["per_child"], "floor...per_child"),
        reserve=_per_type(raw["reserve"], "reserve"),
    )
    # The floor must never be above the norm, or the norm would be harsher than VTLB (R13).
    for household_type in HOUSEHOLD_TYPES:
        for children in range(0, 11):
            if norms.norm_for(household_type, children) < norms.floor_for(household_type, children):
                raise ValueError(
                    f"norms.yml: living norm below floor for {household_type} with {children} children"
                )
    return norms


def load_norms(path: Path | str | None = None) -> Norms:
    """Norms from `path`, or the shipped norms.yml; cached per path."""
    return _load(str(path or DEFAULT_NORMS_PATH))


@lru_cache(maxsize=8)
def _load(path: str) -> Norms:
    with open(path, encoding="utf-8") as handle:
        return parse_norms(yaml.safe_load(handle))
