"""Mollie's Payment Links API as a real HTTP server, answering with the shapes in Mollie's
documentation (docs.mollie.com: create/get payment link, handling errors)."""
from __future__ import annotations

import secrets
import time

from tests.payments.http_server import Recorded

DOCS = {"href": "https://docs.mollie.com/overview/handling-errors", "type": "text/html"}


def error(status: int, title: str, detail: str, field: str | None = None) -> tuple:
    body = {"status": status, "title": title, "detail": detail, "_links": {"documentation": DOCS}}
    if field:
        body["field"] = field
    return status, body, {}


class FakeMollie:
    """mode: "ok" | "down" (503 JSON) | "bad_gateway" (502 HTML from a proxy) | "slow" (timeout)."""

    def __init__(self, api_key: str = "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM") -> None:
        self.api_key = api_key
        self.links: dict[str, dict] = {}
        self.mode = "ok"
        self.slow_seconds = 2.0

    def link(self, data: dict, base: str) -> dict:
        token = secrets.token_urlsafe(16).replace("-", "a").replace("_", "b")
        return {
            "resource": "payment-link", "id": f"pl_{token}", "mode": "test",
            "description": data["description"], "amount": data["amount"], "archived": False,
            "redirectUrl": data.get("redirectUrl"), "webhookUrl": data.get("webhookUrl"),
            "profileId": "pfl_QkEhN94Ba", "createdAt": "2026-11-22T10:00:00+00:00", "paidAt": None,
            "expiresAt": data.get("expiresAt"), "reusable": False,
            "_links": {
                "self": {"href": f"{base}/v2/payment-links/pl_{token}", "type": "application/hal+json"},
                "paymentLink": {"href": f"https://payment-links.mollie.com/payment/{token}", "type": "text/html"},
                "documentation": {"href": "https://docs.mollie.com/reference/create-payment-link",
                                  "type": "text/html"},
            },
        }

    def __call__(self, request: Recorded) -> tuple:
        if self.mode == "down":
            return error(503, "Service Unavailable", "The service is temporarily unavailable.")
        if self.mode == "bad_gateway":
            return 502, "<html><body><h1>502 Bad Gateway</h1></body></html>", {"content-type": "text/html"}
        if self.mode == "slow":
            time.sleep(self.slow_seconds)
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return error(401, "Unauthorized Request", "Missing authentication, or failed to authenticate")
        if request.method == "POST" and request.path == "/v2/payment-links":
            data = request.json()
            if float(data["amount"]["value"]) < 0.01:
                return error(422, "Unprocessable Entity", "The amount is lower than the minimum", "amount")
            link = self.link(data, f"http://{request.headers['host']}")
            self.links[link["id"]] = link
            return 201, link, {}
        if request.method == "GET" and request.path.startswith("/v2/payment-links/"):
            link = self.links.get(request.path.rsplit("/", 1)[1])
            if link is None:
                return error(404, "Not Found", "No payment link exists with token "
                                               f"{request.path.rsplit('/', 1)[1]}.")
            return 200, link, {}
        return error(404, "Not Found", "The resource does not exist")

    def mark_paid(self, link_id: str, at: str = "2026-11-22T10:05:00+00:00") -> None:
        self.links[link_id]["paidAt"] = at
