"""The customer web app: payment page, webhooks, QR images, headers and limits (issue 4, R3)."""
from __future__ import annotations

import shutil
import subprocess

import pytest
from sqlalchemy import select

from bot.payments.qr import epc_payload
from bot.store.db import session_scope
from bot.store.models import Payment
from tests.payments.conftest import demo_loan, loan_state, payment_row

pytestmark = pytest.mark.timeout(60)
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def provider_id(database, public_id):
    with session_scope(database) as session:
        return session.execute(select(Payment.provider_id).where(Payment.public_id == public_id)).scalar()


def test_health_and_security_headers_everywhere(web):
    for path in ("/health", "/static/betaalhulp.css", "/nowhere", f"/pay/{UNKNOWN}"):
        response = web.client.get(path)
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["x-content-type-options"] == "nosniff"
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert web.client.get("/health").json() == {"status": "ok"}


def test_the_payment_page_is_dutch_accessible_and_marked_as_test(web):
    public_id = web.ask()
    page = web.client.get(f"/pay/{public_id}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    html = page.text
    assert '<html lang="nl">' in html and "TESTOMGEVING" in html and "€ 210" in html
    assert '<label for="amount">' in html and 'id="amount"' in html
    assert ">Betalen</button>" in html and ">Annuleren</button>" in html
    assert "<script" not in html and "style=" not in html  # the CSP allows neither
    assert "PE-100001" in html
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and f"Path=/pay/{public_id}" in cookie


def test_paying_drives_the_webhook_and_tells_the_customer(web):
    public_id = web.ask()
    response = web.press(public_id, "pay", "210,00")
    assert response.status_code == 303 and response.headers["location"] == f"/pay/{public_id}/done"
    row = payment_row(web.database, public_id)
    assert (row.status, row.amount_paid_cents) == ("paid", 21000)
    assert row.customer_notified_at is not None
    assert loan_state(web.database, demo_loan(web.database, "100001").loan_id) == (0, 0)
    assert [r.json() for r in web.rasa.requests] == [
        [{"event": "slot", "name": "payment_amount", "value": "€ 210"}], {"name": "utter_payment_received"},
        [{"event": "action", "name": "action_listen"}]]
    done = web.client.get(f"/pay/{public_id}/done")
    assert "Je betaling is gelukt" in done.text and "€ 210" in done.text
    # The page now shows the result instead of the buttons; pressing again changes nothing.
    assert ">Betalen</button>" not in web.client.get(f"/pay/{public_id}").text


def test_a_partial_payment_through_the_page(web):
    public_id = web.ask("100002", amount=75000)
    assert web.press(public_id, "pay", "250").status_code == 303
    assert loan_state(web.database, demo_loan(web.database, "100002").loan_id) == (50000, 2)
    assert web.rasa.requests[0].json()[0]["value"] == "€ 250"


def test_cancel_gets_the_kind_message(web):
    public_id = web.ask()
    assert web.press(public_id, "cancel").status_code == 303
    assert payment_row(web.database, public_id).status == "canceled"
    assert web.rasa.requests[1].json() == {"name": "utter_payment_failed"}
    assert loan_state(web.database, demo_loan(web.database, "100001").loan_id) == (21000, 1)


def test_the_form_needs_its_token(web):
    # Two conversations: within one, the newer link for the same amount would close the older.
    public_id, other = web.ask(), web.ask(key="turn-2", sender="rest:s2")
    token = web.form_token(public_id)
    no_token = web.client.post(f"/pay/{public_id}", data={"action": "pay", "amount": "210"})
    assert no_token.status_code == 403 and "form token" in no_token.text
    forged = web.client.post(f"/pay/{public_id}", data={"csrf": token + "x", "action": "pay", "amount": "210"})
    assert forged.status_code == 403
    web.form_token(other)  # the cookie for the other page
    elsewhere = web.client.post(f"/pay/{other}", data={"csrf": token, "action": "pay", "amount": "210"})
    assert elsewhere.status_code == 403 and "another payment" in elsewhere.text
    web.client.cookies.clear()
    no_cookie = web.client.post(f"/pay/{public_id}", data={"csrf": token, "action": "pay", "amount": "210"})
    assert no_cookie.status_code == 403
    assert payment_row(web.database, public_id).status == "open"


@pytest.mark.parametrize("action, amount, status", [("steal", "210", 400), ("pay", "0", 400), ("pay", "210,01", 400),
                                                    ("pay", "twee", 400), ("pay", "-5", 400)])
def test_bad_form_input_is_a_400(web, action, amount, status):
    public_id = web.ask()
    response = web.press(public_id, action, amount)
    assert response.status_code == status and "Reden:" in response.text
    assert payment_row(web.database, public_id).status == "open"


def test_webhook_input_errors(web):
    public_id = web.ask()
    post = web.client.post
    assert post("/webhooks/payments/local", data={}).status_code == 400
    assert post("/webhooks/payments/local", data={"id": "tr_123"}).status_code == 400
    assert post("/webhooks/payments/local", json={"id": "lp_" + "a" * 24}).status_code == 400
    unknown = post("/webhooks/payments/local", data={"id": "lp_" + "a" * 24})
    assert unknown.status_code == 404 and unknown.json() == {"error": "no payment with this id"}
    assert post("/webhooks/payments/paypal", data={"id": "x"}).status_code == 404
    assert post("/webhooks/payments/mollie", data={"id": "tr_WDqYK6vllg"}).status_code == 404
    assert post("/webhooks/payments/mollie", data={"id": "tr_WDqYK6vllg"}, params={"ref": "nonsense"}).status_code == 400
    assert web.client.get("/webhooks/payments/local").status_code == 405
    # An honest webhook before anything happened: 200, still open, nobody told.
    ok = post("/webhooks/payments/local", data={"id": provider_id(web.database, public_id)})
    assert ok.status_code == 200 and payment_row(web.database, public_id).status == "open"
    assert web.rasa.requests == []


def test_replayed_webhooks_change_nothing(web):
    public_id = web.ask()
    web.press(public_id, "pay", "210")
    for _ in range(3):
        replay = web.client.post("/webhooks/payments/local", data={"id": provider_id(web.database, public_id)})
        assert replay.status_code == 200
    assert loan_state(web.database, demo_loan(web.database, "100001").loan_id) == (0, 0)
    assert len(web.rasa.requests) == 3  # one slot event, one utter, one listen: told once


def test_oversized_bodies_are_refused(web):
    big = web.client.post("/webhooks/payments/local", data={"id": "x" * 20_000})
    assert big.status_code == 413 and "larger than" in big.json()["error"]


def zbar(png: bytes, tmp_path) -> bytes:
    assert shutil.which("zbarimg"), "run scripts/system_deps.sh (zbar-tools)"
    (tmp_path / "q.png").write_bytes(png)
    result = subprocess.run(["zbarimg", "--raw", "-q", "-Sbinary", str(tmp_path / "q.png")], capture_output=True,
                            timeout=30)
    return result.stdout.removesuffix(b"\n")


def test_qr_images(web, tmp_path):
    public_id = web.ask()
    link = web.client.get(f"/qr/{public_id}.png")
    assert link.status_code == 200 and link.headers["content-type"] == "image/png"
    assert zbar(link.content, tmp_path) == f"http://localhost:8080/pay/{public_id}".encode()
    epc = web.client.get(f"/qr/{public_id}/epc.png")
    row = payment_row(web.database, public_id)
    expected = epc_payload(name="Voorbeeld Lening B.V.", iban="NL91ABNA0417164300", bic="ABNANL2A",
                           amount_cents=21000, reference=row.reference)
    assert zbar(epc.content, tmp_path) == expected.encode()
    for path in (f"/qr/{UNKNOWN}.png", f"/qr/{UNKNOWN}/epc.png", "/qr/not-an-id.png", "/qr/../etc/epc.png"):
        assert web.client.get(path).status_code == 404, path
    web.press(public_id, "pay", "210")
    assert web.client.get(f"/qr/{public_id}.png").status_code == 410
    assert web.client.get(f"/qr/{public_id}/epc.png").status_code == 410


def test_unknown_pages(web):
    for path in (f"/pay/{UNKNOWN}", "/pay/nope", f"/pay/{UNKNOWN}/done"):
        response = web.client.get(path)
        assert response.status_code == 404 and 'lang="nl"' in response.text
    assert web.client.post(f"/pay/{UNKNOWN}", data={"action": "pay"}).status_code == 404


def test_mollie_webhook_while_mollie_is_down_is_a_503(database, rasa_server):
    """Mollie retries a webhook that did not get a 2xx; nothing changes meanwhile."""
    from starlette.testclient import TestClient

    from bot.payments.mollie import MollieProvider
    from bot.payments.service import request_payment
    from bot.rasa_api import RasaApi
    from bot.web.app import create_app
    from tests.payments.fake_mollie import FakeMollie
    from tests.payments.http_server import RecordingServer

    fake = FakeMollie()
    with RecordingServer(fake) as mollie:
        provider = MollieProvider(fake.api_key, api_url=mollie.url, public_url="http://localhost:8080",
                                  timeout=(1, 1))
        loan = demo_loan(database, "100001")
        with session_scope(database) as session:
            made = request_payment(session, customer_id=loan.customer_id, loan_id=loan.loan_id, amount_cents=21000,
                                   sender_id="rest:s1", channel="rest", idempotency_key="m1", provider=provider)
        app = create_app(database_url=database, rasa=RasaApi(base_url=rasa_server.url),
                         providers={"mollie": provider}, run_retry_loop=False)
        with TestClient(app) as client:
            assert client.get(f"/pay/{made.public_id}").status_code == 404  # Mollie hosts this page
            fake.mode = "down"
            down = client.post("/webhooks/payments/mollie", params={"ref": made.public_id},
                               data={"id": "tr_WDqYK6vllg"})
            assert down.status_code == 503 and down.headers["retry-after"] == "60"
            assert payment_row(database, made.public_id).status == "open"
            fake.mode = "ok"
            fake.mark_paid(payment_row(database, made.public_id).provider_id)
            again = client.post("/webhooks/payments/mollie", params={"ref": made.public_id},
                                data={"id": "tr_WDqYK6vllg"})
            assert again.status_code == 200
            done = client.get(f"/pay/{made.public_id}/done")
            assert "TESTOMGEVING" not in done.text and "gelukt" in done.text
    assert loan_state(database, loan.loan_id) == (0, 0)
    assert rasa_server.requests[-2].json() == {"name": "utter_payment_received"}
