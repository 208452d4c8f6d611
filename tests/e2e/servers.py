"""Starts the real Rasa server and action server on free loopback ports for end-to-end tests."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
MODEL = ROOT / "models" / "betaalhulp.tar.gz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{what} did not come up within {timeout} s")


@dataclass
class Stack:
    """A running Rasa + action server pair and the environment they share."""

    env: dict
    rasa_port: int
    actions_port: int
    token: str
    logs: Path
    web_port: int = 0
    processes: list = field(default_factory=list)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    def start_actions(self) -> None:
        env = {**self.env, "SANIC_HOST": "127.0.0.1"}
        log = open(self.logs / "actions.log", "ab")
        self.processes.append(subprocess.Popen(
            [str(VENV_BIN / "python"), "-m", "rasa_sdk", "--actions", "actions", "--port", str(self.actions_port),
             "--logging-config_file", "logging.yml"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        wait_until(lambda: requests.get(f"http://127.0.0.1:{self.actions_port}/health", timeout=2).ok,
                   60, "action server")

    def start_rasa(self, credentials: str = "credentials.yml") -> None:
        log = open(self.logs / "rasa.log", "ab")
        self.processes.append(subprocess.Popen(
            [str(VENV_BIN / "rasa"), "run", "--enable-api", "--auth-token", self.token, "--interface", "127.0.0.1",
             "--port", str(self.rasa_port), "--model", str(MODEL), "--endpoints", "endpoints.yml",
             "--credentials", credentials, "--logging-config-file", "logging.yml"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        wait_until(lambda: requests.get(f"{self.rasa_url}/status", params={"token": self.token},
                                        timeout=2).json().get("model_file"), 240, "Rasa server")

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def start_web(self) -> None:
        """The customer web app (payment pages, QR images, payment webhooks), speaking to this Rasa."""
        self.env.update(RASA_URL=self.rasa_url, RASA_AUTH_TOKEN=self.token)
        log = open(self.logs / "web.log", "ab")
        self.processes.append(subprocess.Popen(
            [str(VENV_BIN / "python"), "-m", "bot.web"], cwd=ROOT, env=self.env, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True))
        wait_until(lambda: requests.get(f"{self.web_url}/health", timeout=2).ok, 60, "web app")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.processes.clear()

    # -- talking to it ------------------------------------------------------------------------
    def say(self, sender: str, text: str) -> list[dict]:
        response = requests.post(f"{self.rasa_url}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": text}, timeout=60)
        response.raise_for_status()
        return response.json()

    @staticmethod
    def conversation_id(sender: str) -> str:
        """Our REST channel namespaces senders: "anna" talks in conversation "rest:anna"."""
        return sender if ":" in sender else f"rest:{sender}"

    def tracker(self, sender: str) -> dict:
        response = requests.get(f"{self.rasa_url}/conversations/{self.conversation_id(sender)}/tracker",
                                params={"token": self.token}, timeout=30)
        response.raise_for_status()
        return response.json()

    def slots(self, sender: str) -> dict:
        return self.tracker(sender)["slots"]


def make_stack(tmp_dir: Path) -> Stack:
    logs = tmp_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    actions_port, rasa_port, web_port = free_port(), free_port(), free_port()
    (tmp_dir / "data").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "BETAALHULP_DATA_DIR": str(tmp_dir / "data"), "ACTIONS_PORT": str(actions_port),
           "RASA_PORT": str(rasa_port), "RASA_TELEMETRY_ENABLED": "false",
           "BETAALHULP_TRACKER_DB": str(tmp_dir / "data" / "rasa_tracker.db"),
           # The action server writes payment links for the web app, so it knows its address from the start.
           "WEB_PORT": str(web_port), "BETAALHULP_PUBLIC_URL": f"http://127.0.0.1:{web_port}"}
    env.pop("BETAALHULP_TRACKER_URL", None)
    env.pop("BETAALHULP_DATABASE_URL", None)
    return Stack(env=env, rasa_port=rasa_port, actions_port=actions_port, token="e2e-test-token", logs=logs,
                 web_port=web_port)


def started_stack(tmp_dir: Path) -> Stack:
    """A seeded database, the action server and Rasa, ready to talk to."""
    stack = make_stack(tmp_dir)
    subprocess.run([str(VENV_BIN / "python"), "-m", "bot.store", "seed"], cwd=ROOT, env=stack.env, check=True,
                   capture_output=True)
    stack.start_actions()
    stack.start_rasa()
    return stack


def with_web(stack: Stack) -> Stack:
    """The customer web app beside the stack, started once for every test module that needs it."""
    if not any("bot.web" in " ".join(map(str, p.args)) for p in stack.processes):
        stack.start_web()
    return stack


def decode_qr(png: bytes) -> str:
    """Reads a QR code back with zbar (Debian's zbar-tools), the decoder a bank app would be."""
    result = subprocess.run(["zbarimg", "--raw", "-q", "-"], input=png, capture_output=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout.decode().strip()
