"""Operator commands for personal data:

    python -m bot.privacy export CUSTOMER_NUMBER [--out FILE]   (AVG art. 15)
    python -m bot.privacy erase CUSTOMER_NUMBER --yes           (AVG art. 17)
    python -m bot.privacy retention [--days N]                  (run daily, e.g. from cron)
"""
from __future__ import annotations

import argparse
import json
import sys

from bot import clock
from bot.privacy.erasure import erase_customer, export_customer
from bot.privacy.retention import apply_retention
from bot.store.db import session_scope


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.privacy")
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export")
    export.add_argument("customer_number")
    export.add_argument("--out", help="write the JSON here instead of standard output")
    erase = commands.add_parser("erase")
    erase.add_argument("customer_number")
    erase.add_argument("--yes", action="store_true", help="really erase; nothing can bring it back")
    retention = commands.add_parser("retention")
    retention.add_argument("--days", type=int)
    args = parser.parse_args(argv)

    with session_scope() as session:
        if args.command == "export":
            data = export_customer(session, args.customer_number)
            if data is None:
                print("no such customer", file=sys.stderr)
                return 1
            text = json.dumps(data, indent=2, ensure_ascii=False)
            if args.out:
                with open(args.out, "w", encoding="utf-8") as handle:
                    handle.write(text)
            else:
                print(text)
        elif args.command == "erase":
            if not args.yes:
                print("add --yes to erase; this cannot be undone", file=sys.stderr)
                return 2
            counts = erase_customer(session, args.customer_number)
            if counts is None:
                print("no such customer", file=sys.stderr)
                return 1
            print(json.dumps(counts))
        else:
            print(json.dumps(apply_retention(session, clock.utcnow(), args.days)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
