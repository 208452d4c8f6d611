"""follow-ups sent per customer: the contact-pressure window read from the index alone (issue 10)

Partial (only sent rows have sent_at), so planning and claiming rows never touch it; marking a
row sent adds its one entry.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 08:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_follow_ups_sent', 'follow_ups', ['customer_id', 'sent_at'], unique=False,
                    sqlite_where=sa.text('sent_at IS NOT NULL'), postgresql_where=sa.text('sent_at IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_follow_ups_sent', table_name='follow_ups')
