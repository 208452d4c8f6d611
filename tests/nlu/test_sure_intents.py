"""A shaky `restart` never wipes a conversation (nlu_components/sure_intents.py)."""
from __future__ import annotations

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.sure_intents import SureIntents


def classified(name: str, confidence: float) -> Message:
    message = Message(data={TEXT: "ik heb nog een vraag over golf"})
    message.set(INTENT, {"name": name, "confidence": confidence})
    message.set(INTENT_RANKING_KEY, [{"name": name, "confidence": confidence}])
    return message


def test_a_restart_below_its_bar_is_not_understood_and_a_sure_one_stays():
    component = SureIntents({"restart": 0.8})
    shaky, sure, other = classified("restart", 0.53), classified("restart", 0.97), classified("pay_now", 0.4)
    component.process([shaky, sure, other])
    assert shaky.get(INTENT)["name"] == "nlu_fallback"
    assert [r["name"] for r in shaky.get(INTENT_RANKING_KEY)] == ["nlu_fallback", "restart"]
    assert sure.get(INTENT)["name"] == "restart"
    assert other.get(INTENT)["name"] == "pay_now"  # only the intents with a bar are touched


def test_the_bar_comes_from_the_config():
    assert SureIntents.get_default_config()["thresholds"]["restart"] == 0.8
