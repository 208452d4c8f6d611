"""The simulator and the command line (issue 10 §5): the real engine, ledger and database on the
injectable clock, behaviours drawn with the seed."""
from __future__ import annotations

import gc
from datetime import date

from sqlalchemy import func, select

from bot.followup.__main__ import main
from bot.followup.sending import Delivery, RecordingSender, read_recording
from bot.followup.simulator import Simulation
from bot.store.db import session_scope
from bot.store.models import FollowUp, OutcomeEvent
from tests.followup.helpers import add_arrangement, add_customer


def test_a_simulated_half_year_pays_misses_opts_out_relapses_and_contacts_early(db):
    simulation = Simulation(db, customers=120, months=6, seed=4, start=date(2027, 1, 4), journal=None)
    simulation.setup()
    summary = simulation.run()
    kinds = summary.sent_by_kind
    # new_arrears: customers falling behind again get first contact (R24) through the same episodes as the books import.
    assert {"reminder_before", "reminder_today", "missed", "success", "aftercare", "preventive", "new_arrears"} <= set(kinds)
    assert summary.arrangements == 120 and summary.preventive_customers == 12
    assert summary.arrangements_by_status["completed"] > 0 and summary.arrangements_by_status["broken"] > 0
    assert summary.payments > 0 and summary.opt_outs > 0 and summary.relapses > 0
    assert summary.skipped_by_reason["paid_already"] > 0
    assert summary.duplicate_keys_db == 0 and summary.duplicate_keys_sent == 0
    assert summary.recorded == sum(kinds.values()) == sum(simulation.recorder.keys.values())
    # The deliveries are counted by key, not kept; the garbage collector is as it was.
    assert simulation.recorder.deliveries == [] and gc.get_freeze_count() == 0
    with session_scope(db) as session:
        contacted = session.execute(select(func.count()).select_from(OutcomeEvent)
                                    .where(OutcomeEvent.kind == "contacted")).scalar_one()
        kept = session.execute(select(func.count()).select_from(OutcomeEvent)
                               .where(OutcomeEvent.kind == "instalment_paid")).scalar_one()
        signalled = session.execute(select(func.count()).select_from(OutcomeEvent)
                                    .where(OutcomeEvent.kind == "risk_signalled")).scalar_one()
    assert contacted == summary.recorded and kept == summary.payments
    # Every risk signal is an outcome event too: the dashboard's preventive reach counts them.
    assert signalled == summary.risk_signals > 0
    text = "\n".join(summary.lines())
    assert "messages sent" in text and "duplicates: 0 keys twice in the database, 0 keys sent twice" in text


def test_the_same_seed_gives_the_same_year(template_database, tmp_path, monkeypatch):
    monkeypatch.setenv("BETAALHULP_WEB_SECRET", "followup-tests-secret")
    results = []
    for run, journal in ((1, None), (2, "memory")):  # the scratch journal changes the speed, not the year
        url = f"sqlite:///{tmp_path / f'same-{run}.db'}"
        simulation = Simulation(url, customers=30, months=2, seed=9, payment_links=False, journal=journal)
        simulation.setup()
        summary = simulation.run()
        results.append((dict(summary.sent_by_kind), dict(summary.skipped_by_reason), summary.payments))
    assert results[0] == results[1]


def test_command_line_tick_and_simulate(db, tmp_path, capsys):
    customer, loan = add_customer(db, 1, senders=["rest:cli"])
    add_arrangement(db, customer, loan, [date(2027, 6, 9)], sender_id="rest:cli", starts_on=date(2027, 6, 1))
    recording = tmp_path / "sent.jsonl"
    for moment in ("2027-06-06T00:10", "2027-06-07T07:00"):
        assert main(["tick", "--database", db, "--now", moment, "--sender", f"record:{recording}"]) == 0
    assert "sent 1" in capsys.readouterr().out
    (line,) = read_recording(recording)
    assert line["response"] == "utter_followup_reminder_before" and line["output_channel"] == "rest"
    with session_scope(db) as session:
        assert session.execute(select(FollowUp.status).where(FollowUp.key == line["key"])).scalar_one() == "sent"
    url = f"sqlite:///{tmp_path / 'sim.db'}"
    assert main(["simulate", "--customers", "20", "--months", "1", "--seed", "2", "--database", url,
                 "--no-payment-links", "--scratch"]) == 0
    out = capsys.readouterr().out
    assert "customers 22 (20 with an arrangement" in out and "0 keys sent twice" in out


def test_the_simulator_journals_a_scratch_file_in_memory_and_a_shared_one_in_wal(tmp_path):
    import sqlite3

    import pytest

    from bot.followup.engine import database

    with pytest.raises(ValueError, match="journal must be"):
        database(f"sqlite:///{tmp_path / 'any.db'}", "truncate")
    path = tmp_path / "held.db"
    holder = sqlite3.connect(path)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (x)")
    with pytest.raises(RuntimeError, match="another connection holds the database"):
        database(f"sqlite:///{path}", "memory").connect()
    holder.close()
    with database(f"sqlite:///{tmp_path / 'alone.db'}", "memory").connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "memory"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 0  # OFF: thrown away after
    # A database others read (the demo's): write-ahead log, synced at checkpoints, so a power cut
    # may lose the last commits but never corrupts it.
    with database(f"sqlite:///{tmp_path / 'shared.db'}", "wal").connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    with database("sqlite://", "wal").connect() as connection:  # in memory: nothing to journal, no complaint
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "memory"


def test_the_recording_channel_counts_every_key_whether_it_keeps_the_deliveries_or_not(tmp_path):
    def delivery(key: str) -> Delivery:
        return Delivery(key=key, customer_id=1, kind="success", sender_id="rest:x", output_channel="rest",
                        response="utter_followup_success", slots={})

    kept, counted = RecordingSender(), RecordingSender(tmp_path / "lines.jsonl", keep=False)
    for sender in (kept, counted):
        for key in ("a|rest", "b|rest", "a|rest"):
            sender.send(delivery(key))
    assert kept.keys == counted.keys == {"a|rest": 2, "b|rest": 1}
    assert [d.key for d in kept.deliveries] == ["a|rest", "b|rest", "a|rest"] and counted.deliveries == []
    counted.close()
    assert [line["key"] for line in read_recording(tmp_path / "lines.jsonl")] == ["a|rest", "b|rest", "a|rest"]
