"""Proven across hosts (issue 28): the production set-up on separate hosts (network namespaces,
tests/scale/hosts.py), one taken down mid-run.

- data host: the machine's PostgreSQL (our data, the tracker store) and Redis (the lock store);
- two Rasa hosts, each `BETAALHULP_PROFILE=production scripts/run.sh` with the services a Rasa
  host runs (action server, Rasa, follow-up engine), as docs/DEPLOY.md describes;
- edge host: nginx with deploy/nginx.conf's routing, the widget session as the sticky key.

Customers chat through nginx on the website widget's protocol, each from an address of its own,
each message after the previous reply, with the widget's own retry rule (a network or gateway
error sends the same client_id again, marked as a retry). When half the messages are answered,
the network of the host with more conversations goes down. Asserted: every customer's messages
are in its conversation exactly once and in order, nothing is lost or doubled, every customer of
the downed host went on on the other with its history (still verified), and the follow-up
engines on both hosts sent each planned message once (each first contact reached the SMS
provider once, none again after the failover).

`make test` runs a small load (BETAALHULP_HOSTS_LOAD, default 12x8); the issue's 100 customers x
20 messages: BETAALHULP_HOSTS_LOAD=100x20 (about 15 minutes on 2 cores).
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import httpx
import pytest
import requests
import yaml
from rasa.core.lock_store import LOCK_LIFETIME
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bench.action_calls import cpu_seconds as process_cpu_seconds
from bench.setups import peak_rss_mb
from bot.channels.widget import WidgetSessions
from bot.clock import as_utc
from bot.rasa_api import auth_headers
from bot.store.db import session_scope
from bot.store.followup_models import FollowUp
from tests.channels.conftest import StandIn
from tests.e2e.servers import MODEL, ROOT, VENV_BIN, make_stack
from tests.scale.hosts import Network, nginx_log, require_namespaces, start_nginx
from tests.scale.services import REDIS_URL, fresh_database

pytestmark = pytest.mark.e2e

CUSTOMERS, MESSAGES = (int(n) for n in os.environ.get("BETAALHULP_HOSTS_LOAD", "12x8").split("x"))
HOSTS = ["rasa1", "rasa2", "edge"]
ORIGIN = "https://www.voorbeeldlener.nl"
WORDS = ["alfa", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett",
         "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
         "uniform", "victor", "whiskey", "xray", "yankee", "zulu"]
RETRIES = 3  # as the widget (bot/web/widget/betaalhulp-widget.js)


def script(count: int) -> list[str]:
    """One customer's messages: verify as the demo customer without arrears (the ones in arrears
    get a first contact from the follow-up engines meanwhile), then questions, each unique."""
    opening = ["hoi", "100005", "15-09-1983"]
    return (opening + [f"ik heb nog een vraag over {WORDS[i % len(WORDS)]} {i}" for i in range(count)])[:count]


def followup_policy(folder) -> str:
    """The shipped follow-up policy with the clock's limits out of the way (one quiet minute, half
    a day from now; no closed Sundays or holidays), so the first contacts go whenever the test
    runs, and a pass every 5 s."""
    policy = yaml.safe_load((ROOT / "bot" / "followup" / "policy.yml").read_text(encoding="utf-8"))
    quiet = datetime.now(ZoneInfo("Europe/Amsterdam")) + timedelta(hours=12)
    policy["quiet_hours"].update(start=f"{quiet:%H:%M}", end=f"{quiet + timedelta(minutes=1):%H:%M}",
                                 sundays=False, holidays=False)
    # A pass every 5 s; a send that found Rasa still loading is tried again after a minute, and a
    # message claimed by the engine of the host that went down is taken over after a minute.
    policy["engine"].update(interval_seconds=5, retry_minutes=1, lease_seconds=60)
    path = folder / "followup-policy.yml"
    path.write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    return str(path)


def on_network(url: str, network: Network) -> str:
    return make_url(url).set(host=network.machine).render_as_string(hide_password=False)


class Customer:
    def __init__(self, number: int, address: str, base: str) -> None:
        self.number, self.base = number, base
        self.client = httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address=address), timeout=180,
                                        headers={"Origin": ORIGIN, "Content-Type": "text/plain"})
        self.token = ""
        self.retries = self.late = 0
        self.errors: list[str] = []
        self.texts = script(MESSAGES)
        self.ids = [f"c{number:03d}m{index:02d}{uuid.uuid4().hex[:8]}" for index in range(MESSAGES)]
        self.outcomes: list[list] = [[] for _ in range(MESSAGES)]  # per message: status and seconds per try

    async def post(self, path: str, body: dict) -> httpx.Response:
        return await self.client.post(f"{self.base}/webhooks/widget/{path}", content=json.dumps(body))

    async def send(self, index: int) -> None:
        body = {"token": self.token, "message": self.texts[index], "client_id": self.ids[index]}
        for attempt in range(RETRIES + 1):
            started = time.monotonic()
            try:
                answer = await self.post("message", body)
                status = answer.status_code
            except httpx.TransportError as error:
                status, answer = None, error
            self.outcomes[index].append((status, round(time.monotonic() - started, 2)))
            if status == 200:
                self.late += answer.json()["cursor"] is None  # "still working": the answer comes later
                return
            if status in (None, 502, 503, 504) and attempt < RETRIES:
                self.retries += 1
                body["retry"] = True
                await asyncio.sleep(1.5 * (attempt + 1))
                continue
            self.errors.append(f"message {index}: {status or type(answer).__name__}")
            return

    async def replay_first(self) -> int:
        """The first message again, as the widget's retry after a lost answer: same client_id,
        `retry: true`. Whichever host takes it must answer from the conversation, not take it again
        (for the downed host's customers, it was taken there)."""
        async with httpx.AsyncClient(timeout=180, headers=self.client.headers) as client:
            answer = await client.post(f"{self.base}/webhooks/widget/message", content=json.dumps(
                {"token": self.token, "message": self.texts[0], "client_id": self.ids[0], "retry": True}))
        return int(answer.status_code == 200 and bool(answer.json().get("messages")))

    async def run(self, answered: list[int]) -> None:
        session = await self.post("session", {})
        session.raise_for_status()
        self.token = session.json()["token"]
        for index in range(MESSAGES):
            await self.send(index)
            answered[0] += 1
        await self.client.aclose()


def test_two_hosts_behind_nginx_survive_one_going_down(postgres, redis_server, tmp_path, capsys):
    require_namespaces()
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train`")
    network = Network(HOSTS)
    twilio = StandIn("twilio")
    stacks: dict = {}
    try:
        network.up(CUSTOMERS)
        for port in (5432, 6379):
            network.forward(port)
        twilio.host = network.machine
        twilio.start()
        with fresh_database("hosts_data") as data_url, fresh_database("hosts_tracker") as tracker_url:
            secrets = {name: uuid.uuid4().hex for name in ("action", "web", "widget", "token")}
            shared = {
                "BETAALHULP_PROFILE": "production", "BETAALHULP_SERVICES": "actions rasa followup",
                "BETAALHULP_DATABASE_URL": on_network(data_url, network),
                "BETAALHULP_TRACKER_URL": on_network(tracker_url, network),
                "BETAALHULP_REDIS_URL": on_network(REDIS_URL, network),
                "BETAALHULP_ACTION_SECRET": secrets["action"], "BETAALHULP_WEB_SECRET": secrets["web"],
                "BETAALHULP_WIDGET_SECRET": secrets["widget"], "RASA_AUTH_TOKEN": secrets["token"],
                "BETAALHULP_WIDGET_ORIGINS": ORIGIN, "RASA_INTERFACE": "0.0.0.0", "SANIC_PROXIES_COUNT": "1",
                "BETAALHULP_FOLLOWUP_POLICY": followup_policy(tmp_path),
                "POSTGRESQL_POOL_SIZE": "5", "POSTGRESQL_MAX_OVERFLOW": "10",
                "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": uuid.uuid4().hex,
                "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886", "TWILIO_SMS_FROM": "+3197010250000",
                "TWILIO_API_BASE_URL": twilio.url, "TELEGRAM_BOT_TOKEN": "7000000001:AAhosts-test",
                "TELEGRAM_SECRET_TOKEN": uuid.uuid4().hex, "TELEGRAM_API_BASE_URL": f"http://{network.machine}:9/bot"}
            # The operator's steps, once, from the machine: the schema, and the lender's customers
            # (the demo ones stand in for its import).
            operator = make_stack(tmp_path / "operator", **{**shared, "BETAALHULP_DATABASE_URL": data_url})
            for command in (["bot.store", "migrate"], ["bot.store", "seed"]):
                subprocess.run([str(VENV_BIN / "python"), "-m", *command], cwd=ROOT, env=operator.env,
                                             check=True, capture_output=True)
            for host in ("rasa1", "rasa2"):
                stacks[host] = make_stack(tmp_path / host, **shared)
                stacks[host].launcher = network.launcher(host)
            failures: list[str] = []

            def start(stack) -> None:
                try:
                    stack.start(timeout=900)
                except Exception as error:  # noqa: BLE001 - reported below with the host's log
                    failures.append(str(error))

            starting = [threading.Thread(target=start, args=(stack,)) for stack in stacks.values()]
            for thread in starting:
                thread.start()
            for thread in starting:
                thread.join()
            assert not failures, failures
            rasa = {host: f"{network.address(host)}:{stack.rasa_port}" for host, stack in stacks.items()}
            edge = tmp_path / "edge"
            start_nginx(network, "edge", edge, list(rasa.values()))
            base = f"http://{network.address('edge')}"

            # The engines on both hosts pass every 5 s over the same rows: the first contacts go
            # out once while both are up; after one host is gone nothing goes out again.
            before_load = check_followups(data_url, twilio)
            customers = [Customer(n, network.client_addresses[n], base) for n in range(CUSTOMERS)]
            answered, down_at = [0], {}

            async def main():
                async def take_down_halfway():
                    while answered[0] < CUSTOMERS * MESSAGES // 2:
                        await asyncio.sleep(0.2)
                    log = nginx_log(edge)
                    down_at.update(requests=len(log), answered=answered[0],
                                   host=busier(log, rasa))
                    network.take_down(down_at["host"])
                    # What nginx logged until the link was down still came from before the cut: a
                    # request the host finished between choosing it and cutting it is not "after".
                    down_at["requests"] = len(nginx_log(edge))

                await asyncio.gather(take_down_halfway(), *(c.run(answered) for c in customers))

            cpu_before = {host: cpu_seconds(stack) for host, stack in stacks.items()}
            started = time.monotonic()
            asyncio.run(main())
            seconds = time.monotonic() - started
            async def replay() -> int:
                return sum(await asyncio.gather(*(c.replay_first() for c in customers)))

            replayed = asyncio.run(replay())
            # CPU the Rasa servers and action servers spent on the run (docs/CAPACITY.md), and
            # their peak memory; the downed host's processes still run, cut off.
            cpu = sum(cpu_seconds(stack) - cpu_before[host] for host, stack in stacks.items())

            survivor = next(host for host in rasa if host != down_at["host"])
            figures = check_conversations(customers, secrets, f"http://{rasa[survivor]}")
            figures.update(routing(nginx_log(edge), down_at["requests"], down_at["host"], rasa))
            figures.update(check_followups(data_url, twilio))
            figures["followups_sent_before_load"] = before_load["followups_sent"]
            figures["engines_running"] = sum("a pass every" in stack.logs_of("followup") for stack in stacks.values())
            engine_host = {f"{network.tag}:{stack.pid('followup')}": host for host, stack in stacks.items()}
            figures["followups_by_engine"] = {engine_host.get(f"{network.tag}:{name.rsplit(':', 1)[-1]}", name): n
                                              for name, n in figures["followups_by_engine"].items()}
            figures.update(retries_answered_from_the_conversation=replayed, cpu_seconds=round(cpu, 1), messages_per_cpu_second=round(CUSTOMERS * MESSAGES / cpu, 2),
                           peak_rss_mb={host: {name: peak_rss_mb(stack.pid(name)) for name in ("rasa", "actions")}
                                        for host, stack in stacks.items()})
            figures.update(customers=CUSTOMERS, messages=CUSTOMERS * MESSAGES, seconds=round(seconds, 1),
                           messages_per_second=round(CUSTOMERS * MESSAGES / seconds, 2),
                           taken_down=down_at["host"], taken_down_after=down_at["answered"])
    finally:
        for stack in stacks.values():
            stack.stop()  # before the network goes: a host that comes back never finishes a stale turn
        if twilio.server is not None:
            twilio.stop()
        network.down()
    with capsys.disabled():
        print(f"\ntwo hosts behind nginx, one taken down mid-run: {json.dumps(figures)}")
    (tmp_path.parent / "hosts.json").write_text(json.dumps(figures))
    assert (figures["lost"], figures["doubled"], figures["out_of_order"], figures["errors"]) == (0, 0, 0, 0), figures
    assert figures["user_events"] == CUSTOMERS * MESSAGES, figures  # the replayed first messages included
    assert figures["retries_answered_from_the_conversation"] == CUSTOMERS, figures
    assert figures["history_kept"] == CUSTOMERS, figures
    assert figures["sticky_before_down"] == figures["keys_before_down"], figures
    assert figures["moved_to_survivor"] == figures["downed_keys_continuing"] > 0, figures
    assert figures["answered_by_downed_host_after"] == 0, figures
    assert figures["followups_sent"] == figures["followups_due"] > 0, figures
    assert figures["provider_recipients"] == figures["sent_recipients"], figures
    assert figures["provider_doubled"] == 0, figures
    assert figures["provider_texts_with_none"] == 0, figures  # each value filled in (the amount, the link)
    assert figures["engines_running"] == 2, figures
    assert figures["provider_doubled"] == 0, figures
    assert figures["provider_texts_with_none"] == 0, figures  # each value filled in (the amount, the link)


def cpu_seconds(stack) -> float:
    """User and system CPU time of a host's Rasa server and action server so far."""
    return process_cpu_seconds([stack.pid("rasa"), stack.pid("actions")])


def check_conversations(customers: list[Customer], secrets: dict, rasa_url: str) -> dict:
    """Each customer's conversation as the surviving host reads it. A turn answered with "still
    working" (it waited for the lock the downed host held until that expired) is saved later: wait for those, at most
    Rasa's lock lifetime and a minute."""
    sessions = WidgetSessions(secrets["widget"], 3600)
    figures = Counter(lost=0, doubled=0, out_of_order=0, user_events=0, history_kept=0, errors=0, retries=0,
                      late_replies=0)
    deadline = time.monotonic() + LOCK_LIFETIME + 60
    for customer in customers:
        sender = f"web:{sessions.open(customer.token)}"
        while True:
            tracker = requests.get(f"{rasa_url}/conversations/{sender}/tracker",
                                   headers=auth_headers(secrets["token"]), timeout=120).json()
            # By message id (the widget's client_id): the birth date's text is not stored (redacted).
            got = [e.get("message_id") for e in tracker["events"] if e["event"] == "user"]
            if set(customer.ids) <= set(got) or time.monotonic() > deadline:
                break
            time.sleep(2)
        figures["user_events"] += len(got)
        figures["lost"] += sum(1 for sent in customer.ids if sent not in got)
        figures["doubled"] += sum(got.count(sent) - 1 for sent in set(got))
        figures["out_of_order"] += int([sent for sent in got if sent in customer.ids] != customer.ids)
        if any(sent not in got for sent in customer.ids):
            print(f"customer {customer.number}: stored {got}, tries {customer.outcomes}")
        # History: verified in its first three messages, on whichever host, and still verified.
        figures["history_kept"] += int(tracker["slots"].get("verified") is True)
        figures["errors"] += len(customer.errors)
        figures["retries"] += customer.retries
        figures["late_replies"] += customer.late
    return dict(figures)


def _answered_by(log: list[tuple[str, str, str]], rasa: dict):
    """(conversation key, host) of each answered conversation request. A request nginx passed
    on lists every host it tried; the last one answered. New sessions (keyed by the address)
    are no conversation yet."""
    host_of = {address: host for host, address in rasa.items()}
    for n, (key, upstreams, status) in enumerate(log):
        if "." not in key and status == "200":
            yield n, key, host_of.get(upstreams.split(",")[-1].strip(), "none")


def busier(log: list[tuple[str, str, str]], rasa: dict) -> str:
    """The host that has the most conversations so far: the one to take down."""
    keys = defaultdict(set)
    for _, key, host in _answered_by(log, rasa):
        keys[host].add(key)
    return max(rasa, key=lambda host: len(keys[host]))


def routing(log: list[tuple[str, str, str]], down_at: int, down: str, rasa: dict) -> dict:
    """Which host answered each conversation's requests, before and after one went down.
    Requests that were on it when it went down end with a 504 (the customer's retry goes to the
    other host)."""
    survivor = next(host for host in rasa if host != down)
    before, after = defaultdict(set), defaultdict(set)
    for n, key, host in _answered_by(log, rasa):
        (before if n < down_at else after)[key].add(host)
    on_down = {key for key, hosts in before.items() if hosts == {down}}
    continuing = [key for key in on_down if key in after]
    return {"keys_before_down": len(before), "sticky_before_down": sum(len(h) == 1 for h in before.values()),
            "keys_on_downed_host": len(on_down), "downed_keys_continuing": len(continuing),
            "moved_to_survivor": sum(1 for key in continuing if after[key] == {survivor}),
            "answered_by_downed_host_after": sum(1 for hosts in after.values() if down in hosts),
            "gateway_errors": sum(1 for _, _, status in log if status in ("502", "503", "504")),
            "requests": len(log)}


def check_followups(data_url: str, twilio: StandIn) -> dict:
    """Every follow-up that was due went out once: marked `sent` once in our database (by the
    engine of either host), and each of its texts reached the SMS provider once."""
    deadline = time.monotonic() + 240
    while True:
        with session_scope(data_url) as session:
            rows = session.execute(select(FollowUp.kind, FollowUp.status, FollowUp.claimed_by, FollowUp.sender_id,
                                          FollowUp.not_before)).all()
        due = [row for row in rows if as_utc(row.not_before) <= datetime.now(timezone.utc)]
        if due and not any(row.status in ("pending", "sending") for row in due) or time.monotonic() > deadline:
            break
        time.sleep(2)
    sent = [row for row in rows if row.status == "sent"]
    # A message may be split into several SMS (a text and its QR image as a link): count each once.
    texts = Counter((request.field("To"), request.field("Body")) for request in twilio.requests)
    return {"followups_due": len(due), "followups_sent": len(sent),
            "followups_by_kind": dict(Counter(f"{row.kind}:{row.status}" for row in rows)),
            "followups_by_engine": dict(Counter((row.claimed_by or "?").rsplit(":", 1)[0] for row in sent)),
            "sent_recipients": sorted({row.sender_id.rsplit(":", 1)[-1] for row in sent}),
            "provider_recipients": sorted({number for number, _ in texts}),
            "provider_texts": sum(texts.values()), "provider_doubled": sum(n - 1 for n in texts.values()),
            "provider_texts_with_none": sum(1 for _, body in texts if "None" in (body or ""))}
