"""A message that asks for another language ("in English please", "Nederlands graag") becomes the
`switch_language` intent, whatever the classifier thought (issue 27).

Such a message is short and in either language, so the classifier trained on both can read it as
anything; the phrases in languages/<code>/language.yml decide it exactly. Runs before CrisisIntent,
so a risk to life still wins.
"""
from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.language.choice import requested_language
from nlu_components.crisis_intent import force_intent

SWITCH_INTENT = {"name": "switch_language", "confidence": 1.0}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class LanguageSwitchIntent(GraphComponent, IntentClassifier):
    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LanguageSwitchIntent":
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT)
            if text and requested_language(text):
                force_intent(message, SWITCH_INTENT)
        return messages
