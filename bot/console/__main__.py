"""Operator commands: `python -m bot.console serve | create-user | seed-demo-users`."""
from __future__ import annotations

import argparse
import getpass
import os
import sys

from bot.config import settings
from bot.console.auth import ROLES
from bot.console.users import add_user, seed_demo_users


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.console")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the staff console")
    serve.add_argument("--port", type=int, default=None, help="default: CONSOLE_PORT (8081)")
    create = commands.add_parser("create-user", help="add a staff account")
    create.add_argument("username")
    create.add_argument("--role", choices=ROLES, required=True)
    create.add_argument("--name", default=None, help="name shown to colleagues")
    commands.add_parser("seed-demo-users", help="the demo agent and supervisor of `make run`")
    args = parser.parse_args(argv)

    if args.command == "serve":
        import uvicorn

        from bot.console.app import create_app

        # Loopback only: the console is reached through the lender's own proxy, never directly.
        # ws="none": no websockets are used, and uvicorn's websockets support needs a newer
        # `websockets` than Rasa's pin (10.4) allows.
        # /health and /metrics (bot/ops/asgi.py); BETAALHULP_LOG_FORMAT=json for JSON logs.
        from bot.ops.asgi import Observed
        from bot.ops.logs import configure_from_env

        configure_from_env()
        # CONSOLE_HOST only for a container's private network (docker-compose); default loopback.
        uvicorn.run(Observed(create_app(), "betaalhulp_console", own_health=True),
                    host=os.environ.get("CONSOLE_HOST", "127.0.0.1"), port=args.port or settings().console_port,
                    log_level="info", access_log=False, proxy_headers=False, ws="none")
        return 0
    if args.command == "create-user":
        password = os.environ.get("BETAALHULP_NEW_USER_PASSWORD") or _prompt()
        try:
            user_id = add_user(args.username, args.role, args.name or args.username, password)
        except ValueError as error:
            print(f"not created: {error}", file=sys.stderr)
            return 1
        print(f"user {args.username} ({args.role}) created with id {user_id}")
        return 0
    for line in seed_demo_users():
        print(line)
    return 0


def _prompt() -> str:
    first = getpass.getpass("password (12+ characters): ")
    if first != getpass.getpass("again: "):
        raise SystemExit("the passwords differ")
    return first


if __name__ == "__main__":
    sys.exit(main())
