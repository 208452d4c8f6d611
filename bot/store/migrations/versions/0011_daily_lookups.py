"""indexes for the follow-up engine's daily look-ups, which otherwise read whole tables every day
(issue 10): cases by the moment staff resolved them (the satisfaction question after a
handover), risk signals by the day they were observed (preventive contact)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 08:00:00
"""
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_resolved_at', ['resolved_at'], unique=False)
    with op.batch_alter_table('risk_signals', schema=None) as batch_op:
        batch_op.create_index('ix_risk_signals_observed_on', ['observed_on'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('risk_signals', schema=None) as batch_op:
        batch_op.drop_index('ix_risk_signals_observed_on')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_resolved_at')
