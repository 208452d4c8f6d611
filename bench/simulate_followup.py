"""The follow-up simulator at scale: 10,000 arrangements through 12 months (issue 10, section 5).

Usage: python bench/simulate_followup.py [--customers 10000] [--months 12] [--seed 7]
                                         [--database URL] [--payment-links] [--keep]

A fresh SQLite file under a temporary directory unless --database is given (then it must be an
empty database). Runs the real engine, ledger and database on the injectable clock with the
recording channel, and prints the simulator's summary: messages by kind and channel, skipped
by reason, arrangements completed and broken, relapses, duplicates, and where the time went
(setting up the customers through ledger.start_arrangement, the ledger's daily close, the
engine's planning and sending) and the write system calls the run made. By default reminders
link to the plan page (no payment row per instalment); --payment-links makes a real payment
(bot.payments.service.request_payment, key instalment:<id>) for every instalment reminded, as
the engine does in production.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("BETAALHULP_LOG_LEVEL", "WARNING")


def write_calls() -> str:
    """Write system calls and bytes handed to the kernel (Linux /proc/self/io): a figure that,
    unlike the seconds, does not move with the machine's load. SQLite writes page by page (in
    WAL mode a frame's header and its page are two calls), so the count follows pages written."""
    try:
        fields = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
    except (OSError, ValueError):
        return "writes: not measured (/proc/self/io unreadable)"
    return f"writes: {int(fields['syscw']):,} system calls, {int(fields['wchar']) / 2**30:.2f} GiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database")
    parser.add_argument("--payment-links", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file and print where it is")
    args = parser.parse_args(argv)

    import logging

    logging.basicConfig(level=logging.WARNING)
    directory = tempfile.mkdtemp(prefix="followup-bench-")
    os.environ.setdefault("BETAALHULP_DATA_DIR", directory)
    os.environ.setdefault("BETAALHULP_WEB_SECRET", "bench-only-secret")
    url = args.database or f"sqlite:///{directory}/simulation.db"

    from bot.followup.simulator import Simulation

    started = time.perf_counter()
    simulation = Simulation(url, customers=args.customers, months=args.months, seed=args.seed,
                            start=date(2027, 1, 4), payment_links=args.payment_links,
                            journal="wal" if args.database else "memory")  # our own temporary file: scratch
    simulation.setup()
    summary = simulation.run()
    total = time.perf_counter() - started
    print(f"follow-up simulator: {args.customers} arrangements x {args.months} months, seed {args.seed}, "
          f"{'payment links' if args.payment_links else 'plan page links'}, "
          f"{url.split('://')[0]} ({platform.python_version()}, {os.cpu_count()} cores)")
    print("\n".join(summary.lines()))
    print(f"wall clock, start to end: {total:.1f} s")
    print(write_calls())
    if args.keep:
        print(f"database kept: {url}")
    else:
        for name in os.listdir(directory):
            os.remove(os.path.join(directory, name))
        os.rmdir(directory)
    return 0 if summary.duplicate_keys_db == 0 and summary.duplicate_keys_sent == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
