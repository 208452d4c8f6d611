"""The set-ups the bench starts itself, on loopback ports 6100-6199, and stops again:

- embedded: Rasa + action server on SQLite, as `make run` (tests/e2e/servers.py starts it);
- scaled: two Rasa processes on a PostgreSQL tracker store and our Redis lock store, one hardened
  action server, PostgreSQL for our data (as tests/scale/cluster.py starts it), in two fresh
  databases bench_<pid>_data / bench_<pid>_tracker that are dropped at the end;
- baseline: plain Rasa (bench/baseline/: Rasa's default configuration, a greeting, the stock REST
  channel, in-memory tracker store), trained on demand and cached while its inputs are unchanged.
"""
from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bot.rasa_api import auth_headers

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
BASELINE = Path(__file__).resolve().parent / "baseline"
BASELINE_MODEL = BASELINE / "models" / "baseline.tar.gz"
BASELINE_STAMP = BASELINE / "models" / "inputs.sha256"
CACHE = Path(__file__).resolve().parent / ".cache"
PORT_RANGE = range(6100, 6200)
_claimed: set[int] = set()


def claim_port(preferred: int) -> int:
    """The first port from `preferred` up in 6100-6199 that is free and not yet handed out."""
    for port in range(preferred, PORT_RANGE.stop):
        if port in _claimed:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _claimed.add(port)
        return port
    raise RuntimeError(f"no free port between {preferred} and {PORT_RANGE.stop - 1}")


def wait_until(check, timeout: float, what: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before it was ready")
        try:
            if check():
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{what} did not come up within {timeout} s")


def peak_rss_mb(pid: int) -> int:
    """VmHWM (peak resident memory) of a process plus its direct children, in MiB."""
    total = 0.0
    pids = {pid}
    try:
        pids.update(int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
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


@dataclass
class Running:
    """A started set-up: where to talk to it and which processes to measure and stop."""

    name: str
    urls: list[str]  # Rasa servers (REST channel and HTTP API)
    token: str
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    conversation_prefix: str = "rest:"  # our REST channel namespaces senders; stock Rasa does not
    actions_url: str | None = None  # our action server (its /metrics counts the calls); none in the baseline
    started_in: float = 0.0
    cleanup: list = field(default_factory=list)

    def conversation_id(self, sender: str) -> str:
        return self.conversation_prefix + sender

    def auth(self) -> dict:
        """How this set-up's HTTP API wants the secret: ours a signed token in the header
        (bot/ops/rasa_server.py), stock Rasa's `--auth-token` in the URL."""
        if self.name == "baseline":
            return {"params": {"token": self.token}}
        return {"headers": auth_headers(self.token)}

    def peak_rss(self) -> dict[str, int]:
        return {name: peak_rss_mb(p.pid) for name, p in self.processes.items() if p.poll() is None}

    def pid(self, name: str) -> int:
        return self.processes[name].pid

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.processes.clear()
        while self.cleanup:
            self.cleanup.pop()()


def _popen(command: list[str], env: dict, log: Path, cwd: Path = ROOT) -> subprocess.Popen:
    return subprocess.Popen([str(c) for c in command], cwd=cwd, env=env, stdout=open(log, "ab"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def _rasa_ready(url: str, running: Running):
    return lambda: requests.get(f"{url}/status", timeout=2, **running.auth()).json().get("model_file")


def _start_rasa(running: Running, name: str, port: int, env: dict, logs: Path, endpoints: str, model: Path) -> None:
    # Our launcher, as scripts/run.sh starts Rasa: the API secret from the environment.
    running.processes[name] = _popen(
        [VENV_BIN / "python", "-m", "bot.ops.rasa_server", "run", "--enable-api", "--interface", "127.0.0.1",
         "--port", str(port), "--model", model, "--endpoints", endpoints, "--credentials", "credentials.yml",
         "--logging-config-file", "logging.yml"], {**env, "RASA_AUTH_TOKEN": running.token}, logs / f"{name}.log")
    running.urls.append(f"http://127.0.0.1:{port}")


def start_embedded(tmp: Path, rasa_pythonpath: str | None = None) -> Running:
    """Rasa + `python -m rasa_sdk` on SQLite files in `tmp` (tests/e2e/servers.py's set-up).
    `rasa_pythonpath` goes first on the Rasa server's PYTHONPATH (bench/ab.py's experiments)."""
    from tests.e2e.servers import MODEL, make_stack

    if not MODEL.exists():
        raise RuntimeError("no trained model: run `make train`")
    stack = make_stack(tmp)
    rasa, actions, web = claim_port(6101), claim_port(6102), claim_port(6103)
    stack.env.update(RASA_PORT=str(rasa), ACTIONS_PORT=str(actions), WEB_PORT=str(web),
                     BETAALHULP_PUBLIC_URL=f"http://127.0.0.1:{web}",
                     # endpoints.yml names the tracker file by this variable (scripts/run.sh sets it)
                     BETAALHULP_TRACKER_DB=str(stack.tracker_db))
    subprocess.run([str(VENV_BIN / "python"), "-m", "bot.store", "seed"], cwd=ROOT, env=stack.env, check=True,
                   capture_output=True)
    running = Running("embedded", [], stack.token)
    started = time.monotonic()
    try:
        stack.env["BETAALHULP_ACTION_SECRET"] = stack.token  # endpoints.yml sends it; the action server wants it
        running.actions_url = f"http://127.0.0.1:{actions}"
        running.processes["action server"] = _popen(
            [VENV_BIN / "python", "-m", "bot.ops.action_server", "--actions", "actions", "--port", str(actions),
             "--logging-config_file", "logging.yml"], {**stack.env, "SANIC_HOST": "127.0.0.1"},
            stack.logs / "actions.log")
        # BENCH_ENDPOINTS: another endpoints file for an A/B run (e.g. another tracker store)
        rasa_env = dict(stack.env)
        if rasa_pythonpath:
            rasa_env["PYTHONPATH"] = os.pathsep.join(filter(None, [rasa_pythonpath, rasa_env.get("PYTHONPATH")]))
        _start_rasa(running, "Rasa server", rasa, rasa_env, stack.logs,
                    os.environ.get("BENCH_ENDPOINTS", "endpoints.yml"), MODEL)
        wait_until(lambda: requests.get(f"http://127.0.0.1:{actions}/health", timeout=2).ok, 90, "action server",
                   running.processes["action server"])
        wait_until(_rasa_ready(running.urls[0], running), 300, "Rasa server", running.processes["Rasa server"])
    except BaseException:
        running.stop()
        raise
    running.started_in = time.monotonic() - started
    return running


def _admin_engine():
    from sqlalchemy import create_engine

    from tests.scale.services import PG_URL

    return create_engine(PG_URL, future=True, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})


def _create_database(name: str) -> str:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from tests.scale.services import PG_URL

    engine = _admin_engine()
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _drop_database(name: str) -> None:
    from sqlalchemy import text

    engine = _admin_engine()
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    engine.dispose()


def start_scaled(tmp: Path, workers: int = 2) -> Running:
    """N Rasa processes + one hardened action server on PostgreSQL and Redis (tests/scale/cluster.py)."""
    import redis

    from tests.scale.cluster import TOKEN, make_cluster

    redis_url = os.environ.get("BETAALHULP_BENCH_REDIS", "redis://127.0.0.1:6379/13")
    try:
        _admin_engine().connect().close()
        redis.Redis.from_url(redis_url, socket_timeout=3).ping()
    except Exception as error:  # noqa: BLE001 - say which service is missing, then stop
        raise RuntimeError(f"the scaled set-up needs PostgreSQL (BETAALHULP_TEST_PG) and Redis "
                           f"(BETAALHULP_BENCH_REDIS): {type(error).__name__}: {error}") from error
    names = [f"bench_{os.getpid()}_data", f"bench_{os.getpid()}_tracker"]
    running = Running("scaled", [], TOKEN)
    for name in names:
        running.cleanup.append(lambda name=name: _drop_database(name))
    started = time.monotonic()
    try:
        data_url, tracker_url = _create_database(names[0]), _create_database(names[1])
        cluster = make_cluster(tmp, database_url=data_url, tracker_url=tracker_url, redis_url=redis_url)
        env = cluster.env
        actions = claim_port(6111)
        env["BETAALHULP_ACTIONS_URL"] = f"http://127.0.0.1:{actions}/webhook"
        running.actions_url = f"http://127.0.0.1:{actions}"
        running.processes["action server"] = _popen(
            [VENV_BIN / "python", "-m", "bot.ops.action_server", "--actions", "actions", "--port", str(actions),
             "--logging-config_file", "logging.yml"], env, tmp / "actions.log")
        for n in range(workers):
            _start_rasa(running, f"Rasa server #{n + 1}", claim_port(6112 + n), env, tmp, cluster.endpoints,
                        ROOT / "models" / "betaalhulp.tar.gz")
        wait_until(lambda: requests.get(f"http://127.0.0.1:{actions}/health", timeout=2).ok, 90, "action server",
                   running.processes["action server"])
        for n, url in enumerate(running.urls):
            wait_until(_rasa_ready(url, running), 300, f"Rasa server #{n + 1}",
                       running.processes[f"Rasa server #{n + 1}"])
    except BaseException:
        running.stop()
        raise
    running.started_in = time.monotonic() - started
    return running


# -- the plain-Rasa baseline --------------------------------------------------------------------
def baseline_inputs_hash() -> str:
    import rasa

    digest = hashlib.sha256(rasa.__version__.encode())
    for path in sorted([BASELINE / "config.yml", BASELINE / "domain.yml", *(BASELINE / "data").glob("*.yml")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def train_baseline(force: bool = False) -> float | None:
    """Trains bench/baseline into bench/baseline/models unless its inputs are unchanged since the
    last training. Returns the seconds it took, or None when the cached model was used."""
    wanted = baseline_inputs_hash()
    if not force and BASELINE_MODEL.exists() and BASELINE_STAMP.exists() and BASELINE_STAMP.read_text() == wanted:
        return None
    BASELINE_MODEL.parent.mkdir(exist_ok=True)
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "RASA_CACHE_DIRECTORY": str(CACHE / "baseline-rasa")}
    started = time.monotonic()
    subprocess.run([str(VENV_BIN / "rasa"), "train", "--config", "config.yml", "--domain", "domain.yml", "--data",
                    "data", "--out", "models", "--fixed-model-name", "baseline", "--quiet"],
                   cwd=BASELINE, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    BASELINE_STAMP.write_text(wanted)
    return time.monotonic() - started


def start_baseline(tmp: Path) -> Running:
    port = claim_port(6121)
    running = Running("baseline", [], "bench-baseline-token", conversation_prefix="")
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    started = time.monotonic()
    try:
        running.processes["Rasa server"] = _popen(
            [VENV_BIN / "rasa", "run", "--enable-api", "--auth-token", running.token, "--interface", "127.0.0.1",
             "--port", str(port), "--model", BASELINE_MODEL, "--credentials", "credentials.yml"],
            env, tmp / "baseline.log", cwd=BASELINE)
        running.urls.append(f"http://127.0.0.1:{port}")
        wait_until(_rasa_ready(running.urls[0], running), 300, "baseline Rasa server",
                   running.processes["Rasa server"])
    except BaseException:
        running.stop()
        raise
    running.started_in = time.monotonic() - started
    return running


def time_training() -> float:
    """A cold `rasa train` of our model into a temporary directory (own empty cache): about a minute."""
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "RASA_CACHE_DIRECTORY": str(Path(tmp) / "cache")}
        started = time.monotonic()
        subprocess.run([str(VENV_BIN / "rasa"), "train", "--domain", "domain", "--data", "data", "--config",
                        "config.yml", "--out", str(Path(tmp) / "models"), "--fixed-model-name", "bench", "--quiet"],
                       cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.monotonic() - started
