"""The plan page and the payment pages in the customer's language (issue 27)."""
from __future__ import annotations

import re

from bot import customer_language
from bot.store.db import session_scope
from bot.store.models import Arrangement
from tests.web.test_plan_page import site, text_of  # noqa: F401 - the fixture is re-used here


def speak_english(site) -> None:  # noqa: F811 - the fixture object, passed on
    with session_scope(site.database) as session:
        customer_language.remember(session, session.get(Arrangement, site.arrangement).customer_id, "en")


def test_the_plan_page_in_english_for_an_english_customer(site):  # noqa: F811
    dutch = text_of(site.page().text)
    assert "Je hebt 0 van de 3 termijnen betaald." in dutch
    speak_english(site)
    response = site.page()
    html, text = response.text, text_of(response.text)
    assert '<html lang="en">' in html and "<h1>Your payment plan</h1>" in html
    assert "You have paid 0 of the 3 instalments." in text
    assert "Paid €0 Still to pay €750 Total €750" in text
    for due in ("1 December 2026", "1 January 2027", "1 February 2027"):
        assert due in text
    assert "This link works until 22 December 2026" in text and "Your own contact person is Anouk" in text
    assert ">Pay instalment 1</button>" in html and ">Something has changed</button>" in html
    assert "3 days later" in html and "termijn" not in text.lower()


def test_the_payment_pages_in_english(site):  # noqa: F811
    speak_english(site)
    instalment = re.search(r'name="instalment" value="(\d+)"', site.page().text).group(1)
    pay = site.post("pay", instalment=instalment)
    assert pay.status_code == 303
    view = site.client.get(pay.headers["location"]).text
    assert "<h1>Pay instalment 1</h1>" in view and "Bank transfer" in view and "1 December 2026" in view
    checkout = re.search(r'href="https?://[^/"]+(/pay/[0-9a-f-]+)"', view).group(1)
    page = site.client.get(checkout).text
    assert '<html lang="en">' in page and "<h1>Pay</h1>" in page and "Amount in euros" in page
    assert "€250" in page and ">Cancel</button>" in page
    done = site.client.get(checkout + "/done").text
    assert "We are still waiting for the confirmation of your payment." in done
