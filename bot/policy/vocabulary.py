"""The fixed words the dialogue, the engine and solutions.yml share."""
SOLUTIONS = (
    "pay_now",
    "partial_payment",
    "payment_arrangement",
    "payment_pause",
    "interest_freeze",
    "restructuring",
    "remission_arrangement",
    "mortgage_review",
    "debt_help_referral",
)
LOAN_TYPES = ("personal_loan", "revolving_credit", "mortgage")
CAUSES = (
    "job_loss",
    "income_drop",
    "one_off_expense",
    "illness",
    "relationship_end",
    "bereavement",
    "forgot",
    "payment_timing",
    "other_debts",
    "business",
    "other",
)
SIGNALS = (
    "garnishment",
    "bailiff",
    "multiple_creditors",
    "addiction",
    "crisis",
    "low_literacy",
    "mental_distress",
    "illness",
    "job_loss",
    "relationship_end",
    "bereavement",
)
WISHES = ("pay_now", "arrangement", "pause", "person")
RULES = (
    "debt_help_signals",
    "income_check_first",
    "wished_pause",
    "pay_now",
    "partial_payment",
    "payment_arrangement",
    "temporary_pause",
    "no_capacity",
    "no_recovery",
)
ADD_ONS = ("budget_coaching", "savings_buffer", "pause_while_in_debt_help")
