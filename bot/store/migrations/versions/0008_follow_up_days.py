"""follow-up days: the local days the follow-up engine has closed and planned after; indexes the
engine's set-based planning reads by (issue 10)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 09:00:00

Chained after 0007 (follow-up and outcomes), the newest revision present when it was written.
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('follow_up_days',
    sa.Column('day', sa.Date(), autoincrement=False, nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_by', sa.String(length=64), nullable=False),
    sa.Column('due', sa.Integer(), nullable=False),
    sa.Column('missed', sa.Integer(), nullable=False),
    sa.Column('ended', sa.Integer(), nullable=False),
    sa.Column('planned', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index('ix_follow_ups_instalment_kind', ['instalment_id', 'kind'], unique=False)
    with op.batch_alter_table('instalments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instalments_paid_at'), ['paid_at'], unique=False)
        batch_op.create_index('ix_instalments_status_due', ['status', 'due_on'], unique=False)
        batch_op.create_index('ix_instalments_status', ['status', 'arrangement_id'], unique=False)
        batch_op.create_index('ix_instalments_due_logged', ['due_logged', 'due_on'], unique=False)
    with op.batch_alter_table('arrangements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_arrangements_ended_at'), ['ended_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('arrangements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_arrangements_ended_at'))
    with op.batch_alter_table('instalments', schema=None) as batch_op:
        batch_op.drop_index('ix_instalments_due_logged')
        batch_op.drop_index('ix_instalments_status')
        batch_op.drop_index('ix_instalments_status_due')
        batch_op.drop_index(batch_op.f('ix_instalments_paid_at'))
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_ups_instalment_kind')
    op.drop_table('follow_up_days')
