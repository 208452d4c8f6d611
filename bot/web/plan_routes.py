"""The customer's plan page (issue 10, section 4; R3, R4, R23).

Reached through a signed link that expires (`bot.followup.plan_links`), no password. It shows
the schedule, what is paid and what is open, the named contact person, and lets the customer
pay an instalment, move one instalment a little (limits in `bot/followup/plan_page.yml`), and say
that something has changed, which opens a reassessment in their own conversation.

Routes (every form carries a signed token bound to a SameSite=Strict cookie, as on /pay/):
  GET  /plan/{token}                       the page
  POST /plan/{token}/pay                   ask a payment for an instalment, then to the page below
  GET  /plan/{token}/pay/{instalment_id}   the payment link, its QR code and the transfer details
  POST /plan/{token}/move                  first the check ("weet je het zeker?"), then the move
  POST /plan/{token}/changed               "Er is iets veranderd"

The rules live in plain functions over a session (bot/web/plan_rules.py), so they
are tested without HTTP. Logs name arrangements and instalments by id only.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import re
from datetime import date, datetime, timedelta
from typing import Any, Awaitable, Callable

import httpx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot import clock, customer_language
from bot.config import settings
from bot.followup.plan_links import LinkRefused, PlanAccess, PlanPolicy, check_token, policy
from bot.formatting import format_date_nl
from bot.language.choice import DEFAULT
from bot.language.values import localise
from bot.money import format_euro
from bot.outcomes import events
from bot.payments.providers import ProviderError
from bot.payments.qr import group_in_fours
from bot.rasa_api import RasaApi, RasaUnavailable
from bot.store.db import session_scope
from bot.store.models import Arrangement, Instalment, OutcomeEvent, Payment
from bot.web import page_language
from bot.web.payment_routes import _form, provider_named
from bot.web.plan_rules import (
    Moved,
    PlanRefused,
    move_instalment,
    move_refusal,
    moves_used_on,
    pay_instalment,
    refusal_text,
)
from bot.web.security import CSRF_COOKIE, CSRF_MAX_AGE

log = logging.getLogger(__name__)

CIRCUMSTANCES_INTENT = "circumstances_changed"
_NUMBER = re.compile(r"^[0-9]{1,9}$")

DONE_MESSAGES = {"moved": "Gelukt: je termijn is verzet. Je ziet de nieuwe datum hieronder."}
STATUS_TEXT = {"paid": "Betaald", "open": "Open", "missed": "Gemist"}


# -- what the page shows -----------------------------------------------------------------------------
def _days_text(days: int) -> str:
    return "1 dag later" if days == 1 else f"{days} dagen later"


def _plan_view(session: Session, arrangement_id: int, today: date, rules: PlanPolicy) -> dict[str, Any] | None:
    arrangement = session.get(Arrangement, arrangement_id)
    if arrangement is None:
        return None
    instalments = list(arrangement.instalments)
    active = arrangement.status == "active"
    moves_used = sum(1 for i in instalments if i.moved_at is not None)
    rows = []
    for i in instalments:
        status_text = STATUS_TEXT.get(i.status, i.status)
        part = None
        if i.status != "paid" and i.paid_cents > 0:
            part = f"{format_euro(i.paid_cents)} betaald, nog {format_euro(i.amount_cents - i.paid_cents)}"
        rows.append({
            "id": i.id, "number": i.number, "status": i.status, "status_text": status_text, "part": part,
            "due": format_date_nl(i.due_on), "amount": format_euro(i.amount_cents),
            "moved_from": format_date_nl(i.original_due_on) if i.moved_at is not None else None,
            "movable": move_refusal(arrangement, i, 1, today=today, moves_used=moves_used, rules=rules) is None,
        })
    total = sum(i.amount_cents for i in instalments)
    paid = sum(min(i.paid_cents, i.amount_cents) for i in instalments)
    unpaid = next((i for i in instalments if i.status != "paid"), None) if active else None
    return {
        "language": customer_language.language_for(session, arrangement.customer_id),
        "title": rules.solution_name(arrangement.solution), "active": active,
        "contact_person": arrangement.contact_person, "rows": rows,
        "paid_total": format_euro(paid), "open_total": format_euro(total - paid), "total": format_euro(total),
        "paid_count": sum(1 for i in instalments if i.status == "paid"), "count": len(instalments),
        "all_paid": bool(instalments) and all(i.status == "paid" for i in instalments),
        "next": None if unpaid is None else {
            "id": unpaid.id, "number": unpaid.number, "due": format_date_nl(unpaid.due_on),
            "amount": format_euro(unpaid.amount_cents - unpaid.paid_cents), "missed": unpaid.status == "missed"},
        "moves_left": max(0, rules.moves_per_arrangement - moves_used) if active else 0,
        "moves_used": moves_used, "movable": [r for r in rows if r["movable"]],
        "day_choices": [(d, _days_text(d)) for d in range(1, rules.move_max_days + 1)],
        "max_days": rules.move_max_days,
    }


def _pay_view(session: Session, arrangement_id: int, instalment_id: int) -> dict[str, Any] | None:
    instalment = session.get(Instalment, instalment_id)
    if instalment is None or instalment.arrangement_id != arrangement_id or not instalment.payment_public_id:
        return None
    payment = session.execute(select(Payment).where(Payment.public_id == instalment.payment_public_id)
                              ).scalar_one_or_none()
    if payment is None:
        return None
    config = settings()
    base = config.public_url
    return {
        "language": customer_language.language_for(session, payment.customer_id),
        "number": instalment.number, "due": format_date_nl(instalment.due_on),
        "instalment_paid": instalment.status == "paid", "status": payment.status,
        "amount": format_euro(payment.amount_cents), "checkout_url": payment.checkout_url,
        "link_qr": f"{base}/qr/{payment.public_id}.png", "epc_qr": f"{base}/qr/{payment.public_id}/epc.png",
        "reference": group_in_fours(payment.reference), "iban": group_in_fours(config.lender_iban),
        "local": payment.provider == "local",
    }


def _recently_asked(session: Session, arrangement_id: int, since: datetime) -> bool:
    return session.execute(select(OutcomeEvent.id).where(
        OutcomeEvent.kind == "plan_changed", OutcomeEvent.arrangement_id == arrangement_id,
        OutcomeEvent.reason == "circumstances_changed", OutcomeEvent.at >= since).limit(1)).first() is not None


def _circumstances_target(database_url: str | None, arrangement_id: int, rules: PlanPolicy) -> dict | None:
    since = clock.utcnow() - timedelta(minutes=rules.circumstances_repeat_minutes)
    with session_scope(database_url) as session:
        arrangement = session.get(Arrangement, arrangement_id)
        if arrangement is None:
            return None
        return {"sender_id": arrangement.sender_id, "recent": _recently_asked(session, arrangement_id, since)}


def _record_circumstances(database_url: str | None, arrangement_id: int, rules: PlanPolicy) -> None:
    with session_scope(database_url) as session:
        arrangement = session.get(Arrangement, arrangement_id)
        events.record(session, "plan_changed", customer_id=arrangement.customer_id, arrangement_id=arrangement.id,
                      reason="circumstances_changed", policy_version=rules.version, via="plan_page")


# -- HTTP --------------------------------------------------------------------------------------------
def _page(request: Request, name: str, context: dict, status_code: int = 200, language: str = DEFAULT) -> Response:
    response = request.app.state.templates.TemplateResponse(
        request, page_language.template_for(name, language),
        {"lender_name": settings().lender_name, "page_language": language, **context}, status_code=status_code)
    response.headers["cache-control"] = "no-store"
    return response


def _message(request: Request, status: int, title: str, text: str, *, back: str | None = None) -> Response:
    return _page(request, "plan_message.html", {"title": title, "text": text, "back": back}, status_code=status)


def _link_refused(request: Request, error: LinkRefused) -> Response:
    if error.status == 410:
        return _message(request, 410, "Deze link werkt niet meer",
                        f"Een link naar je plan werkt {policy().link_valid_days} dagen. Deze is verlopen. "
                        "Vraag in de chat om een nieuwe link. Dan kun je meteen weer verder.")
    return _message(request, 403, "Deze link klopt niet",
                    "Misschien is de link niet helemaal goed overgenomen. Open de link opnieuw vanuit je bericht. "
                    "Lukt dat niet? Vraag in de chat om een nieuwe link.")


def _base(token: str) -> str:
    return f"/plan/{token}"


def _form_binding(access: PlanAccess) -> str:
    return f"plan:{access.arrangement_id}"


def _number(raw: str | None) -> int | None:
    return int(raw) if raw and _NUMBER.match(raw) else None


Handler = Callable[[Request, PlanAccess], Awaitable[Response]]


def _plan_route(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Checks the link first; every failure becomes a kind Dutch page, never a bare error."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        try:
            access = check_token(request.path_params["token"])
        except LinkRefused as error:
            return _link_refused(request, error)
        try:
            return await handler(request, access)
        except HTTPException as error:
            return _message(request, error.status_code, "Dit lukt niet",
                            "Er ging iets mis met je verzoek. Ga terug naar je plan en probeer het opnieuw.",
                            back=_base(request.path_params["token"]))
        except Exception:  # noqa: BLE001 - a person reads this page: a kind answer, the detail in the log
            log.exception("plan page failed for arrangement %s", access.arrangement_id)
            return _message(request, 500, "Er ging iets mis",
                            "Er ging bij ons iets mis. Probeer het over een paar minuten opnieuw, "
                            "of vraag in de chat om hulp.", back=_base(request.path_params["token"]))

    return endpoint


async def _checked_form(request: Request, access: PlanAccess) -> dict:
    form = await _form(request)
    reason = request.app.state.tokens.check(form.get("csrf"), _form_binding(access), request.cookies.get(CSRF_COOKIE))
    if reason:
        raise HTTPException(403, reason)
    return form


def _gone(request: Request) -> Response:
    return _message(request, 404, "We vinden je regeling niet",
                    "Deze regeling bestaat niet meer. Vraag in de chat wat je kunt doen.")


@_plan_route
async def plan_page(request: Request, access: PlanAccess) -> Response:
    rules = policy()
    view = await asyncio.to_thread(_read, request.app.state.database_url,
                                   lambda s: _plan_view(s, access.arrangement_id, clock.today(), rules))
    if view is None:
        return _gone(request)
    tokens = request.app.state.tokens
    nonce = request.cookies.get(CSRF_COOKIE) or tokens.new_nonce()
    token = request.path_params["token"]
    # In the customer's language (issue 27): the template, and the values the view computed.
    language = view.pop("language")
    done = request.query_params.get("gedaan", "")
    response = _page(request, "plan.html", {
        "plan": page_language.localised(view, language), "base": _base(token),
        "form_token": tokens.token(_form_binding(access), nonce),
        "done": page_language.text(language, "plan_done", done, DONE_MESSAGES[done]) if done in DONE_MESSAGES else None,
        "link_valid_until": localise(format_date_nl(access.expires_at.astimezone(clock.AMSTERDAM).date()), language),
        # The chat where a question goes: the widget opens itself at #chat (issue 26).
        "chat_url": f"{settings().public_url}/#chat"},
        language=language)
    response.set_cookie(CSRF_COOKIE, nonce, max_age=CSRF_MAX_AGE, path=_base(token), httponly=True,
                        samesite="strict", secure=settings().public_url.startswith("https://"))
    return response


def _read(database_url: str | None, read: Callable[[Session], Any]) -> Any:
    with session_scope(database_url) as session:
        return read(session)


def _pay(app, access: PlanAccess, instalment_id: int) -> str:
    for attempt in (1, 2):
        try:
            provider = provider_named(app, settings().payment_provider)
        except ProviderError as error:
            log.warning("arrangement %s: no payment provider: %s", access.arrangement_id, error)
            raise PlanRefused("no_payment") from error
        try:
            with session_scope(app.state.database_url) as session:
                return pay_instalment(session, access.arrangement_id, instalment_id, provider=provider)
        except IntegrityError:
            # A double click made the same payment at the same moment: the second try finds it.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@_plan_route
async def pay(request: Request, access: PlanAccess) -> Response:
    form = await _checked_form(request, access)
    instalment_id = _number(form.get("instalment"))
    token = request.path_params["token"]
    if instalment_id is None:
        raise HTTPException(400, "instalment missing")
    try:
        await asyncio.to_thread(_pay, request.app, access, instalment_id)
    except PlanRefused as refused:
        status, text = refusal_text(refused.reason)
        return _message(request, status, "Betalen lukt nu niet", text, back=_base(token))
    return RedirectResponse(f"{_base(token)}/pay/{instalment_id}", status_code=303)


@_plan_route
async def pay_page(request: Request, access: PlanAccess) -> Response:
    instalment_id = _number(request.path_params["instalment_id"])
    token = request.path_params["token"]
    view = None
    if instalment_id is not None:
        view = await asyncio.to_thread(_read, request.app.state.database_url,
                                       lambda s: _pay_view(s, access.arrangement_id, instalment_id))
    if view is None:
        return _message(request, 404, "Deze betaling vinden we niet",
                        "Ga terug naar je plan en kies daar Betalen.", back=_base(token))
    language = view.pop("language")
    view.update(amount=localise(view["amount"], language), due=localise(view["due"], language))
    return _page(request, "plan_pay.html", {"pay": view, "base": _base(token)}, language=language)


def _move(database_url: str | None, access: PlanAccess, instalment_id: int, days: int | None, confirm: bool):
    rules = policy()
    with session_scope(database_url) as session:
        if confirm:
            return move_instalment(session, access.arrangement_id, instalment_id, days, rules=rules)
        arrangement = session.get(Arrangement, access.arrangement_id)
        if arrangement is None:
            raise PlanRefused("unknown")
        instalment = session.get(Instalment, instalment_id)
        reason = move_refusal(arrangement, instalment, days, today=clock.today(),
                              moves_used=moves_used_on(session, arrangement.id), rules=rules)
        if reason:
            raise PlanRefused(reason)
        return Moved(instalment.id, instalment.number, instalment.due_on,
                     instalment.due_on + timedelta(days=days), days)


@_plan_route
async def move(request: Request, access: PlanAccess) -> Response:
    form = await _checked_form(request, access)
    token = request.path_params["token"]
    instalment_id, days = _number(form.get("instalment")), _number(form.get("days"))
    if instalment_id is None:
        raise HTTPException(400, "instalment missing")
    confirm = form.get("confirm") == "ja"
    try:
        moved = await asyncio.to_thread(_move, request.app.state.database_url, access, instalment_id, days, confirm)
    except PlanRefused as refused:
        status, text = refusal_text(refused.reason)
        return _message(request, status, "Verzetten lukt niet", text, back=_base(token))
    if confirm:
        return RedirectResponse(f"{_base(token)}?gedaan=moved", status_code=303)
    return _page(request, "plan_move.html", {
        "base": _base(token), "form_token": form["csrf"], "moved": moved,
        "before": format_date_nl(moved.before), "after": format_date_nl(moved.after),
        "days_text": _days_text(moved.days), "moves_per_arrangement": policy().moves_per_arrangement})


@_plan_route
async def circumstances_changed(request: Request, access: PlanAccess) -> Response:
    await _checked_form(request, access)
    token = request.path_params["token"]
    rules = policy()
    database_url = request.app.state.database_url
    target = await asyncio.to_thread(_circumstances_target, database_url, access.arrangement_id, rules)
    if target is None:
        return _gone(request)
    if not target["sender_id"]:
        return _message(request, 409, "Begin even in de chat",
                        "We weten niet in welke chat we je vragen kunnen stellen. Begin een gesprek in de chat en "
                        "typ: er is iets veranderd. Dan kijken we samen naar je regeling.", back=_base(token))
    if not target["recent"]:
        rasa = request.app.state.rasa or RasaApi()
        try:
            await rasa.trigger_intent(target["sender_id"], CIRCUMSTANCES_INTENT)
        except (RasaUnavailable, httpx.HTTPError) as error:
            # The arrangement id and the error kind only: the URL in the error holds the sender id.
            status = getattr(getattr(error, "response", None), "status_code", "")
            log.warning("arrangement %s: reassessment not opened (%s %s)", access.arrangement_id,
                        type(error).__name__, status)
            return _message(request, 503, "De chat is even niet bereikbaar",
                            "Het lukt nu niet om de chat te starten. Er is niets veranderd aan je regeling. "
                            "Probeer het over een paar minuten opnieuw.", back=_base(token))
        await asyncio.to_thread(_record_circumstances, database_url, access.arrangement_id, rules)
        log.info("arrangement %s: reassessment opened in the conversation", access.arrangement_id)
    return _page(request, "plan_changed.html", {"base": _base(token), "again": target["recent"]})


def routes() -> list[Route]:
    return [
        Route("/plan/{token}", plan_page, methods=["GET"]),
        Route("/plan/{token}/pay", pay, methods=["POST"]),
        Route("/plan/{token}/pay/{instalment_id}", pay_page, methods=["GET"]),
        Route("/plan/{token}/move", move, methods=["POST"]),
        Route("/plan/{token}/changed", circumstances_changed, methods=["POST"]),
    ]
