"""Personal data end to end: the birth date leaves the slots, erasure leaves nothing, export has it all,
and the servers' logs hold no personal data of the demo customers (issue 9, section 4)."""
from __future__ import annotations

import json
import re
import subprocess

from sqlalchemy import create_engine, text

from tests.e2e.servers import ROOT, VENV_BIN
from tests.e2e.test_core_conversation import add_customer, verify

# Everything that would tie a log line to one of the demo customers.
DEMO_PERSONAL_DATA = [
    "Sanne", "de Vries", "El Amrani", "Petra Jansen", "Kees Bakker", "Fatima", "Yilmaz",
    "1988-04-12", "12-04-1988", "12 april 1988", "1979-11-03", "03-11-1979", "30/1/92",
    "100001", "100002", "100003", "100004", "100005", "612345001", "612345003",
    "NL91ABNA0417164300", "€ 210", "€ 2.300", "€ 370",
]


def run_privacy(stack, *args) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "python"), "-m", "bot.privacy", *args], cwd=ROOT, env=stack.env,
                          capture_output=True, text=True, timeout=120)


def test_export_then_erase_leaves_nothing_of_the_customer(stack, sender):
    # A customer of this test alone: the demo customers stay for the other tests.
    add_customer(stack, "200002", "Noor Test", "1991-06-06")
    verify(stack, sender, "200002", "06-06-1991")
    stack.say(sender, "ik ben ziek geworden")
    exported = run_privacy(stack, "export", "200002")
    assert exported.returncode == 0, exported.stderr
    data = json.loads(exported.stdout)
    assert data["customer"][0]["full_name"] == "Noor Test" and data["loans"] and data["cases"]
    conversation = stack.conversation_id(sender)
    assert len(data["conversations"][conversation]) > 5

    erased = run_privacy(stack, "erase", "200002", "--yes")
    assert erased.returncode == 0, erased.stderr
    counts = json.loads(erased.stdout)
    assert counts["customers"] == 1 and counts["conversation_events"] > 5

    database = create_engine(stack.database_url)
    tracker = create_engine(f"sqlite:///{stack.tracker_db}")
    with database.connect() as connection:
        for table in ("customers", "loans", "cases", "payments", "verification_failures"):
            rows = connection.execute(text(f"SELECT * FROM {table}")).all()
            assert not any("200002" in str(r) or "Noor" in str(r) or "1991-06-06" in str(r) for r in rows)
        assert connection.execute(text("SELECT count(*) FROM cases WHERE sender_id = :s"),
                                  {"s": conversation}).scalar() == 0
    with tracker.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM events WHERE sender_id = :s"),
                                  {"s": conversation}).scalar() == 0
    assert run_privacy(stack, "export", "200002").returncode == 1


def test_the_birth_date_is_never_stored(stack, sender):
    verify(stack, sender, "100001", "12-04-1988")
    stack.say(sender, "ik ben op 12 april 1988 geboren trouwens")
    tracker = stack.tracker(sender)
    assert tracker["slots"]["birth_date"] is None and tracker["slots"]["customer_number"] is None
    assert tracker["slots"]["verified"] is True
    assert not any(date in json.dumps(tracker["events"]) for date in ("12-04-1988", "12 april 1988"))
    raw = create_engine(f"sqlite:///{stack.tracker_db}")
    with raw.connect() as connection:
        stored = connection.execute(text("SELECT data FROM events WHERE sender_id = :s"),
                                    {"s": stack.conversation_id(sender)}).scalars().all()
    assert stored and not any("12-04-1988" in row or "12 april 1988" in row for row in stored)
    assert any("[geboortedatum]" in row for row in stored)


def test_server_logs_hold_no_personal_data(stack, sender):
    verify(stack, sender, "100002", "03-11-1979")
    stack.say(sender, "ik heb een brief gehad over € 750 en mijn iban is NL91ABNA0417164300")
    logs = stack.log_file.read_text(errors="replace")  # every process's output, as `make run` shows it
    hits = [item for item in DEMO_PERSONAL_DATA if item in logs]
    assert hits == []
    assert not re.search(r"\b1000\d\d\b", logs)
