"""i25-rules: cases.stance and cases.stance_evidence, the R10 class of a case (cannot, will not,
does not manage) with the evidence for it (bot/stance); collection_notices, the advance notice
before external collection (R6, bot/collection)

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
    op.create_table(
        'collection_notices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('loan_id', sa.Integer(), nullable=False),
        sa.Column('sender_id', sa.String(length=128), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_by', sa.Integer(), nullable=True),
        sa.Column('handover_from', sa.Date(), nullable=False),
        sa.Column('policy_version', sa.String(length=32), nullable=False),
        sa.Column('handed_over_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('handed_over_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id']),
        sa.ForeignKeyConstraint(['loan_id'], ['loans.id']),
        sa.ForeignKeyConstraint(['sent_by'], ['staff_users.id']),
        sa.ForeignKeyConstraint(['handed_over_by'], ['staff_users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('collection_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collection_notices_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_collection_notices_loan_id'), ['loan_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('collection_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collection_notices_loan_id'))
        batch_op.drop_index(batch_op.f('ix_collection_notices_customer_id'))
    op.drop_table('collection_notices')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('stance_evidence')
        batch_op.drop_column('stance')
