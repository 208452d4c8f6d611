"""The lender's record schema (README "Lender data"), checked without a database: each record
is one JSON object with a `type`, the lender's own `id` for it, and the fields of its type.
Unknown fields are refused (a typo must not pass as a missing optional field); reasons say
what is wrong in plain words, never the values themselves (they may be personal data).

    {"type": "signal", "id": "SIG-1", "customer_number": "100005", "kind": "bounced_debit",
     "observed_on": "2027-03-01", "loan_reference": "MO-100005", "amount_cents": 98000}
    {"type": "loan", "id": "BK-2027-03-01-PE-100001", "loan_reference": "PE-100001",
     "as_of": "2027-03-01", "arrears_cents": 21000, "terms_behind": 1, "monthly_term_cents": 21000,
     "arrears_since": "2027-02-01"}
    {"type": "payment", "id": "PAY-77", "loan_reference": "PE-100001", "amount_cents": 21000,
     "booked_on": "2027-03-02", "reference": "RF18 5390 0754 7034"}
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

POLICY_FILE = Path(__file__).with_name("intake.yml")
TYPES = ("signal", "loan", "payment")
RECORD_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")
CUSTOMER_NUMBER = re.compile(r"^[0-9]{4,16}$")
LOAN_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")
PAYMENT_REFERENCE = re.compile(r"^[A-Za-z0-9 -]{1,64}$")
MAX_CENTS = 100_000_000_00  # a hundred million euros: anything above is a mistake in the file

FIELDS = {
    "signal": ({"customer_number", "kind", "observed_on"}, {"loan_reference", "amount_cents"}),
    "loan": ({"loan_reference", "as_of", "arrears_cents"}, {"terms_behind", "monthly_term_cents", "arrears_since"}),
    "payment": ({"loan_reference", "amount_cents", "booked_on"}, {"reference"}),
}


@dataclass(frozen=True)
class IntakePolicy:
    version: str
    signal_kinds: tuple[str, ...]
    signal_max_age_days: int
    booking_lag_days: int
    max_records: int
    max_body_bytes: int


@lru_cache(maxsize=1)
def policy() -> IntakePolicy:
    data = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
    return IntakePolicy(version=str(data["version"]), signal_kinds=tuple(data["signal_kinds"]),
                        signal_max_age_days=int(data["signal_max_age_days"]),
                        booking_lag_days=int(data["booking_lag_days"]), max_records=int(data["max_records"]),
                        max_body_bytes=int(data["max_body_bytes"]))


@dataclass(frozen=True)
class Record:
    line: int
    type: str
    id: str
    fields: dict[str, Any]
    digest: str  # sha256 of the record's canonical JSON: the same id must always mean this content

    def __getitem__(self, name: str) -> Any:
        return self.fields.get(name)


@dataclass(frozen=True)
class Refusal:
    line: int
    status: int  # 400 not a record at all, 422 a record that breaks the schema or names what we do not know, 409 a conflict
    reason: str
    type: str | None = None
    id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        found = {"line": self.line, "status": self.status, "reason": self.reason}
        if self.type:
            found["type"] = self.type
        if self.id:
            found["id"] = self.id
        return found


@dataclass
class Parsed:
    records: list[Record] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)


class Invalid(ValueError):
    pass


def digest(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _date(value: Any, name: str) -> date:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise Invalid(f"{name} must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise Invalid(f"{name} is not a date that exists") from error


def _cents(value: Any, name: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{name} must be a whole number of cents")
    if value < minimum or value > MAX_CENTS:
        raise Invalid(f"{name} must be between {minimum} and {MAX_CENTS} cents")
    return value


def _text(value: Any, name: str, pattern: re.Pattern) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise Invalid(f"{name} has characters or a length that is not allowed")
    return value


def _not_after(day: date, today: date, name: str) -> date:
    if day > today:
        raise Invalid(f"{name} lies in the future")
    return day


def check(data: Any, today: date, rules: IntakePolicy | None = None) -> tuple[str, str, dict[str, Any]]:
    """(type, id, typed fields) of one record, or Invalid with the reason."""
    rules = rules or policy()
    if not isinstance(data, dict):
        raise Invalid("a record is a JSON object")
    kind = data.get("type")
    if kind not in TYPES:
        raise Invalid(f"type must be one of {', '.join(TYPES)}")
    record_id = _text(data.get("id"), "id", RECORD_ID)
    required, optional = FIELDS[kind]
    given = set(data) - {"type", "id"}
    if required - given:
        raise Invalid(f"missing: {', '.join(sorted(required - given))}")
    if given - required - optional:
        raise Invalid(f"unknown fields: {', '.join(sorted(given - required - optional))}")
    fields: dict[str, Any] = {}
    if "loan_reference" in given:
        fields["loan_reference"] = _text(data["loan_reference"], "loan_reference", LOAN_REFERENCE)
    if kind == "signal":
        fields["customer_number"] = _text(data["customer_number"], "customer_number", CUSTOMER_NUMBER)
        if data["kind"] not in rules.signal_kinds:
            raise Invalid(f"kind must be one of {', '.join(rules.signal_kinds)}")
        fields["kind"] = data["kind"]
        observed = _not_after(_date(data["observed_on"], "observed_on"), today, "observed_on")
        if observed < today - timedelta(days=rules.signal_max_age_days):
            raise Invalid(f"observed_on is more than {rules.signal_max_age_days} days ago")
        fields["observed_on"] = observed
        if "amount_cents" in given:
            fields["amount_cents"] = _cents(data["amount_cents"], "amount_cents")
    elif kind == "loan":
        fields["as_of"] = _not_after(_date(data["as_of"], "as_of"), today, "as_of")
        fields["arrears_cents"] = _cents(data["arrears_cents"], "arrears_cents")
        if "terms_behind" in given:
            terms = data["terms_behind"]
            if isinstance(terms, bool) or not isinstance(terms, int) or not 0 <= terms <= 1200:
                raise Invalid("terms_behind must be a whole number from 0")
            if (terms == 0) != (fields["arrears_cents"] == 0):
                raise Invalid("terms_behind and arrears_cents disagree: both 0, or both more than 0")
            fields["terms_behind"] = terms
        if "monthly_term_cents" in given:
            fields["monthly_term_cents"] = _cents(data["monthly_term_cents"], "monthly_term_cents", minimum=1)
        if "arrears_since" in given:
            since = _date(data["arrears_since"], "arrears_since")
            if since > fields["as_of"]:
                raise Invalid("arrears_since lies after as_of")
            if fields["arrears_cents"] == 0:
                raise Invalid("arrears_since is only for arrears above 0")
            fields["arrears_since"] = since
    else:
        fields["amount_cents"] = _cents(data["amount_cents"], "amount_cents", minimum=1)
        fields["booked_on"] = _not_after(_date(data["booked_on"], "booked_on"), today, "booked_on")
        if "reference" in given:
            fields["reference"] = normalise_reference(_text(data["reference"], "reference", PAYMENT_REFERENCE))
    return kind, record_id, fields


def normalise_reference(text: str) -> str:
    """A payment reference as we compare it: an RF reference without spaces, a payment id in lower case."""
    return re.sub(r"[\s]", "", text).upper() if text.strip().upper().startswith("RF") else text.strip().lower()


def parse_lines(lines: list[str], today: date, rules: IntakePolicy | None = None) -> Parsed:
    """JSON lines (one record per line; blank lines and lines starting with # are skipped)."""
    parsed = Parsed()
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            data = json.loads(text)
        except ValueError:
            parsed.refusals.append(Refusal(number, 400, "not a JSON object"))
            continue
        add(parsed, number, data, today, rules)
    return parsed


def add(parsed: Parsed, line: int, data: Any, today: date, rules: IntakePolicy | None = None) -> None:
    try:
        kind, record_id, fields = check(data, today, rules)
    except Invalid as error:
        kind = data.get("type") if isinstance(data, dict) and data.get("type") in TYPES else None
        ident = data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), str) \
            and RECORD_ID.fullmatch(data["id"]) else None
        parsed.refusals.append(Refusal(line, 422, str(error), kind, ident))
        return
    parsed.records.append(Record(line, kind, record_id, fields, digest(data)))
