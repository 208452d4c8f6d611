"""Extensions loaded into the Rasa server itself (tracker store); like bot/channels, they import Rasa.

Importing this package (Rasa does, for our tracker store in both endpoints files) also makes
Rasa's per-turn schema check cheap: see schema_check.
"""
from bot.rasa_ext import schema_check

schema_check.install()
