"""Server-sent events: new transcript lines appear in the open page without a reload.

Rasa pushes nothing to an agent (RASA_NOTES, Handover), so the stream polls the tracker
every ~2 s and sends only events newer than the last one the page has. A stream ends after a
few minutes; the browser's EventSource reconnects with Last-Event-ID and nothing is lost.
The session is re-checked on every poll, so a logout or expiry also ends the stream.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from bot.console.access import refusal
from bot.console.auth import Staff, load_session
from bot.console.delivery import label_replies
from bot.console.security import audit, cookie_name, guarded
from bot.console.transcript import is_paused, transcript
from bot.console.views import case_id_of
from bot.rasa_api import RasaUnavailable
from bot.store.db import session_scope
from bot.store.models import Case

log = logging.getLogger(__name__)


def _float(raw: str | None) -> float:
    try:
        return max(0.0, float(raw)) if raw else 0.0
    except ValueError:
        return 0.0


def sse(event: str, data: dict, event_id: str | None = None) -> str:
    lines = [f"event: {event}"] + ([f"id: {event_id}"] if event_id else [])
    return "\n".join(lines + [f"data: {json.dumps(data, ensure_ascii=False)}"]) + "\n\n"


# Polling is not activity: the stream never extends the session's idle expiry.
@guarded("api", touch=False)
async def case_events(request: Request, staff: Staff) -> Response:
    case_id = case_id_of(request)
    with session_scope() as session:
        case = session.get(Case, case_id) if case_id else None
        refused_response = refusal(request, staff, case_id, case)
        sender_id = case.sender_id if case else None
    if refused_response:
        return refused_response
    after = _float(request.headers.get("last-event-id") or request.query_params.get("after"))
    audit(staff.id, "stream_case", case_id)
    state = request.app.state
    cookie = request.cookies.get(cookie_name())

    async def events() -> AsyncIterator[str]:
        nonlocal after
        # Tells EventSource how long to wait before reconnecting.
        yield f"retry: {int(state.poll_seconds * 1000)}\n\n"
        deadline = time.monotonic() + state.stream_seconds
        paused = None
        while time.monotonic() < deadline:
            with session_scope() as session:
                if load_session(session, cookie, touch=False) is None:
                    yield sse("logout", {})
                    return
            try:
                tracker = await state.rasa.tracker(sender_id)
            except RasaUnavailable:
                log.warning("tracker for case %s unavailable during stream", case_id)
                yield sse("unavailable", {})
            else:
                lines = transcript(tracker, after)
                await asyncio.to_thread(label_replies, sender_id, lines)
                for item in lines:
                    after = max(after, item["ts"])
                    yield sse("line", item, event_id=repr(item["ts"]))
                if is_paused(tracker) != paused:
                    paused = is_paused(tracker)
                    yield sse("status", {"paused": paused})
            if await request.is_disconnected():
                return
            await asyncio.sleep(state.poll_seconds)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"x-accel-buffering": "no"})
