"""i21-events: the lender's data reaches the product (issue 21 §2, §3): lender_records (the
lender's record ids, for idempotent intake), booked_payments (payments in the lender's books),
loans.books_arrears_cents / books_as_of (the lender's own arrears figure), payments.
arrears_share_cents, arrears_episodes.detected_at with an index for open episodes (first
contact on new arrears), and daily_jobs (retention and the group-outcome monitor, once a day)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'lender_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('record_id', sa.String(length=64), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('via', sa.String(length=8), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'record_id', name='uq_lender_record'),
    )
    with op.batch_alter_table('lender_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lender_records_customer_id'), ['customer_id'], unique=False)
    op.create_table(
        'booked_payments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('loan_id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.String(length=64), nullable=False),
        sa.Column('amount_cents', sa.Integer(), nullable=False),
        sa.Column('booked_on', sa.Date(), nullable=False),
        sa.Column('payment_id', sa.Integer(), nullable=True),
        sa.Column('counted_cents', sa.Integer(), nullable=False),
        sa.Column('instalment_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['loan_id'], ['loans.id']),
        sa.ForeignKeyConstraint(['payment_id'], ['payments.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('record_id'),
    )
    with op.batch_alter_table('booked_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booked_payments_loan_id'), ['loan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booked_payments_payment_id'), ['payment_id'], unique=False)
    op.create_table(
        'daily_jobs',
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('claimed_by', sa.String(length=64), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('result', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('name', 'day'),
    )
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('books_arrears_cents', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('books_as_of', sa.Date(), nullable=True))
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('arrears_share_cents', sa.Integer(), nullable=True))
    with op.batch_alter_table('arrears_episodes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('detected_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_arrears_episodes_open', ['ended_on', 'started_on'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('arrears_episodes', schema=None) as batch_op:
        batch_op.drop_index('ix_arrears_episodes_open')
        batch_op.drop_column('detected_at')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('arrears_share_cents')
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_column('books_as_of')
        batch_op.drop_column('books_arrears_cents')
    op.drop_table('daily_jobs')
    with op.batch_alter_table('booked_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booked_payments_payment_id'))
        batch_op.drop_index(batch_op.f('ix_booked_payments_loan_id'))
    op.drop_table('booked_payments')
    with op.batch_alter_table('lender_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lender_records_customer_id'))
    op.drop_table('lender_records')
