"""`python -m bot.ops.stack`: starts and watches the processes of one set-up (scripts/run.sh).

scripts/run.sh decides the environment (ports, stores, secrets, profile); this module only runs
what it is told, the same way for `make run`, the end-to-end tests and a production host:

- Each service's output is prefixed with its name (`rasa     | ...`), one stream for the terminal.
- Every service is started in its own process group with its pid in `<run dir>/<name>.pid`, so a
  test can kill exactly one of them, as a crash would.
- A service that fails before it was ever ready ends the whole set-up: nothing runs half-started.
  One that dies later (a crash, an out-of-memory kill) is started again after a short pause, at
  most `MAX_RESTARTS` times in `RESTART_WINDOW` seconds; the others keep serving meanwhile.
- Ctrl-C or SIGTERM stops every service (SIGTERM, then SIGKILL after `STOP_SECONDS`).

Services (`BETAALHULP_SERVICES`, in this order): actions, rasa, web, followup, console, and intake;
by default all of them, intake only when BETAALHULP_INTAKE_SECRET is set.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.ops.logs import masked_line

READY_SECONDS = {"rasa": 600.0}   # loading the model; everything else is ready in seconds
DEFAULT_READY_SECONDS = 120.0
RESTART_WINDOW = 300.0
MAX_RESTARTS = 5
STOP_SECONDS = 20.0


@dataclass
class Service:
    name: str
    argv: list[str]
    health_url: str | None = None   # None: ready once it runs
    process: subprocess.Popen | None = None
    ready: bool = False
    restarts: list[float] = field(default_factory=list)


def services_from_env(env: dict[str, str]) -> list[Service]:
    """The commands of every service, from the environment scripts/run.sh prepared."""
    python = env.get("BETAALHULP_PYTHON", sys.executable)
    logging_file = ["--logging-config-file", "logging.yml"]
    actions_port, rasa_port = env["ACTIONS_PORT"], env["RASA_PORT"]
    web_port, console_port = env.get("WEB_PORT", "8080"), env.get("CONSOLE_PORT", "8081")
    every = {
        # The hardened action server in every profile: it wants the shared secret Rasa sends.
        "actions": Service("actions", [python, "-m", "bot.ops.action_server", "--actions", "actions",
                                       "--port", actions_port, "--logging-config_file", "logging.yml"],
                           f"http://127.0.0.1:{actions_port}/health"),
        # Rasa through our launcher: the API secret from the environment, our logging after Rasa's.
        "rasa": Service("rasa", [python, "-m", "bot.ops.rasa_server", "run", "--enable-api",
                                 "--interface", env.get("RASA_INTERFACE", "127.0.0.1"), "--port", rasa_port,
                                 "--model", env["BETAALHULP_MODEL"], "--endpoints", env["BETAALHULP_ENDPOINTS"],
                                 "--credentials", env["BETAALHULP_CREDENTIALS"], *logging_file],
                        f"http://127.0.0.1:{rasa_port}/"),
        "web": Service("web", [python, "-m", "bot.web"], f"http://127.0.0.1:{web_port}/health"),
        "followup": Service("followup", [python, "-m", "bot.followup", "run"]),
        "console": Service("console", [python, "-m", "bot.console", "serve"],
                           f"http://127.0.0.1:{console_port}/health"),
        # The lender's data endpoint (bot/intake): only where the lender's secret is set.
        "intake": Service("intake", [python, "-m", "bot.intake", "serve"],
                          f"http://127.0.0.1:{env.get('INTAKE_PORT', '8082')}/health"),
    }
    default = [name for name in every if name != "intake" or env.get("BETAALHULP_INTAKE_SECRET")]
    wanted = env.get("BETAALHULP_SERVICES", "").replace(",", " ").split() or default
    unknown = sorted(set(wanted) - set(every))
    if unknown:
        raise SystemExit(f"BETAALHULP_SERVICES: unknown {', '.join(unknown)} (known: {', '.join(every)})")
    return [every[name] for name in every if name in wanted]


class Stack:
    def __init__(self, services: list[Service], run_dir: Path, out: TextIO = sys.stdout) -> None:
        self.services = services
        self.run_dir = run_dir
        self.out = out
        self.stopping = threading.Event()
        self._write = threading.Lock()

    def say(self, name: str, line: str) -> None:
        # Every line of every process is masked here once more (issue 23 §2): what a process
        # prints or writes to stderr past its logging (a library's print, a crash's traceback)
        # reaches neither the terminal nor a log file with personal data in it.
        line = masked_line(line)
        with self._write:
            self.out.write(f"{name:<8} | {line}\n")
            self.out.flush()

    def _pump(self, service: Service, stream) -> None:
        for raw in iter(stream.readline, b""):
            self.say(service.name, raw.decode("utf-8", "replace").rstrip("\n"))
        stream.close()

    def start(self, service: Service) -> None:
        service.ready = False
        service.process = subprocess.Popen(service.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, start_new_session=True)
        (self.run_dir / f"{service.name}.pid").write_text(f"{service.process.pid}\n")
        threading.Thread(target=self._pump, args=(service, service.process.stdout), daemon=True).start()

    @staticmethod
    def healthy(service: Service) -> bool:
        if service.health_url is None:
            return True
        try:
            with urllib.request.urlopen(service.health_url, timeout=2) as answer:
                return answer.status < 500
        except OSError:
            return False

    def wait_ready(self, service: Service) -> bool:
        deadline = time.monotonic() + READY_SECONDS.get(service.name, DEFAULT_READY_SECONDS)
        while time.monotonic() < deadline and not self.stopping.is_set():
            if service.process.poll() is not None:
                return False
            if self.healthy(service):
                service.ready = True
                return True
            time.sleep(0.5)
        return False

    def start_all(self) -> bool:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "ready").unlink(missing_ok=True)
        for service in self.services:
            self.start(service)
        for service in self.services:
            if not self.wait_ready(service):
                if not self.stopping.is_set():
                    self.say("stack", f"{service.name} did not start; stopping everything")
                return False
        (self.run_dir / "ready").write_text(" ".join(s.name for s in self.services) + "\n")
        return True

    def watch(self) -> int:
        """Restarts services that die after they were ready; returns the exit status."""
        while not self.stopping.wait(0.5):
            for service in self.services:
                code = service.process.poll()
                if code is None:
                    if not service.ready and self.healthy(service):
                        service.ready = True
                        self.say("stack", f"{service.name} is back")
                    continue
                now = time.monotonic()
                service.restarts = [t for t in service.restarts if now - t < RESTART_WINDOW]
                if len(service.restarts) >= MAX_RESTARTS:
                    self.say("stack", f"{service.name} keeps stopping (exit {code}); stopping everything")
                    return 1
                service.restarts.append(now)
                self.say("stack", f"{service.name} stopped (exit {code}); starting it again")
                if not self.stopping.wait(min(30.0, 2.0 ** len(service.restarts) / 2)):
                    self.start(service)
        return 0

    def stop(self) -> None:
        self.stopping.set()
        running = [s.process for s in self.services if s.process is not None and s.process.poll() is None]
        for process in running:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
        for service in self.services:
            (self.run_dir / f"{service.name}.pid").unlink(missing_ok=True)
        (self.run_dir / "ready").unlink(missing_ok=True)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def ready_lines(env: dict[str, str], names: list[str]) -> list[str]:
    """What to open, once everything answers."""
    lines = []
    if "web" in names:
        lines.append(f"Betaalhulp: demo page with the chat widget on {env.get('BETAALHULP_PUBLIC_URL')}")
    if "console" in names:
        lines.append(f"Betaalhulp: staff console on http://127.0.0.1:{env.get('CONSOLE_PORT', '8081')}")
    if "intake" in names:
        lines.append(f"Betaalhulp: lender data endpoint on http://127.0.0.1:{env.get('INTAKE_PORT', '8082')}")
    if "rasa" in names:
        lines.append(f"Betaalhulp: Rasa on http://127.0.0.1:{env['RASA_PORT']} (REST: /webhooks/rest/webhook)")
    return lines


def main() -> int:
    env = dict(os.environ)
    stack = Stack(services_from_env(env), Path(env.get("BETAALHULP_RUN_DIR", "var/run")))
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stack.stopping.set())
    try:
        if not stack.start_all():
            return 1
        for line in ready_lines(env, [s.name for s in stack.services]):
            stack.say("stack", line)
        return stack.watch()
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
