"""i25-rules: cases.stance and cases.stance_evidence, the R10 class of a case (cannot, will not,
does not manage) with the evidence for it (bot/stance)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 22:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stance', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('stance_evidence', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('stance_evidence')
        batch_op.drop_column('stance')
