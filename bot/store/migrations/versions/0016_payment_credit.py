"""i23-data: money that arrives for arrears already paid is kept as a credit on the loan
(loans.credit_cents), and each payment says how much of it became credit (payments.credit_cents);
payments.closed_reason says why we closed a link ourselves (a newer one, arrears paid)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 22:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credit_cents', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credit_cents', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('closed_reason', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('closed_reason')
        batch_op.drop_column('credit_cents')
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_column('credit_cents')
