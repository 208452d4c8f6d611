"""Every case of the case book through the policy engine, the handover policy and the Dutch text
(issue 22). A failing case names what differs from the committee's decision."""
from __future__ import annotations

import pytest

from tests.casebook.casebook import budget_label, compare, load_cases, simulate
from tests.casebook.report import REPORT_FILE, build_report

CASES = load_cases()


def test_the_casebook_covers_what_issue_22_asks():
    assert len(CASES) >= 60
    assert {c["loan"]["type"] for c in CASES} == {"personal_loan", "revolving_credit", "mortgage"}
    assert {c["situation"]["budget"] for c in CASES} == {"comfortable", "tight", "below_living_norm"}
    assert {c["situation"].get("wish") for c in CASES} >= {None, "pay_now", "arrangement", "pause", "person"}
    assert {c["situation"].get("structural", False) for c in CASES} == {True, False}
    assert sum(1 for c in CASES if "conversation" in c) >= 15
    assert all(c["expect"]["rule"].strip() for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_the_budget_label_matches_the_living_norms(case):
    assert budget_label(case) == case["situation"]["budget"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case):
    problems = compare(case, simulate(case))
    assert not problems, f"{case['id']} {case['title']}: " + "; ".join(problems)


def test_the_casebook_table_is_current():
    current = REPORT_FILE.read_text(encoding="utf-8") if REPORT_FILE.exists() else ""
    assert current == build_report(), "docs/CASEBOOK.md is stale: run `.venv/bin/python -m tests.casebook.report`"
