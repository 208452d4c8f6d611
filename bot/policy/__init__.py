"""Solution policy (solutions.yml) and the engine that applies it (R11-R18)."""
from .config import Policy, load_policy
from .describe import describe
from .engine import income_check_needed, lasting, lowest_workable_amount
from .facts import CaseFacts
from .offer import OfferAssessment, weigh_offer
from .proposal import AddOn, Proposal, ScheduleLine
from .propose import propose
from .vocabulary import CAUSES, LOAN_TYPES, SIGNALS, SOLUTIONS, WISHES

__all__ = [
    "AddOn", "CaseFacts", "OfferAssessment", "Policy", "Proposal", "ScheduleLine",
    "describe", "income_check_needed", "lasting", "load_policy", "lowest_workable_amount", "propose",
    "weigh_offer", "CAUSES", "LOAN_TYPES", "SIGNALS", "SOLUTIONS", "WISHES",
]
