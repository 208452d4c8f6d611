"""Which cases a staff member may open (issue 23 §6, least privilege).

An agent works the queue: cases handed over to a person, and the cases assigned to them (also
after they were resolved or handed back). A conversation the bot handled alone is not theirs to
read, even by guessing its sequential id. A supervisor sees every case. Each refusal is audited.
"""
from __future__ import annotations

from sqlalchemy import or_
from starlette.requests import Request
from starlette.responses import Response

from bot.console.auth import Staff
from bot.console.security import audit, refused
from bot.store.models import Case

NOT_FOUND = "Deze zaak bestaat niet."
NOT_YOURS = "Deze zaak is niet aan een medewerker overgedragen en niet aan jou toegewezen."


def may_open(staff: Staff, case: Case) -> bool:
    return staff.is_supervisor or case.status == "handed_over" or case.assigned_to == staff.id


def visible_cases(staff: Staff):
    """The same rule as a query condition (for lists)."""
    if staff.is_supervisor:
        return True
    return or_(Case.status == "handed_over", Case.assigned_to == staff.id)


def refusal(request: Request, staff: Staff, case_id: int | None, case: Case | None) -> Response | None:
    """None when `staff` may work on this case; otherwise the audited 404 or 403 to answer."""
    if case is None:
        audit(staff.id, "case_refused", None, reason="unknown_case", path=request.url.path)
        return refused(404, NOT_FOUND)
    if not may_open(staff, case):
        audit(staff.id, "case_refused", case.id, reason="not_handed_over_or_assigned", path=request.url.path)
        return refused(403, NOT_YOURS)
    return None
