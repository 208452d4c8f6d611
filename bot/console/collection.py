"""Cases approaching external collection, the kind advance notice, and the handover that is only
possible after the notice and its period (R6; bot/collection)."""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot import clock, collection
from bot.addresses import channel_of
from bot.console.case_actions import RASA_DOWN
from bot.console.security import audit, guarded, refused
from bot.console.views import render
from bot.followup.rules import OUTPUT_CHANNELS
from bot.rasa_api import RasaUnavailable
from bot.store.db import session_scope
from bot.store.models import Loan

NOTICE_RESPONSE = "utter_collection_notice"


def _loan_id(request: Request) -> int:
    return int(request.path_params["loan_id"])


@guarded("page")
async def collection_page(request: Request, staff) -> Response:
    today = clock.today()
    with session_scope() as session:
        rows = collection.approaching(session)
    audit(staff.id, "view_collection")
    return render(request, "collection.html", staff=staff, rows=rows, today=today,
                  period_days=collection.collection_policy()["notice"]["period_days"],
                  min_terms=collection.collection_policy()["stage"]["min_terms_behind"])


@guarded("api")
async def send_notice(request: Request, staff) -> Response:
    """The advance notice to the customer, on their own channel; the period starts today."""
    with session_scope() as session:
        try:
            loan, handover_from = collection.plan_notice(session, _loan_id(request), clock.today())
        except collection.HandoverRefused as refusal:
            return refused(409, str(refusal))
        sender = collection.address(session, loan.customer_id)
        slots = collection.notice_slots(loan, handover_from)
    if sender is None or channel_of(sender) not in OUTPUT_CHANNELS:
        return refused(409, "We hebben geen kanaal om deze klant te bereiken. Bel of schrijf de klant.")
    try:
        await request.app.state.rasa.utter(sender, NOTICE_RESPONSE, slots,
                                           output_channel=OUTPUT_CHANNELS[channel_of(sender)])
    except RasaUnavailable:
        return refused(502, RASA_DOWN)
    with session_scope() as session:
        notice_id = collection.record_notice(session, session.get(Loan, loan.id), sender,
                                             handover_from, staff.id)
    audit(staff.id, "collection_notice", None, notice_id=notice_id, channel=channel_of(sender))
    return RedirectResponse("/collection", status_code=303)


@guarded("api", role="supervisor")
async def hand_over(request: Request, staff) -> Response:
    with session_scope() as session:
        try:
            notice = collection.hand_over(session, _loan_id(request), staff.id, clock.today())
        except collection.HandoverRefused as refusal:
            return refused(409, str(refusal))
        notice_id = notice.id
    audit(staff.id, "collection_handover", None, notice_id=notice_id)
    return RedirectResponse("/collection", status_code=303)
