"""Pages: login, logout, the queue, one conversation, and the audit log for supervisors."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from bot import clock
from bot.console.access import refusal
from bot.console.auth import Staff, authenticate, end_session, start_session
from bot.console.canned import canned_replies
from bot.console.card import card, credits
from bot.console.delivery import WINDOW_CLOSED, label_replies, window_closed
from bot.console.labels import label
from bot.console.queue import VIEWS, handed_over_queue, reason_label, staff_name, status_label
from bot.console.security import (
    LOGIN_CSRF_COOKIE,
    audit,
    cookie_name,
    guarded,
    new_token,
    refused,
    set_cookie,
    tokens_match,
)
from bot.console.transcript import is_paused, last_timestamp, transcript
from bot.rasa_api import RasaUnavailable
from bot.store.db import session_scope
from bot.store.models import AuditEntry, Case, CaseNote, StaffUser

log = logging.getLogger(__name__)
templates = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
# Where staff can send the conversation when the bot takes over again (intents of the domain).
NEXT_STEPS = {
    "": "Niets: de bot wacht op het volgende bericht van de klant",
    "greet": "Opnieuw beginnen met een begroeting",
}
LOGIN_FAILED = "Inloggen lukt niet. Controleer je gebruikersnaam en wachtwoord, of probeer het over een minuut opnieuw."
TOO_MANY = "Te veel mislukte pogingen vanaf dit adres. Wacht {seconds} seconden en probeer het dan opnieuw."


def render(request: Request, name: str, status_code: int = 200, **context) -> Response:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


async def login_page(request: Request) -> Response:
    return _login_form(request)


def _login_form(request: Request, error: str | None = None, status_code: int = 200) -> Response:
    # Double-submit token: the login POST has no session yet to bind a token to.
    token = new_token()
    response = render(request, "login.html", status_code=status_code, csrf_token=token, error=error)
    set_cookie(response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


async def login(request: Request) -> Response:
    form = await request.form()
    client = request.client.host if request.client else "unknown"
    if not tokens_match(form.get("csrf_token"), request.cookies.get(LOGIN_CSRF_COOKIE)):
        audit(None, "login_refused", reason="csrf")
        return refused(403, "Dit formulier is verlopen. Laad de inlogpagina opnieuw.")
    addresses = request.app.state.login_throttle
    wait = addresses.wait(client, clock.utcnow())
    if wait:
        # Per address: slows one client guessing across many usernames. The address is not
        # stored: the audit says that it happened and for how long.
        audit(None, "login_refused", reason="address_throttled", wait_seconds=wait)
        return _login_form(request, TOO_MANY.format(seconds=wait), 429)
    username = str(form.get("username") or "")[:64]
    with session_scope() as session:
        result = authenticate(session, username, str(form.get("password") or "")[:1024])
        cookie = start_session(session, result.user_id, request.cookies.get(cookie_name())) if result.ok else None
    # The typed username is not logged: people type passwords into that field.
    if result.ok:
        audit(result.user_id, "login", reason=result.reason)
    else:
        addresses.failed(client, clock.utcnow())
        audit(result.user_id, "login_failed", reason=result.reason,
              **({"wait_seconds": result.wait_seconds} if result.wait_seconds else {}))
        # The same answer for a delayed account as for a wrong password: no hint which names exist.
        return _login_form(request, LOGIN_FAILED, 401)
    response = RedirectResponse("/queue", status_code=303)
    set_cookie(response, cookie_name(), cookie)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@guarded("api")
async def logout(request: Request, staff: Staff) -> Response:
    with session_scope() as session:
        end_session(session, request.cookies.get(cookie_name()))
    audit(staff.id, "logout")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(cookie_name(), path="/")
    return response


@guarded("page")
async def home(request: Request, staff: Staff) -> Response:
    return RedirectResponse("/queue", status_code=303)


def _queue(request: Request, staff: Staff) -> tuple[str, str, list]:
    view = request.query_params.get("view") or "all"
    view = view if view in VIEWS else "all"
    search = (request.query_params.get("q") or "").strip()[:100]
    with session_scope() as session:
        return view, search, handed_over_queue(session, staff.id, view, search)


@guarded("page")
async def queue_page(request: Request, staff: Staff) -> Response:
    view, search, rows = _queue(request, staff)
    audit(staff.id, "view_queue", cases=len(rows))
    return render(request, "queue.html", staff=staff, rows=rows, view=view, views=VIEWS, search=search)


@guarded("api", touch=False)  # a page refreshing itself is not a staff member at work
async def queue_rows(request: Request, staff: Staff) -> Response:
    """The queue's rows for the open page to refresh itself (issue 26: a live queue), same filters."""
    view, search, rows = _queue(request, staff)
    html = templates.get_template("_queue_rows.html").render(rows=rows, search=search)
    return JSONResponse({"count": len(rows), "html": html})


def case_id_of(request: Request) -> int | None:
    try:
        return int(request.path_params["case_id"])
    except (KeyError, ValueError):
        return None


@guarded("page")
async def case_page(request: Request, staff: Staff) -> Response:
    case_id = case_id_of(request)
    with session_scope() as session:
        case = session.get(Case, case_id) if case_id else None
        refused_response = refusal(request, staff, case_id, case)
        if refused_response:
            return refused_response
        notes = session.execute(
            select(CaseNote, StaffUser.display_name).join(StaffUser, StaffUser.id == CaseNote.user_id)
            .where(CaseNote.case_id == case.id).order_by(CaseNote.at)).all()
        view = {"id": case.id, "status": case.status,
                "status_label": status_label(case.status, case.assigned_to is not None),
                "channel": label("channels", case.channel), "reason": reason_label(case.handoff_reason),
                "assignee": staff_name(session, case.assigned_to), "assigned_to_me": case.assigned_to == staff.id,
                "offer": case.offer}
        summary = card(case)
        summary["credits"] = credits(session, case)
        sender_id = case.sender_id
    audit(staff.id, "view_case", case.id)
    entries, last, paused, rasa_error = [], 0.0, None, None
    try:
        tracker = await request.app.state.rasa.tracker(sender_id)
        entries, last, paused = transcript(tracker), last_timestamp(tracker), is_paused(tracker)
    except RasaUnavailable:
        rasa_error = "Het gesprek kan nu niet worden geladen: de bot is niet bereikbaar."
        log.warning("tracker for case %s unavailable", case_id)
    await asyncio.to_thread(label_replies, sender_id, entries)
    window_warning = WINDOW_CLOSED if await asyncio.to_thread(window_closed, sender_id) else None
    return render(request, "case.html", staff=staff, case=view, card=summary, entries=entries, last=last,
                  paused=paused, rasa_error=rasa_error, canned=canned_replies(), next_steps=NEXT_STEPS,
                  window_warning=window_warning,
                  notes=[{"text": n.text, "at": n.at, "who": who} for n, who in notes],
                  can_confirm=staff.is_supervisor and bool(case.offer) and case.status == "handed_over"
                  and not (case.offer or {}).get("proposed_at"))


@guarded("page", role="supervisor")
async def audit_page(request: Request, staff: Staff) -> Response:
    with session_scope() as session:
        rows = session.execute(
            select(AuditEntry, StaffUser.username).outerjoin(StaffUser, StaffUser.id == AuditEntry.user_id)
            .order_by(AuditEntry.id.desc()).limit(200)).all()
        entries = [{"at": e.at, "who": who or "-", "action": e.action, "case_id": e.case_id, "detail": e.detail}
                   for e, who in rows]
    audit(staff.id, "view_audit")
    return render(request, "audit.html", staff=staff, entries=entries)
