"""Operations: the pieces that load into Rasa or rasa_sdk processes in production (an atomic
Redis lock store, the action server launcher with a shared secret), metrics and JSON logs.

Like bot/channels/, this package may import Rasa; the rest of bot/ stays free of it.
"""
