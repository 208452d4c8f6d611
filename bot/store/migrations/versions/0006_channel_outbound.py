"""channel outbound: proactive messages sent, sent as a WhatsApp template, or queued until the
customer writes again (the 24-hour window)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 10:00:00

Chained after 0005 (local payment links), the newest revision present when it was written.
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('channel_outbound',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.String(length=128), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=True),
    sa.Column('outcome', sa.String(length=24), nullable=False),
    sa.Column('template', sa.String(length=64), nullable=True),
    sa.Column('message', sa.JSON(), nullable=True),
    sa.Column('message_sid', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('channel_outbound', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_outbound_sender_id'), ['sender_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_channel_outbound_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_channel_outbound_ref'), ['ref'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('channel_outbound', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_outbound_ref'))
        batch_op.drop_index(batch_op.f('ix_channel_outbound_case_id'))
        batch_op.drop_index(batch_op.f('ix_channel_outbound_sender_id'))
    op.drop_table('channel_outbound')
