"""Affordability: living-cost norms (norms.yml) and monthly capacity (R13)."""
from .assess import Affordability, Finances, assess
from .norms import HOUSEHOLD_TYPES, Norms, load_norms

__all__ = ["Affordability", "Finances", "assess", "HOUSEHOLD_TYPES", "Norms", "load_norms"]
