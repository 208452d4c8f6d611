"""arrangements.aftercare_from: the day aftercare began, so the follow-up engine plans each
monthly check-in as its day comes into view instead of a year of them at the end (issue 10)

Arrangements whose check-ins were all planned before this migration keep them (the engine
leaves arrangements that already have aftercare rows alone).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 23:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('arrangements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aftercare_from', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_arrangements_aftercare_from'), ['aftercare_from'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('arrangements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_arrangements_aftercare_from'))
        batch_op.drop_column('aftercare_from')
