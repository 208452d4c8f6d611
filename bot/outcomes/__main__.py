"""Operator commands: `python -m bot.outcomes report | monitor`.

report   the dashboard's figures as text (for a note, or after a simulator run)
monitor  the group-outcome monitor; alerts go to the log (run it daily, e.g. from cron)

Both take --from/--to (YYYY-MM-DD), --today (the as-of date, e.g. the end of a simulation on the
injectable clock) and the database from BETAALHULP_DATABASE_URL, or --database.
"""
from __future__ import annotations

import argparse
import logging
import sys
from datetime import date

from bot.outcomes import kpis, monitor, tables
from bot.store.db import session_scope


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.outcomes")
    parser.add_argument("command", choices=("report", "monitor"))
    parser.add_argument("--from", dest="start", type=date.fromisoformat, default=None)
    parser.add_argument("--to", dest="end", type=date.fromisoformat, default=None)
    parser.add_argument("--channel")
    parser.add_argument("--loan-type")
    parser.add_argument("--cause")
    parser.add_argument("--database", default=None, help="default: BETAALHULP_DATABASE_URL")
    parser.add_argument("--today", type=date.fromisoformat, default=None,
                        help="the as-of date (default: today), e.g. the last day of a simulation")
    args = parser.parse_args(argv)
    filters = kpis.Filters(start=args.start, end=args.end, channel=args.channel, loan_type=args.loan_type,
                           cause=args.cause)
    if args.command == "monitor":
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
        with session_scope(args.database) as session:
            result = monitor.evaluate(session, filters, today=args.today)
        print(f"{len(result.alerts)} alert(s)")
        return 0
    with session_scope(args.database) as session:
        dashboard = kpis.compute(session, filters, today=args.today)
        result = monitor.evaluate(session, filters, today=args.today, write_log=False)
    print(f"outcome KPIs, kpis.yml {dashboard.config_version}, {dashboard.today.isoformat()}, "
          f"selection {filters.as_dict() or 'all'}")
    for row in tables.summary(dashboard).display_rows():
        figure = " ".join(cell for cell in row[2:5] if cell)
        print(f"  {row[1]:<62} {figure:>10}   ({row[5] or '-'} / {row[6]})")
    print("  relapse per cohort (ended; within " + "/".join(str(n) for n in dashboard.relapse.windows)
          + " months; '-' = still running):")
    for cohort in dashboard.relapse.cohorts:
        rates = "  ".join(f"{tables.percent(cohort.rate(n)) if cohort.rate(n) is not None else '-':>6}"
                          for n in dashboard.relapse.windows)
        print(f"    {cohort.month}  {cohort.ended:>5}   {rates}")
    print("  group monitor:" + ("" if result.alerts else " no alerts"))
    for alert in result.alerts:
        figures = "figures hidden" if alert.figure is None else f"{alert.figure:.3f} against {alert.whole:.3f}"
        print(f"    {alert.metric} worse for {alert.dimension}={alert.value}: {figures}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
