"""Real Rasa servers and one hardened action server on the production stores (PostgreSQL
tracker store, Redis lock store) for tests/scale."""
from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bot.rasa_api import auth_headers
from tests.e2e.servers import MODEL, ROOT, VENV_BIN, free_port, wait_until

TOKEN = "scale-test-token"
SECRET = "scale-test-action-secret"

RASA_LOCK_STORE = """
action_endpoint:
  enable_selective_domain: true
  url: ${BETAALHULP_ACTIONS_URL}
  headers:
    X-Betaalhulp-Action-Secret: ${BETAALHULP_ACTION_SECRET}
tracker_store:
  type: bot.rasa_ext.tracker_store.RedactingSQLTrackerStore
  url: ${BETAALHULP_TRACKER_URL}
lock_store:
  type: redis
  url: %(host)s
  port: %(port)s
  db: %(db)s
  key_prefix: rasastock
"""


@dataclass
class Cluster:
    tmp: Path
    env: dict
    endpoints: str = str(ROOT / "endpoints.production.yml")
    actions_port: int = 0
    rasa: dict = field(default_factory=dict)  # port -> Popen
    processes: list = field(default_factory=list)

    def _log(self, name: str):
        return open(self.tmp / f"{name}.log", "ab")

    def start_actions(self) -> None:
        self.actions_port = free_port()
        self.env["BETAALHULP_ACTIONS_URL"] = f"http://127.0.0.1:{self.actions_port}/webhook"
        self.processes.append(subprocess.Popen(
            [str(VENV_BIN / "python"), "-m", "bot.ops.action_server", "--actions", "actions",
             "--port", str(self.actions_port), "--logging-config_file", "logging.yml"],
            cwd=ROOT, env=self.env, stdout=self._log("actions"), stderr=subprocess.STDOUT, start_new_session=True))
        wait_until(lambda: requests.get(f"http://127.0.0.1:{self.actions_port}/health", timeout=2).ok,
                   90, "action server")

    def launch_rasa(self, port: int | None = None) -> int:
        port = port or free_port()
        self.rasa[port] = subprocess.Popen(
            [str(VENV_BIN / "python"), "-m", "bot.ops.rasa_server", "run", "--enable-api", "--interface", "127.0.0.1",
             "--port", str(port), "--model", str(MODEL), "--endpoints", self.endpoints,
             "--credentials", "credentials.yml", "--logging-config-file", "logging.yml"],
            cwd=ROOT, env=self.env, stdout=self._log(f"rasa-{port}"), stderr=subprocess.STDOUT,
            start_new_session=True)
        return port

    def wait_rasa(self, port: int) -> None:
        wait_until(lambda: requests.get(f"http://127.0.0.1:{port}/status", headers=auth_headers(TOKEN),
                                        timeout=2).json().get("model_file"), 300, f"Rasa on {port}")

    def kill_rasa(self, port: int) -> None:
        process = self.rasa.pop(port)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop(self) -> None:
        everything = [*self.rasa.values(), *self.processes]
        for process in everything:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in everything:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.rasa.clear()
        self.processes.clear()

    @staticmethod
    def say(port: int, sender: str, text: str, timeout: float = 120) -> list[dict]:
        response = requests.post(f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": text}, timeout=timeout)
        response.raise_for_status()
        return response.json()

    @staticmethod
    def tracker(port: int, sender: str) -> dict:
        response = requests.get(f"http://127.0.0.1:{port}/conversations/rest:{sender}/tracker",
                                headers=auth_headers(TOKEN), timeout=60)
        response.raise_for_status()
        return response.json()


def make_cluster(tmp: Path, *, database_url: str, tracker_url: str, redis_url: str,
                 rasa_lock_store: bool = False) -> Cluster:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "BETAALHULP_DATA_DIR": str(tmp),
           "BETAALHULP_DATABASE_URL": database_url, "BETAALHULP_TRACKER_URL": tracker_url,
           "BETAALHULP_REDIS_URL": redis_url, "BETAALHULP_ACTION_SECRET": SECRET, "RASA_AUTH_TOKEN": TOKEN,
           "BETAALHULP_PROFILE": "production", "SANIC_HOST": "127.0.0.1",
           # a modest pool: several Rasa processes share one PostgreSQL
           "POSTGRESQL_POOL_SIZE": "5", "POSTGRESQL_MAX_OVERFLOW": "10"}
    cluster = Cluster(tmp=tmp, env=env)
    if rasa_lock_store:
        from urllib.parse import urlsplit

        parts = urlsplit(redis_url)
        path = tmp / "endpoints.rasa-lock.yml"
        path.write_text(RASA_LOCK_STORE % {"host": parts.hostname, "port": parts.port or 6379,
                                           "db": parts.path.strip("/") or 0})
        cluster.endpoints = str(path)
    if not MODEL.exists():
        raise RuntimeError("no trained model: run `make train`")
    subprocess.run([str(VENV_BIN / "python"), "-m", "bot.store", "seed"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    return cluster


def user_texts(tracker: dict) -> list[str]:
    return [e.get("text") for e in tracker["events"] if e["event"] == "user"]
