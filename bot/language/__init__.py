"""Dutch text helpers shared by signal detection and cause classification (no Rasa here)."""
from .fuzzy import within_one_edit
from .lexicon import Hit, find_hits, first_hit, load_yaml
from .negation import NEGATORS, is_negated, negates, split_clauses
from .patterns import Phrase, compile_phrase, find_matches, find_spans, word_matches
from .text import is_word, normalise, tokenize

__all__ = [
    "Hit", "NEGATORS", "Phrase", "compile_phrase", "find_hits", "find_spans", "first_hit",
    "find_matches", "is_negated", "is_word", "negates", "load_yaml", "normalise", "split_clauses", "tokenize",
    "within_one_edit", "word_matches",
]
