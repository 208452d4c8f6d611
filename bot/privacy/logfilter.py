"""A logging filter that masks what could tie a log line to a person.

Our own code never logs what a customer typed; this filter is the second line of defence for
libraries (Rasa, Sanic, httpx) that might. It masks IBANs, dates, phone numbers, customer
numbers, e-mail addresses and euro amounts in the message and its arguments.
"""
from __future__ import annotations

import logging
import re

PATTERNS = (
    (re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"), "[iban]"),
    (re.compile(r"\b\d{1,2}[-/. ]\d{1,2}[-/. ]\d{2,4}\b"), "[date]"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b(?!T)"), "[date]"),
    (re.compile(r"\b\d{1,2} (?:jan|feb|mrt|maa|apr|mei|jun|jul|aug|sep|okt|nov|dec)[a-z]*\.? \d{2,4}\b", re.I), "[date]"),
    (re.compile(r"(?:\+|00)\d{9,14}\b|\b0\d{9}\b|\b06[- ]?\d{8}\b"), "[phone]"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"), "[email]"),
    (re.compile(r"(?:€|EUR|eur)\s?\d[\d.,]*|\b\d[\d.,]*\s?(?:euro|EUR)\b"), "[amount]"),
    (re.compile(r"(?<![\w.-])\d{6}(?![\w.-])"), "[number]"),
)


def mask(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken log call must not break the service
            return True
        record.msg, record.args = mask(message), None
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Adds the filter to every handler of the given (default: root) logger."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
            handler.addFilter(PersonalDataFilter())
