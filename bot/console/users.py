"""Creating staff accounts from the command line; passwords never live in the repository."""
from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from sqlalchemy import select

from bot.config import settings
from bot.console.auth import create_user
from bot.store.db import session_scope
from bot.store.models import StaffUser

DEMO_USERS = (
    ("agent", "agent", "Demo medewerker", "BETAALHULP_DEMO_AGENT_PASSWORD"),
    ("supervisor", "supervisor", "Demo supervisor", "BETAALHULP_DEMO_SUPERVISOR_PASSWORD"),
)


def add_user(username: str, role: str, display_name: str, password: str) -> int:
    with session_scope() as session:
        return create_user(session, username, password, role, display_name).id


PASSWORD_FILE = "demo-staff-passwords.txt"


def _keep_passwords(generated: list[tuple[str, str]]) -> Path:
    """Generated demo passwords go into a file only its owner can read (0600, made so before a
    byte is written), never into a log: `make run`'s output may be kept in one."""
    path = settings().data_dir / PASSWORD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as out:
        for username, password in generated:
            out.write(f"{username}: {password}\n")
    return path


def seed_demo_users(to_terminal: bool | None = None) -> list[str]:
    """Creates the demo agent and supervisor once. A password comes from the environment, or is
    generated and kept in a 0600 file in the data folder; it is shown too when the output is a
    terminal (a person reads it there), never when the output goes to a file or a pipe.
    Returns lines to print."""
    to_terminal = sys.stdout.isatty() if to_terminal is None else to_terminal
    lines, generated = [], []
    with session_scope() as session:
        for username, role, name, variable in DEMO_USERS:
            if session.execute(select(StaffUser.id).where(StaffUser.username == username)).first():
                lines.append(f"{username}: exists already")
                continue
            password = os.environ.get(variable)
            if password:
                create_user(session, username, password, role, name)
                lines.append(f"{username} ({role}) created, password from {variable}")
                continue
            password = secrets.token_urlsafe(12)
            create_user(session, username, password, role, name)
            generated.append((username, password))
            lines.append(f"{username} ({role}) created, password: {password}" if to_terminal
                         else f"{username} ({role}) created, password in {{file}}")
    if generated:
        path = _keep_passwords(generated)
        lines = [line.replace("{file}", str(path)) for line in lines]
    return lines
