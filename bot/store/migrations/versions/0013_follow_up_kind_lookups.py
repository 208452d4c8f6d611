"""follow_ups: the indexes on customer_id and on arrangement_id become (customer_id, kind) and
(arrangement_id, kind), so planning finds a customer's or an arrangement's rows of one kind
without reading all their rows (issue 10); look-ups by customer or arrangement alone use the
first column as before

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23 23:30:00
"""
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index('ix_follow_ups_customer_kind', ['customer_id', 'kind'], unique=False)
        batch_op.create_index('ix_follow_ups_arrangement_kind', ['arrangement_id', 'kind'], unique=False)
        batch_op.drop_index('ix_follow_ups_customer_id')
        batch_op.drop_index('ix_follow_ups_arrangement_id')


def downgrade() -> None:
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index('ix_follow_ups_arrangement_id', ['arrangement_id'], unique=False)
        batch_op.create_index('ix_follow_ups_customer_id', ['customer_id'], unique=False)
        batch_op.drop_index('ix_follow_ups_arrangement_kind')
        batch_op.drop_index('ix_follow_ups_customer_kind')
