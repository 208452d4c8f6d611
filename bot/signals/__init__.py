"""Multiproblem and vulnerability signal detection (R19); pure Python, no Rasa."""
from .detect import SIGNAL_NAMES, Signal, detect_signals, lexicon_version, merge_signals

__all__ = ["SIGNAL_NAMES", "Signal", "detect_signals", "lexicon_version", "merge_signals"]
