"""The product as `make run` starts it, for end-to-end and browser tests: scripts/run.sh with its
own credentials and endpoints files, on free loopback ports and a data folder of the test's own.

One way to start the stack, not a second hand-made one: a test changes only what a user of
scripts/run.sh could change (ports, data folder, environment variables), so a start-up defect
of `make run` (the doubled CORS header that kept the widget from connecting) fails the tests.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bot.rasa_api import auth_headers

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
MODEL = ROOT / "models" / "betaalhulp.tar.gz"
RUN_SCRIPT = ROOT / "scripts" / "run.sh"
SERVICES = ("actions", "rasa", "web", "followup", "console")


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
    """One scripts/run.sh set-up: its environment, ports and the supervisor process."""

    env: dict
    data_dir: Path
    logs: Path
    token: str
    process: subprocess.Popen | None = None
    extra: dict = field(default_factory=dict)
    # What scripts/run.sh runs inside, e.g. `ip netns exec host1` for a host of tests/scale/hosts.py.
    launcher: list[str] = field(default_factory=list)

    # -- addresses, as scripts/run.sh sets them ---------------------------------------------------
    def port(self, name: str) -> int:
        return int(self.env[name])

    @property
    def rasa_port(self) -> int:
        return self.port("RASA_PORT")

    @property
    def actions_port(self) -> int:
        return self.port("ACTIONS_PORT")

    @property
    def web_port(self) -> int:
        return self.port("WEB_PORT")

    @property
    def console_port(self) -> int:
        return self.port("CONSOLE_PORT")

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def web_url(self) -> str:
        """The page a visitor opens: BETAALHULP_PUBLIC_URL, http://localhost:<port> as in `make run`."""
        return self.env.get("BETAALHULP_PUBLIC_URL", f"http://localhost:{self.web_port}")

    @property
    def console_url(self) -> str:
        return f"http://127.0.0.1:{self.console_port}"

    @property
    def database_url(self) -> str:
        return self.env.get("BETAALHULP_DATABASE_URL") or f"sqlite:///{self.data_dir / 'betaalhulp.db'}"

    @property
    def tracker_db(self) -> Path:
        """The embedded tracker store's file, where scripts/run.sh puts it."""
        return Path(self.env.get("BETAALHULP_TRACKER_DB") or self.data_dir / "rasa_tracker.db")

    @property
    def log_file(self) -> Path:
        return self.logs / "stack.log"

    def api_headers(self) -> dict[str, str]:
        """What our own processes send to Rasa's HTTP API: a short-lived signed token."""
        return auth_headers(self.token)

    # -- starting and stopping --------------------------------------------------------------------
    def start(self, timeout: float = 600) -> "Stack":
        log = open(self.log_file, "ab")
        self.process = subprocess.Popen([*self.launcher, str(RUN_SCRIPT)], cwd=ROOT, env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        ready = self.data_dir / "run" / "ready"
        deadline = time.monotonic() + timeout
        while not ready.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log_file.read_text(errors="replace")[-4000:]
                self.stop()
                raise RuntimeError(f"scripts/run.sh did not come up:\n{tail}")
            time.sleep(0.5)
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the supervisor stops every service
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        for name in SERVICES:  # a supervisor that was killed itself leaves no orphans behind
            pid = self.pid(name)
            if pid:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.process = None

    def pid(self, name: str) -> int | None:
        try:
            return int((self.data_dir / "run" / f"{name}.pid").read_text())
        except (FileNotFoundError, ValueError):
            return None

    def kill(self, name: str, signum: int = signal.SIGKILL) -> int:
        """Kills one service as a crash would; the supervisor starts it again."""
        pid = self.pid(name)
        assert pid, f"{name} is not running"
        os.killpg(pid, signum)
        return pid

    def wait_restarted(self, name: str, old_pid: int, health: str, timeout: float = 300) -> None:
        wait_until(lambda: self.pid(name) not in (None, old_pid) and requests.get(health, timeout=2).ok,
                   timeout, f"{name} after a restart")

    def logs_of(self, name: str) -> str:
        """Every line one service wrote, from the supervisor's prefixed output."""
        prefix = f"{name:<8} | "
        return "\n".join(line[len(prefix):] for line in self.log_file.read_text(errors="replace").splitlines()
                         if line.startswith(prefix))

    def seed_user(self, username: str, role: str, name: str) -> str:
        """A staff account through the real command staff use; the password from the environment."""
        password = f"{username}-{uuid.uuid4().hex}"
        subprocess.run([str(VENV_BIN / "python"), "-m", "bot.console", "create-user", username, "--role", role,
                        "--name", name], cwd=ROOT, env={**self.env, "BETAALHULP_NEW_USER_PASSWORD": password},
                       check=True, capture_output=True)
        return password

    # -- talking to it ----------------------------------------------------------------------------
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
                                headers=self.api_headers(), timeout=30)
        response.raise_for_status()
        return response.json()

    def slots(self, sender: str) -> dict:
        return self.tracker(sender)["slots"]

    def push(self, conversation_id: str, text: str) -> requests.Response:
        """A bot message into a conversation and out on its channel, as the console sends one."""
        return requests.post(f"{self.rasa_url}/conversations/{conversation_id}/tracker/events",
                             params={"output_channel": "latest", "execute_side_effects": "true"},
                             headers=self.api_headers(), json=[{"event": "bot", "text": text}], timeout=30)


def make_stack(tmp_dir: Path, **env: str) -> Stack:
    """A stack's environment: free ports, its own data folder, and `env` on top (unstarted)."""
    logs = tmp_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    data_dir = tmp_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    token = f"e2e-{uuid.uuid4().hex}"
    base = {key: value for key, value in os.environ.items()
            if not key.startswith(("BETAALHULP_", "RASA_", "TWILIO_", "TELEGRAM_", "MOLLIE_"))}
    full = {**base, "BETAALHULP_DATA_DIR": str(data_dir), "RASA_PORT": str(free_port()),
            "ACTIONS_PORT": str(free_port()), "WEB_PORT": str(free_port()), "CONSOLE_PORT": str(free_port()),
            # Known to the test, so it can read conversations as the console does.
            "RASA_AUTH_TOKEN": token, **env}
    return Stack(env=full, data_dir=data_dir, logs=logs, token=token)


def started_stack(tmp_dir: Path, **env: str) -> Stack:
    """scripts/run.sh on its own ports and data folder, seeded and ready to talk to."""
    if not MODEL.exists():
        raise RuntimeError("no trained model: run `make train` (make test does it for you)")
    return make_stack(tmp_dir, **env).start()


def decode_qr(png: bytes) -> str:
    """Reads a QR code back with zbar (Debian's zbar-tools), the decoder a bank app would be."""
    result = subprocess.run(["zbarimg", "--raw", "-q", "-"], input=png, capture_output=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout.decode().strip()
