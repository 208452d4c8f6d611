"""The lender's HTTP endpoint as it runs: `python -m bot.intake serve` as a real process on a
free port, with the secret from the environment (issue 21 §2)."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from bot.intake import app as intake_app
from bot.intake import schema
from bot.store.db import session_scope
from bot.store.models import LenderRecord, Loan, RiskSignal
from tests.e2e.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "lender-test-secret-0123456789abcdefghij"
pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def endpoint(database, tmp_path):
    port = free_port()
    env = {**os.environ, "BETAALHULP_DATABASE_URL": database, "BETAALHULP_INTAKE_SECRET": SECRET}
    log = open(tmp_path / "intake.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen([sys.executable, "-m", "bot.intake", "serve", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).json() == {"status": "ok"}:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        process.terminate()
        pytest.fail((tmp_path / "intake.log").read_text())
    yield f"{base}/lender/v1/records"
    process.terminate()
    process.wait(timeout=10)
    log.close()
    text = (tmp_path / "intake.log").read_text()
    for private in ("100005", "MO-100005", SECRET, "98000"):
        assert private not in text, text


def records(*items: dict) -> str:
    return "\n".join(json.dumps(item) for item in items)


def lines_post(url: str, body: str, secret: str | None = SECRET, content_type: str = "application/x-ndjson"):
    headers = {"Content-Type": content_type}
    if secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    return httpx.post(url, content=body.encode(), headers=headers, timeout=30)


def stored(url: str) -> tuple[int, int]:
    with session_scope(url) as session:
        return (session.execute(select(func.count()).select_from(LenderRecord)).scalar_one(),
                session.execute(select(func.count()).select_from(RiskSignal)).scalar_one())


def test_the_endpoint_takes_a_batch_once_and_refuses_bad_ones_whole(database, endpoint):
    yesterday = (date.today() - timedelta(days=1)).isoformat()  # the server runs on the real clock
    signal = {"type": "signal", "id": "SIG-9", "customer_number": "100005", "kind": "bounced_debit",
              "observed_on": yesterday}
    books = {"type": "loan", "id": "BK-9", "loan_reference": "MO-100005", "as_of": yesterday, "arrears_cents": 98000,
             "terms_behind": 1, "arrears_since": yesterday}
    before = stored(database)
    assert lines_post(endpoint, records(signal), secret=None).status_code == 401
    assert lines_post(endpoint, records(signal), secret=SECRET[:-1] + "X").status_code == 403
    assert lines_post(endpoint, records(signal), content_type="text/csv").status_code == 415
    bad = lines_post(endpoint, records(signal, books, {**books, "id": "BK-10", "arrears_cents": "veel"}, {"type": "x"}))
    assert bad.status_code == 422 and stored(database) == before
    assert bad.json()["refused"] == [
        {"line": 3, "status": 422, "type": "loan", "id": "BK-10", "reason": "arrears_cents must be a whole number of cents"},
        {"line": 4, "status": 422, "reason": "type must be one of signal, loan, payment"}]
    created = lines_post(endpoint, records(signal, books))
    assert created.status_code == 201, created.text
    assert created.json() == {"accepted": True, "created": 2, "duplicates": 0, "records": [
        {"line": 1, "type": "signal", "id": "SIG-9", "status": 201},
        {"line": 2, "type": "loan", "id": "BK-9", "status": 201}]}
    # The same batch again, as a JSON array this time: known, nothing changes.
    again = httpx.post(endpoint, json=[signal, books], headers={"Authorization": f"Bearer {SECRET}"}, timeout=30)
    assert again.status_code == 200 and again.json()["duplicates"] == 2
    conflict = lines_post(endpoint, records({**signal, "kind": "rising_overdraft"}))
    assert conflict.status_code == 409 and conflict.json()["refused"][0]["id"] == "SIG-9"
    assert stored(database) == (before[0] + 2, before[1] + 1)
    with session_scope(database) as session:
        loan = session.execute(select(Loan).where(Loan.reference == "MO-100005")).scalar_one()
        assert (loan.arrears_cents, loan.terms_behind) == (98000, 1)
        assert [e.ended_on for e in loan.episodes] == [None]  # new arrears: first contact plans from here


def test_serve_refuses_to_start_without_a_strong_secret(database):
    env = {**os.environ, "BETAALHULP_DATABASE_URL": database, "BETAALHULP_INTAKE_SECRET": "short"}
    done = subprocess.run([sys.executable, "-m", "bot.intake", "serve", "--port", str(free_port())], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "at least 32 characters" in done.stderr


def test_the_secret_is_compared_in_constant_time(database, monkeypatch):
    compared = []
    real = intake_app.hmac.compare_digest
    monkeypatch.setattr(intake_app.hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real(a, b))
    client = TestClient(intake_app.create_app(secret=SECRET, database_url=database))
    response = client.post("/lender/v1/records", content=b"{}", headers={"Authorization": "Bearer nope",
                                                                          "Content-Type": "application/json"})
    assert response.status_code == 403
    assert compared == [(hashlib.sha256(b"nope").digest(), hashlib.sha256(SECRET.encode()).digest())]


def test_switched_off_without_a_secret_and_large_bodies_refused(database, monkeypatch):
    off = TestClient(intake_app.create_app(secret=None, database_url=database))
    assert off.post("/lender/v1/records", content=b"{}").status_code == 503
    small = dataclasses.replace(schema.policy(), max_body_bytes=100)
    monkeypatch.setattr(intake_app.schema, "policy", lambda: small)
    client = TestClient(intake_app.create_app(secret=SECRET, database_url=database))
    response = client.post("/lender/v1/records", content=b"x" * 101, headers={
        "Authorization": f"Bearer {SECRET}", "Content-Type": "application/x-ndjson"})
    assert response.status_code == 413 and "split the batch" in response.json()["error"]
    empty = client.post("/lender/v1/records", content=b"\n", headers={
        "Authorization": f"Bearer {SECRET}", "Content-Type": "application/x-ndjson"})
    assert empty.status_code == 400 and empty.json()["refused"] == [{"line": 0, "status": 400, "reason": "no records"}]
