"""Every response in the customer's language: the `language` slot picks the catalogue.

Dutch, the default, is the domain's own responses (domain/*.yml). Each other language has one file,
languages/<code>/responses.yml, keyed by the same response names, with the same variations format
(conditions and buttons included). Why not Rasa's conditional response variations: the domain merges
files by response name (the later file replaces the key, rasa.shared.core.domain.merge_domain_dicts),
so each language's variation would have to live in the same key, in the same file, as the Dutch one.
This keeps a language in a folder of its own, and a third language is a translation of one file.

Set in endpoints.yml: `nlg: type: bot.rasa_ext.nlg.LanguageNLG`.
"""
from __future__ import annotations

import logging
from typing import Any, Optional

import yaml
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot.language.choice import DEFAULT, LANGUAGES_DIR
from bot.language.values import localise_all

logger = logging.getLogger(__name__)
LANGUAGE_SLOT = "language"


def load_catalogue(code: str) -> dict[str, list[dict[str, Any]]]:
    """languages/<code>/responses.yml as Rasa holds responses: name -> variations."""
    path = LANGUAGES_DIR / code / "responses.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return data.get("responses") or {}


def catalogues(domain: Domain) -> dict[str, dict[str, list[dict[str, Any]]]]:
    found = {DEFAULT: domain.responses}
    for path in sorted(LANGUAGES_DIR.glob("*/responses.yml")):
        found.setdefault(path.parent.name, load_catalogue(path.parent.name))
    return found


class LanguageNLG(TemplatedNaturalLanguageGenerator):
    def __init__(self, endpoint_config: Any = None, domain: Optional[Domain] = None) -> None:
        domain = domain or Domain.empty()
        self.by_language = {code: TemplatedNaturalLanguageGenerator(responses)
                            for code, responses in catalogues(domain).items()}
        super().__init__(domain.responses)

    # Rasa makes the generator before the model is loaded (empty domain), then sets `responses`
    # to the model's domain responses (rasa/core/agent.py): the Dutch catalogue must follow.
    @property
    def responses(self) -> dict[str, list[dict[str, Any]]]:
        return self.by_language[DEFAULT].responses

    @responses.setter
    def responses(self, value: dict[str, list[dict[str, Any]]]) -> None:
        self.by_language[DEFAULT] = TemplatedNaturalLanguageGenerator(value)

    def language_of(self, tracker: DialogueStateTracker, requested: Any = None) -> str:
        """An action may name the language of one message (the confirmation of a switch); else the slot."""
        code = requested or (tracker.slots[LANGUAGE_SLOT].value if LANGUAGE_SLOT in tracker.slots else None)
        return code if code in self.by_language else DEFAULT

    async def generate(self, utter_action: str, tracker: DialogueStateTracker, output_channel: str,
                       **kwargs: Any) -> Optional[dict[str, Any]]:
        language = self.language_of(tracker, kwargs.pop(LANGUAGE_SLOT, None))
        generator = self.by_language[language]
        if utter_action not in generator.responses:
            # tests/language prove every response exists in every language; this only guards a deploy.
            logger.warning("response %s missing in language %s; Dutch used", utter_action, language)
            language, generator = DEFAULT, self.by_language[DEFAULT]
        slots = tracker.current_slot_values()
        if language == DEFAULT:
            return generator.generate_from_slots(utter_action, slots, output_channel, **kwargs)
        slots, kwargs = localise_all(slots, language), localise_all(kwargs, language)
        message = generator.generate_from_slots(utter_action, slots, output_channel, **kwargs)
        if message is not None:
            # Travels as the bot message's metadata: the WhatsApp channel picks its template by it.
            message["language"] = language
        return message
