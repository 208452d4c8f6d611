"""Signed links to a customer's plan page (issue 10, section 4): no password, and they expire.

A link is `<public url>/plan/<arrangement id>.<expiry>.<signature>`: the expiry in Unix seconds,
the signature an HMAC-SHA256 over both, base64url. Whoever holds a good, unexpired link sees that
one arrangement's plan, nothing else; changing the id or the expiry breaks the signature.

The key is `BETAALHULP_WEB_SECRET`, as for the web app's form tokens. Unlike those, a plan link is
made in one process (the follow-up engine, an action) and opened in another (the web app) up to
30 days later, so a random key per process would not do. When the variable is unset (the
embedded set-up of `make run`), the key is made once and kept in `<data dir>/plan_link.key`
(mode 0600), shared by every process on this machine. Production sets the variable.

The limits (how long a link works, how far and how often an instalment may move) live in
plan_page.yml next to this file.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

from bot import clock
from bot.config import settings
from bot.store.followup_models import Instalment

log = logging.getLogger(__name__)

POLICY_FILE = Path(__file__).with_name("plan_page.yml")
KEY_FILE_NAME = "plan_link.key"
_DOMAIN = "betaalhulp-plan-link:v1"
_TOKEN = re.compile(r"^([1-9][0-9]{0,11})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class PlanPolicy:
    version: str
    link_valid_days: int
    move_max_days: int
    moves_per_arrangement: int
    circumstances_repeat_minutes: int
    solution_names: dict[str, str]
    link_margin_days: int = 30  # after the last instalment date (issue 26)

    def solution_name(self, solution: str | None) -> str:
        return self.solution_names.get(solution or "", "Je regeling")


def _positive(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"plan_page.yml: {key} must be a whole number of 1 or more")
    return value


def load_policy(path: Path = POLICY_FILE) -> PlanPolicy:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    move, circumstances = data.get("move") or {}, data.get("circumstances") or {}
    return PlanPolicy(version=str(data["version"]), link_valid_days=_positive(data, "link_valid_days"),
                      link_margin_days=_positive(data, "link_margin_after_last_instalment_days"),
                      move_max_days=_positive(move, "max_days"),
                      moves_per_arrangement=_positive(move, "moves_per_arrangement"),
                      circumstances_repeat_minutes=_positive(circumstances, "repeat_after_minutes"),
                      solution_names={str(k): str(v) for k, v in (data.get("solution_names") or {}).items()})


@lru_cache(maxsize=1)
def policy() -> PlanPolicy:
    return load_policy()


# -- the key -----------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _embedded_key(data_dir: Path) -> bytes:
    """The machine's own key for the embedded set-up, made once; every process reads the same."""
    path = data_dir / KEY_FILE_NAME
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        temporary = data_dir / f".{KEY_FILE_NAME}.{secrets.token_hex(8)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(temporary, path)  # atomic: of two processes starting together, one key wins
            log.warning("BETAALHULP_WEB_SECRET is unset: plan links are signed with a key kept in %s; "
                        "set the variable in production", path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    if len(key) < 16:
        raise ValueError(f"{path} holds no usable key; delete it and a new one is made")
    return key


def _key(secret: str | bytes | None = None) -> bytes:
    if secret:
        return secret.encode() if isinstance(secret, str) else secret
    config = settings()
    if config.web_secret:
        return config.web_secret.encode()
    return _embedded_key(Path(config.data_dir))


def _signature(key: bytes, arrangement_id: int, expires: int) -> str:
    mac = hmac.new(key, f"{_DOMAIN}:{arrangement_id}:{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


# -- making and checking links ---------------------------------------------------------------------
class LinkRefused(Exception):
    """The link does not open the page; `status` is the HTTP status to answer with."""

    status = 403


class ForgedLink(LinkRefused):
    status = 403


class ExpiredLink(LinkRefused):
    status = 410


@dataclass(frozen=True)
class PlanAccess:
    arrangement_id: int
    expires_at: datetime


def _now(now: datetime | None) -> datetime:
    now = now or clock.utcnow()
    return now if now.tzinfo else now.replace(tzinfo=timezone.utc)


def plan_token(arrangement_id: int, now: datetime | None = None, *, secret: str | bytes | None = None,
               valid_days: int | None = None, last_due: date | None = None) -> str:
    """A signed token valid for `valid_days` (link_valid_days), and at least until the margin
    after `last_due`, the arrangement's last instalment date (issue 26)."""
    if isinstance(arrangement_id, bool) or not isinstance(arrangement_id, int) or arrangement_id < 1:
        raise ValueError("an arrangement id is a whole number of 1 or more")
    rules = policy()
    days = valid_days if valid_days is not None else rules.link_valid_days
    until = _now(now) + timedelta(days=days)
    if last_due is not None:
        end = datetime.combine(last_due + timedelta(days=rules.link_margin_days), time(23, 59), clock.AMSTERDAM)
        until = max(until, end.astimezone(timezone.utc))
    expires = int(until.timestamp())
    return f"{arrangement_id}.{expires}.{_signature(_key(secret), arrangement_id, expires)}"


def plan_link(arrangement_id: int, now: datetime | None = None, *, last_due: date | None = None) -> str:
    """The address of this arrangement's plan page: valid for link_valid_days, and when the last
    instalment date is given, at least until the margin after it."""
    return f"{settings().public_url}/plan/{plan_token(arrangement_id, now, last_due=last_due)}"


def arrangement_link(arrangement: Any, now: datetime | None = None, session: Any = None) -> str:
    """The plan link for an arrangement, valid for its whole life: an ORM `Arrangement` with its
    instalments, or a plain row (the follow-up engine's) whose last date `session` looks up."""
    instalments = getattr(arrangement, "instalments", None)
    if instalments is not None:
        dates = [i.due_on for i in instalments]
        last = max(dates) if dates else None
    elif session is not None:
        last = session.execute(select(func.max(Instalment.due_on))
                               .where(Instalment.arrangement_id == arrangement.id)).scalar()
    else:
        last = None
    return plan_link(arrangement.id, now, last_due=last)


def check_token(token: str | None, now: datetime | None = None, *,
                secret: str | bytes | None = None) -> PlanAccess:
    """The arrangement a good token opens; ForgedLink (403) or ExpiredLink (410) otherwise.

    The signature is checked first and in constant time, so an expired link is only ever told
    apart from a forged one when it really was ours."""
    match = _TOKEN.match(token or "")
    if match is None:
        raise ForgedLink("not a plan link")
    arrangement_id, expires, given = int(match.group(1)), int(match.group(2)), match.group(3)
    if not hmac.compare_digest(_signature(_key(secret), arrangement_id, expires), given):
        raise ForgedLink("signature does not match")
    expires_at = datetime.fromtimestamp(expires, timezone.utc)
    if expires_at <= _now(now):
        raise ExpiredLink("link expired")
    return PlanAccess(arrangement_id, expires_at)
