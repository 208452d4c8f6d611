"""Extensions loaded into the Rasa server itself (tracker store); like bot/channels, they import Rasa.

Importing this package (Rasa does, for our tracker store in both endpoints files) also makes
Rasa's per-turn schema check cheap (schema_check) and its action calls reuse connections
(keepalive).
"""
from bot.rasa_ext import keepalive, schema_check

schema_check.install()
keepalive.install()
