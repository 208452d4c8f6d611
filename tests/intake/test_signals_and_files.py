"""Risk signals from the lender (issue 21 §2, R22) and the file import: each record once by the
lender's own id, bad records refused with their line and reason, and a file with one bad record
imports nothing."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bot.followup.engine import Engine
from bot.followup.sending import RecordingSender
from bot.intake import schema
from bot.privacy.erasure import erase_customer, export_customer
from bot.store.db import session_scope
from bot.store.models import BookedPayment, FollowUp, LenderRecord, Loan, OutcomeEvent, RiskSignal
from tests.intake.conftest import NOW, TODAY, send
from tests.intake.test_books import figure, payment

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
SIGNAL = {"type": "signal", "id": "SIG-1", "customer_number": "100005", "kind": "rising_overdraft",
          "observed_on": "2026-11-24", "loan_reference": "MO-100005", "amount_cents": 120000}


def counts(url: str) -> dict[str, int]:
    with session_scope(url) as session:
        return {model.__tablename__: session.execute(select(func.count()).select_from(model)).scalar_one()
                for model in (LenderRecord, RiskSignal, BookedPayment, OutcomeEvent)}


def test_a_signal_becomes_a_risk_signal_and_leads_to_early_contact(lender, tmp_path):
    outcome = send(lender, SIGNAL)
    assert outcome.accepted and outcome.records == [{"line": 1, "type": "signal", "id": "SIG-1", "status": 201}]
    with session_scope(lender) as session:
        signal = session.execute(select(RiskSignal).where(RiskSignal.kind == "rising_overdraft")).scalar_one()
        event = session.execute(select(OutcomeEvent).where(OutcomeEvent.kind == "risk_signalled",
                                                           OutcomeEvent.reason == "rising_overdraft")).scalar_one()
    assert signal.observed_on == date(2026, 11, 24) and signal.detail["record"] == "SIG-1"
    assert event.customer_id == signal.customer_id
    # The follow-up engine's daily planning takes it up as preventive contact (R22).
    engine = Engine(lender, sender=RecordingSender())
    engine.tick(NOW)
    with session_scope(lender) as session:
        planned = session.execute(select(FollowUp).where(FollowUp.kind == "preventive")).scalar_one()
    assert planned.customer_id == signal.customer_id and planned.facts["signals"]["rising_overdraft"] == 1


def test_the_same_signal_twice_is_taken_once_and_other_content_under_its_id_is_refused(lender):
    assert send(lender, SIGNAL).status == 201
    before = counts(lender)
    again = send(lender, SIGNAL)
    assert again.status == 200 and again.records[0]["status"] == 200 and counts(lender) == before
    changed = send(lender, {**SIGNAL, "kind": "bounced_debit"})
    assert changed.status == 409 and not changed.accepted and counts(lender) == before
    assert changed.as_dict()["refused"] == [{"line": 1, "status": 409, "type": "signal", "id": "SIG-1",
                                             "reason": "this id was already used for a record with other content"}]


@pytest.mark.parametrize("change, reason", [
    ({"kind": "gambling"}, "kind must be one of bounced_debit, rising_overdraft, missed_payment_elsewhere"),
    ({"observed_on": "2026-11-31"}, "observed_on is not a date that exists"),
    ({"observed_on": "25-11-2026"}, "observed_on must be a date written YYYY-MM-DD"),
    ({"observed_on": "2026-11-26"}, "observed_on lies in the future"),
    ({"observed_on": "2025-01-01"}, "observed_on is more than 365 days ago"),
    ({"amount_cents": -1}, "amount_cents must be between 0 and 10000000000 cents"),
    ({"amount_cents": 12.5}, "amount_cents must be a whole number of cents"),
    ({"amount_cents": True}, "amount_cents must be a whole number of cents"),
    ({"customer_number": "10 0005"}, "customer_number has characters or a length that is not allowed"),
    ({"note": "belde boos op"}, "unknown fields: note"),
    ({"id": ""}, "id has characters or a length that is not allowed"),
    ({"type": "customer"}, "type must be one of signal, loan, payment"),
])
def test_a_signal_that_breaks_the_schema_is_refused_with_the_reason(lender, change, reason):
    outcome = send(lender, {**SIGNAL, **change})
    assert not outcome.accepted and outcome.status == 422
    assert [r.reason for r in outcome.refusals] == [reason]
    # The reason never repeats the value (it could be personal data).
    assert "belde" not in json.dumps(outcome.as_dict())


def test_what_we_do_not_know_is_refused(lender):
    outcome = send(lender, {**SIGNAL, "customer_number": "999999"}, {**SIGNAL, "id": "SIG-2", "loan_reference": "PE-100001"},
                   figure("BK-1", 100, loan_reference="ZZ-1"), figure("BK-2", 0, terms=2))
    assert [(r.line, r.status, r.reason) for r in outcome.refusals] == [
        (1, 422, "unknown customer number"), (2, 422, "the loan reference is not a loan of this customer"),
        (3, 422, "unknown loan reference"),
        (4, 422, "terms_behind and arrears_cents disagree: both 0, or both more than 0")]


def test_a_batch_with_one_bad_record_writes_nothing(lender):
    before = counts(lender)
    with session_scope(lender) as session:
        arrears = session.execute(select(Loan.arrears_cents).where(Loan.reference == "RE-100002")).scalar_one()
    outcome = send(lender, SIGNAL, figure("BK-3", 25000, terms=1), payment("PAY-1", 25000),
                   payment("PAY-2", 0))
    assert not outcome.accepted and [(r.line, r.status) for r in outcome.refusals] == [(4, 422)]
    assert counts(lender) == before
    with session_scope(lender) as session:
        assert session.execute(select(Loan.arrears_cents).where(Loan.reference == "RE-100002")).scalar_one() == arrears


def run_import(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    environment = {**__import__("os").environ, "BETAALHULP_DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "bot.intake", "import", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, input=stdin, timeout=120)


def test_the_import_command_takes_a_file_whole_or_not_at_all(lender, tmp_path):
    good = tmp_path / "books.jsonl"
    day = (TODAY - timedelta(days=1)).isoformat()  # the process runs on the real clock: a day in the past
    lines = ["# the lender's books of yesterday", json.dumps({**SIGNAL, "observed_on": day}),
             json.dumps(figure("BK-4", 50000, as_of=TODAY - timedelta(days=1), terms=2)), "",
             json.dumps(payment("PAY-3", 25000, booked_on=TODAY - timedelta(days=1)))]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines + ['{"type": "payment", "id": "PAY-4"', json.dumps(payment("PAY-5", 100, colour=1))]))
    before = counts(lender)
    refused = run_import(lender, str(bad))
    assert refused.returncode == 1 and counts(lender) == before
    assert refused.stderr.splitlines()[-3:] == ["line 6: 400 not a JSON object", "line 7: 422 unknown fields: colour",
                                                "nothing imported: 2 refused"]
    good.write_text("\n".join(lines))
    dry = run_import(lender, str(good), "--dry-run")
    assert dry.returncode == 0 and json.loads(dry.stdout)["dry_run"] is True and counts(lender) == before
    done = run_import(lender, str(good))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"created": 3, "duplicates": 0, "dry_run": False}
    again = run_import(lender, "-", stdin=good.read_text())
    assert json.loads(again.stdout) == {"created": 0, "duplicates": 3, "dry_run": False}
    with session_scope(lender) as session:
        assert session.execute(select(Loan.arrears_cents).where(Loan.reference == "RE-100002")).scalar_one() == 50000
    # No customer number, amount or name in what the command printed.
    assert "100005" not in done.stdout + done.stderr + refused.stderr


def test_erasure_removes_the_lenders_records_and_payments_of_the_customer(lender, tmp_path):
    assert send(lender, SIGNAL, figure("BK-5", 50000, terms=2), payment("PAY-6", 25000)).accepted
    from tests.bot.test_privacy import tracker_with

    tracker = tracker_with(tmp_path, {})
    with session_scope(lender) as session:
        exported = export_customer(session, "100002", tracker=tracker)
        assert [p["record_id"] for p in exported["booked_payments"]] == ["PAY-6"]
        assert {r["record_id"] for r in exported["lender_records"]} == {"BK-5", "PAY-6"}
        erased = erase_customer(session, "100002", tracker=tracker)
    assert erased["booked_payments"] == 1 and erased["lender_records"] == 2 and erased["loans"] == 1
    with session_scope(lender) as session:
        assert session.execute(select(func.count()).select_from(LenderRecord)).scalar_one() == 1  # Fatima's signal


def test_the_schema_refuses_a_non_object_and_takes_blank_and_comment_lines(lender):
    parsed = schema.parse_lines(["", "# comment", "[1, 2]", "42"], TODAY)
    assert [(r.line, r.status, r.reason) for r in parsed.refusals] == [(3, 422, "a record is a JSON object"),
                                                                      (4, 422, "a record is a JSON object")]
