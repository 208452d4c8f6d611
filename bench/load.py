"""Load generator: N simulated customers in whole conversations over the REST channel (issue 7).

Each customer verifies as a demo customer (100001..100004 in turn, with the birth date), tells
the cause, answers the four control questions, asks to pay and takes the payment link. Prints
turn latency p50/p95/p99, conversations per minute, messages per second, errors, turns that
got the guard's "still working" message (slower than 8 s), and after the run checks every
conversation's tracker: each message sent stored exactly once, in order, with a bot reply.

    .venv/bin/python -m bench.load --all                 # the full bench (about 15 minutes)
    .venv/bin/python -m bench.load --start --customers 1 10 --conversations 2
    .venv/bin/python -m bench.load --setup scaled --customers 1 10 --baseline
    .venv/bin/python -m bench.load --setup embedded --customers 1 --long
    .venv/bin/python -m bench.load --train               # cold `rasa train` time of our model
    .venv/bin/python -m bench.load --profile             # py-spy over sequential turns
    .venv/bin/python -m bench.load --url http://127.0.0.1:5005 --customers 10

--start/--setup start the set-ups on ports 6100-6199 and stop them at the end; --baseline starts
plain Rasa (bench/baseline/, trained on demand) and prints our p95 and throughput against it.
Results go to bench/results/<setup>-<date>.md. Figures on a shared 2-core machine are noisy:
compare runs made back to back, which is why the baseline runs in the same invocation.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import requests
import yaml

from bench import action_calls, checks, longconv, report, setups

DEMO = [("100001", "12-04-1988"), ("100002", "03-11-1979"), ("100003", "21-07-1965"), ("100004", "30-01-1992")]
BIRTH_DATES = {born for _, born in DEMO}
RESULTS = Path(__file__).resolve().parent / "results"
TURNS_PER_CONVERSATION = 11
GREETINGS = ["hoi", "hallo", "goedemorgen", "hey", "doei", "hoi daar", "goedemiddag", "tot ziens", "hallo", "hee",
             "dag"]
LONG_PROBE = "wat is bkr?"
BASELINE_PROBE = "hallo"
BENCH_ENV = {
    # A bench client is no flooding customer: the long conversation sends more than 20 a minute.
    "BETAALHULP_MAX_MESSAGES_PER_MINUTE": "100000",
}


def script(index: int) -> list[str]:
    number, born = DEMO[index % len(DEMO)]
    return ["hoi", f"mijn klantnummer is {number}", born, "ik was het gewoon vergeten", "ja hoor",
            "nee", "nee niks veranderd", "nee", "nee", "ik wil het nu meteen betalen", "link"]


def baseline_script(index: int) -> list[str]:
    return GREETINGS


def _guard_texts() -> tuple[str, str]:
    """The guard's two kind messages (domain/core.yml): a slow turn, and a failed one."""
    slow, failed = "Een moment, ik ben nog bezig", "Sorry, er ging bij ons iets mis"
    try:
        responses = yaml.safe_load((setups.ROOT / "domain" / "core.yml").read_text()).get("responses", {})
        slow = responses["utter_still_working"][0]["text"]
        failed = responses["utter_something_went_wrong"][0]["text"]
    except (OSError, KeyError, IndexError, TypeError, AttributeError):
        pass
    return slow, failed


SLOW_TEXT, FAILED_TEXT = _guard_texts()


def classify(status: int, replies) -> str:
    """ok, slow (the guard answered for a turn slower than 8 s) or error."""
    if status != 200 or not isinstance(replies, list) or not replies:
        return "error"
    texts = [m.get("text") or "" for m in replies if isinstance(m, dict)]
    if any(t == FAILED_TEXT for t in texts):
        return "error"
    if any(t == SLOW_TEXT for t in texts):
        return "slow"
    return "ok"


async def conversation(client: httpx.AsyncClient, url: str, texts: list[str], run: report.Run, sent: dict,
                       wants_link: bool) -> None:
    sender = f"bench-{uuid.uuid4().hex[:12]}"
    sent[sender] = []
    last: list = []
    for text in texts:
        started = time.perf_counter()
        sent[sender].append(text)
        try:
            response = await client.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text})
            replies = response.json() if response.status_code == 200 else None
            kind = classify(response.status_code, replies)
        except (httpx.HTTPError, ValueError):
            replies, kind = None, "error"
        run.latencies.append(time.perf_counter() - started)
        run.errors += kind == "error"
        run.slow += kind == "slow"
        last = replies if isinstance(replies, list) else []
    run.conversations += 1
    if wants_link and not any("http" in (m.get("text") or "") for m in last if isinstance(m, dict)):
        run.without_link += 1


async def load(running_urls: list[str], customers: int, conversations: int, make_script, label: str,
               wants_link: bool = True) -> tuple[report.Run, dict]:
    """`customers` clients at once, each `conversations` whole conversations one after the other.
    Customer n talks to Rasa server n mod len(urls) (sticky, as the nginx hash would be)."""
    run = report.Run(label=label, clients=customers)
    sent: dict[str, list[str]] = {}

    async def customer(n: int) -> None:
        url = running_urls[n % len(running_urls)]
        for k in range(conversations):
            await conversation(client, url, make_script(n * conversations + k), run, sent, wants_link)

    limits = httpx.Limits(max_connections=max(10, customers * 2))
    async with httpx.AsyncClient(timeout=300, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(customer(n) for n in range(customers)))
        run.seconds = time.perf_counter() - started
    return run, sent


def redacted(text: str) -> bool:
    """What our tracker store keeps as a placeholder (bot/rasa_ext/tracker_store.py): a birth date."""
    from bot.parsing import parse_birth_date

    return text in BIRTH_DATES or parse_birth_date(text) is not None


def check_trackers(running: setups.Running, sent: dict, is_redacted) -> dict:
    results = []
    auth = running.auth()
    params = {"include_events": "ALL", **auth.pop("params", {})}  # the baseline's token is a parameter too
    for sender, texts in sent.items():
        response = requests.get(f"{running.urls[0]}/conversations/{running.conversation_id(sender)}/tracker",
                                params=params, timeout=120, **auth)
        response.raise_for_status()
        results.append(checks.check_conversation(texts, response.json()["events"], is_redacted))
    return checks.total(results)


def default_conversations(customers: int) -> int:
    """About 60 to 550 turns per level: enough for a p95, short enough for a shared machine."""
    return 6 if customers == 1 else 2 if customers <= 10 else 1


def warm_up(running: setups.Running, make_script, wants_link: bool) -> None:
    """One whole conversation per Rasa server, not counted: first turns load lazily."""
    for url in running.urls:
        asyncio.run(load([url], 1, 1, make_script, "warm-up", wants_link))


def measure(running: setups.Running, levels: list[int], conversations: int | None, make_script, wants_link: bool,
            is_redacted, label: str) -> list[dict]:
    rows = []
    for customers in levels:
        n = conversations or default_conversations(customers)
        load_before = os.getloadavg()[0]
        run, sent = asyncio.run(load(running.urls, customers, n, make_script, f"{label} x{customers}", wants_link))
        load_after = os.getloadavg()[0]
        run.checks = check_trackers(running, sent, is_redacted)
        row = {**run.summary(), "checks": run.checks, "conversations_each": n,
               "load_avg": f"{load_before:.1f}/{load_after:.1f}"}
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def measure_baseline(tmp: Path, conversations: int | None, long: bool) -> tuple[list[dict], dict | None, dict]:
    trained = setups.train_baseline()
    info = {"baseline_trained_s": round(trained, 1) if trained is not None else None}
    running = setups.start_baseline(tmp)
    try:
        info["baseline_ready_s"] = round(running.started_in, 1)
        print(f"baseline ready in {running.started_in:.0f} s", flush=True)
        warm_up(running, baseline_script, False)
        rows = measure(running, [1, 10], conversations, baseline_script, False, lambda text: False, "baseline")
        long_result = None
        if long:
            long_result = longconv.run(running.urls[0], running.auth(), running.conversation_id, GREETINGS[:3],
                                       BASELINE_PROBE, pids=[p.pid for p in running.processes.values()])
            print("baseline long conversation:", json.dumps(long_result), flush=True)
        info["baseline_rss_mb"] = running.peak_rss().get("Rasa server")
    finally:
        running.stop()
    return rows, long_result, info


def write(setup: str, stamp: str, rows: list[dict], base_rows: list[dict], info: dict, rss: dict,
          long_result: dict | None, base_long: dict | None, extra: list[str]) -> Path:
    def row(rs, clients):
        return next((r for r in rs if r["clients"] == clients), None)

    targets = {}
    if base_rows:
        targets.update(report.comparison(row(rows, 1), row(rows, 10), row(base_rows, 1), row(base_rows, 10)))
    if long_result:
        targets["long_ratio"] = long_result["ratio"]
    fifty = row(rows, 50)
    if fifty:
        targets["faults_50"] = checks.faults(fifty["checks"], fifty["errors"])
    rasa_rss = [v for k, v in rss.items() if k.startswith("Rasa server")]
    if rasa_rss:
        targets["rasa_rss_mb"] = max(rasa_rss)
    if "action server" in rss:
        targets["actions_rss_mb"] = rss["action server"]
    notes = [
        f"Set-up `{setup}`" + (" (2 Rasa processes, PostgreSQL tracker store, our Redis lock store, hardened "
                               "action server, PostgreSQL data)" if setup == "scaled" else
                               " (Rasa + action server, SQLite, in-memory locks)" if setup == "embedded" else "")
        + f", ready {info.get('ready_s')} s after start; 2 shared cores, so figures are noisy.",
        "Each customer runs whole conversations of 11 turns back to back with no think time (a closed loop): "
        "verification, cause, four control questions, pay, link. `slow` = the guard answered \"still working\" "
        "after 8 s (the turn went on and was saved). lost/doubled/unanswered: every conversation's tracker read "
        "back after the run. load avg: the machine's 1-minute load average before/after the level (2 cores; "
        "our own servers included).",
    ]
    if base_rows:
        notes.append("Baseline: plain Rasa 3.6.21 (bench/baseline/: Rasa's default configuration, a greeting and a "
                     "goodbye, stock REST channel, in-memory tracker store), 11 greetings per conversation, "
                     f"measured in the same run, ready {info.get('baseline_ready_s')} s after start"
                     + (f", trained in {info['baseline_trained_s']} s" if info.get("baseline_trained_s") else
                        " (cached model)") + ".")
    out = []
    if rss:
        out.append("Peak RSS (VmHWM): " + ", ".join(f"{k} {v} MB" for k, v in rss.items())
                   + (f"; baseline Rasa {info['baseline_rss_mb']} MB" if info.get("baseline_rss_mb") else ""))
    if info.get("training_s"):
        out += ["", f"Model training (cold `rasa train` of our model into a temp dir, empty cache): "
                    f"{info['training_s']} s"]
    if long_result:
        out += ["", *longconv.lines(setup, long_result)]
    if base_long:
        out += ["", *longconv.lines("the baseline (plain Rasa, in-memory store)", base_long)]
    out += extra
    text = report.render(f"Bench: {setup} set-up, REST channel ({stamp})", notes, base_rows + rows, targets, out)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{setup}-{stamp}.md"
    path.write_text(text)
    print(text)
    print(f"written {path}", flush=True)
    return path


def run_profile(tmp: Path, conversations: int, stamp: str, long_turns: int = 10) -> Path:
    """py-spy over the Rasa server and the action server: sequential whole conversations, then the
    probe turn of the long conversation at about 100 and at 2,500 events."""
    from bench import profile

    py_spy = profile.find_py_spy()
    if not py_spy:
        raise SystemExit("py-spy not found: pip install --target /tmp/pyspy py-spy (see bench/profile.py)")
    running = setups.start_embedded(tmp)
    names = ("Rasa server", "action server")

    def recorded(tag: str, work) -> tuple[dict, object]:
        recorders = {name: profile.start(py_spy, running.pid(name), tmp / f"{tag}-{name}.txt") for name in names}
        time.sleep(1)
        try:
            outcome = work()
        finally:
            for recorder in recorders.values():
                profile.stop(recorder)
        texts = {name: (tmp / f"{tag}-{name}.txt").read_text() if (tmp / f"{tag}-{name}.txt").exists() else ""
                 for name in names}
        return texts, outcome

    lines = [f"# Profile of sequential turns, embedded set-up ({stamp})", "",
             f"py-spy {profile.RATE} Hz (`--function`, collapsed stacks summed per function by bench/profile.py). "
             "py-spy pauses the process to sample, so turns run a little slower than unprofiled. Idle time "
             "(waiting for the network or the other process) is not sampled, so the Rasa figures include neither "
             "the action server's time nor the client's.", ""]
    try:
        warm_up(running, script, True)
        texts, (run, _) = recorded("sequential", lambda: asyncio.run(
            load(running.urls, 1, conversations, script, "profiled", True)))
        summary = run.summary()
        lines += [f"## Whole conversations: one customer, {summary['turns']} turns", "",
                  f"Turn p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms while profiled.", ""]
        for name in names:
            lines += profile.report(name, texts[name], summary["turns"], level=3) + [""]
        long = longconv.LongConversation(running.urls[0], running.auth(), running.conversation_id, LONG_PROBE)
        long.open(script(0)[:3])
        for target in (100, 2500):
            at = long.fill_to(target)
            texts, timings = recorded(f"long{target}", lambda: long.turns(long_turns))
            ms = sorted(round(t * 1000) for t in timings)
            lines += [f"## The probe turn \"{LONG_PROBE}\" at {at} events ({long_turns} turns)", "",
                      f"Turn times while profiled (ms, sorted): {', '.join(map(str, ms))}.", ""]
            lines += profile.report("Rasa server", texts["Rasa server"], long_turns, level=3) + [""]
            lines += profile.report("action server", texts["action server"], long_turns, level=3, top=10) + [""]
    finally:
        running.stop()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"profile-{stamp}.md"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"written {out}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=None, help="measure a running server instead of starting one")
    parser.add_argument("--start", action="store_true", help="start the embedded set-up (same as --setup embedded)")
    parser.add_argument("--setup", nargs="+", choices=["embedded", "scaled"], default=[])
    parser.add_argument("--customers", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--scaled-customers", type=int, nargs="+", default=None,
                        help="levels for the scaled set-up (default: --customers)")
    parser.add_argument("--conversations", type=int, default=None,
                        help="whole conversations per customer (default: 6 for 1 customer, 2 up to 10, then 1)")
    parser.add_argument("--baseline", action="store_true", help="measure plain Rasa in the same run")
    parser.add_argument("--long", action="store_true", help="turn cost at 100 and 2,500 events")
    parser.add_argument("--train", action="store_true", help="time a cold `rasa train` of our model (a minute)")
    parser.add_argument("--profile", action="store_true", help="py-spy over sequential turns (embedded)")
    parser.add_argument("--all", action="store_true",
                        help="baseline; embedded at 1, 10, 50 with the long conversation; scaled at 1, 10")
    args = parser.parse_args()
    if args.all:
        args.setup, args.baseline, args.long = ["embedded", "scaled"], True, True
        args.customers, args.scaled_customers = [1, 10, 50], [1, 10]
    if args.start and "embedded" not in args.setup:
        args.setup.insert(0, "embedded")
    stamp = time.strftime("%Y%m%d-%H%M")
    os.environ.update(BENCH_ENV)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    info: dict = {}
    if args.profile:
        run_profile(tmp / "profile", args.conversations or 3, stamp)
        return
    if args.train:
        info["training_s"] = round(setups.time_training(), 1)
        print(f"cold training of our model: {info['training_s']} s", flush=True)
    base_rows, base_long = [], None
    if args.baseline:
        (tmp / "baseline").mkdir()
        base_rows, base_long, base_info = measure_baseline(tmp / "baseline", args.conversations, args.long)
        info.update(base_info)
    if args.url:
        running = setups.Running("url", [args.url], os.environ.get("RASA_AUTH_TOKEN", ""))
        rows = measure(running, args.customers, args.conversations, script, True, redacted, "ours")
        write("url", stamp, rows, base_rows, info, {}, None, base_long, [])
        return
    if not args.setup:
        if args.train or args.baseline:
            write("baseline" if args.baseline else "training", stamp, [], base_rows, info, {}, None, base_long, [])
            return
        parser.error("nothing to do: give --setup, --start, --url, --baseline, --train, --profile or --all")
    for setup in args.setup:
        (tmp / setup).mkdir()
        start = setups.start_embedded if setup == "embedded" else setups.start_scaled
        running = start(tmp / setup)
        try:
            print(f"{setup} set-up ready in {running.started_in:.0f} s", flush=True)
            info["ready_s"] = round(running.started_in, 1)
            warm_up(running, script, True)
            calls = action_calls.measure(running.urls[0], running.actions_url, [script(n) for n in range(len(DEMO))],
                                         pids=[p.pid for p in running.processes.values()])
            print("action-server calls per turn:", json.dumps(calls), flush=True)
            levels = args.customers if setup == "embedded" else (args.scaled_customers or args.customers)
            rows = measure(running, levels, args.conversations, script, True, redacted, setup)
            long_result = None
            if args.long:
                long_result = longconv.run(running.urls[0], running.auth(), running.conversation_id, script(0)[:3],
                                           LONG_PROBE, pids=[p.pid for p in running.processes.values()])
                print("long conversation:", json.dumps(long_result), flush=True)
            rss = running.peak_rss()
        finally:
            running.stop()
        write(setup, stamp, rows, base_rows, info, rss, long_result, base_long if setup == "embedded" else None,
              ["", *action_calls.lines(calls)])


if __name__ == "__main__":
    main()
