"""Operator commands: `python -m bot.store migrate|seed|downgrade`."""
from __future__ import annotations

import argparse

from bot.config import settings
from bot.store.migrate import downgrade, upgrade
from bot.store.seed import seed_demo_customers


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.store")
    parser.add_argument("command", choices=["migrate", "seed", "downgrade"])
    parser.add_argument("--url", default=None, help="SQLAlchemy URL (default: BETAALHULP_DATABASE_URL)")
    args = parser.parse_args()
    url = args.url or settings().database_url
    if args.command == "migrate":
        upgrade(url)
    elif args.command == "downgrade":
        downgrade(url)
    else:
        upgrade(url)
        print(f"demo customers added: {seed_demo_customers(url)}")


if __name__ == "__main__":
    main()
