"""The follow-up policy (policy.yml) as checked, frozen values.

A mistake in the file (an unknown kind, a time that is no time, a missing response) stops the
engine at start-up with the reason, never half-way through a night of sending.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

POLICY_FILE = Path(__file__).with_name("policy.yml")

KINDS = ("reminder_before", "reminder_today", "missed", "reassessment", "success", "aftercare", "preventive",
         "satisfaction", "new_arrears", "checkin", "arrangement_broken",
         "payment_notice")
# The variables each response uses (domain/followup.yml); the engine fills exactly these.
RESPONSE_SLOTS = {
    "reminder_before": ("instalment_amount", "due_date", "payment_link", "contact_person"),
    "reminder_today": ("instalment_amount", "due_date", "payment_link", "contact_person"),
    "missed": ("instalment_amount", "payment_link", "contact_person"),
    "reassessment": ("contact_person",),
    "success": ("paid_count", "instalment_count", "contact_person"),
    "aftercare": ("contact_person",),
    "preventive": (),
    "new_arrears": ("arrears_amount", "payment_link", "payment_qr_url"),
    "checkin": ("pause_end_date", "contact_person"),
    "arrangement_broken": ("arrears_amount", "contact_person"),
    "payment_notice": ("payment_amount",),
}
LIBERATION_DAY = ("every_year", "lustrum", "never")
OUTREACH_CHANNELS = ("whatsapp", "sms", "telegram", "widget", "rest")


class PolicyError(ValueError):
    pass


@dataclass(frozen=True)
class KindPolicy:
    name: str
    response: str
    rule: str
    priority: int
    options: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.options[key]


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: a loaded policy is one object
class Policy:
    version: str
    send_time: time
    quiet_start: time
    quiet_end: time
    no_sundays: bool
    no_holidays: bool
    good_friday: bool
    liberation_day: str
    max_messages: int
    window_days: int
    count_staff_replies: bool
    sms_from_phone: bool
    never_channels: tuple[str, ...]
    grace_days: int
    broken_after_missed: int
    kinds: dict[str, KindPolicy]
    plan_days_ahead: int
    batch_size: int
    lease_seconds: int
    retry_minutes: int
    max_attempts: int
    interval_seconds: int

    def kind(self, name: str) -> KindPolicy:
        return self.kinds[name]

    @property
    def enabled(self) -> tuple[str, ...]:
        return tuple(k for k in KINDS if k in self.kinds)

    def milestones(self, instalment_count: int) -> list[int]:
        """After how many paid instalments a small-success message goes (sorted, no doubles)."""
        if "success" not in self.kinds or instalment_count < 1:
            return []
        found = set()
        for item in self.kinds["success"]["milestones"]:
            if item == "half":
                found.add(math.ceil(instalment_count / 2))
            elif item == "last":
                found.add(instalment_count)
            elif 1 <= int(item) <= instalment_count:
                found.add(int(item))
        return sorted(found)

    def with_changes(self, **changes: Any) -> "Policy":
        """A copy with some values changed (tests and the simulator's what-ifs)."""
        return replace(self, **changes)


def _time(value: Any, name: str) -> time:
    try:
        hours, minutes = str(value).split(":")
        return time(int(hours), int(minutes))
    except (ValueError, TypeError) as error:
        raise PolicyError(f"policy.yml: {name} must be a time like 09:00, not {value!r}") from error


def _whole(data: dict[str, Any], key: str, where: str, minimum: int = 0) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise PolicyError(f"policy.yml: {where}.{key} must be a whole number of {minimum} or more")
    return value


KIND_NUMBERS = {"reminder_before": ("days_before",), "missed": ("days_after",), "reassessment": ("after_missed",),
                "aftercare": ("months",), "preventive": ("signal_max_age_days", "min_days_between"),
                "new_arrears": ("max_age_days", "stale_after_days"),
                "payment_notice": ("immediate_minutes", "look_back_days")}


def parse(data: dict[str, Any]) -> Policy:
    quiet, holidays = data.get("quiet_hours") or {}, data.get("holidays") or {}
    pressure, channels, ledger, engine = (data.get(k) or {} for k in ("pressure", "channels", "ledger", "engine"))
    kinds = {}
    for name, spec in (data.get("kinds") or {}).items():
        if name not in KINDS:
            raise PolicyError(f"policy.yml: unknown kind {name!r} (known: {', '.join(KINDS)})")
        spec = dict(spec or {})
        if not str(spec.get("response", "")).startswith("utter_"):
            raise PolicyError(f"policy.yml: kinds.{name}.response must name a domain response (utter_...)")
        for number in KIND_NUMBERS.get(name, ()):
            _whole(spec, number, f"kinds.{name}", minimum=1 if number != "days_before" else 0)
        if name == "success":
            for item in spec.get("milestones") or []:
                if item not in ("half", "last") and (isinstance(item, bool) or not isinstance(item, int) or item < 1):
                    raise PolicyError("policy.yml: kinds.success.milestones holds numbers, half or last")
        # The aftercare message says the arrangement is done: true only of a completed one (R28).
        if name == "aftercare" and not set(spec.get("after") or []) <= {"completed"}:
            raise PolicyError("policy.yml: kinds.aftercare.after may only list completed (its text says the "
                              "arrangement is done; a broken one gets arrangement_broken)")
        if name == "new_arrears":
            _whole(spec, "delay_hours", f"kinds.{name}")
            preferred = spec.get("channels")
            if not preferred or not set(preferred) <= set(OUTREACH_CHANNELS):
                raise PolicyError(f"policy.yml: kinds.new_arrears.channels lists channels from {', '.join(OUTREACH_CHANNELS)}")
        if name == "checkin" and (not spec.get("solutions") or not all(isinstance(s, str) for s in spec["solutions"])):
            raise PolicyError("policy.yml: kinds.checkin.solutions lists the solutions whose check-in was promised")
        if name == "payment_notice":
            told = spec.get("responses") or {}
            if not told or not all(str(r).startswith("utter_") for r in told.values()) \
                    or not set(spec.get("immediate") or []) <= set(told):
                raise PolicyError("policy.yml: kinds.payment_notice.responses maps payment statuses to domain "
                                  "responses, and immediate lists some of those statuses")
        options = {k: v for k, v in spec.items() if k not in ("response", "rule", "priority")}
        kinds[name] = KindPolicy(name, str(spec["response"]), str(spec.get("rule") or f"R23.{name}"),
                                 int(spec.get("priority", KINDS.index(name) + 1)), options)
    liberation = str(holidays.get("liberation_day", "lustrum"))
    if liberation not in LIBERATION_DAY:
        raise PolicyError(f"policy.yml: holidays.liberation_day is one of {', '.join(LIBERATION_DAY)}")
    never = tuple(str(c) for c in channels.get("never") or ())
    if not set(never) <= set(OUTREACH_CHANNELS):
        raise PolicyError(f"policy.yml: channels.never lists channels from {', '.join(OUTREACH_CHANNELS)}")
    policy = Policy(
        version=str(data["version"]), send_time=_time(data.get("send_time", "09:00"), "send_time"),
        quiet_start=_time(quiet.get("start", "20:00"), "quiet_hours.start"),
        quiet_end=_time(quiet.get("end", "07:00"), "quiet_hours.end"),
        no_sundays=bool(quiet.get("sundays", True)), no_holidays=bool(quiet.get("holidays", True)),
        good_friday=bool(holidays.get("good_friday", True)), liberation_day=liberation,
        max_messages=_whole(pressure, "max_messages", "pressure", 1),
        window_days=_whole(pressure, "window_days", "pressure", 1),
        count_staff_replies=bool(pressure.get("count_staff_replies", True)),
        sms_from_phone=bool(channels.get("sms_from_phone", True)), never_channels=never,
        grace_days=_whole(ledger, "grace_days", "ledger"),
        broken_after_missed=_whole(ledger, "broken_after_missed", "ledger", 1),
        kinds=kinds,
        plan_days_ahead=_whole(engine, "plan_days_ahead", "engine"),
        batch_size=_whole(engine, "batch_size", "engine", 1),
        lease_seconds=_whole(engine, "lease_seconds", "engine", 1),
        retry_minutes=_whole(engine, "retry_minutes", "engine", 1),
        max_attempts=_whole(engine, "max_attempts", "engine", 1),
        interval_seconds=_whole(engine, "interval_seconds", "engine", 1),
    )
    if policy.quiet_start == policy.quiet_end:
        raise PolicyError("policy.yml: quiet_hours start and end must differ")
    return policy


def load(path: Path | str = POLICY_FILE) -> Policy:
    return parse(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


@lru_cache(maxsize=1)
def default() -> Policy:
    return load()
