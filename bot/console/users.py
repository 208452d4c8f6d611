"""Creating staff accounts from the command line; passwords never live in the repository."""
from __future__ import annotations

import os
import secrets

from sqlalchemy import select

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


def seed_demo_users() -> list[str]:
    """Creates the demo agent and supervisor once. A password comes from the environment, or is
    generated and printed once (the only time anyone sees it). Returns lines to print."""
    lines = []
    with session_scope() as session:
        for username, role, name, variable in DEMO_USERS:
            if session.execute(select(StaffUser.id).where(StaffUser.username == username)).first():
                lines.append(f"{username}: exists already")
                continue
            password = os.environ.get(variable)
            generated = not password
            password = password or secrets.token_urlsafe(12)
            create_user(session, username, password, role, name)
            lines.append(f"{username} ({role}) created, password: {password}" if generated
                         else f"{username} ({role}) created, password from {variable}")
    return lines
