"""When a person takes over, how urgently, and what they need to know (R4, R19, R20, R32)."""
from .office_hours import next_opening, within_office_hours
from .policy import (
    HandoverDecision,
    Situation,
    after_hand_back_messages,
    at_proposal,
    distinct_life_events,
    immediate,
    not_understood_limit,
    policy_version,
    service_level_minutes,
)

__all__ = ["HandoverDecision", "after_hand_back_messages", "Situation", "at_proposal", "distinct_life_events", "immediate", "next_opening",
           "not_understood_limit", "policy_version", "service_level_minutes", "within_office_hours"]
