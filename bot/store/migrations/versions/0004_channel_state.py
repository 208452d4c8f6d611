"""channel state: provider message ids seen, per-sender window and buttons, delivery status

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-23 10:00:00

Chained after the newest revision present when it was written (0002). If another branch adds
0003 in the meantime, set `down_revision = '0003'` here so there is one head.
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('channel_inbound_seen',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('provider', 'message_id', name='uq_channel_inbound_seen')
    )
    with op.batch_alter_table('channel_inbound_seen', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_inbound_seen_seen_at'), ['seen_at'], unique=False)

    op.create_table('channel_senders',
    sa.Column('sender_id', sa.String(length=128), nullable=False),
    sa.Column('last_inbound_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('button_payloads', sa.JSON(), nullable=True),
    sa.Column('buttons_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('sender_id')
    )
    op.create_table('channel_delivery_status',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('error_code', sa.String(length=16), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('channel_delivery_status', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_delivery_status_message_id'), ['message_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('channel_delivery_status', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_delivery_status_message_id'))
    op.drop_table('channel_delivery_status')
    op.drop_table('channel_senders')
    with op.batch_alter_table('channel_inbound_seen', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_inbound_seen_seen_at'))
    op.drop_table('channel_inbound_seen')
