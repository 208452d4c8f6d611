"""Intents that throw a conversation away count only when the classifier is sure of them.

`restart` wipes what the customer told us so far. A classifier trained on two languages of
short phrases reads an odd word as `restart` now and then ("ik heb nog een vraag over golf" came
out as restart at 0.53 and erased nine turns in the scale test), and that loses turns the
customer never meant to lose. Below the intent's own bar (config.yml, `thresholds`) the message
is treated as not understood: the customer is asked to say it differently, and nothing is lost.
"""
from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.crisis_intent import force_intent

NOT_UNDERSTOOD = "nlu_fallback"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SureIntents(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"thresholds": {"restart": 0.8}}

    def __init__(self, thresholds: dict[str, float]) -> None:
        self.thresholds = {str(name): float(bar) for name, bar in thresholds.items()}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SureIntents":
        return cls(config["thresholds"])

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            bar = self.thresholds.get(intent.get("name"))
            if bar is not None and float(intent.get("confidence") or 0.0) < bar:
                force_intent(message, {"name": NOT_UNDERSTOOD, "confidence": float(intent.get("confidence") or 0.0)})
        return messages
