"""Masking what could tie a log line to a person, in every process (issue 9 §4, issue 23 §2).

Our own code never logs what a customer typed; this is the net under libraries (Rasa, Sanic,
httpx, uvicorn, Python warnings) that might. `mask` removes, in this order:

- the free text of recent user messages (`remember_user_text`: the Rasa process records each
  message as it arrives), and any quoted value after `text`, `message`, `line` or `utterance`;
- IBANs in any case, with or without spaces; dates; e-mail addresses; euro amounts;
- phone numbers in every Dutch way of writing them (the `phonenumbers` library finds them in
  text: "+31 6 12345678", "06-1234 5678", "020-1234567"), plus long digit runs a library
  would not call a phone number;
- payment public ids and other UUIDs (a public id is enough to open and cancel a payment);
- customer numbers (six digits) and loan references (`PE-100001`);
- the names of known customers (bot/privacy/known_names.py), word by word.

The same `mask` runs in the process supervisor (bot/ops/stack.py) over every line any process
writes, so output that bypasses logging (a print, a traceback on stderr) is masked too.
"""
from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict

import phonenumbers

# Shortest message text recorded for masking: shorter ones ("ja", "hoi") are not personal, and
# masking them would cut words apart.
MIN_REMEMBERED = 6
MAX_REMEMBERED = 2000

_QUOTED_TEXT = re.compile(r"""(?i)\b(text|message|line|utterance)(['"]?\s*[:=]?\s*)(['"])(?:(?!\3).){1,2000}\3""")
PATTERNS = (
    (re.compile(r"\b[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]{4}){2,7}(?:[ ]?[A-Za-z0-9]{1,3})?\b"), "[iban]"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"), "[email]"),
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), "[id]"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b(?!T)"), "[date]"),
    (re.compile(r"\b\d{1,2}[-/. ]\d{1,2}[-/. ]\d{2,4}\b"), "[date]"),
    (re.compile(r"\b\d{1,2} (?:jan|feb|mrt|maa|apr|mei|jun|jul|aug|sep|okt|nov|dec)[a-z]*\.? \d{2,4}\b", re.I), "[date]"),
    (re.compile(r"(?:€|EUR|eur)\s?\d[\d.,]*|\b\d[\d.,]*\s?(?:euro|EUR)\b"), "[amount]"),
    (re.compile(r"\b[A-Z]{2}-\d{6}\b"), "[loan]"),
)
# After phonenumbers: what it leaves of a number (a run of 9+ digits, or 06 with separators).
_DIGIT_RUNS = (
    (re.compile(r"(?:\+|00)\d[\d -]{8,16}\d|\b0\d(?:[ -]?\d){8}\b"), "[phone]"),
    (re.compile(r"(?<![\w.])\d{6}(?![\w.-])"), "[number]"),
)
_PHONE_HINT = re.compile(r"\d[\d ()+-]{7,}\d")

_texts: OrderedDict[str, None] = OrderedDict()
_texts_lock = threading.Lock()


def remember_user_text(text: str | None) -> None:
    """Records a message a customer sent, so no log line in this process repeats it."""
    if not text:
        return
    text = text.strip()
    if len(text) < MIN_REMEMBERED:
        return
    with _texts_lock:
        _texts.pop(text, None)
        _texts[text] = None
        while len(_texts) > MAX_REMEMBERED:
            _texts.popitem(last=False)


def _mask_user_texts(text: str) -> str:
    with _texts_lock:
        remembered = list(_texts)
    for typed in reversed(remembered):  # the newest first: the likeliest in a fresh log line
        if typed in text:
            text = text.replace(typed, "[tekst]")
    return _QUOTED_TEXT.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}[tekst]{m.group(3)}", text)


def _mask_phones(text: str) -> str:
    if not _PHONE_HINT.search(text):
        return text  # most lines hold no digit run: skip the library's slower scan
    spans = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, "NL",
                                                                      leniency=phonenumbers.Leniency.VALID)]
    for start, end in reversed(spans):
        text = text[:start] + "[phone]" + text[end:]
    return text


def mask(text: str, names: bool = True) -> str:
    text = _mask_user_texts(text)
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    text = _mask_phones(text)
    for pattern, replacement in _DIGIT_RUNS:
        text = pattern.sub(replacement, text)
    if names:
        from bot.privacy.known_names import mask_names

        text = mask_names(text)
    return text


class PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken log call must not break the service
            return True
        record.msg, record.args = mask(message), None
        if record.exc_info or record.exc_text:
            # A traceback can quote what a customer typed: its text is masked as well. Formatters
            # use exc_text when it is set; exc_info stays for the exception's type.
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_text = mask(text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Adds the filter to every handler of the given (default: root) logger."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
            handler.addFilter(PersonalDataFilter())
