"""The follow-up engine's commands.

    python -m bot.followup run [--database URL] [--sender rasa|record:FILE]   a pass every 30 s, until stopped
    python -m bot.followup tick --now 2027-03-01T08:00:00+00:00               one pass at that moment
    python -m bot.followup simulate --customers 500 --months 12 --seed 7 --database sqlite:///var/sim.db

`run` with the real clock also runs the daily jobs (bot/followup/daily_jobs.yml: retention and the
group-outcome monitor, once a day over all engines); `--no-daily-jobs` leaves them out.

`run` also takes a simulated clock for tests and demos: `--start ISO --until ISO --step-minutes N`
runs pass after pass at those moments as fast as it can, and `--progress FILE` writes the last
moment fully done to FILE (a restart can continue from there). With `--start ISO --speed X
--anchor UNIX` the clock runs X times faster than real time from the anchor, so several engine
processes share one simulated clock.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from bot import clock
from bot.followup.policy import default as default_policy
from bot.followup.policy import load as load_policy

log = logging.getLogger("bot.followup")


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.AMSTERDAM)


def _sender(spec: str):
    from bot.followup.sending import RasaSender, RecordingSender

    if spec == "rasa":
        return RasaSender()
    if spec.startswith("record"):
        _, _, path = spec.partition(":")
        return RecordingSender(path or None, keep=False)
    raise SystemExit(f"unknown sender {spec!r}: rasa or record[:FILE]")


def _engine(args):
    from bot.followup.engine import Engine

    policy = load_policy(args.policy) if args.policy else default_policy()
    pause = getattr(args, "pause_after_send", 0.0)
    # The daily jobs (retention, the outcome monitor) run with the real clock unless switched off;
    # with a simulated clock only when asked (they act on the real conversations).
    jobs = getattr(args, "daily_jobs", None)
    if jobs is None:
        jobs = args.command == "run" and not getattr(args, "start", None)
    schedule = None
    if jobs:
        from bot.followup import daily_jobs

        schedule = daily_jobs.load(args.jobs) if getattr(args, "jobs", None) else daily_jobs.default()
    return Engine(args.database, sender=_sender(args.sender), policy=policy, name=args.name,
                  mark_every=args.mark_every, after_send=(lambda _delivery: time.sleep(pause)) if pause else None,
                  daily_jobs=schedule)


def _report_line(moment: datetime, report) -> str:
    skipped = sum(report.skipped.values())
    deferred = sum(report.deferred.values())
    return (f"{moment.isoformat()} days closed {len(report.days_closed)}, planned {report.planned}, "
            f"sent {report.sent}, skipped {skipped}, deferred {deferred}, failed {report.failed}")


def cmd_tick(args) -> int:
    now = _moment(args.now) if args.now else clock.utcnow()
    clock.set_clock(lambda: now)
    engine = _engine(args)
    print(_report_line(now, engine.tick(now)), flush=True)
    return 0


def _write_progress(path: str | None, moment: datetime) -> None:
    if path:
        temporary = f"{path}.{os.getpid()}"
        Path(temporary).write_text(moment.isoformat(), encoding="utf-8")
        os.replace(temporary, path)


def cmd_run(args) -> int:
    engine = _engine(args)
    stop = {"now": False}

    def _stop(*_):
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if args.start and args.step_minutes:
        # A stepped simulated clock: pass after pass, as fast as the engine goes.
        moment, until = _moment(args.start), _moment(args.until)
        step = timedelta(minutes=args.step_minutes)
        while moment <= until and not stop["now"]:
            clock.set_clock(lambda: moment)
            engine.tick(moment)
            _write_progress(args.progress, moment)
            moment += step
            if args.pause:
                time.sleep(args.pause)
        return 0
    if args.start and args.speed:
        # A fast clock shared by every process started with the same start, speed and anchor.
        start, anchor, speed = _moment(args.start), float(args.anchor or time.time()), float(args.speed)
        until = _moment(args.until) if args.until else None
        clock.set_clock(lambda: start + timedelta(seconds=(time.time() - anchor) * speed))
        if time.time() < anchor:
            time.sleep(anchor - time.time())  # every process starts at the same simulated moment
        while not stop["now"]:
            now = clock.utcnow()
            if until is not None and now > until:
                break
            engine.tick()
            _write_progress(args.progress, now)
            time.sleep(args.pause)
        return 0
    interval = args.interval or engine.policy.interval_seconds
    log.info("follow-up engine %s: a pass every %s s", engine.name, interval)
    while not stop["now"]:
        try:
            report = engine.tick()
            if report.sent or report.days_closed or report.failed:
                log.info(_report_line(clock.utcnow(), report))
        except Exception:  # noqa: BLE001 - the loop survives a bad pass (database away) and tries again
            log.exception("follow-up pass failed; next pass in %s s", interval)
        for _ in range(int(interval * 10)):
            if stop["now"]:
                break
            time.sleep(0.1)
    return 0


def cmd_simulate(args) -> int:
    from bot.followup.simulator import Simulation

    policy = load_policy(args.policy) if args.policy else None
    simulation = Simulation(args.database, customers=args.customers, months=args.months, seed=args.seed,
                            start=date.fromisoformat(args.start) if args.start else date(2027, 1, 4),
                            policy=policy, payment_links=not args.no_payment_links,
                            journal="memory" if args.scratch else "wal",
                            progress=(lambda line: print(line, flush=True)) if args.verbose else None)
    simulation.setup()
    summary = simulation.run()
    print("\n".join(summary.lines()), flush=True)
    return 0 if summary.duplicate_keys_sent == 0 and summary.duplicate_keys_db == 0 else 1


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("BETAALHULP_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from bot.ops.logs import install_masking

    install_masking()  # every record masked, whatever handler prints it (issue 23 §2)
    parser = argparse.ArgumentParser(prog="python -m bot.followup", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    def engine_options(command):
        command.add_argument("--database", help="SQLAlchemy URL (default: BETAALHULP_DATABASE_URL)")
        command.add_argument("--sender", default="rasa", help="rasa (default) or record[:FILE]")
        command.add_argument("--policy", default=os.environ.get("BETAALHULP_FOLLOWUP_POLICY") or None,
                             help="another policy file (default BETAALHULP_FOLLOWUP_POLICY, else bot/followup/policy.yml)")
        command.add_argument("--name", help="this engine's name in claimed rows (default host:pid:random)")
        command.add_argument("--mark-every", type=int, default=1, help="sent messages marked per transaction")
        command.add_argument("--daily-jobs", dest="daily_jobs", action="store_true", default=None,
                             help="run retention and the outcome monitor once a day (default: with `run` on the "
                                  "real clock)")
        command.add_argument("--no-daily-jobs", dest="daily_jobs", action="store_false")
        command.add_argument("--jobs", help="another daily jobs file (default bot/followup/daily_jobs.yml)")

    tick = commands.add_parser("tick", help="one pass")
    engine_options(tick)
    tick.add_argument("--now", help="the moment of the pass (ISO 8601; without offset: Dutch time)")
    tick.set_defaults(func=cmd_tick)

    run = commands.add_parser("run", help="a pass every interval until stopped")
    engine_options(run)
    run.add_argument("--interval", type=float, help="seconds between passes (default: policy engine.interval_seconds)")
    run.add_argument("--start", help="simulated clock: the first moment")
    run.add_argument("--until", help="simulated clock: the last moment")
    run.add_argument("--step-minutes", type=float, help="stepped simulated clock: minutes per pass")
    run.add_argument("--speed", type=float, help="fast simulated clock: simulated seconds per real second")
    run.add_argument("--anchor", help="fast simulated clock: the Unix time at which it shows --start")
    run.add_argument("--pause", type=float, default=0.0, help="simulated clocks: real seconds between passes")
    run.add_argument("--progress", help="write the last moment fully done to this file")
    run.add_argument("--pause-after-send", type=float, default=0.0,
                     help="tests: real seconds between sending a message and marking it (widens the window a kill "
                          "can hit)")
    run.set_defaults(func=cmd_run)

    sim = commands.add_parser("simulate", help="N customers with arrangements through months of follow-up")
    sim.add_argument("--customers", type=int, default=200)
    sim.add_argument("--months", type=int, default=12)
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--start", help="the first simulated day (default 2027-01-04)")
    sim.add_argument("--database", required=True, help="SQLAlchemy URL of a database for the simulation")
    sim.add_argument("--policy", help="another policy file")
    sim.add_argument("--no-payment-links", action="store_true", help="plan page links instead of payment rows")
    sim.add_argument("--scratch", action="store_true",
                     help="SQLite file thrown away after the run: rollback journal in memory, faster (a crash "
                          "leaves it corrupt; never for a database others read)")
    sim.add_argument("--verbose", action="store_true", help="progress every 30 simulated days")
    sim.set_defaults(func=cmd_simulate)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
