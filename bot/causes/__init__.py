"""Classification of the cause of arrears (R7); pure Python, no Rasa."""
from .classify import (
                       CAUSES,
                       CauseResult,
                       causes_version,
                       classify_cause,
                       explain_cause,
                       needs_follow_up,
                       prepare,
                       structural_default,
)

__all__ = ["CAUSES", "CauseResult", "causes_version", "classify_cause", "explain_cause",
           "needs_follow_up", "prepare", "structural_default"]
