"""Signed plan links (issue 10, section 4): they open one arrangement, expire, and cannot be forged."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.config import settings
from bot.followup import plan_links
from bot.followup.plan_links import ExpiredLink, ForgedLink, check_token, load_policy, plan_link, plan_token

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)
SECRET = "test-secret-for-plan-links"


@pytest.fixture(autouse=True)
def _secret(monkeypatch):
    monkeypatch.setenv("BETAALHULP_WEB_SECRET", SECRET)
    monkeypatch.setenv("BETAALHULP_PUBLIC_URL", "https://hulp.lener.nl")
    settings.cache_clear()
    yield
    settings.cache_clear()


def test_a_link_opens_its_arrangement_until_it_expires():
    link = plan_link(42, NOW)
    assert link.startswith("https://hulp.lener.nl/plan/42.")
    token = link.rsplit("/", 1)[1]
    access = check_token(token, NOW + timedelta(days=29, hours=23))
    assert access.arrangement_id == 42
    assert access.expires_at == NOW + timedelta(days=load_policy().link_valid_days)
    with pytest.raises(ExpiredLink) as expired:
        check_token(token, NOW + timedelta(days=30))
    assert expired.value.status == 410


def test_a_link_for_another_arrangement_or_a_longer_life_is_forged():
    token = plan_token(42, NOW)
    arrangement, expires, signature = token.split(".")
    for changed in (f"43.{expires}.{signature}", f"4.{expires}.{signature}", f"42.{int(expires) + 86400}.{signature}",
                    f"{arrangement}.{expires}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}"):
        with pytest.raises(ForgedLink) as forged:
            check_token(changed, NOW)
        assert forged.value.status == 403
    # Another arrangement's own link opens that arrangement only.
    assert check_token(plan_token(43, NOW), NOW).arrangement_id == 43


@pytest.mark.parametrize("token", ["", None, "42", "42.1.x", "0.1795000000." + "A" * 43, "../../etc/passwd",
                                   "42.1795000000." + "A" * 43, "42.1795000000." + "A" * 44, "４２.1.abc"])
def test_garbage_and_guessed_tokens_are_forged(token):
    with pytest.raises(ForgedLink):
        check_token(token, NOW)


def test_an_expired_forged_link_is_forged_not_expired():
    """Only our own links are told they expired; anything else learns nothing."""
    token = plan_token(42, NOW - timedelta(days=60), secret="someone-else")
    with pytest.raises(ForgedLink):
        check_token(token, NOW)
    with pytest.raises(ExpiredLink):
        check_token(plan_token(42, NOW - timedelta(days=60)), NOW)


def test_a_link_signed_with_another_secret_is_forged(monkeypatch):
    token = plan_token(42, NOW)
    monkeypatch.setenv("BETAALHULP_WEB_SECRET", "a-new-secret")
    settings.cache_clear()
    with pytest.raises(ForgedLink):
        check_token(token, NOW)


def test_the_check_compares_in_constant_time(monkeypatch):
    calls = []
    real = plan_links.hmac.compare_digest
    monkeypatch.setattr(plan_links.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    check_token(plan_token(42, NOW), NOW)
    assert len(calls) == 1


def test_ids_that_are_no_arrangement_are_refused():
    for bad in (0, -1, True, "42"):
        with pytest.raises(ValueError):
            plan_token(bad, NOW)


def test_without_a_secret_every_process_on_the_machine_shares_one_kept_key(monkeypatch, tmp_path):
    """The embedded set-up: the follow-up engine makes the link, the web app (another process) opens it."""
    monkeypatch.delenv("BETAALHULP_WEB_SECRET")
    monkeypatch.setenv("BETAALHULP_DATA_DIR", str(tmp_path))
    settings.cache_clear()
    plan_links._embedded_key.cache_clear()
    made_elsewhere = subprocess.run(
        [sys.executable, "-c", "from bot.followup.plan_links import plan_link; print(plan_link(7))"],
        cwd=ROOT, env={**os.environ}, capture_output=True, text=True, check=True).stdout.strip()
    key_file = tmp_path / plan_links.KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert check_token(made_elsewhere.rsplit("/", 1)[1]).arrangement_id == 7
    assert [p.name for p in tmp_path.iterdir()] == [plan_links.KEY_FILE_NAME]  # no temporary file left
    plan_links._embedded_key.cache_clear()


def test_a_broken_policy_is_refused(tmp_path):
    bad = tmp_path / "plan_page.yml"
    bad.write_text('version: "x"\nlink_valid_days: 30\nlink_margin_after_last_instalment_days: 30\n'
                   'move: {max_days: 0, moves_per_arrangement: 1}\ncircumstances: {repeat_after_minutes: 10}\n')
    with pytest.raises(ValueError, match="max_days"):
        load_policy(bad)


def test_a_link_works_for_the_whole_arrangement_not_only_30_days(database):
    """Issue 26: a link made on 22 November for instalments until March works until 30 days after
    the last one, not only until 22 December (before the first instalment's date)."""
    from datetime import date

    from bot.followup.plan_links import arrangement_link
    from bot.store.db import session_scope
    from bot.store.models import Arrangement
    from tests.web.test_plan_rules import make_arrangement

    dates = (date(2026, 12, 27), date(2027, 1, 27), date(2027, 3, 1))
    arrangement_id = make_arrangement(database, due=dates, starts_on=date(2026, 11, 22))
    with session_scope() as session:
        token = arrangement_link(session.get(Arrangement, arrangement_id), NOW).rsplit("/", 1)[1]
    access = check_token(token, datetime(2027, 3, 31, 12, 0, tzinfo=timezone.utc))
    assert access.expires_at.date() == date(2027, 3, 31)  # last date + link_margin_after_last_instalment_days
    with pytest.raises(ExpiredLink):
        check_token(token, datetime(2027, 4, 1, 12, 0, tzinfo=timezone.utc))
