"""The books' case book and the relapses on PostgreSQL too (production's database): the same
tests, on a fresh database seeded like the demo one (skipped when PostgreSQL does not answer,
required with CI=true)."""
from __future__ import annotations

from datetime import date

import pytest

from bot import clock
from bot.config import settings
from bot.store.db import engine_for
from bot.store.migrate import upgrade
from bot.store.seed import seed_demo_customers
from tests.intake import test_books, test_relapse
from tests.intake.conftest import NOW
from tests.scale.services import check_postgres, fresh_database

CASES = [test_books.test_a_payment_made_elsewhere_counts_once_however_often_it_is_sent,
         test_books.test_a_payment_through_our_link_is_not_counted_again_when_the_books_list_it,
         test_books.test_a_figure_from_before_our_link_payment_does_not_undo_it,
         test_books.test_a_payment_booked_on_the_figures_day_is_in_it_one_booked_later_is_not,
         test_books.test_a_transfer_with_our_reference_that_no_webhook_saw_counts_once,
         test_books.test_a_reference_of_another_loans_payment_is_refused_and_nothing_is_written,
         test_relapse.test_arrears_after_an_ended_arrangement_are_a_relapse_the_dashboard_counts,
         test_relapse.test_arrears_after_a_cure_by_our_payment_link_are_a_relapse]


@pytest.mark.parametrize("case", CASES, ids=[case.__name__ for case in CASES])
def test_on_postgresql(case, monkeypatch):
    check_postgres()
    with fresh_database("betaalhulp_intake") as url:
        monkeypatch.setenv("BETAALHULP_DATABASE_URL", url)
        monkeypatch.setenv("BETAALHULP_WEB_SECRET", "intake-tests-secret")
        settings.cache_clear()
        upgrade(url)
        seed_demo_customers(url, today=date(2026, 11, 22))
        clock.set_clock(lambda: NOW)
        try:
            case(url)
        finally:
            clock.set_clock(None)
            engine_for(url).dispose()
            settings.cache_clear()
