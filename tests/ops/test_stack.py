"""The supervisor of scripts/run.sh (bot/ops/stack.py) with real, tiny processes: prefixed output,
pid files, a crash after start-up restarted, a failure before it ends everything, a clean stop."""
from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time

import pytest

from bot.ops import stack as stack_module
from bot.ops.rasa_server import rasa_arguments
from bot.ops.stack import Service, Stack, services_from_env

SLEEPER = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(600)"]


def wait_for(check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def running(tmp_path):
    out = io.StringIO()
    stack = Stack([Service("one", SLEEPER), Service("two", SLEEPER)], tmp_path / "run", out=out)
    assert stack.start_all()
    watcher = threading.Thread(target=stack.watch, daemon=True)
    watcher.start()
    yield stack, out
    stack.stop()
    watcher.join(timeout=10)


def test_every_service_runs_with_its_pid_file_and_prefixed_output(running, tmp_path):
    stack, out = running
    for name in ("one", "two"):
        pid = int((tmp_path / "run" / f"{name}.pid").read_text())
        os.kill(pid, 0)  # alive
    wait_for(lambda: "one      | up" in out.getvalue() and "two      | up" in out.getvalue())
    assert (tmp_path / "run" / "ready").read_text().split() == ["one", "two"]


def test_a_service_that_crashes_later_is_started_again_and_the_others_keep_running(running, tmp_path, monkeypatch):
    stack, out = running
    first, other = (int((tmp_path / "run" / f"{n}.pid").read_text()) for n in ("one", "two"))
    os.killpg(first, signal.SIGKILL)
    wait_for(lambda: int((tmp_path / "run" / "one.pid").read_text()) != first)
    assert "one stopped (exit -9); starting it again" in out.getvalue()
    os.kill(other, 0)  # untouched
    assert int((tmp_path / "run" / "two.pid").read_text()) == other


def test_a_service_that_fails_before_it_was_ready_ends_the_set_up(tmp_path):
    out = io.StringIO()
    broken = Service("broken", [sys.executable, "-c", "raise SystemExit(3)"], "http://127.0.0.1:9/health")
    stack = Stack([Service("one", SLEEPER), broken], tmp_path / "run", out=out)
    try:
        assert not stack.start_all()
    finally:
        stack.stop()
    assert "broken did not start; stopping everything" in out.getvalue()
    assert not (tmp_path / "run" / "ready").exists() and not (tmp_path / "run" / "one.pid").exists()


def test_stop_ends_every_service_and_its_children(tmp_path):
    parent = [sys.executable, "-c",
              "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']);"
              " time.sleep(600)"]
    stack = Stack([Service("parent", parent)], tmp_path / "run", out=io.StringIO())
    assert stack.start_all()
    group = stack.services[0].process.pid
    stack.stop()

    def group_gone() -> bool:  # the grandchild included; init may take a moment to reap it
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        return False

    wait_for(group_gone)


def test_a_service_that_keeps_crashing_ends_the_set_up(tmp_path, monkeypatch):
    monkeypatch.setattr(stack_module, "MAX_RESTARTS", 2)
    quick = Service("quick", [sys.executable, "-c", "import time; time.sleep(0.3)"])
    stack = Stack([quick], tmp_path / "run", out=io.StringIO())
    assert stack.start_all()
    try:
        assert stack.watch() == 1
    finally:
        stack.stop()
    assert "quick keeps stopping" in stack.out.getvalue()


def test_the_services_follow_the_environment_run_sh_prepared():
    env = {"ACTIONS_PORT": "1", "RASA_PORT": "2", "WEB_PORT": "3", "CONSOLE_PORT": "4", "BETAALHULP_MODEL": "m",
           "BETAALHULP_ENDPOINTS": "endpoints.yml", "BETAALHULP_CREDENTIALS": "credentials.yml",
           "BETAALHULP_PYTHON": "py"}
    names = [s.name for s in services_from_env(env)]
    assert names == ["actions", "rasa", "web", "followup", "console"]
    rasa = next(s for s in services_from_env(env) if s.name == "rasa")
    assert rasa.argv[:4] == ["py", "-m", "bot.ops.rasa_server", "run"] and "--cors" not in rasa.argv
    assert [s.name for s in services_from_env({**env, "BETAALHULP_SERVICES": "rasa, actions"})] == ["actions", "rasa"]
    # The lender's data endpoint runs where the lender's secret is set, and only there.
    assert [s.name for s in services_from_env({**env, "BETAALHULP_INTAKE_SECRET": "x" * 32})][-1] == "intake"
    with pytest.raises(SystemExit, match="unknown nginx"):
        services_from_env({**env, "BETAALHULP_SERVICES": "rasa nginx"})


def test_the_api_secret_goes_to_rasa_in_process_and_never_on_the_command_line():
    argv = ["run", "--enable-api", "--port", "5005"]
    assert rasa_arguments(argv, "s3cret") == [*argv, "--jwt-secret", "s3cret", "--jwt-method", "HS256"]
    assert rasa_arguments(argv, None) == argv
    for flag in ("--auth-token", "--jwt-secret"):
        with pytest.raises(SystemExit, match="RASA_AUTH_TOKEN"):
            rasa_arguments([*argv, flag, "visible-in-ps"], "s3cret")
