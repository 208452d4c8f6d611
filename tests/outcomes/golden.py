"""A hand-written outcome event log and, for every KPI, the value worked out by hand from it.

Today is 2026-11-22. The configuration is GOLDEN_CONFIG (grace 5 days, relapse windows 3/6/12
months, cure after 12 months, preventive contacts are data.kind "preventive"), so a change to
kpis.yml does not move these numbers.

Arrangements (A<n> = arrangement n, i<nm> = instalment; customer, case, channel, loan, cause):
  A1  c1  case 101  whatsapp  personal_loan     job_loss     accepted 2025-01-10, ended completed 2025-04-07
      i11 due 02-01 paid on time (its due event written twice) | i12 due 03-01 paid 5 days late (= grace)
      i13 due 04-01 missed, paid 6 days late (> grace); a reminder about it went by SMS (case
      101 stays a WhatsApp case: only its conversation events say the channel)
      arrears again 2025-07-07 (= end + 3 months) and 2025-07-20 (a second one: the first counts)
  A2  c2  case 102  sms       mortgage          illness      accepted 2025-01-20, ended broken 2025-03-31
      i21 due 02-20 missed | i22 due 03-20 paid 2 days late
      arrears again 2025-07-01 (end 03-31 + 3 months = 06-30: outside 3, inside 6)
  A3  c3  case 103  whatsapp  personal_loan     job_loss     accepted 2025-02-15, ended completed 2025-04-20
      i31 due 03-15 paid on time; never in arrears again
  A4  c4  case 104  telegram  revolving_credit  forgot       accepted 2026-06-01, still running
      i41 due 2026-07-01 on time | i42 due 08-01 1 day late | i43 due 11-16 unpaid (grace over on 11-21)
      i44 due 11-17 paid on time, but its grace runs to 11-22: not counted yet
  A5  c1  case 105  whatsapp  personal_loan     job_loss     accepted 2025-08-01 (only `verified`, no
      conversation_started), ended completed 2025-10-31; i51 due 09-01 on time;
      arrears again 2026-01-31 (= end + 3 months)
  A6  c6  case 106  sms       mortgage          income_drop  accepted 2026-03-01, ended broken 2026-09-10
      i61 due 04-01 on time; arrears again 2026-10-01 (cohort 2026-09: no window over yet)
  A7  c7  case 107  widget    personal_loan     illness      accepted 2025-05-05, ended completed 2025-08-05
      i71 due 06-05 on time | i72 due 07-05 3 days late; arrears again 2026-05-06 (accepted + 12
      months = 2026-05-05: still cured; end + 12 months: a relapse within 12, not within 6)
      cause_recorded twice in case 107: "forgot", then "illness" (the last one counts)
Cases without an arrangement:
  108 c8  whatsapp  handed over customer_asked 2025-02-03; its `verified` has a segment (mortgage)
  109 c9  sms       cause illness, handed over crisis 2025-05-20, then multiple_problems (first counts)
  110 --  widget    unverified, handed over not_understood 2025-05-21; an after_solution answer (no
                    solution in this case: not linked)
  111 c11 telegram  conversation only, 2025-03-03
  112 c12 sms       solution declined, handed over customer_asked 2026-03-10; answer 7 (invalid)
  113 c13 telegram  pay-now solution 2026-04-01 (no arrangement), cause forgot
Satisfaction answers: 101:4  102:2  103:5 (then 1: ignored)  107:3  108:5  109:1  113:4
Preventive: signals for c6, c20, c21, c22, c23 (twice), c4, c3; preventive contacts c6, c20, c23,
  c4, c3; c21 only a reminder; c22 contacted before its signal. Help accepted: c6 (A6), c4 (A4);
  c3's solution came before the contact.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from bot.outcomes.figures import Filters, parse_config
from bot.outcomes.synthetic import EventLog, segment

TODAY = date(2026, 11, 22)
GOLDEN_CONFIG = parse_config({
    "version": "golden", "adherence": {"grace_days": 5}, "relapse": {"windows_months": [3, 6, 12]},
    "cure": {"months": 12}, "preventive": {"contact_kinds": ["preventive"]},
    "monitor": {"min_customers": 3, "margins": {"adherence": 0.1, "relapse": 0.1, "satisfaction": 0.5},
                "relapse_window_months": 6, "dimensions": ["channel", "age_band", "cause", "vulnerable"]},
})

S1 = segment(channel="whatsapp", loan_type="personal_loan", cause="job_loss", age_band="35-49")
S2 = segment(channel="sms", loan_type="mortgage", cause="illness", age_band="65+", signals=["illness"])
S3 = segment(channel="whatsapp", loan_type="personal_loan", cause="job_loss", age_band="25-34")
S4 = segment(channel="telegram", loan_type="revolving_credit", cause="forgot", age_band="18-24")
S6 = segment(channel="sms", loan_type="mortgage", cause="income_drop", age_band="50-64")
S7 = segment(channel="widget", loan_type="personal_loan", cause="illness", age_band="35-49")
S8 = segment(channel="whatsapp", loan_type="mortgage", cause=None, age_band="25-34")
S13 = segment(channel="telegram", loan_type="revolving_credit", cause="forgot", age_band="50-64")


def _case(case: int, customer: int | None, channel: str) -> dict[str, Any]:
    return {"case_id": case, "customer_id": customer, "channel": channel}


def _instalment(arrangement: int, instalment: int, customer: int) -> dict[str, Any]:
    return {"arrangement_id": arrangement, "instalment_id": instalment, "customer_id": customer}


C101, C102, C103, C104 = _case(101, 1, "whatsapp"), _case(102, 2, "sms"), _case(103, 3, "whatsapp"), _case(104, 4, "telegram")
C105, C106, C107, C108 = _case(105, 1, "whatsapp"), _case(106, 6, "sms"), _case(107, 7, "widget"), _case(108, 8, "whatsapp")
C109, C110, C111 = _case(109, 9, "sms"), _case(110, None, "widget"), _case(111, 11, "telegram")
C112, C113 = _case(112, 12, "sms"), _case(113, 13, "telegram")

# (kind, UTC time, fields, data)
EVENTS: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    # -- A1, case 101 ---------------------------------------------------------------------------
    ("conversation_started", "2025-01-10 09:30:00", C101, {}),
    ("verified", "2025-01-10 09:32:00", C101, {}),
    ("cause_recorded", "2025-01-10 09:35:00", {**C101, "reason": "job_loss"}, {}),
    ("solution_offered", "2025-01-10 09:50:00", {**C101, "reason": "payment_arrangement"}, {}),
    ("solution_accepted", "2025-01-10 10:00:00", {**C101, "arrangement_id": 1, "reason": "payment_arrangement",
                                                  "value": 3}, {"segment": S1}),
    ("satisfaction_answered", "2025-01-11 10:00:00", {**C101, "reason": "after_solution", "value": 4}, {}),
    ("instalment_due", "2025-02-01 22:59:00", {**_instalment(1, 11, 1), "value": 20000}, {"due_on": "2025-02-01"}),
    ("instalment_due", "2025-02-02 22:59:00", {**_instalment(1, 11, 1), "value": 20000}, {"due_on": "2025-02-01"}),
    ("instalment_paid", "2025-02-01 08:00:00", {**_instalment(1, 11, 1), "value": 20000},
     {"days_late": 0, "due_on": "2025-02-01"}),
    ("instalment_due", "2025-03-01 22:59:00", {**_instalment(1, 12, 1), "value": 20000}, {"due_on": "2025-03-01"}),
    ("instalment_paid", "2025-03-06 12:00:00", {**_instalment(1, 12, 1), "value": 20000},
     {"days_late": 5, "due_on": "2025-03-01"}),
    ("instalment_due", "2025-04-01 21:59:00", {**_instalment(1, 13, 1), "value": 20000}, {"due_on": "2025-04-01"}),
    ("instalment_missed", "2025-04-06 21:59:00", {**_instalment(1, 13, 1), "value": 20000}, {"due_on": "2025-04-01"}),
    ("instalment_paid", "2025-04-07 09:00:00", {**_instalment(1, 13, 1), "value": 20000},
     {"days_late": 6, "due_on": "2025-04-01"}),
    ("arrangement_ended", "2025-04-07 21:59:00", {"customer_id": 1, "arrangement_id": 1, "reason": "completed"},
     {"solution": "payment_arrangement"}),
    ("contacted", "2025-02-28 08:00:00", {"customer_id": 1, "case_id": 101, "arrangement_id": 1, "channel": "sms",
                                          "reason": "R23.reminder_before"}, {"kind": "reminder_before"}),
    ("contacted", "2025-05-07 08:00:00", {"customer_id": 1, "arrangement_id": 1, "channel": "whatsapp",
                                          "reason": "R23.aftercare"}, {"kind": "aftercare"}),
    ("arrears_again", "2025-07-07 10:00:00", {"customer_id": 1, "arrangement_id": 1, "reason": "personal_loan"}, {}),
    ("arrears_again", "2025-07-20 10:00:00", {"customer_id": 1, "arrangement_id": 1, "reason": "personal_loan"}, {}),
    # -- A2, case 102 ---------------------------------------------------------------------------
    ("conversation_started", "2025-01-20 14:00:00", C102, {}),
    ("verified", "2025-01-20 14:03:00", C102, {}),
    ("cause_recorded", "2025-01-20 14:06:00", {**C102, "reason": "illness"}, {}),
    ("solution_accepted", "2025-01-20 14:20:00", {**C102, "arrangement_id": 2, "reason": "payment_pause",
                                                  "value": 2}, {"segment": S2}),
    ("satisfaction_answered", "2025-01-22 09:00:00", {**C102, "reason": "after_solution", "value": 2}, {}),
    ("instalment_due", "2025-02-20 22:59:00", {**_instalment(2, 21, 2), "value": 30000}, {"due_on": "2025-02-20"}),
    ("instalment_missed", "2025-02-25 22:59:00", {**_instalment(2, 21, 2), "value": 30000}, {"due_on": "2025-02-20"}),
    ("instalment_due", "2025-03-20 22:59:00", {**_instalment(2, 22, 2), "value": 30000}, {"due_on": "2025-03-20"}),
    ("instalment_paid", "2025-03-22 10:00:00", {**_instalment(2, 22, 2), "value": 30000},
     {"days_late": 2, "due_on": "2025-03-20"}),
    ("arrangement_ended", "2025-03-31 21:59:00", {"customer_id": 2, "arrangement_id": 2, "reason": "broken"},
     {"solution": "payment_pause"}),
    ("arrears_again", "2025-07-01 10:00:00", {"customer_id": 2, "arrangement_id": 2, "reason": "mortgage"}, {}),
    # -- A3, case 103 ---------------------------------------------------------------------------
    ("conversation_started", "2025-02-15 10:00:00", C103, {}),
    ("verified", "2025-02-15 10:01:00", C103, {}),
    ("cause_recorded", "2025-02-15 10:10:00", {**C103, "reason": "job_loss"}, {}),
    ("solution_accepted", "2025-02-15 10:45:00", {**C103, "arrangement_id": 3, "reason": "payment_arrangement",
                                                  "value": 1}, {"segment": S3}),
    ("satisfaction_answered", "2025-02-16 10:00:00", {**C103, "reason": "after_solution", "value": 5}, {}),
    ("satisfaction_answered", "2025-02-17 10:00:00", {**C103, "reason": "after_solution", "value": 1}, {}),
    ("instalment_due", "2025-03-15 22:59:00", {**_instalment(3, 31, 3), "value": 10000}, {"due_on": "2025-03-15"}),
    ("instalment_paid", "2025-03-14 18:00:00", {**_instalment(3, 31, 3), "value": 10000},
     {"days_late": 0, "due_on": "2025-03-15"}),
    ("arrangement_ended", "2025-04-20 21:59:00", {"customer_id": 3, "arrangement_id": 3, "reason": "completed"},
     {"solution": "payment_arrangement"}),
    # -- A4, case 104 ---------------------------------------------------------------------------
    ("conversation_started", "2026-06-01 08:00:00", C104, {}),
    ("verified", "2026-06-01 08:02:00", C104, {}),
    ("cause_recorded", "2026-06-01 08:05:00", {**C104, "reason": "forgot"}, {}),
    ("solution_accepted", "2026-06-01 08:10:00", {**C104, "arrangement_id": 4, "reason": "payment_arrangement",
                                                  "value": 4}, {"segment": S4}),
    ("instalment_due", "2026-07-01 21:59:00", {**_instalment(4, 41, 4), "value": 5000}, {"due_on": "2026-07-01"}),
    ("instalment_paid", "2026-07-01 07:00:00", {**_instalment(4, 41, 4), "value": 5000},
     {"days_late": 0, "due_on": "2026-07-01"}),
    ("instalment_due", "2026-08-01 21:59:00", {**_instalment(4, 42, 4), "value": 5000}, {"due_on": "2026-08-01"}),
    ("instalment_paid", "2026-08-02 07:00:00", {**_instalment(4, 42, 4), "value": 5000},
     {"days_late": 1, "due_on": "2026-08-01"}),
    ("instalment_due", "2026-11-16 22:59:00", {**_instalment(4, 43, 4), "value": 5000}, {"due_on": "2026-11-16"}),
    ("instalment_due", "2026-11-17 22:59:00", {**_instalment(4, 44, 4), "value": 5000}, {"due_on": "2026-11-17"}),
    ("instalment_paid", "2026-11-17 07:00:00", {**_instalment(4, 44, 4), "value": 5000},
     {"days_late": 0, "due_on": "2026-11-17"}),
    # -- A5, case 105 (the same customer as A1, back after the relapse) --------------------------
    ("verified", "2025-08-01 12:10:00", C105, {}),
    ("cause_recorded", "2025-08-01 12:20:00", {**C105, "reason": "job_loss"}, {}),
    ("solution_accepted", "2025-08-01 13:00:00", {**C105, "arrangement_id": 5, "reason": "payment_arrangement",
                                                  "value": 1}, {"segment": S1}),
    ("instalment_due", "2025-09-01 21:59:00", {**_instalment(5, 51, 1), "value": 15000}, {"due_on": "2025-09-01"}),
    ("instalment_paid", "2025-09-01 06:00:00", {**_instalment(5, 51, 1), "value": 15000},
     {"days_late": 0, "due_on": "2025-09-01"}),
    ("arrangement_ended", "2025-10-31 22:59:00", {"customer_id": 1, "arrangement_id": 5, "reason": "completed"},
     {"solution": "payment_arrangement"}),
    ("arrears_again", "2026-01-31 11:00:00", {"customer_id": 1, "arrangement_id": 5, "reason": "personal_loan"}, {}),
    # -- A6, case 106 ---------------------------------------------------------------------------
    ("risk_signalled", "2026-02-01 05:00:00", {"customer_id": 6, "reason": "bounced_debit"}, {}),
    ("contacted", "2026-02-03 09:00:00", {"customer_id": 6, "channel": "sms", "reason": "preventive_outreach"},
     {"kind": "preventive"}),
    ("conversation_started", "2026-03-01 16:00:00", C106, {}),
    ("verified", "2026-03-01 16:01:00", C106, {}),
    ("cause_recorded", "2026-03-01 16:05:00", {**C106, "reason": "income_drop"}, {}),
    ("solution_accepted", "2026-03-01 16:15:00", {**C106, "arrangement_id": 6, "reason": "payment_arrangement",
                                                  "value": 6}, {"segment": S6}),
    ("instalment_due", "2026-04-01 21:59:00", {**_instalment(6, 61, 6), "value": 40000}, {"due_on": "2026-04-01"}),
    ("instalment_paid", "2026-04-01 06:00:00", {**_instalment(6, 61, 6), "value": 40000},
     {"days_late": 0, "due_on": "2026-04-01"}),
    ("arrangement_ended", "2026-09-10 21:59:00", {"customer_id": 6, "arrangement_id": 6, "reason": "broken"},
     {"solution": "payment_arrangement"}),
    ("arrears_again", "2026-10-01 10:00:00", {"customer_id": 6, "arrangement_id": 6, "reason": "mortgage"}, {}),
    # -- A7, case 107 ---------------------------------------------------------------------------
    ("conversation_started", "2025-05-05 11:00:00", C107, {}),
    ("verified", "2025-05-05 11:02:00", C107, {}),
    ("cause_recorded", "2025-05-05 11:04:00", {**C107, "reason": "forgot"}, {}),
    ("cause_recorded", "2025-05-05 11:08:00", {**C107, "reason": "illness"}, {}),
    ("solution_accepted", "2025-05-05 11:25:00", {**C107, "arrangement_id": 7, "reason": "payment_arrangement",
                                                  "value": 2}, {"segment": S7}),
    ("satisfaction_answered", "2025-05-06 11:00:00", {**C107, "reason": "after_solution", "value": 3}, {}),
    ("instalment_due", "2025-06-05 21:59:00", {**_instalment(7, 71, 7), "value": 12500}, {"due_on": "2025-06-05"}),
    ("instalment_paid", "2025-06-05 06:00:00", {**_instalment(7, 71, 7), "value": 12500},
     {"days_late": 0, "due_on": "2025-06-05"}),
    ("instalment_due", "2025-07-05 21:59:00", {**_instalment(7, 72, 7), "value": 12500}, {"due_on": "2025-07-05"}),
    ("instalment_paid", "2025-07-08 06:00:00", {**_instalment(7, 72, 7), "value": 12500},
     {"days_late": 3, "due_on": "2025-07-05"}),
    ("arrangement_ended", "2025-08-05 21:59:00", {"customer_id": 7, "arrangement_id": 7, "reason": "completed"},
     {"solution": "payment_arrangement"}),
    ("arrears_again", "2026-05-06 10:00:00", {"customer_id": 7, "arrangement_id": 7, "reason": "personal_loan"}, {}),
    # -- cases without an arrangement ----------------------------------------------------------
    ("conversation_started", "2025-02-03 09:00:00", C108, {}),
    ("verified", "2025-02-03 09:01:00", C108, {"segment": S8}),
    ("handed_over", "2025-02-03 09:05:00", {**C108, "reason": "customer_asked"}, {}),
    ("satisfaction_answered", "2025-02-04 09:00:00", {**C108, "reason": "after_handover", "value": 5}, {}),
    ("conversation_started", "2025-05-20 20:00:00", C109, {}),
    ("cause_recorded", "2025-05-20 20:03:00", {**C109, "reason": "illness"}, {}),
    ("handed_over", "2025-05-20 20:04:00", {**C109, "reason": "crisis"}, {}),
    ("handed_over", "2025-05-20 20:30:00", {**C109, "reason": "multiple_problems"}, {}),
    ("satisfaction_answered", "2025-05-21 09:00:00", {**C109, "reason": "after_handover", "value": 1}, {}),
    ("conversation_started", "2025-05-21 13:00:00", C110, {}),
    ("handed_over", "2025-05-21 13:06:00", {**C110, "reason": "not_understood"}, {}),
    ("satisfaction_answered", "2025-05-22 13:00:00", {**C110, "reason": "after_solution", "value": 2}, {}),
    ("conversation_started", "2025-03-03 15:00:00", C111, {}),
    ("conversation_started", "2026-03-10 10:00:00", C112, {}),
    ("verified", "2026-03-10 10:01:00", C112, {}),
    ("solution_offered", "2026-03-10 10:10:00", {**C112, "reason": "payment_arrangement"}, {}),
    ("solution_declined", "2026-03-10 10:12:00", {**C112, "reason": "payment_arrangement"}, {}),
    ("handed_over", "2026-03-10 10:13:00", {**C112, "reason": "customer_asked"}, {}),
    ("satisfaction_answered", "2026-03-11 10:00:00", {**C112, "reason": "after_handover", "value": 7}, {}),
    ("conversation_started", "2026-04-01 10:00:00", C113, {}),
    ("verified", "2026-04-01 10:02:00", C113, {}),
    ("cause_recorded", "2026-04-01 10:03:00", {**C113, "reason": "forgot"}, {}),
    ("solution_accepted", "2026-04-01 10:05:00", {**C113, "reason": "pay_now"}, {"segment": S13}),
    ("satisfaction_answered", "2026-04-02 10:00:00", {**C113, "reason": "after_solution", "value": 4}, {}),
    ("opted_out", "2026-04-03 10:00:00", {"customer_id": 13, "channel": "telegram", "reason": "stop_word"}, {}),
    # -- preventive outreach -------------------------------------------------------------------
    ("risk_signalled", "2026-02-05 05:00:00", {"customer_id": 20, "reason": "bounced_debit"}, {}),
    ("contacted", "2026-02-06 09:00:00", {"customer_id": 20, "channel": "sms", "reason": "preventive_outreach"},
     {"kind": "preventive"}),
    ("risk_signalled", "2026-02-07 05:00:00", {"customer_id": 21, "reason": "overdraft"}, {}),
    ("contacted", "2026-02-08 09:00:00", {"customer_id": 21, "channel": "sms", "reason": "reminder_before_due"},
     {"kind": "reminder"}),
    ("contacted", "2026-02-20 09:00:00", {"customer_id": 22, "channel": "sms", "reason": "preventive_outreach"},
     {"kind": "preventive"}),
    ("risk_signalled", "2026-03-01 05:00:00", {"customer_id": 22, "reason": "bounced_debit"}, {}),
    ("risk_signalled", "2025-12-01 05:00:00", {"customer_id": 23, "reason": "bounced_debit"}, {}),
    ("contacted", "2025-12-02 09:00:00", {"customer_id": 23, "channel": "whatsapp", "reason": "preventive_outreach"},
     {"kind": "preventive"}),
    ("risk_signalled", "2026-01-15 05:00:00", {"customer_id": 23, "reason": "bounced_debit"}, {}),
    ("risk_signalled", "2026-05-01 05:00:00", {"customer_id": 4, "reason": "overdraft"}, {}),
    ("contacted", "2026-05-02 09:00:00", {"customer_id": 4, "channel": "telegram", "reason": "preventive_outreach"},
     {"kind": "preventive"}),
    ("risk_signalled", "2025-06-01 05:00:00", {"customer_id": 3, "reason": "bounced_debit"}, {}),
    ("contacted", "2025-06-02 09:00:00", {"customer_id": 3, "channel": "whatsapp", "reason": "preventive_outreach"},
     {"kind": "preventive"}),
]


def event_log() -> EventLog:
    log = EventLog()
    for kind, at, fields, data in EVENTS:
        log.add(kind, datetime.fromisoformat(at).replace(tzinfo=timezone.utc), **fields, **data)
    return log


def write(session: Session) -> int:
    return event_log().write(session)


# -- the expected values, worked out by hand from the events above ----------------------------------
# adherence: (kept, due) overall and per due month; relapse: cohort -> (ended, {window: relapsed},
# {window: complete}); cure: (cured, eligible) and per acceptance month; satisfaction: asked,
# answered, sum, distribution, months (month, asked, answered, sum); time: (count, median, p90) in
# seconds; handovers: (handed, cases, reasons); preventive: (signalled, contacted, accepted).
ALL = Filters()
EXPECTED: dict[str, dict[str, Any]] = {
    "all": {
        "filters": ALL,
        # i11 i12 kept, i13 not (6 > 5), i21 not, i22 i31 kept, i41 i42 kept, i43 not, i44 not yet,
        # i51 i61 i71 i72 kept: 10 of 13.
        "adherence": ((10, 13), [("2025-02", 1, 2), ("2025-03", 3, 3), ("2025-04", 0, 1), ("2025-06", 1, 1),
                                 ("2025-07", 1, 1), ("2025-09", 1, 1), ("2026-04", 1, 1), ("2026-07", 1, 1),
                                 ("2026-08", 1, 1), ("2026-11", 0, 1)]),
        "relapse": {"2025-03": (1, {3: 0, 6: 1, 12: 1}, True),      # A2: 07-01 is past 06-30
                    "2025-04": (2, {3: 1, 6: 1, 12: 1}, True),      # A1 on the 3-month day; A3 none
                    "2025-08": (1, {3: 0, 6: 0, 12: 1}, True),      # A7 after 9 months
                    "2025-10": (1, {3: 1, 6: 1, 12: 1}, True),      # A5: 10-31 + 3 months = 01-31
                    "2026-09": (1, {3: 1, 6: 1, 12: 1}, False)},    # A6: no window over yet
        # complete cohorts 2025-03, -04, -08, -10: 5 arrangements
        "relapse_pooled": {3: (2, 5), 6: (3, 5), 12: (4, 5)},
        # eligible: A1 A2 (2025-01), A3 (2025-02), A7 (2025-05), A5 (2025-08); cured: A3, A7
        # (A1: arrears 07-07; A2: broken; A5: customer 1 in arrears 2026-01-31)
        "cure": ((2, 5), [("2025-01", 0, 2), ("2025-02", 1, 1), ("2025-05", 1, 1), ("2025-08", 0, 1)]),
        # asked: 8 solution cases (101-107, 113) + 4 handovers (108, 109, 110, 112) = 12
        # answered: 101:4 102:2 103:5 107:3 108:5 109:1 113:4 -> 7, sum 24
        "satisfaction": (12, 7, 24, {1: 1, 2: 1, 3: 1, 4: 2, 5: 2},
                         [("2025-01", 2, 2, 6), ("2025-02", 2, 2, 10), ("2025-05", 3, 2, 4), ("2025-08", 1, 0, 0),
                          ("2026-03", 2, 0, 0), ("2026-04", 1, 1, 4), ("2026-06", 1, 0, 0)]),
        # 113: 300, 104: 600, 106: 900, 102: 1200, 107: 1500, 101: 1800, 103: 2700, 105: 3000
        "time": (8, 1350.0, 3000.0),
        # 12 cases with conversation_started (105 has none); handed over: 108, 109, 110, 112
        "handovers": (4, 12, [("customer_asked", 2), ("crisis", 1), ("not_understood", 1)]),
        "preventive": (7, 5, 2),
    },
    "whatsapp": {
        "filters": Filters(channel="whatsapp"),
        "adherence": ((4, 5), [("2025-02", 1, 1), ("2025-03", 2, 2), ("2025-04", 0, 1), ("2025-09", 1, 1)]),
        "relapse": {"2025-04": (2, {3: 1, 6: 1, 12: 1}, True), "2025-10": (1, {3: 1, 6: 1, 12: 1}, True)},
        "relapse_pooled": {3: (2, 3), 6: (2, 3), 12: (2, 3)},
        "cure": ((1, 3), [("2025-01", 0, 1), ("2025-02", 1, 1), ("2025-08", 0, 1)]),
        # 101:4, 103:5, 105: none, 108:5
        "satisfaction": (4, 3, 14, {1: 0, 2: 0, 3: 0, 4: 1, 5: 2},
                         [("2025-01", 1, 1, 4), ("2025-02", 2, 2, 10), ("2025-08", 1, 0, 0)]),
        "time": (3, 2700.0, 3000.0),
        "handovers": (1, 3, [("customer_asked", 1)]),
        "preventive": (7, 5, 2),  # period only
    },
    "personal_loan": {
        "filters": Filters(loan_type="personal_loan"),
        "adherence": ((6, 7), [("2025-02", 1, 1), ("2025-03", 2, 2), ("2025-04", 0, 1), ("2025-06", 1, 1),
                               ("2025-07", 1, 1), ("2025-09", 1, 1)]),
        "relapse": {"2025-04": (2, {3: 1, 6: 1, 12: 1}, True), "2025-08": (1, {3: 0, 6: 0, 12: 1}, True),
                    "2025-10": (1, {3: 1, 6: 1, 12: 1}, True)},
        "relapse_pooled": {3: (2, 4), 6: (2, 4), 12: (3, 4)},
        "cure": ((2, 4), [("2025-01", 0, 1), ("2025-02", 1, 1), ("2025-05", 1, 1), ("2025-08", 0, 1)]),
        "satisfaction": (4, 3, 12, {1: 0, 2: 0, 3: 1, 4: 1, 5: 1},
                         [("2025-01", 1, 1, 4), ("2025-02", 1, 1, 5), ("2025-05", 1, 1, 3), ("2025-08", 1, 0, 0)]),
        "time": (4, 2250.0, 3000.0),  # 1500 1800 2700 3000: an even count
        "handovers": (0, 3, []),      # 101, 103, 107
        "preventive": (7, 5, 2),
    },
    "mortgage": {
        "filters": Filters(loan_type="mortgage"),
        "adherence": ((2, 3), [("2025-02", 0, 1), ("2025-03", 1, 1), ("2026-04", 1, 1)]),
        "relapse": {"2025-03": (1, {3: 0, 6: 1, 12: 1}, True), "2026-09": (1, {3: 1, 6: 1, 12: 1}, False)},
        "relapse_pooled": {3: (0, 1), 6: (1, 1), 12: (1, 1)},
        "cure": ((0, 1), [("2025-01", 0, 1)]),
        # cases 102, 106 and 108 (its `verified` carries a segment)
        "satisfaction": (3, 2, 7, {1: 0, 2: 1, 3: 0, 4: 0, 5: 1},
                         [("2025-01", 1, 1, 2), ("2025-02", 1, 1, 5), ("2026-03", 1, 0, 0)]),
        "time": (2, 1050.0, 1200.0),
        "handovers": (1, 3, [("customer_asked", 1)]),
        "preventive": (7, 5, 2),
    },
    "illness": {
        "filters": Filters(cause="illness"),
        "adherence": ((3, 4), [("2025-02", 0, 1), ("2025-03", 1, 1), ("2025-06", 1, 1), ("2025-07", 1, 1)]),
        "relapse": {"2025-03": (1, {3: 0, 6: 1, 12: 1}, True), "2025-08": (1, {3: 0, 6: 0, 12: 1}, True)},
        "relapse_pooled": {3: (0, 2), 6: (1, 2), 12: (2, 2)},
        "cure": ((1, 2), [("2025-01", 0, 1), ("2025-05", 1, 1)]),
        # cases 102, 107 (last cause illness), 109
        "satisfaction": (3, 3, 6, {1: 1, 2: 1, 3: 1, 4: 0, 5: 0},
                         [("2025-01", 1, 1, 2), ("2025-05", 2, 2, 4)]),
        "time": (2, 1350.0, 1500.0),
        "handovers": (1, 3, [("crisis", 1)]),
        "preventive": (7, 5, 2),
    },
    "forgot": {
        "filters": Filters(cause="forgot"),
        "adherence": ((2, 3), [("2026-07", 1, 1), ("2026-08", 1, 1), ("2026-11", 0, 1)]),
        "relapse": {},
        "relapse_pooled": {3: (0, 0), 6: (0, 0), 12: (0, 0)},
        "cure": ((0, 0), []),
        "satisfaction": (2, 1, 4, {1: 0, 2: 0, 3: 0, 4: 1, 5: 0}, [("2026-04", 1, 1, 4), ("2026-06", 1, 0, 0)]),
        "time": (2, 450.0, 600.0),  # 113: 300, 104: 600 (107's first cause does not count)
        "handovers": (0, 2, []),
        "preventive": (7, 5, 2),
    },
    "first_half_2025": {
        "filters": Filters(start=date(2025, 1, 1), end=date(2025, 6, 30)),
        "adherence": ((5, 7), [("2025-02", 1, 2), ("2025-03", 3, 3), ("2025-04", 0, 1), ("2025-06", 1, 1)]),
        "relapse": {"2025-03": (1, {3: 0, 6: 1, 12: 1}, True), "2025-04": (2, {3: 1, 6: 1, 12: 1}, True)},
        "relapse_pooled": {3: (1, 3), 6: (2, 3), 12: (2, 3)},
        "cure": ((2, 4), [("2025-01", 0, 2), ("2025-02", 1, 1), ("2025-05", 1, 1)]),
        "satisfaction": (7, 6, 20, {1: 1, 2: 1, 3: 1, 4: 1, 5: 2},
                         [("2025-01", 2, 2, 6), ("2025-02", 2, 2, 10), ("2025-05", 3, 2, 4)]),
        "time": (4, 1650.0, 2700.0),  # 102: 1200, 107: 1500, 101: 1800, 103: 2700
        "handovers": (3, 8, [("crisis", 1), ("customer_asked", 1), ("not_understood", 1)]),
        "preventive": (1, 1, 0),      # c3: signal 2025-06-01, contacted, its solution came before
    },
    "year_2026": {
        "filters": Filters(start=date(2026, 1, 1), end=date(2026, 12, 31)),
        "adherence": ((3, 4), [("2026-04", 1, 1), ("2026-07", 1, 1), ("2026-08", 1, 1), ("2026-11", 0, 1)]),
        "relapse": {"2026-09": (1, {3: 1, 6: 1, 12: 1}, False)},
        "relapse_pooled": {3: (0, 0), 6: (0, 0), 12: (0, 0)},
        "cure": ((0, 0), []),
        "satisfaction": (4, 1, 4, {1: 0, 2: 0, 3: 0, 4: 1, 5: 0},
                         [("2026-03", 2, 0, 0), ("2026-04", 1, 1, 4), ("2026-06", 1, 0, 0)]),
        "time": (3, 600.0, 900.0),    # 113: 300, 104: 600, 106: 900
        "handovers": (1, 4, [("customer_asked", 1)]),  # 104, 106, 112, 113
        # c23's first signal in 2026 is 01-15, after its only contact: not contacted
        "preventive": (6, 3, 2),
    },
}
