"""instalments by payment: the payment webhook's lookup of the instalment it pays (issue 10)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 02:40:00
"""
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('instalments', schema=None) as batch_op:
        batch_op.create_index('ix_instalments_payment_public_id', ['payment_public_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('instalments', schema=None) as batch_op:
        batch_op.drop_index('ix_instalments_payment_public_id')
