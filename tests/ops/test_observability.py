"""Health, metrics, JSON logs, and the action server's shared secret (issue 7)."""
from __future__ import annotations

import json
import logging
import subprocess

import requests
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from bot.ops.asgi import Observed
from bot.ops.logs import JsonFormatter, configure
from tests.e2e.servers import ROOT, VENV_BIN, free_port, wait_until


def test_metrics_and_health_wrapper(tmp_path, monkeypatch):
    monkeypatch.setenv("BETAALHULP_DATABASE_URL", f"sqlite:///{tmp_path / 'b.db'}")
    from bot.config import settings
    from bot.store.migrate import upgrade

    settings.cache_clear()
    upgrade(settings().database_url)
    app = Starlette(routes=[Route("/hello", lambda r: PlainTextResponse("hoi")),
                            Route("/boom", lambda r: PlainTextResponse("x", status_code=500))])
    client = TestClient(Observed(app, "betaalhulp_test", own_health=True))
    assert client.get("/hello").text == "hoi"
    client.get("/boom")
    assert client.get("/health").json() == {"status": "ok"}
    body = client.get("/metrics").text
    assert 'betaalhulp_test_requests_total{status="2xx"} 1' in body
    assert 'betaalhulp_test_requests_total{status="5xx"} 1' in body
    assert "betaalhulp_test_errors_total 1" in body
    assert 'betaalhulp_test_request_duration_seconds_bucket{le="+Inf"} 2' in body
    assert "betaalhulp_test_payments" in body and "betaalhulp_test_handovers" in body
    settings.cache_clear()


def test_json_logs_keep_the_personal_data_filter():
    logger = logging.getLogger("betaalhulp.jsontest")
    logger.propagate = False
    stream_records = []

    class Capture(logging.Handler):
        def emit(self, record):
            stream_records.append(self.format(record))

    logger.addHandler(Capture())
    configure(True, logger)
    logger.warning("klant %s, geboren 12-04-1988, IBAN NL91ABNA0417164300, € 210", "100001")
    entry = json.loads(stream_records[-1])
    assert entry["level"] == "WARNING" and entry["logger"] == "betaalhulp.jsontest"
    assert "100001" not in entry["message"] and "1988" not in entry["message"] and "NL91" not in entry["message"]
    assert "210" not in entry["message"]
    assert isinstance(logger.handlers[0].formatter, JsonFormatter)


def test_action_server_requires_the_secret(tmp_path):
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "BETAALHULP_ACTION_SECRET": "s3cret", "BETAALHULP_DATA_DIR": str(tmp_path),
           "BETAALHULP_LOG_FORMAT": "json"}
    process = subprocess.Popen([str(VENV_BIN / "python"), "-m", "bot.ops.action_server", "--actions", "actions",
                                "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: requests.get(f"{url}/health", timeout=2).ok, 90, "action server")
        call = {"next_action": "action_nonexistent", "tracker": {"sender_id": "x", "events": []}, "domain": {}}
        assert requests.post(f"{url}/webhook", json=call, timeout=10).status_code == 401
        assert requests.post(f"{url}/webhook", json=call, headers={"X-Betaalhulp-Action-Secret": "wrong"},
                             timeout=10).status_code == 401
        assert requests.get(f"{url}/actions", timeout=10).status_code == 401
        ok = requests.get(f"{url}/actions", headers={"X-Betaalhulp-Action-Secret": "s3cret"}, timeout=10)
        assert ok.status_code == 200 and ok.json()
        metrics = requests.get(f"{url}/metrics", timeout=10).text
        assert "betaalhulp_actions_refused_total 3" in metrics
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_production_profile_refuses_to_start_without_its_settings():
    result = subprocess.run(["scripts/run.sh"], cwd=ROOT, env={"PATH": "/usr/bin:/bin",
                            "BETAALHULP_PROFILE": "production"}, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "BETAALHULP_TRACKER_URL" in result.stderr and "BETAALHULP_REDIS_URL" in result.stderr
