"""WhatsApp templates as data (whatsapp_templates.yml): approved ContentSids with their variables,
and which domain responses go out as which template outside the 24-hour window."""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot import clock
from bot.channels.twilio_common import TEMPLATES_FILE


# -- templates (data) ----------------------------------------------------------------------------
@dataclass(frozen=True)
class WhatsAppTemplate:
    name: str
    content_sid: str
    variables: tuple[str, ...]
    text: str
    category: str = "UTILITY"

    def content_variables(self, values: dict[str, Any]) -> str:
        missing = [v for v in self.variables if v not in values]
        if missing:
            raise ValueError(f"template {self.name}: missing variables {missing}")
        return json.dumps({str(i): str(values[v]) for i, v in enumerate(self.variables, start=1)})


@lru_cache(maxsize=4)
def load_templates(path: Path = TEMPLATES_FILE, env_suffix: str = "") -> dict[str, WhatsAppTemplate]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    templates = {}
    for name, spec in (data.get("templates") or {}).items():
        sid = os.environ.get(f"TWILIO_CONTENT_SID_{name.upper()}{env_suffix}") or spec["content_sid"]
        templates[name] = WhatsAppTemplate(name, sid, tuple(spec.get("variables") or ()), spec.get("text", ""),
                                           str(spec.get("category") or "UTILITY").upper())
    return templates


@dataclass(frozen=True)
class WindowRules:
    """What to send outside the 24-hour window (whatsapp_templates.yml: `responses`, `staff_reply`)."""

    responses: dict[str, tuple[str, dict[str, str]]]  # domain response -> (template, variable -> source)
    staff_reply: str | None


VARIABLE_SOURCES = ("amount_in_text", "today")
# "€ 1.210,50" as Dutch responses write it, "€1,210.50" as English ones do (issue 27).
EURO_AMOUNT = re.compile(r"-?€\d{1,3}(?:,\d{3})*\.\d{2}(?!\d)|-?€\d{1,3}(?:,\d{3})+(?!\d)"
                         r"|-?€\s?\d{1,3}(?:\.\d{3})*(?:,\d{2})?")


def templates_in(language: str | None) -> dict[str, WhatsAppTemplate]:
    """The templates in the customer's language (languages/<code>/whatsapp_templates.yml, same names
    and variables), Dutch when that language has none."""
    from bot.language.choice import DEFAULT, LANGUAGES_DIR

    path = LANGUAGES_DIR / str(language) / "whatsapp_templates.yml"
    if not language or language == DEFAULT or not path.exists():
        return load_templates()
    return load_templates(path, f"_{language.upper()}")


@lru_cache(maxsize=4)
def load_window_rules(path: Path = TEMPLATES_FILE) -> WindowRules:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    templates = load_templates(path)
    responses = {}
    for utter, spec in (data.get("responses") or {}).items():
        template, variables = spec["template"], dict(spec.get("variables") or {})
        if template not in templates:
            raise ValueError(f"{path.name}: response {utter} maps to unknown template {template!r}")
        unknown = {v for v in variables.values() if v not in VARIABLE_SOURCES}
        if unknown or set(variables) != set(templates[template].variables):
            raise ValueError(f"{path.name}: response {utter}: variables must be {templates[template].variables} "
                             f"from {VARIABLE_SOURCES}")
        responses[utter] = (template, variables)
    staff_reply = data.get("staff_reply")
    if staff_reply and (staff_reply not in templates or templates[staff_reply].variables):
        raise ValueError(f"{path.name}: staff_reply must name a template without variables")
    return WindowRules(responses, staff_reply or None)


def template_variables(sources: dict[str, str], text: str) -> dict[str, str] | None:
    """The template's variables from the rendered text; None when the text lacks one."""
    values = {}
    for variable, source in sources.items():
        if source == "today":
            day = clock.today()
            values[variable] = f"{day.day}-{day.month}-{day.year}"
        elif source == "amount_in_text":
            found = EURO_AMOUNT.search(text or "")
            if not found:
                return None
            values[variable] = found.group(0)
    return values
