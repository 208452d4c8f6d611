"""i27-english: customers.language, the language a customer chose or wrote in (issue 27), so
outreach, reminders, the plan page and payment pages use it too. Empty means Dutch, the default.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 22:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('language')
