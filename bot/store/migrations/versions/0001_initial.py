"""initial

Revision ID: 0001
Revises:
Create Date: 2026-11-22 22:07:45.163031
"""
import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('customers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_number', sa.String(length=16), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_customer_number'), ['customer_number'], unique=True)
        batch_op.create_index(batch_op.f('ix_customers_phone'), ['phone'], unique=False)

    op.create_table('verification_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_number', sa.String(length=16), nullable=False),
    sa.Column('sender_id', sa.String(length=128), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('verification_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verification_failures_customer_number'), ['customer_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_verification_failures_failed_at'), ['failed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_verification_failures_sender_id'), ['sender_id'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cause', sa.String(length=32), nullable=True),
    sa.Column('cause_structural', sa.Boolean(), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('finances', sa.JSON(), nullable=False),
    sa.Column('signals', sa.JSON(), nullable=False),
    sa.Column('solution', sa.String(length=32), nullable=True),
    sa.Column('offer', sa.JSON(), nullable=True),
    sa.Column('policy_version', sa.String(length=32), nullable=True),
    sa.Column('handoff_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_sender_id'), ['sender_id'], unique=False)

    op.create_table('loans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('loan_type', sa.String(length=32), nullable=False),
    sa.Column('monthly_term_cents', sa.Integer(), nullable=False),
    sa.Column('terms_behind', sa.Integer(), nullable=False),
    sa.Column('arrears_cents', sa.Integer(), nullable=False),
    sa.Column('costs_cents', sa.Integer(), nullable=False),
    sa.Column('bounced_debits_quarter', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reference')
    )
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loans_customer_id'), ['customer_id'], unique=False)

    op.create_table('arrears_episodes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('loan_id', sa.Integer(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('terms', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['loan_id'], ['loans.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('arrears_episodes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_arrears_episodes_loan_id'), ['loan_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('arrears_episodes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_arrears_episodes_loan_id'))

    op.drop_table('arrears_episodes')
    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loans_customer_id'))

    op.drop_table('loans')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_sender_id'))
        batch_op.drop_index(batch_op.f('ix_cases_customer_id'))

    op.drop_table('cases')
    with op.batch_alter_table('verification_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verification_failures_sender_id'))
        batch_op.drop_index(batch_op.f('ix_verification_failures_failed_at'))
        batch_op.drop_index(batch_op.f('ix_verification_failures_customer_number'))

    op.drop_table('verification_failures')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_phone'))
        batch_op.drop_index(batch_op.f('ix_customers_customer_number'))

    op.drop_table('customers')

