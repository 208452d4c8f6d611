"""Load generator: N simulated customers in whole conversations over the REST channel (issue 7).

Each customer verifies as a demo customer (100001..100004 in turn, with the birth date), tells
the cause, answers the four control questions, asks to pay and takes the payment link. Prints
turn latency p50/p95/p99, conversations per minute, messages per second and errors, plus the
peak RSS (VmHWM) of each server process when --start runs the embedded set-up itself.

    .venv/bin/python -m bench.load --start --customers 1 10 --conversations 2
    .venv/bin/python -m bench.load --url http://127.0.0.1:5005 --customers 10

Figures on a shared 2-core machine are noisy: compare runs made back to back.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

DEMO = [("100001", "12-04-1988"), ("100002", "03-11-1979"), ("100003", "21-07-1965"), ("100004", "30-01-1992")]
RESULTS = Path(__file__).resolve().parent / "results"


def script(index: int) -> list[str]:
    number, born = DEMO[index % len(DEMO)]
    return ["hoi", f"mijn klantnummer is {number}", born, "ik was het gewoon vergeten", "ja hoor",
            "nee", "nee niks veranderd", "nee", "nee", "ik wil het nu meteen betalen", "link"]


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    conversations: int = 0
    failed_conversations: int = 0


async def conversation(client: httpx.AsyncClient, url: str, index: int, run: Run) -> None:
    sender = f"bench-{uuid.uuid4().hex[:10]}"
    last = []
    for text in script(index):
        started = time.perf_counter()
        try:
            response = await client.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text})
            run.latencies.append(time.perf_counter() - started)
            last = response.json() if response.status_code == 200 else []
            if response.status_code != 200 or not last:
                run.errors += 1
        except httpx.HTTPError:
            run.errors += 1
    run.conversations += 1
    if not any("http" in (m.get("text") or "") for m in last):
        run.failed_conversations += 1


async def load(url: str, customers: int, conversations: int) -> dict:
    run = Run()

    async def customer(n: int) -> None:
        for k in range(conversations):
            await conversation(client, url, n * conversations + k, run)

    async with httpx.AsyncClient(timeout=120) as client:
        started = time.perf_counter()
        await asyncio.gather(*(customer(n) for n in range(customers)))
        elapsed = time.perf_counter() - started
    q = statistics.quantiles(run.latencies, n=100, method="inclusive") if len(run.latencies) > 1 else [0] * 99
    return {"customers": customers, "turns": len(run.latencies), "p50_ms": round(q[49] * 1000),
            "p95_ms": round(q[94] * 1000), "p99_ms": round(q[98] * 1000),
            "conversations_per_min": round(run.conversations / elapsed * 60, 1),
            "messages_per_s": round(len(run.latencies) / elapsed, 1), "errors": run.errors,
            "conversations_without_link": run.failed_conversations, "seconds": round(elapsed, 1)}


def peak_rss_mb(pid: int) -> float:
    """VmHWM of a process and its children (MB)."""
    total = 0.0
    pids = {pid}
    try:
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            pids.add(int(child))
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return round(total)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--start", action="store_true", help="start the embedded set-up on free ports")
    parser.add_argument("--customers", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--conversations", type=int, default=2, help="whole conversations per customer")
    args = parser.parse_args()
    stack = None
    if args.start:
        import subprocess

        from tests.e2e.servers import ROOT, VENV_BIN, make_stack

        stack = make_stack(Path(tempfile.mkdtemp(prefix="bench-")))
        subprocess.run([str(VENV_BIN / "python"), "-m", "bot.store", "seed"], cwd=ROOT, env=stack.env, check=True,
                       capture_output=True)
        started = time.monotonic()
        stack.start_actions()
        stack.start_rasa()
        print(f"embedded set-up ready in {time.monotonic() - started:.0f} s")
        args.url = stack.rasa_url
    rows = []
    try:
        for customers in args.customers:
            row = asyncio.run(load(args.url, customers, args.conversations))
            print(row, flush=True)
            rows.append(row)
        if stack:
            names = ["action server", "Rasa server"]
            rss = {name: peak_rss_mb(p.pid) for name, p in zip(names, stack.processes)}
            print("peak RSS (MB):", rss)
    finally:
        if stack:
            stack.stop()
    RESULTS.mkdir(exist_ok=True)
    lines = ["| customers | turns | p50 ms | p95 ms | p99 ms | conv/min | msg/s | errors | no link |",
             "|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['customers']} | {r['turns']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | "
              f"{r['conversations_per_min']} | {r['messages_per_s']} | {r['errors']} | {r['conversations_without_link']} |"
              for r in rows]
    if stack:
        lines.append("")
        lines.append("Peak RSS: " + ", ".join(f"{k} {v} MB" for k, v in rss.items()))
    out = RESULTS / f"embedded-{time.strftime('%Y%m%d-%H%M')}.md"
    out.write_text("# Embedded set-up, REST channel (2 shared cores: noisy)\n\n" + "\n".join(lines) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()
