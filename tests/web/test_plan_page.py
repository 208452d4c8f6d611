"""The plan page over HTTP (Starlette's TestClient, a real migrated SQLite database, the local
payment provider's webhook delivered in process, Rasa's HTTP API answered by a mock transport)."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from bot import clock
from bot.config import settings
from bot.followup.plan_links import plan_token
from bot.rasa_api import RasaApi
from bot.store.db import session_scope
from bot.store.models import Payment
from bot.web.app import create_app
from tests.rasa_auth import signed_by
from tests.web.test_plan_rules import DUE, instalments, make_arrangement, outcome_events

pytestmark = pytest.mark.timeout(60)
SENDER = "rest:plan-klant"


class RasaMock:
    """Answers like Rasa's HTTP API, or fails the way a stopped or broken Rasa does."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.mode = "up"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.mode == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        if self.mode == "503":
            return httpx.Response(503, json={"status": "failure"})
        return httpx.Response(200, json={"tracker": {}, "messages": []})

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]


class Site:
    def __init__(self, database: str, client: TestClient, rasa: RasaMock) -> None:
        self.database, self.client, self.rasa = database, client, rasa
        self.arrangement = make_arrangement(database, sender=SENDER)
        self.token = plan_token(self.arrangement)
        self.base = f"/plan/{self.token}"

    def page(self, path: str = "") -> httpx.Response:
        response = self.client.get(self.base + path)
        assert response.status_code == 200, response.text
        return response

    def form_token(self) -> str:
        return re.search(r'name="csrf" value="([^"]+)"', self.page().text).group(1)

    def post(self, action: str, **fields) -> httpx.Response:
        return self.client.post(f"{self.base}/{action}", data={"csrf": self.form_token(), **fields},
                                follow_redirects=False)


@pytest.fixture
def site(database, fixed_clock, monkeypatch):
    monkeypatch.setenv("BETAALHULP_WEB_SECRET", "plan-page-test-secret")
    settings.cache_clear()
    rasa = RasaMock()
    app = create_app(database_url=database, run_retry_loop=False,
                     rasa=RasaApi(base_url="http://rasa.test", token="t", transport=httpx.MockTransport(rasa)))
    app.state.local_webhook_transport = httpx.ASGITransport(app=app)
    with TestClient(app, base_url="http://localhost:8080") as client:
        yield Site(database, client, rasa)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def payments(database) -> int:
    with session_scope(database) as session:
        return session.execute(select(func.count(Payment.id))).scalar_one()


# -- the page ----------------------------------------------------------------------------------------
def test_the_page_shows_the_schedule_the_totals_and_the_contact_person(site):
    response = site.page()
    html, text = response.text, text_of(response.text)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY" and response.headers["referrer-policy"] == "no-referrer"
    assert '<html lang="nl">' in html and "<script" not in html and "style=" not in html
    assert "<h1>Je betalingsregeling</h1>" in html
    assert html.count('<th scope="col">') == 4 and html.count('<th scope="row">') == 3
    for due in ("1 december 2026", "1 januari 2027", "1 februari 2027"):
        assert due in text
    assert text.count("€ 250") >= 3 and text.count("Open") >= 3
    assert "Betaald € 0 Nog te betalen € 750 Totaal € 750" in text
    assert "Je hebt 0 van de 3 termijnen betaald." in text
    assert "Je vaste contactpersoon is Anouk" in text
    assert "Deze link werkt tot 22 december 2026" in text
    # Every form field has its label; the buttons say what they do.
    assert '<label for="move-days">' in html and 'id="move-days"' in html
    # The instalment to move is chosen by itself (number, date, amount), not by a place in a list.
    assert "<legend>Welke termijn?</legend>" in html and "Termijn 2: 1 januari 2027 (€ 250)" in text
    assert '<a href="http://testserver/#chat">in de chat</a>' in html or '/#chat">in de chat</a>' in html
    assert ">Termijn 1 betalen</button>" in html and ">Er is iets veranderd</button>" in html
    assert "Sanne" not in html and "Mohamed" not in html and "RK-100002" not in html  # no name, no loan number
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and f"Path=/plan/{site.token}" in cookie


def test_a_forged_link_gets_a_kind_403_and_an_expired_one_a_410(site):
    arrangement, expires, signature = site.token.split(".")
    forged = site.client.get(f"/plan/{int(arrangement) + 1}.{expires}.{signature}")
    assert forged.status_code == 403
    assert "Deze link klopt niet" in forged.text and "Vraag in de chat om een nieuwe link" in forged.text
    assert '<html lang="nl">' in forged.text and forged.headers["cache-control"] == "no-store"
    assert site.client.post("/plan/nonsense/move", data={}).status_code == 403

    later = clock.utcnow() + timedelta(days=31)
    clock.set_clock(lambda: later)  # the fixed_clock fixture puts the real clock back
    expired = site.client.get(site.base)
    assert expired.status_code == 410
    assert "Deze link werkt niet meer" in expired.text and "30 dagen" in expired.text
    assert "Vraag in de chat om een nieuwe link" in expired.text


def test_a_good_link_to_an_arrangement_that_is_gone(site):
    response = site.client.get(f"/plan/{plan_token(site.arrangement + 100)}")
    assert response.status_code == 404 and "We vinden je regeling niet" in response.text


# -- paying ------------------------------------------------------------------------------------------
def test_pay_an_instalment_on_the_test_page_and_it_shows_paid(site):
    first = instalments(site.database, site.arrangement)[0]
    asked = site.post("pay", instalment=str(first.id))
    assert asked.status_code == 303 and asked.headers["location"] == f"{site.base}/pay/{first.id}"
    public_id = instalments(site.database, site.arrangement)[0].payment_public_id
    pay_page = site.client.get(asked.headers["location"])
    assert pay_page.status_code == 200
    html = pay_page.text
    assert f'href="http://localhost:8080/pay/{public_id}"' in html
    assert f'src="http://localhost:8080/qr/{public_id}.png"' in html
    assert f'src="http://localhost:8080/qr/{public_id}/epc.png"' in html
    assert "TESTOMGEVING" in html and "NL91 ABNA 0417 1643 00" in html and 'alt="QR-code' in html
    assert site.client.get(f"/qr/{public_id}.png").headers["content-type"] == "image/png"

    # Pressing again makes no second payment.
    assert site.post("pay", instalment=str(first.id)).status_code == 303 and payments(site.database) == 1

    # The local provider's page (the existing one), then its webhook, in process.
    provider_page = site.client.get(f"/pay/{public_id}")
    token = re.search(r'name="csrf" value="([^"]+)"', provider_page.text).group(1)
    done = site.client.post(f"/pay/{public_id}", data={"csrf": token, "action": "pay", "amount": "250,00"},
                            follow_redirects=False)
    assert done.status_code == 303
    text = text_of(site.page().text)
    assert "Je hebt 1 van de 3 termijnen betaald." in text
    assert "Betaald € 250 Nog te betalen € 500" in text
    assert re.search(r"1 1 december 2026 € 250 Betaald", text)
    assert ">Termijn 2 betalen</button>" in site.page().text
    assert "Deze termijn is betaald" in site.client.get(f"{site.base}/pay/{first.id}").text
    # The customer hears it in their own conversation.
    assert f"/conversations/{SENDER}/execute" in site.rasa.paths()


def test_paying_needs_the_form_token_of_this_plan(site, database):
    first = instalments(site.database, site.arrangement)[0]
    site.page()  # the cookie of this plan is set
    assert site.client.post(f"{site.base}/pay", data={"instalment": str(first.id)}).status_code == 403
    other = make_arrangement(database, "100001", amounts=(210,), due=DUE[:1], sender="rest:iemand-anders")
    other_page = site.client.get(f"/plan/{plan_token(other)}")
    their_token = re.search(r'name="csrf" value="([^"]+)"', other_page.text).group(1)
    refused = site.client.post(f"{site.base}/pay", data={"csrf": their_token, "instalment": str(first.id)})
    assert refused.status_code == 403 and "Dit lukt niet" in refused.text
    # This plan's own token cannot pay the other plan's instalment either.
    [theirs] = instalments(database, other)
    foreign = site.post("pay", instalment=str(theirs.id))
    assert foreign.status_code == 404 and "hoort niet bij jouw regeling" in foreign.text
    assert payments(database) == 0


# -- moving ------------------------------------------------------------------------------------------
def test_move_an_instalment_after_a_check_and_only_once(site):
    first = instalments(site.database, site.arrangement)[0]
    check = site.post("move", instalment=str(first.id), days="14")
    assert check.status_code == 200
    assert "1 december 2026" in check.text and "15 december 2026" in check.text and "Weet je het zeker?" in check.text
    assert instalments(site.database, site.arrangement)[0].due_on == DUE[0]  # nothing changed yet

    token = re.search(r'name="csrf" value="([^"]+)"', check.text).group(1)
    done = site.client.post(f"{site.base}/move", data={"csrf": token, "instalment": str(first.id), "days": "14",
                                                       "confirm": "ja"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"{site.base}?gedaan=moved"
    text = text_of(site.client.get(done.headers["location"]).text)
    assert "Gelukt: je termijn is verzet." in text
    assert "15 december 2026 Verzet, was 1 december 2026" in text
    assert "Je hebt al een termijn verzet." in text
    assert [e.reason for e in outcome_events(site.database, "plan_changed")] == ["instalment_moved"]

    second = instalments(site.database, site.arrangement)[1]
    again = site.post("move", instalment=str(second.id), days="3", confirm="ja")
    assert again.status_code == 409 and "Dat kan één keer per regeling" in again.text
    assert instalments(site.database, site.arrangement)[1].due_on == DUE[1]


def test_more_than_14_days_is_refused_over_http(site):
    first = instalments(site.database, site.arrangement)[0]
    for days in ("15", "abc", ""):
        refused = site.post("move", instalment=str(first.id), days=days, confirm="ja")
        assert refused.status_code == 400 and "1 tot en met 14 dagen" in refused.text
    assert not outcome_events(site.database, "plan_changed")


# -- something changed -------------------------------------------------------------------------------
def test_something_changed_opens_a_reassessment_in_the_conversation_once(site):
    response = site.post("changed")
    assert response.status_code == 200
    assert "In de chat stellen we je een paar vragen" in text_of(response.text)
    [trigger] = site.rasa.requests
    assert trigger.url.path == f"/conversations/{SENDER}/trigger_intent"
    assert dict(trigger.url.params) == {"output_channel": "latest"}
    assert signed_by(trigger.headers["authorization"], "t")
    assert json.loads(trigger.read()) == {"name": "circumstances_changed", "entities": {}}
    [event] = outcome_events(site.database, "plan_changed")
    assert (event.reason, event.arrangement_id) == ("circumstances_changed", site.arrangement)

    again = site.post("changed")
    assert again.status_code == 200 and "We hebben je bericht al doorgegeven" in again.text
    assert len(site.rasa.requests) == 1 and len(outcome_events(site.database, "plan_changed")) == 1


@pytest.mark.parametrize("mode", ["503", "refused"])
def test_when_rasa_is_down_it_says_so_and_keeps_nothing(site, mode):
    site.rasa.mode = mode
    response = site.post("changed")
    assert response.status_code == 503
    assert "De chat is even niet bereikbaar" in response.text and "Er is niets veranderd" in response.text
    assert SENDER not in response.text
    assert not outcome_events(site.database, "plan_changed")
    site.rasa.mode = "up"
    assert site.post("changed").status_code == 200  # a later press works: nothing was left half-done
    assert len(outcome_events(site.database, "plan_changed")) == 1


def test_without_a_conversation_it_asks_to_start_one(site, database):
    lonely = make_arrangement(database, "100001", amounts=(210,), due=DUE[:1], sender=None)
    base = f"/plan/{plan_token(lonely)}"
    token = re.search(r'name="csrf" value="([^"]+)"', site.client.get(base).text).group(1)
    response = site.client.post(f"{base}/changed", data={"csrf": token})
    assert response.status_code == 409 and "Begin een gesprek in de chat" in response.text
    assert not site.rasa.requests
