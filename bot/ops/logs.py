"""`BETAALHULP_LOG_FORMAT=json`: one JSON object per log line, still through the personal-data
filter (bot/privacy/logfilter.py), which masks the message before it is formatted."""
from __future__ import annotations

import json
import logging
import os
import time

from bot.privacy.logfilter import PersonalDataFilter


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if record.exc_info:
            # The exception type only: a traceback's text can carry what a customer typed.
            entry["exception"] = record.exc_info[0].__name__ if record.exc_info[0] else None
        return json.dumps(entry, ensure_ascii=False)


def configure(json_format: bool, logger: logging.Logger | None = None) -> None:
    """Every handler of `logger` (default: root) masks personal data; JSON when asked."""
    target = logger or logging.getLogger()
    if not target.handlers:
        target.addHandler(logging.StreamHandler())
    for handler in target.handlers:
        if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
            handler.addFilter(PersonalDataFilter())
        if json_format:
            handler.setFormatter(JsonFormatter())


def configure_from_env() -> None:
    configure(os.environ.get("BETAALHULP_LOG_FORMAT", "").lower() == "json")
