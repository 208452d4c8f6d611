"""The PostgreSQL tracker store survives a Rasa SIGKILL mid-conversation (issue 7, issue 9 §3)."""
from __future__ import annotations

import uuid

from tests.scale.cluster import make_cluster, user_texts
from tests.scale.services import REDIS_URL, fresh_database


def _text(messages):
    return "\n".join(m.get("text", "") for m in messages)


def test_every_finished_turn_survives_sigkill(postgres, redis_server, tmp_path):
    with fresh_database("betaalhulp_data") as data_url, fresh_database("betaalhulp_tracker") as tracker_url:
        cluster = make_cluster(tmp_path, database_url=data_url, tracker_url=tracker_url, redis_url=REDIS_URL)
        try:
            cluster.start_actions()
            port = cluster.launch_rasa()
            cluster.wait_rasa(port)
            sender = f"restart-{uuid.uuid4().hex[:8]}"
            sent = ["hoi", "mijn klantnummer is 100001", "12 april 1988"]
            for text in sent:
                assert cluster.say(port, sender, text), f"no reply to {text!r}"
            before = cluster.tracker(port, sender)
            assert before["slots"]["verified"] is True

            cluster.kill_rasa(port)  # SIGKILL: no shutdown hooks, nothing flushed on the way out
            cluster.launch_rasa(port)
            cluster.wait_rasa(port)

            after = cluster.tracker(port, sender)
            assert len(user_texts(after)) == len(sent)
            assert after["slots"]["verified"] is True and after["slots"]["customer_id"]
            assert [e["event"] for e in after["events"]] == [e["event"] for e in before["events"]]
            # The conversation goes on where it was: the cause question is answered.
            reply = _text(cluster.say(port, sender, "ik was het gewoon vergeten"))
            assert reply
            assert cluster.tracker(port, sender)["slots"]["requested_slot"] != "customer_number"
            assert len(user_texts(cluster.tracker(port, sender))) == len(sent) + 1
        finally:
            cluster.stop()
