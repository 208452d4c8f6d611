"""Logging for every process of ours: masked by construction, and JSON when asked.

`install_masking` replaces the log record factory: every record any logger of the process makes
is masked (bot/privacy/logfilter.py) when it is created, before any handler sees it. Handlers
and formatters installed later (Rasa's coloredlogs, uvicorn's dictConfig, a library's own
StreamHandler) cannot undo that, as they never see an unmasked record. Python `warnings` are
routed through logging, so their text (which can quote a customer's message) is masked too.
`BETAALHULP_LOG_FORMAT=json`: one JSON object per log line."""
from __future__ import annotations

import json
import logging
import os
import time

from bot.privacy.logfilter import PersonalDataFilter, mask

_plain_factory = logging.getLogRecordFactory()


def _masked_record(*args, **kwargs) -> logging.LogRecord:
    record = _plain_factory(*args, **kwargs)
    PersonalDataFilter().filter(record)
    return record


def install_masking() -> None:
    """Idempotent; call it as early as possible in a process (and again after a library's set-up)."""
    logging.setLogRecordFactory(_masked_record)
    logging.captureWarnings(True)


def masked_line(line: str) -> str:
    """For output that is not a log record (the supervisor's pass over every process's output)."""
    return mask(line)


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
    """Every record is masked (install_masking), every handler of `logger` (default: root) also
    filters; JSON when asked."""
    install_masking()
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
