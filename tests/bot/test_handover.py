from datetime import date, datetime, timezone

from bot import cases
from bot.handover import at_proposal, immediate, next_opening, not_understood_limit, within_office_hours
from bot.handover.summary import build_summary
from bot.store.db import session_scope

UTC = timezone.utc


def test_crisis_is_immediate_and_nothing_else_is():
    assert immediate(["illness", "crisis"]).priority == "crisis"
    assert immediate(["bailiff", "garnishment"]) is None


def test_debts_elsewhere_and_vulnerability_need_a_person():
    assert at_proposal(["bailiff"], "debt_help_referral").reason == "signal:bailiff"
    assert at_proposal(["low_literacy"], "pay_now").priority == "high"
    assert at_proposal(["job_loss", "relationship_end"], "payment_arrangement").reason == "multiple_problems"


def test_a_single_temporary_cause_stays_with_the_bot():
    assert at_proposal(["job_loss"], "payment_pause") is None
    assert at_proposal([], "pay_now") is None


def test_staff_confirmed_solutions_go_to_a_person():
    assert at_proposal([], "remission_arrangement").reason == "staff_confirmation:remission_arrangement"


def test_not_understood_limit_is_policy():
    assert not_understood_limit() == 3


def test_office_hours_in_amsterdam():
    # 08:30 UTC on a Monday in winter is 09:30 in Amsterdam.
    assert within_office_hours(datetime(2026, 11, 23, 8, 30, tzinfo=UTC))
    assert not within_office_hours(datetime(2026, 11, 23, 16, 30, tzinfo=UTC))  # 17:30 local
    friday_evening = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    opening = next_opening(friday_evening)
    assert (opening.date(), opening.hour) == (date(2026, 11, 30), 9)
    early_tuesday = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
    assert next_opening(early_tuesday).date() == date(2026, 11, 24)


def test_summary_holds_the_whole_story(database):
    with session_scope() as session:
        case = cases.record(session, "rest:s", "rest", customer_id=2, cause="job_loss", cause_structural=True,
                            answers={"cause_description": "ontslagen", "cause_followup": "nee",
                                     "control": {"income_changed": True}},
                            finances={"net_monthly_income": 4000.0, "housing_costs": 900.0,
                                      "other_fixed_costs": 350.0, "household_type": "couple_with_children",
                                      "children": 2},
                            signals=[{"name": "bailiff", "term": "deurwaarder", "text": "er kwam een deurwaarder"}])
        summary = build_summary(session, case, "signal:bailiff", "high", date(2026, 11, 22))
    assert summary["customer"]["name"] == "Mohamed El Amrani"
    assert summary["loans"][0]["arrears"] == "€ 750" and summary["loans"][0]["terms_behind"] == 3
    assert summary["cause"] == {"category": "job_loss", "structural": True, "description": "ontslagen",
                                "followup": "nee"}
    assert summary["control"]["income_changed"] is True
    assert summary["finances"]["monthly_capacity"].startswith("€")
    assert summary["signals"] == [{"name": "bailiff", "text": "er kwam een deurwaarder"}]
    assert summary["offer"] is None and summary["open_payments"] == []
