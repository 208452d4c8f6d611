"""The bench's own arithmetic, report, event check and helpers (bench/, issue 7), without servers."""
from __future__ import annotations

import math

import pytest
import yaml

from bench import checks, longconv, profile, report, setups
from bench.load import FAILED_TEXT, SLOW_TEXT, classify, default_conversations, redacted, script


def test_percentiles_interpolate_between_ranks():
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert report.percentile(values, 50) == pytest.approx(50.5)
    assert report.percentile(values, 95) == pytest.approx(95.05)
    assert report.percentile([7.0], 95) == 7.0
    assert report.percentile(reversed([1.0, 2.0, 3.0]), 0) == 1.0
    assert math.isnan(report.percentile([], 50))


def test_run_summary():
    run = report.Run("ours x10", 10, latencies=[0.1] * 90 + [1.0] * 10, seconds=20.0, conversations=10, errors=1,
                     slow=2, without_link=1)
    row = run.summary()
    assert (row["turns"], row["p50_ms"], row["p99_ms"]) == (100, 100, 1000)
    assert row["msg_per_s"] == 5.0 and row["conv_per_min"] == 30.0
    assert (row["errors"], row["slow"], row["without_link"]) == (1, 2, 1)
    assert report.Run("empty", 1).summary()["p95_ms"] is None


def test_comparison_with_the_baseline_and_verdicts():
    ours_1, ours_10 = {"p95_ms": 300, "msg_per_s": 4.0}, {"p95_ms": 4000, "msg_per_s": 4.0}
    base_1, base_10 = {"p95_ms": 100, "msg_per_s": 30.0}, {"p95_ms": 500, "msg_per_s": 20.0}
    ratios = report.comparison(ours_1, ours_10, base_1, base_10)
    assert ratios == {"p95_ratio": 3.0, "throughput_ratio": 0.2}
    assert report.verdict("p95_ratio", 3.0) == "NOT met" and report.verdict("p95_ratio", 1.5) == "met"
    assert report.verdict("throughput_ratio", 0.2) == "NOT met" and report.verdict("throughput_ratio", 0.8) == "met"
    assert report.verdict("faults_50", 0) == "met" and report.verdict("faults_50", 1) == "NOT met"
    assert report.verdict("rasa_rss_mb", None) == "not measured"
    assert report.comparison(ours_1, None, None, None) == {"p95_ratio": None, "throughput_ratio": None}
    assert report.long_ratio([0.1, 0.1, 0.2], [0.3, 0.4, 0.5]) == 4.0
    assert report.long_ratio([], [0.3]) is None


def test_report_renders_rows_targets_and_extra_lines():
    row = {**report.Run("embedded x1", 1, latencies=[0.2, 0.3], seconds=1.0, conversations=1).summary(),
           "checks": {"lost": 0, "doubled": 1, "unanswered": 0}, "load_avg": "1.0/1.2"}
    text = report.render("Bench", ["a note"], [row], {"p95_ratio": 2.0, "long_ratio": 1.2}, ["extra line"])
    lines = text.splitlines()
    assert lines[0] == "# Bench" and "a note" in lines
    assert any(line.startswith("| embedded x1 | 1 | 2 |") and "| 1.0/1.2 |" in line for line in lines)
    assert "| sequential turn p95 / baseline p95 | 2.0 | <= 1.5 | NOT met |" in lines
    assert "| turn after 2,500 events / turn after 100 | 1.2 | <= 1.5 | met |" in lines
    assert lines[-1] == "extra line"
    header = next(line for line in lines if line.startswith("| run |"))
    assert all(line.count("|") == header.count("|") for line in lines if line.startswith("| embedded"))


def _events(*pairs):
    return [{"event": kind, "text": text} for kind, text in pairs]


def test_event_check_counts_lost_doubled_unordered_and_unanswered():
    sent = ["hoi", "12-04-1988", "nee", "nee"]
    ok = _events(("action", None), ("user", "hoi"), ("bot", "dag"), ("user", checks.PLACEHOLDER), ("bot", "x"),
                 ("user", "nee"), ("bot", "y"), ("user", "nee"), ("bot", "z"))
    assert checks.check_conversation(sent, ok, lambda t: t == "12-04-1988") == {
        "conversations": 1, "sent": 4, "stored": 4, "lost": 0, "doubled": 0, "out_of_order": 0, "unanswered": 0}
    # without the redaction rule the birth date is missing once and the placeholder is extra
    assert checks.check_conversation(sent, ok)["lost"] == 1
    lost = checks.check_conversation(sent, _events(("user", "hoi"), ("bot", "a"), ("user", checks.PLACEHOLDER),
                                                   ("bot", "b"), ("user", "nee"), ("bot", "c")), lambda t: "-" in t)
    assert (lost["lost"], lost["doubled"], lost["unanswered"]) == (1, 0, 0)
    doubled = checks.check_conversation(["hoi"], _events(("user", "hoi"), ("bot", "a"), ("user", "hoi"), ("bot", "b")))
    assert (doubled["lost"], doubled["doubled"]) == (0, 1)
    swapped = checks.check_conversation(["a", "b"], _events(("user", "b"), ("bot", "1"), ("user", "a"), ("bot", "2")))
    assert swapped["out_of_order"] == 1 and swapped["lost"] == swapped["doubled"] == 0
    silent = checks.check_conversation(["a", "b"], _events(("user", "a"), ("user", "b"), ("bot", "1")))
    assert silent["unanswered"] == 1
    last_silent = checks.check_conversation(["a"], _events(("user", "a")))
    assert last_silent["unanswered"] == 1

    summed = checks.total([lost, doubled, silent])
    assert summed["conversations"] == 3 and summed["lost"] == 1 and summed["doubled"] == 1
    assert checks.faults(summed, errors=2) == 2 + 1 + 1 + 1
    assert checks.faults(None, errors=0) is None


def test_replies_are_classified_by_the_guards_kind_messages():
    assert SLOW_TEXT.startswith("Een moment") and FAILED_TEXT.startswith("Sorry")
    assert classify(200, [{"text": "Hoi!"}]) == "ok"
    assert classify(200, [{"text": "Hoi!"}, {"text": SLOW_TEXT}]) == "slow"
    assert classify(200, [{"text": FAILED_TEXT}]) == "error"
    assert classify(200, []) == "error"
    assert classify(429, [{"text": "rustig aan"}]) == "error"
    assert classify(500, None) == "error"


def test_scripts_and_their_redaction():
    conversation = script(1)
    assert len(conversation) == 11 and conversation[2] == "03-11-1979" and conversation[-1] == "link"
    assert redacted("03-11-1979") and not redacted("mijn klantnummer is 100002") and not redacted("nee")
    assert [default_conversations(c) for c in (1, 10, 50)] == [6, 2, 1]


def test_long_conversation_filler_copies_a_real_turn():
    block = [{"event": "user", "text": "wat is bkr?", "timestamp": 1.0, "message_id": "m1"},
             {"event": "action", "name": "utter_bkr", "timestamp": 1.1},
             {"event": "bot", "text": "BKR is ...", "timestamp": 1.2},
             {"event": "session_started", "timestamp": 1.3},
             {"event": "action", "name": "action_listen", "timestamp": 1.4}]
    events = longconv.filler(block, 9)
    assert [e["event"] for e in events[:4]] == ["user", "action", "bot", "action"]
    assert len(events) == 9 and not any(e["event"] == "session_started" for e in events)
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps) and stamps[0] > 1.4
    ids = [e["message_id"] for e in events if e["event"] == "user"]
    assert len(ids) == len(set(ids)) == 3 and "m1" not in ids
    assert block[0]["message_id"] == "m1"  # the block itself is left alone
    with pytest.raises(ValueError):
        longconv.filler([{"event": "session_started"}], 3)
    assert longconv.cpu_seconds([]) == 0


def test_profile_sums_collapsed_stacks():
    collapsed = "\n".join([
        "<module> (rasa:1);handle_message (rasa/core/processor.py:152);retrieve (bot/rasa_ext/tracker_store.py:1) 30",
        "<module> (rasa:1);handle_message (rasa/core/processor.py:152);parse_message (rasa/core/processor.py:7) 10",
        "<module> (rasa:1);idle (asyncio/base_events.py:1) 60",
        "garbage line"])
    total, inclusive, own = profile.aggregate(collapsed)
    assert total == 100
    assert inclusive["handle_message (rasa/core/processor.py:152)"] == 40
    assert own["retrieve (bot/rasa_ext/tracker_store.py:1)"] == 30
    assert profile.short("run (/work/main/.venv/lib/python3.10/site-packages/rasa/api.py:17)") == "run (rasa/api.py:17)"
    text = "\n".join(profile.report("Rasa server", collapsed, turns=2))
    assert "| read the tracker (tracker store retrieve) |" in text and "| 30 | 30% | 150 |" in text
    assert "no samples" in "\n".join(profile.report("x", "", turns=1))


def test_ports_stay_in_the_bench_range():
    first = setups.claim_port(6190)
    second = setups.claim_port(6190)
    assert 6190 <= first < second <= 6199


def test_the_baseline_assistant_is_consistent_and_its_cache_key_stable():
    domain = yaml.safe_load((setups.BASELINE / "domain.yml").read_text())
    nlu = yaml.safe_load((setups.BASELINE / "data" / "nlu.yml").read_text())
    assert {item["intent"] for item in nlu["nlu"]} == set(domain["intents"])
    rules = yaml.safe_load((setups.BASELINE / "data" / "rules.yml").read_text())
    assert {step["action"] for rule in rules["rules"] for step in rule["steps"] if "action" in step} \
        <= set(domain["responses"])
    assert setups.baseline_inputs_hash() == setups.baseline_inputs_hash()


def test_action_calls_are_read_from_the_action_servers_own_counter():
    from bench.action_calls import calls_in
    from bot.ops.metrics import Metrics

    metrics = Metrics("betaalhulp_actions")
    for status in (200, 200, 200, 500, 401):
        metrics.observe_request(0.01, status)
    assert calls_in(metrics.render()) == 5
    assert calls_in("") == 0
