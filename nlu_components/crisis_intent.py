"""Any message that speaks of a risk to life becomes the `crisis` intent, whatever else it says (R19).

The statistical classifier alone can miss such a sentence, or read it as a cause of arrears; the
lexicon in bot/signals is tuned for recall on exactly this. Running it inside the NLU pipeline lets
one rule answer at once, in or out of any form, before anything else happens.
"""
from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.signals import detect_signals

CRISIS_INTENT = {"name": "crisis", "confidence": 1.0}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class CrisisIntent(GraphComponent, IntentClassifier):
    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "CrisisIntent":
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if text and any(signal.name == "crisis" for signal in detect_signals(text)):
                force_intent(message, CRISIS_INTENT)
        return messages


def force_intent(message: Message, intent: dict[str, Any]) -> None:
    """`intent` becomes the message's intent, first in its ranking, whatever the classifier said."""
    message.set(INTENT, dict(intent), add_to_output=True)
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != intent["name"]]
    message.set(INTENT_RANKING_KEY, [dict(intent), *ranking], add_to_output=True)
