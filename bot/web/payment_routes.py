"""Payment pages (local test provider), payment webhooks and QR images (issue 4, R3)."""
from __future__ import annotations

import asyncio
import logging
import re
import uuid
from decimal import Decimal

from sqlalchemy import select
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.config import settings
from bot.language.choice import DEFAULT
from bot.language.values import localise
from bot.money import format_euro
from bot.payments import qr
from bot.payments.local import LocalProvider
from bot.payments.notify import notify_customer
from bot.payments.providers import PaymentProvider, ProviderError, UnknownProviderPayment, provider_for
from bot.payments.webhook import MalformedWebhook, UnknownPayment, process_webhook
from bot.store.db import session_scope
from bot.store.models import Payment
from bot.web import page_language
from bot.web.security import CSRF_COOKIE, CSRF_MAX_AGE

log = logging.getLogger(__name__)

PROVIDERS = ("mollie", "local")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_AMOUNT = re.compile(r"^\s*(?:€\s*)?(\d{1,9})(?:[.,](\d{1,2}))?\s*$")
STATUS_TEXT = {
    "open": "We wachten nog op de bevestiging van je betaling.",
    "paid": "Je betaling is gelukt. Dank je wel!",
    "failed": "Je betaling is niet gelukt. Er is geen geld afgeschreven.",
    "canceled": "Je hebt de betaling afgebroken. Er is geen geld afgeschreven.",
    "expired": "Deze betaallink is verlopen. Vraag in de chat gerust om een nieuwe.",
}


def provider_named(app, name: str) -> PaymentProvider:
    """The injected provider (tests) or the configured one; built per use, as it holds no state."""
    if name in app.state.providers:
        return app.state.providers[name]
    if name == "local":
        return LocalProvider(public_url=settings().public_url, database_url=app.state.database_url)
    return provider_for(name)


def _payment(public_id: str, database_url: str | None) -> dict | None:
    """A plain snapshot of the payment, or None; malformed ids are simply unknown."""
    try:
        public_id = str(uuid.UUID(public_id))
    except ValueError:
        return None
    with session_scope(database_url) as session:
        payment = session.execute(select(Payment).where(Payment.public_id == public_id)).scalar_one_or_none()
        if payment is None:
            return None
        return {column: getattr(payment, column) for column in (
            "public_id", "provider", "provider_id", "amount_cents", "amount_paid_cents", "description",
            "reference", "checkout_url", "status", "credit_cents", "customer_id")}


async def _load(request: Request) -> dict:
    payment = await asyncio.to_thread(_payment, request.path_params["public_id"], request.app.state.database_url)
    if payment is None:
        raise HTTPException(404, "unknown payment")
    return payment


def _page(request: Request, name: str, context: dict, status_code: int = 200, language: str = DEFAULT) -> Response:
    """A page in the customer's language (bot/web/page_language.py): its template and its values."""
    config = settings()
    response = request.app.state.templates.TemplateResponse(
        request, page_language.template_for(name, language),
        {"lender_name": config.lender_name, "page_language": language, **context}, status_code=status_code)
    response.headers["cache-control"] = "no-store"
    return response


def _parse_amount(raw: str | None, maximum: int) -> int:
    match = _AMOUNT.match(raw or "")
    if not match:
        raise ValueError("amount must look like 210 or 210,00")
    cents = int(Decimal(match.group(1)) * 100 + Decimal((match.group(2) or "0").ljust(2, "0")))
    if not 1 <= cents <= maximum:
        raise ValueError("amount must be more than 0 and at most the amount asked")
    return cents


# -- the local provider's payment page ---------------------------------------------------------
async def pay_page(request: Request) -> Response:
    payment = await _load(request)
    if payment["provider"] != "local":
        raise HTTPException(404, "this payment is not paid on this site")
    tokens = request.app.state.tokens
    nonce = tokens.new_nonce()
    language = await _language(request, payment)
    response = _page(request, "pay.html", {
        "payment": _shown(payment, language), "amount": localise(format_euro(payment["amount_cents"]), language),
        "amount_input": f"{payment['amount_cents'] // 100},{payment['amount_cents'] % 100:02d}",
        "status_text": _status_text(payment, language), "form_token": tokens.token(payment["public_id"], nonce)},
        language=language)
    response.set_cookie(CSRF_COOKIE, nonce, max_age=CSRF_MAX_AGE, path=f"/pay/{payment['public_id']}",
                        httponly=True, samesite="strict", secure=settings().public_url.startswith("https://"))
    return response


async def pay_action(request: Request) -> Response:
    payment = await _load(request)
    if payment["provider"] != "local" or not payment["provider_id"]:
        raise HTTPException(404, "this payment is not paid on this site")
    form = await _form(request)
    reason = request.app.state.tokens.check(form.get("csrf"), payment["public_id"], request.cookies.get(CSRF_COOKIE))
    if reason:
        raise HTTPException(403, reason)
    action = form.get("action")
    if action not in ("pay", "cancel"):
        raise HTTPException(400, "action must be pay or cancel")
    try:
        amount = _parse_amount(form.get("amount"), payment["amount_cents"]) if action == "pay" else None
    except ValueError as error:
        raise HTTPException(400, str(error)) from error
    provider = provider_named(request.app, "local")
    if not isinstance(provider, LocalProvider):
        raise HTTPException(404, "the local payment provider is not in use")
    try:
        await asyncio.to_thread(provider.complete, payment["provider_id"], action, amount)
    except UnknownProviderPayment as error:
        raise HTTPException(404, "unknown payment") from error
    except ValueError as error:
        raise HTTPException(400, str(error)) from error
    # Like Mollie: the provider calls our webhook, which fetches the status back.
    task = BackgroundTask(provider.deliver_webhook, payment["provider_id"],
                          transport=request.app.state.local_webhook_transport)
    return RedirectResponse(f"/pay/{payment['public_id']}/done", status_code=303, background=task)


async def pay_done(request: Request) -> Response:
    payment = await _load(request)
    language = await _language(request, payment)
    amount = format_euro(payment["amount_paid_cents"] or payment["amount_cents"])
    return _page(request, "done.html", {"payment": _shown(payment, language), "status_text": _status_text(payment, language),
                                        "amount": localise(amount, language),
                                        "credit": localise(format_euro(payment["credit_cents"] or 0), language),
                                        "local": payment["provider"] == "local"}, language=language)


async def _language(request: Request, payment: dict) -> str:
    return await asyncio.to_thread(page_language.language_of_customer, payment["customer_id"],
                                   request.app.state.database_url)


def _shown(payment: dict, language: str) -> dict:
    """The payment as the page shows it: its description in the customer's language."""
    return {**payment, "description": localise(payment["description"], language)}


def _status_text(payment: dict, language: str) -> str:
    return page_language.text(language, "payment_status", payment["status"], STATUS_TEXT[payment["status"]])


# -- webhooks ----------------------------------------------------------------------------------
async def _form(request: Request) -> dict:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in FORM_TYPES:
        raise HTTPException(400, "expected a form body (application/x-www-form-urlencoded)")
    try:
        form = await request.form(max_files=0, max_fields=20)
    except Exception as error:  # noqa: BLE001 - any parse failure is the sender's malformed body
        raise HTTPException(400, "malformed form body") from error
    return {key: value for key, value in form.items() if isinstance(value, str)}


async def payment_webhook(request: Request) -> Response:
    provider_name = request.path_params["provider"]
    if provider_name not in PROVIDERS:
        raise HTTPException(404, "unknown payment provider")
    form = await _form(request)
    app = request.app
    try:
        result = await asyncio.to_thread(process_webhook, provider_name, form.get("id"), request.query_params.get("ref"),
                                         provider_factory=lambda name: provider_named(app, name),
                                         database_url=app.state.database_url)
    except MalformedWebhook as error:
        raise HTTPException(400, str(error)) from error
    except UnknownPayment as error:
        raise HTTPException(404, str(error)) from error
    except ProviderError as error:
        # 503 makes Mollie try again later; nothing was changed.
        log.warning("payment webhook (%s): provider not available: %s", provider_name, error)
        return JSONResponse({"error": "payment provider not available, try again later"}, 503,
                            headers={"retry-after": "60"})
    task = None
    if result.outcome.changed:
        task = BackgroundTask(notify_customer, result.public_id, rasa=app.state.rasa,
                              database_url=app.state.database_url)
    return PlainTextResponse("OK", background=task)


# -- QR images ---------------------------------------------------------------------------------
def _png(data: bytes) -> Response:
    # Fetched by messaging providers to show in the chat; private, short-lived caching only.
    return Response(data, media_type="image/png", headers={"cache-control": "private, max-age=300"})


async def link_qr(request: Request) -> Response:
    payment = await _load(request)
    if payment["status"] != "open" or not payment["checkout_url"]:
        raise HTTPException(410, "this payment link can no longer be used")
    return _png(await asyncio.to_thread(qr.link_qr_png, payment["checkout_url"]))


async def epc_qr(request: Request) -> Response:
    payment = await _load(request)
    if payment["status"] == "paid":
        raise HTTPException(410, "this payment has been paid")
    config = settings()
    try:
        png = await asyncio.to_thread(qr.epc_qr_png, name=config.lender_name, iban=config.lender_iban,
                                      bic=config.lender_bic, amount_cents=payment["amount_cents"],
                                      reference=payment["reference"])
    except ValueError as error:
        # Our own lender settings are wrong, not the request: say so plainly.
        log.error("EPC QR cannot be made: %s", error)
        raise HTTPException(503, "transfer QR not available") from error
    return _png(png)


# -- errors ------------------------------------------------------------------------------------
async def http_error(request: Request, error: HTTPException) -> Response:
    if request.url.path.startswith("/pay/"):
        # People read these pages: the reason in plain Dutch-framed HTML, never a bare 500.
        return _page(request, "message.html", {"title": "Dit lukt niet", "reason": error.detail},
                     status_code=error.status_code)
    return JSONResponse({"error": error.detail}, error.status_code, headers=error.headers)


def exception_handlers() -> dict:
    return {HTTPException: http_error}


def routes() -> list[Route]:
    return [
        Route("/pay/{public_id}", pay_page, methods=["GET"]),
        Route("/pay/{public_id}", pay_action, methods=["POST"]),
        Route("/pay/{public_id}/done", pay_done, methods=["GET"]),
        Route("/webhooks/payments/{provider}", payment_webhook, methods=["POST"]),
        Route("/qr/{public_id}.png", link_qr, methods=["GET"]),
        Route("/qr/{public_id}/epc.png", epc_qr, methods=["GET"]),
    ]
