"""webhooks: every signed delivery kept once per source and delivery id, with its processing

Revision ID: 9d41b7e2c5a8
Revises: 7c3e9a1f2b60
Create Date: 2026-12-04 18:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import portal.core.types


# revision identifiers, used by Alembic.
revision = '9d41b7e2c5a8'
down_revision = '7c3e9a1f2b60'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'webhook_deliveries',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('organisation_id', sa.Uuid(), nullable=True),
        sa.Column('source', sa.String(length=60), nullable=False),
        sa.Column('delivery_id', sa.String(length=200), nullable=False),
        sa.Column('received_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('body', sa.LargeBinary(), nullable=False),
        sa.Column('headers', sa.JSON(), nullable=False),
        sa.Column('verified_by', sa.String(length=80), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('error_detail', sa.JSON(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('processed_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column('updated_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['organisation_id'], ['organisations.id'],
            name=op.f('fk_webhook_deliveries_organisation_id_organisations'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
        sa.UniqueConstraint(
            'source', 'delivery_id', name=op.f('uq_webhook_deliveries_source_delivery_id')
        ),
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_webhook_deliveries_organisation_id'), ['organisation_id'], unique=False
        )
        batch_op.create_index(
            'ix_webhook_deliveries_state_received', ['state', 'received_at'], unique=False
        )


def downgrade():
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_deliveries_state_received')
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_organisation_id'))
    op.drop_table('webhook_deliveries')
