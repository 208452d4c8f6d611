"""Properties of the solution engine: R13 (affordable), R14 (consistent), whole euros."""
from dataclasses import fields, replace
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.policy import CAUSES, LOAN_TYPES, SIGNALS, CaseFacts, load_policy, propose, weigh_offer

TODAY = date(2026, 3, 10)
PAYING = {"pay_now", "partial_payment", "payment_arrangement", "remission_arrangement",
          "restructuring", "interest_freeze"}


@st.composite
def case_facts(draw, capacity=st.one_of(st.none(), st.integers(0, 5_000))):
    arrears = draw(st.integers(1, 20_000))
    return CaseFacts(
        arrears_amount=arrears,
        terms_behind=draw(st.integers(0, 24)),
        monthly_term=draw(st.integers(1, 3_000)),
        loan_type=draw(st.sampled_from(LOAN_TYPES)),
        cause=draw(st.sampled_from(CAUSES)),
        cause_structural=draw(st.booleans()),
        recurring=draw(st.booleans()),
        monthly_capacity=draw(capacity),
        customer_wish=draw(st.sampled_from([None, "pay_now", "arrangement", "pause", "person"])),
        customer_offer=draw(st.one_of(st.none(), st.integers(0, 5_000))),
        signals=tuple(draw(st.lists(st.sampled_from(SIGNALS), max_size=3))),
        can_pay_now=draw(st.sampled_from([None, True, False])),
        pay_now_amount=draw(st.one_of(st.none(), st.integers(0, arrears))),
        temporary_end_months=draw(st.one_of(st.none(), st.integers(0, 12))),
    )


def worse(policy, before, after):
    """R14: a more drastic solution, or the same arrangement for longer."""
    if policy.rank(after.solution) != policy.rank(before.solution):
        return policy.rank(after.solution) > policy.rank(before.solution)
    if after.solution in ("payment_arrangement", "partial_payment"):
        return after.arrangement_months > before.arrangement_months
    return False


@settings(max_examples=400)
@given(case_facts())
def test_never_asks_more_than_the_capacity(f):
    p = propose(f, TODAY)
    if f.monthly_capacity is not None and p.solution in PAYING:
        assert p.arrangement_amount <= f.monthly_capacity
        assert p.arrangement_amount + p.savings_amount <= f.monthly_capacity
    for line in p.schedule():
        assert line.total <= max(p.arrangement_amount, line.pay_now)


@settings(max_examples=400)
@given(case_facts())
def test_arrangements_clear_exactly_the_arrears_within_the_period(f):
    p = propose(f, TODAY)
    if p.solution in ("payment_arrangement", "partial_payment"):
        lines = p.schedule()
        assert sum(line.catch_up + line.pay_now for line in lines) == f.arrears_amount
        assert p.arrangement_months <= load_policy().max_recovery_months
        assert all(0 < line.catch_up <= p.catch_up_amount for line in lines if line.month > 0)


@given(case_facts())
def test_same_facts_same_proposal(f):
    again = replace(f, signals=tuple(reversed(f.signals)))
    assert propose(f, TODAY) == propose(again, TODAY)


@settings(max_examples=600)
@given(case_facts(capacity=st.integers(0, 5_000)), st.integers(1, 3_000))
def test_more_capacity_never_gives_a_worse_offer(f, extra):
    policy = load_policy()
    before = propose(f, TODAY)
    after = propose(replace(f, monthly_capacity=f.monthly_capacity + extra), TODAY)
    assert not worse(policy, before, after), (before, after)


@given(case_facts())
def test_amounts_are_whole_euros(f):
    p = propose(f, TODAY)
    for field in fields(p):
        value = getattr(p, field.name)
        if field.name.endswith("amount") or field.name in ("costs", "pause_months", "arrangement_months"):
            assert type(value) is int and value >= 0, field.name
    assert all(a.amount is None or type(a.amount) is int for a in p.add_ons)


@given(case_facts())
def test_staff_confirm_exactly_the_drastic_solutions(f):
    p = propose(f, TODAY)
    assert p.needs_staff_confirmation == (
        p.solution in {"remission_arrangement", "interest_freeze", "restructuring", "mortgage_review"})
    if set(f.signals) & {"garnishment", "bailiff", "multiple_creditors"}:
        assert p.solution == "debt_help_referral" and p.add_on("pause_while_in_debt_help")


@given(case_facts())
def test_a_mortgage_is_never_forgiven_and_a_temporary_situation_never_drastic(f):  # R15, issue 22
    p = propose(f, TODAY)
    if f.loan_type == "mortgage":
        assert "remission_arrangement" not in (p.solution, p.alternative)
    if not (f.cause_structural or f.recurring):
        assert p.solution not in {"remission_arrangement", "restructuring", "mortgage_review", "interest_freeze"}
        if p.solution == "debt_help_referral":
            assert set(f.signals) & {"garnishment", "bailiff", "multiple_creditors"} or f.cause == "other_debts"


@given(case_facts(capacity=st.integers(0, 5_000)), st.integers(0, 6_000))
def test_weighed_offers_stay_within_capacity(f, offer):
    result = weigh_offer(f, offer)
    if result.verdict == "acceptable":
        assert result.accepted_amount <= min(offer, f.monthly_capacity)
    elif result.verdict == "too_high":
        assert offer > f.monthly_capacity
        assert result.counter_amount is None or result.counter_amount <= f.monthly_capacity
    else:
        assert offer < result.lowest_workable_amount
        assert result.counter_amount is None or result.counter_amount <= f.monthly_capacity
