from datetime import date, datetime, time, timezone

from bot import cases
from bot.clock import AMSTERDAM
from bot.handover import (
    Situation,
    at_proposal,
    distinct_life_events,
    immediate,
    next_opening,
    not_understood_limit,
    within_office_hours,
)
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
    assert at_proposal([], "mortgage_review").reason == "staff_confirmation:mortgage_review"


LIFE_EVENTS = ("job_loss", "relationship_end", "bereavement", "illness", "addiction", "mental_distress",
               "low_literacy")


def test_one_sentence_is_one_life_event():  # R19, issue 22
    said = "Ik ben ontslagen bij de reorganisatie in het ziekenhuis waar ik werkte."
    seen = [{"name": "job_loss", "text": said}, {"name": "illness", "text": said}]
    assert distinct_life_events(seen, LIFE_EVENTS) == 1
    assert at_proposal(seen, "payment_pause") is None


def test_two_sentences_are_two_life_events_even_in_one_message():  # R19
    said = "Ik ben in maart ontslagen. In de zomer is mijn vader overleden."
    seen = [{"name": "job_loss", "text": said}, {"name": "bereavement", "text": said}]
    assert distinct_life_events(seen, LIFE_EVENTS) == 2
    assert at_proposal(seen, "payment_arrangement").reason == "multiple_problems"


def test_the_same_event_told_twice_is_still_one():
    seen = [{"name": "job_loss", "text": "Ik ben ontslagen."}, {"name": "job_loss", "text": "Ik heb geen werk meer."}]
    assert distinct_life_events(seen, LIFE_EVENTS) == 1


def test_bereavement_with_distress_goes_to_a_person():  # R19: the widower who lost all overview
    seen = [{"name": "bereavement", "text": "Mijn vrouw is overleden."},
            {"name": "mental_distress", "text": "Sindsdien ben ik het overzicht helemaal kwijt."}]
    assert at_proposal(seen, "payment_arrangement").reason == "signal:mental_distress"
    assert at_proposal(seen[:1], "payment_arrangement") is None  # the event alone stays with the bot


def test_a_lasting_budget_below_the_living_norm_goes_to_a_person():  # R19
    below = Situation(monthly_capacity=0, lasting=True)
    assert at_proposal([], "debt_help_referral", below).reason == "below_living_norm"
    dip = Situation(monthly_capacity=0, lasting=False)
    assert at_proposal(["illness"], "payment_pause", dip) is None  # a single temporary dip stays


def test_a_wish_for_a_person_is_heard_at_the_proposal():  # R4
    assert at_proposal([], "pay_now", Situation(customer_wish="person")).reason == "customer_asked"


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


def test_office_hours_close_on_public_holidays_from_the_followup_calendar():  # issue 21 §3
    # Christmas Eve 2026 (a Thursday) at 19:00: not "25 december", nor the 26th (a Saturday), but Monday 28th.
    opening = next_opening(datetime(2026, 12, 24, 18, 0, tzinfo=UTC))
    assert (opening.date(), opening.hour, opening.minute) == (date(2026, 12, 28), 9, 0)
    # Easter Monday 2027 (29 March), at 10:00: closed, open again on Tuesday.
    easter_monday = datetime(2027, 3, 29, 8, 0, tzinfo=UTC)
    assert not within_office_hours(easter_monday)
    assert next_opening(easter_monday).date() == date(2027, 3, 30)
    # Koningsdag, Hemelvaartsdag and 2e Pinksterdag 2027 are closed; the day after Koningsdag is open.
    for holiday in (date(2027, 4, 27), date(2027, 5, 6), date(2027, 5, 17)):
        assert not within_office_hours(datetime.combine(holiday, time(10, 0), tzinfo=AMSTERDAM))
    assert within_office_hours(datetime(2027, 4, 28, 10, 0, tzinfo=AMSTERDAM))


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


def test_a_mortgage_customers_card_counts_the_mortgage_as_housing(database):  # issue 22
    with session_scope() as session:
        case = cases.record(session, "rest:m", "rest", customer_id=3, cause="income_drop", cause_structural=True,
                            finances={"net_monthly_income": 3000.0, "housing_costs": 0.0, "other_fixed_costs": 400.0,
                                      "household_type": "couple", "children": 0})
        summary = build_summary(session, case, "staff_confirmation:restructuring", "normal", date(2026, 11, 22))
    assert summary["finances"]["housing_costs"] == 1150.0  # Petra's mortgage term, not € 0
    assert summary["finances"]["monthly_capacity"] == "€ 1.375"  # what may go to the mortgage, counted once


def _seen(*messages: str) -> list[dict]:
    from bot.signals import detect_signals
    return [{"name": s.name, "text": s.text} for m in messages for s in detect_signals(m)]


def test_r19_from_the_customers_own_words():  # issue 22 §4: the words, not only the signal names
    widower = _seen("Mijn vrouw is overleden.", "Ik ben het overzicht over al die rekeningen kwijt.")
    assert at_proposal(widower, "payment_arrangement").reason == "signal:mental_distress"
    divorce = _seen("We gaan scheiden en ik kan het echt niet meer aan")
    assert at_proposal(divorce, "payment_arrangement").reason == "signal:mental_distress"
    crisis = _seen("ik wil er niet meer zijn")
    assert at_proposal(crisis, None).priority == "crisis"
    # a dismissal at a hospital and the illness someone died of are one life event each
    assert at_proposal(_seen("Ik ben ontslagen toen de kliniek moest bezuinigen"), "payment_pause") is None
    assert at_proposal(_seen("Mijn man is overleden aan kanker"), "payment_arrangement") is None
    # a single temporary dip with nothing left this month stays with the bot
    dip = Situation(monthly_capacity=0, lasting=False)
    assert at_proposal(_seen("Ik zit in de ziektewet tot maart"), "payment_pause", dip) is None
