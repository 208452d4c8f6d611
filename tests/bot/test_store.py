from datetime import date

from sqlalchemy import inspect, select

from bot.store.db import engine_for, session_scope
from bot.store.migrate import downgrade, upgrade
from bot.store.models import ArrearsEpisode, Customer, Loan
from bot.store.seed import seed_demo_customers


def test_migrations_go_up_and_down(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    tables = set(inspect(engine_for(url)).get_table_names())
    assert {"customers", "loans", "arrears_episodes", "cases", "verification_failures", "payments", "staff_users",
            "staff_sessions", "audit_log", "case_notes"} <= tables
    downgrade(url)
    assert set(inspect(engine_for(url)).get_table_names()) == {"alembic_version"}


def test_seed_adds_the_five_demo_customers_once(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    upgrade(url)
    assert seed_demo_customers(url, today=date(2026, 11, 22)) == 5
    assert seed_demo_customers(url, today=date(2026, 11, 22)) == 0
    with session_scope(url) as session:
        numbers = session.execute(select(Customer.customer_number).order_by(Customer.customer_number)).scalars()
        assert list(numbers) == ["100001", "100002", "100003", "100004", "100005"]


def test_seed_matches_the_issue(database):
    with session_scope() as session:
        loans = {loan.customer.customer_number: loan for loan in session.execute(select(Loan)).scalars()}
        assert (loans["100001"].loan_type, loans["100001"].arrears_cents, loans["100001"].terms_behind) == \
            ("personal_loan", 21000, 1)
        assert (loans["100002"].loan_type, loans["100002"].arrears_cents) == ("revolving_credit", 75000)
        assert (loans["100003"].loan_type, loans["100003"].arrears_cents) == ("mortgage", 230000)
        # Kees: 4 earlier episodes, each cured, and the current one (open; issue 21: the loan data's episodes).
        assert (loans["100004"].arrears_cents, len(loans["100004"].episodes)) == (37000, 5)
        assert [e.ended_on is None for e in loans["100004"].episodes].count(True) == 1
        # Every customer in arrears has one open episode, which first contact plans from (R24).
        assert {number for number, loan in loans.items() if any(e.ended_on is None for e in loan.episodes)} == \
            {"100001", "100002", "100003", "100004"}
        assert (loans["100005"].arrears_cents, loans["100005"].bounced_debits_quarter) == (0, 2)
        sanne = session.execute(select(Customer).where(Customer.customer_number == "100001")).scalar_one()
        assert (sanne.full_name, sanne.birth_date, sanne.phone) == ("Sanne de Vries", date(1988, 4, 12), "+31612345001")
        episodes = session.execute(select(ArrearsEpisode)).scalars().all()
        assert all(e.started_on >= date(2024, 11, 22) for e in episodes)


def test_seed_gives_fatima_her_bounced_debits_as_risk_signals(tmp_path):
    from bot.store.models import RiskSignal

    url = f"sqlite:///{tmp_path / 'r.db'}"
    upgrade(url)
    seed_demo_customers(url, today=date(2026, 11, 22))
    with session_scope(url) as session:
        signals = session.execute(select(Customer.customer_number, RiskSignal.kind, RiskSignal.observed_on)
                                  .join(RiskSignal.customer).order_by(RiskSignal.observed_on)).all()
    assert signals == [("100005", "bounced_debit", date(2026, 10, 25)), ("100005", "bounced_debit", date(2026, 11, 15))]


def test_the_migrations_build_exactly_the_models(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from bot.store.models import Base

    url = f"sqlite:///{tmp_path / 'match.db'}"
    upgrade(url)
    with engine_for(url).connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_sqlite_files_are_pooled_in_write_ahead_log_mode(tmp_path):
    # SQLAlchemy 1.4 would give a SQLite file a NullPool: a connection per session, and in WAL
    # mode a log checkpoint at every close (issue 7: half of a turn's database time).
    from sqlalchemy import text
    from sqlalchemy.pool import QueuePool

    engine = engine_for(f"sqlite:///{tmp_path / 'pooled.db'}")
    assert isinstance(engine.pool, QueuePool)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        first = connection.connection.dbapi_connection
    with engine.connect() as connection:
        assert connection.connection.dbapi_connection is first  # the same connection, reused
