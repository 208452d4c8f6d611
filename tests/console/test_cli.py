"""The operator commands: create a user, seed the demo users (passwords never in the repo)."""
from __future__ import annotations

import re
import stat
from pathlib import Path

import yaml
from sqlalchemy import select

from bot.console.__main__ import main
from bot.console.auth import authenticate
from bot.console.canned import canned_replies
from bot.policy import SOLUTIONS
from bot.store.db import session_scope
from bot.store.models import StaffUser

ROOT = Path(__file__).resolve().parents[2]


def test_create_user_takes_the_password_from_the_environment(database, monkeypatch, capsys):
    monkeypatch.setenv("BETAALHULP_NEW_USER_PASSWORD", "a-long-enough-secret")
    assert main(["create-user", "jan", "--role", "supervisor", "--name", "Jan Jansen"]) == 0
    with session_scope() as session:
        user = session.execute(select(StaffUser).where(StaffUser.username == "jan")).scalar_one()
        assert user.role == "supervisor" and user.password_hash.startswith("$argon2id$")
        assert authenticate(session, "jan", "a-long-enough-secret").ok
    assert "a-long-enough-secret" not in capsys.readouterr().out
    assert main(["create-user", "jan", "--role", "agent"]) == 1  # exists


def test_create_user_refuses_a_short_password(database, monkeypatch):
    monkeypatch.setenv("BETAALHULP_NEW_USER_PASSWORD", "short")
    assert main(["create-user", "kees", "--role", "agent"]) == 1


def test_seed_demo_users_from_env_or_generated_once(database, monkeypatch, capsys):
    monkeypatch.setenv("BETAALHULP_DEMO_AGENT_PASSWORD", "agent-demo-secret-1")
    monkeypatch.delenv("BETAALHULP_DEMO_SUPERVISOR_PASSWORD", raising=False)
    assert main(["seed-demo-users"]) == 0
    out = capsys.readouterr().out
    assert "agent-demo-secret-1" not in out
    # Not a terminal (pytest captures it): the password is in a file only its owner can read.
    assert "password:" not in out
    path = Path(re.search(r"supervisor \(supervisor\) created, password in (\S+)", out).group(1))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    generated = re.fullmatch(r"supervisor: (\S+)\n", path.read_text()).group(1)
    assert generated not in out
    with session_scope() as session:
        assert authenticate(session, "agent", "agent-demo-secret-1").ok
        assert authenticate(session, "supervisor", generated).ok
    assert main(["seed-demo-users"]) == 0
    assert "exists already" in capsys.readouterr().out


def test_canned_replies_are_versioned_plain_dutch():
    data = canned_replies()
    assert data["version"] and len(data["replies"]) >= 5
    assert any("113" in r["text"] for r in data["replies"])
    assert all(" u " not in f" {r['text'].lower()} " for r in data["replies"])  # "je", not "u" (R2)


def test_the_console_responses_and_their_slots_are_in_the_domain():
    domain = yaml.safe_load((ROOT / "domain" / "console.yml").read_text())
    decisions = yaml.safe_load((ROOT / "domain" / "solution.yml").read_text())
    slots = {**domain["slots"], **decisions["slots"]}
    code = (ROOT / "bot" / "console" / "decisions.py").read_text() + (ROOT / "bot" / "solutions.py").read_text()
    names = ["utter_staff_adjusted_solution", "utter_staff_ask_agreement"] + \
        [f"utter_staff_confirmed_{s}" for s in SOLUTIONS]
    responses = {**domain["responses"], **decisions["responses"]}
    for response in names:
        assert response in responses
        for slot in re.findall(r"\{(\w+)\}", responses[response][0]["text"]):
            assert slot in slots and f'"{slot}"' in code
    for name, slot in slots.items():
        if name.startswith("staff_"):
            assert slot["influence_conversation"] is False and slot["mappings"] == [{"type": "custom"}]
