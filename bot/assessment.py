"""Reading the customer's answers: cause follow-ups and the need for a full check (R7-R9).

The rules are data in assessment.yml; this module only applies them.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.causes import structural_default
from bot.language import find_hits, tokenize
from bot.parsing import parse_int, parse_yes_no

POLICY_FILE = Path(__file__).with_name("assessment.yml")


@lru_cache(maxsize=1)
def assessment_policy() -> dict:
    return yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))


def followup_for(cause: str) -> dict:
    followups = assessment_policy()["followups"]
    return followups.get(cause, followups["other"])


@dataclass(frozen=True)
class CauseAssessment:
    cause: str
    structural: bool
    answers: dict


def read_outlook(text: str) -> bool | None:
    """Whether an answer to "will it get better?" says yes (True: a foreseeable end), no (False:
    it lasts) or nothing either way (None), from outlook phrases first, then yes/no."""
    rules = assessment_policy()["outlook"]
    tokens = tokenize(text)
    if find_hits(rules["unknown"], tokens, negatable=False):
        return None
    if find_hits(rules["lasting"], tokens, negatable=False):
        return False
    if find_hits(rules["foreseeable_end"], tokens):
        return True
    return parse_yes_no(text)


def assess_cause(cause: str, description: str, followup_answer: str) -> CauseAssessment:
    rule = followup_for(cause)
    structural = structural_default(cause)
    answer: bool | str | None = followup_answer
    if rule["kind"] == "yes_no":
        answer = read_outlook(followup_answer) if rule.get("outlook") else parse_yes_no(followup_answer)
        if answer is not None:
            structural = rule["yes_structural"] if answer else rule["no_structural"]
    answers = {"cause_description": description, "cause_followup": followup_answer,
               rule["answer_key"]: answer}
    return CauseAssessment(cause, structural, answers)


def needs_income_check(cause_structural: bool | None, recurring: bool | None,
                       control_answers: dict[str, bool | None]) -> bool:
    rules = assessment_policy()["income_check"]
    if rules["when_cause_structural"] and cause_structural:
        return True
    if rules["when_recurring_arrears"] and recurring:
        return True
    return any(control_answers.get(name) is True for name in rules["when_control_answer_yes"])


MAX_RECOVERY_MONTHS = 24


def asks_recovery_months(cause: str, followup_answer: str) -> bool:
    """A yes to 'is there a way back?' is followed by: in how many months?"""
    rule = followup_for(cause)
    return bool(rule.get("ask_recovery_months_when_yes")) and parse_yes_no(followup_answer) is True


def read_recovery_months(text: str) -> int | None:
    """Months until things improve; None when the customer does not know (that is fine)."""
    months = parse_int(text)
    if months is None:
        months = parse_int(text.lower().replace("maanden", "").replace("maand", ""))
    return months if months is not None and 1 <= months <= MAX_RECOVERY_MONTHS else None
