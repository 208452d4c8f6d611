"""Staff read Dutch, not stored codes (issue 26): every signal, cause and channel the product
writes has a word in bot/console/labels.yml, and the queue, card and follow-up page use them."""
from __future__ import annotations

from pathlib import Path

import yaml

from bot.console.labels import facts_text, label
from bot.console.queue import reason_label

ROOT = Path(__file__).resolve().parents[2]


def codes(path: Path, key: str | None = None) -> set[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return set(data[key] if key else data)


def test_every_signal_and_cause_has_a_dutch_word():
    signals = codes(ROOT / "bot" / "signals" / "lexicon.yml", "signals")
    causes = codes(ROOT / "bot" / "causes" / "causes.yml", "causes") | {"other"}
    for kind, found in (("signals", signals), ("causes", causes)):
        missing = sorted(code for code in found if label(kind, code) == code)
        assert not missing, f"{kind} without a Dutch word in labels.yml: {missing}"


def test_the_codes_staff_used_to_read_are_dutch_now():
    assert reason_label("signal:garnishment") == "Signaal: loonbeslag"
    assert reason_label("below_living_norm") == "Houdt minder over dan nodig om van te leven"
    assert label("channels", "twilio_signed") == "WhatsApp of sms" and label("causes", "other") == "anders"
    assert facts_text({"arrears_cents": 21000, "terms_behind": 1, "signals": {"bounced_debit": 2}}) == \
        "achterstand: € 210; termijnen achter: 1; signalen: incasso gestorneerd (2x)"
    assert facts_text({}) == "-"
