"""arrangements.checkin_on: the day the bot promised to get in touch (a payment pause's "Op
{datum} nemen we contact met je op"), so the follow-up engine plans that message (issue 21 §3,
R29); and an index on payments (status, updated_at) for the payment notices the engine plans
every pass (issue 21 §3, bot/followup/notices.py)

Arrangements made before this migration have none: their promise was not stored.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 22:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('arrangements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkin_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_arrangements_checkin_on'), ['checkin_on'], unique=False)
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_status_updated_at', ['status', 'updated_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_status_updated_at')
    with op.batch_alter_table('arrangements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_arrangements_checkin_on'))
        batch_op.drop_column('checkin_on')
