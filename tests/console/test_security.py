"""The console refuses what it must: no session, wrong role, no CSRF token, guessing, old sessions."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from starlette.routing import Route
from starlette.testclient import TestClient

from bot import clock
from bot.console.security import cookie_name
from bot.store.db import session_scope
from bot.store.models import AuditEntry, StaffSession, StaffUser
from tests.console.conftest import csrf, login

PUBLIC = {"/login"}


def console_routes(app):
    for route in app.routes:
        if isinstance(route, Route) and route.path not in PUBLIC:
            for method in sorted(route.methods - {"HEAD"}):
                yield method, route.path.replace("{case_id:int}", "1").replace("{loan_id:int}", "1"), route.endpoint


def test_every_route_without_a_session_is_refused(client, app, case_id):
    routes = list(console_routes(app))
    assert len(routes) >= 13
    for method, path, endpoint in routes:
        response = client.request(method, path)
        if method == "GET" and getattr(endpoint, "console_kind", None) == "page":
            assert response.status_code == 303 and response.headers["location"] == "/login", path
        else:
            assert response.status_code in (401, 403), (method, path, response.status_code)


def test_a_forged_or_unknown_session_cookie_is_refused(client, case_id):
    client.cookies.set(cookie_name(), "made-up-session-value")
    assert client.get("/queue").status_code == 303
    assert client.get(f"/cases/{case_id}/events").status_code == 401


@pytest.mark.parametrize("path", ["/solution/confirm", "/solution/adjust"])
def test_an_agent_cannot_confirm_or_adjust_a_solution(agent, fake_rasa, path):
    case_id = _case_with_offer()
    response = agent.post(f"/cases/{case_id}{path}", data={"csrf_token": csrf(agent), "arrangement_amount": "50",
                                                           "arrangement_months": "36"})
    assert response.status_code == 403
    assert fake_rasa.calls("/execute") == []


def test_an_agent_cannot_read_the_audit_log(agent):
    assert agent.get("/audit").status_code == 403


def _case_with_offer() -> int:
    from tests.console.conftest import handed_over_case
    return handed_over_case("rest:remission", reason="staff_confirmation:remission_arrangement",
                            offer={"solution": "remission_arrangement", "arrangement_amount": 60,
                                   "arrangement_months": 36, "agreed": False})


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_posts_without_the_right_csrf_token_are_refused(agent, case_id, fake_rasa, token):
    data = {"text": "hallo"} | ({"csrf_token": token} if token else {})
    for path in ("reply", "notes", "assign", "resolve", "handback"):
        assert agent.post(f"/cases/{case_id}/{path}", data=data).status_code == 403, path
    assert agent.post("/logout", data=data).status_code == 403
    assert fake_rasa.calls("/tracker/events") == []
    # The session token from another session does not work either (bound to the session).
    assert agent.post(f"/cases/{case_id}/notes", data={"text": "x"},
                      headers={"X-CSRF-Token": "a" * 43}).status_code == 403


def test_login_without_its_csrf_token_is_refused(client):
    client.get("/login")
    response = client.post("/login", data={"username": "agent", "password": "agent-password-123"})
    assert response.status_code == 403


def test_login_locks_the_account_after_repeated_failures(client, monkeypatch):
    from bot.config import settings
    monkeypatch.setenv("BETAALHULP_CONSOLE_MAX_FAILED_LOGINS", "3")
    settings.cache_clear()
    for _ in range(3):
        assert login(client, "agent", "wrong-password-000").status_code == 401
    # Locked: even the right password is refused now, with the same message.
    response = login(client, "agent")
    assert response.status_code == 401 and "Inloggen lukt niet" in response.text
    with session_scope() as session:
        user = session.execute(select(StaffUser).where(StaffUser.username == "agent")).scalar_one()
        assert user.locked_until is not None
        reasons = [e.detail["reason"] for e in session.execute(select(AuditEntry).where(
            AuditEntry.action == "login_failed")).scalars()]
    assert reasons == ["bad_password"] * 3 + ["locked"]
    # After the lockout period the right password works again.
    clock.set_clock(lambda: clock.datetime.now(clock.timezone.utc) + timedelta(minutes=16))
    try:
        assert login(client, "agent").status_code == 303
    finally:
        clock.set_clock(None)


def test_login_attempts_per_address_are_rate_limited(client, monkeypatch):
    from bot.config import settings
    monkeypatch.setenv("BETAALHULP_CONSOLE_LOGIN_ATTEMPTS_PER_IP", "4")
    settings.cache_clear()
    statuses = [login(client, name, "wrong-password-000").status_code for name in ("a", "b", "c", "d", "e")]
    assert statuses == [401, 401, 401, 401, 429]


def test_a_session_expires_after_the_idle_time(client, monkeypatch):
    from bot.config import settings
    monkeypatch.setenv("BETAALHULP_CONSOLE_SESSION_IDLE_MINUTES", "30")
    settings.cache_clear()
    assert login(client, "agent").status_code == 303
    assert client.get("/queue").status_code == 200
    clock.set_clock(lambda: clock.datetime.now(clock.timezone.utc) + timedelta(minutes=31))
    try:
        assert client.get("/queue").status_code == 303
    finally:
        clock.set_clock(None)
    with session_scope() as session:
        assert session.execute(select(StaffSession)).scalars().all() == []


def test_login_gives_a_new_session_id_and_logout_ends_it(client):
    page = client.get("/login")
    token = page.cookies.get("betaalhulp_console_login")
    response = client.post("/login", data={"username": "agent", "password": "agent-password-123",
                                           "csrf_token": token},
                           headers={"cookie": f"betaalhulp_console_login={token}; {cookie_name()}=planted"})
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    value = response.cookies.get(cookie_name())
    assert value and value != "planted"
    client.cookies.clear()
    client.cookies.set(cookie_name(), value)
    with session_scope() as session:
        stored = [s.id for s in session.execute(select(StaffSession)).scalars()]
    assert len(stored) == 1 and value not in stored  # only the hash is stored
    assert client.post("/logout", data={"csrf_token": csrf(client)}).status_code == 303
    client.cookies.clear()
    client.cookies.set(cookie_name(), value)
    assert client.get("/queue").status_code == 303


def test_secure_cookies_when_configured(app, monkeypatch):
    from bot.config import settings
    monkeypatch.setenv("BETAALHULP_CONSOLE_COOKIE_SECURE", "true")
    settings.cache_clear()
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        response = login(client, "agent")
        assert response.status_code == 303
        assert client.get("/queue").headers["strict-transport-security"]
    assert "__Host-betaalhulp_console=" in response.headers["set-cookie"]
    assert "Secure" in response.headers["set-cookie"]


def test_security_headers_on_pages_errors_and_static_files(client, agent, case_id):
    for path in ("/login", "/queue", f"/cases/{case_id}", "/static/console.js", "/nothing-here"):
        headers = agent.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
    assert agent.get("/queue").headers["cache-control"] == "no-store"


def test_pages_have_no_inline_scripts_or_styles(agent, case_id):
    for path in ("/queue", f"/cases/{case_id}", "/login"):
        html = agent.get(path).text
        assert "<script>" not in html and "style=" not in html and "<style" not in html
        assert 'src="/static/console.js"' in html


def test_views_of_customer_data_are_audited(agent, case_id):
    agent.get("/queue")
    agent.get(f"/cases/{case_id}")
    with agent.stream("GET", f"/cases/{case_id}/events") as response:
        for _ in response.iter_lines():
            pass
    with session_scope() as session:
        entries = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
    actions = [(e.action, e.case_id) for e in entries]
    assert ("login", None) in actions
    assert ("view_queue", None) in actions and ("view_case", case_id) in actions
    assert ("stream_case", case_id) in actions
    assert all(e.user_id is not None for e in entries)
    # No customer name or number in the audit details.
    assert not any("100002" in str(e.detail) or "Amrani" in str(e.detail) for e in entries)
