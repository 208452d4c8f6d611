"""What `make run` starts (scripts/run.sh), checked from the outside as a browser, a neighbour
process and `ps` see it: one CORS answer for the widget, secrets on no command line, the HTTP API
and the action server closed to whoever lacks the secret."""
from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.e2e.servers import SERVICES

pytestmark = pytest.mark.e2e


def test_the_widget_answers_the_demo_page_with_exactly_one_cors_header(stack):
    """The defect that kept the widget from connecting in `make run`: Rasa's --cors and the
    channel both set the header, and browsers refuse "origin, origin"."""
    answer = requests.post(f"{stack.rasa_url}/webhooks/widget/session", data="{}", timeout=30,
                           headers={"Origin": stack.web_url, "Content-Type": "text/plain"})
    assert answer.status_code == 200
    allow = [v for k, v in answer.raw.headers.items() if k.lower() == "access-control-allow-origin"]
    assert allow == [stack.web_url]


def test_another_origin_gets_no_cors_header_and_a_refusal(stack):
    answer = requests.post(f"{stack.rasa_url}/webhooks/widget/session", data="{}", timeout=30,
                           headers={"Origin": "https://elders.example", "Content-Type": "text/plain"})
    assert answer.status_code == 403
    assert "access-control-allow-origin" not in {k.lower() for k in answer.headers}
    # Rasa's own routes carry no CORS header at all: no browser has business there.
    hello = requests.get(f"{stack.rasa_url}/", headers={"Origin": stack.web_url}, timeout=10)
    assert "access-control-allow-origin" not in {k.lower() for k in hello.headers}


def _command_lines(stack) -> list[str]:
    pids = [stack.pid(name) for name in SERVICES] + [stack.process.pid]
    lines = []
    for pid in filter(None, pids):
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split() + [str(pid)]:
                try:
                    lines.append(Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode())
                except FileNotFoundError:
                    pass
    return lines


def test_no_secret_is_on_any_command_line(stack):
    secrets = [stack.token, stack.env.get("BETAALHULP_ACTION_SECRET")]
    lines = _command_lines(stack)
    assert any("bot.ops.rasa_server" in line for line in lines)
    assert not [line for line in lines for secret in secrets if secret and secret in line]
    assert not [line for line in lines if "--auth-token" in line or "--jwt-secret" in line]


def test_the_http_api_wants_the_signed_token_and_refuses_the_secret_in_a_url(stack):
    status = f"{stack.rasa_url}/status"
    assert requests.get(status, timeout=10).status_code == 401
    assert requests.get(status, params={"token": stack.token}, timeout=10).status_code == 401
    assert requests.get(status, headers={"Authorization": f"Bearer {stack.token}"}, timeout=10).status_code == 401
    assert requests.get(status, headers=stack.api_headers(), timeout=10).json()["model_file"]


def test_the_action_server_refuses_a_neighbour_without_the_secret(stack):
    """`make run` gives the action server a secret too: a local process cannot ask it for account data."""
    call = {"next_action": "action_explain_arrears", "sender_id": "rest:nosy", "version": "3.6.2",
            "tracker": {"sender_id": "rest:nosy", "slots": {"verified": True, "customer_id": 1}, "events": [],
                        "latest_message": {}, "paused": False, "active_loop": {}, "latest_action_name": None},
            "domain": {}}
    answer = requests.post(f"http://127.0.0.1:{stack.actions_port}/webhook", json=call, timeout=10)
    assert answer.status_code == 401 and "Sanne" not in answer.text
