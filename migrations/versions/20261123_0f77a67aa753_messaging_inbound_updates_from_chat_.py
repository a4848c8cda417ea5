"""messaging: inbound updates from chat channels

Revision ID: 0f77a67aa753
Revises: 0e67e0dcd064
Create Date: 2026-11-23 06:50:34.097869

"""
from alembic import op
import sqlalchemy as sa

import portal.core.types


# revision identifiers, used by Alembic.
revision = '0f77a67aa753'
down_revision = '0e67e0dcd064'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('inbound_updates',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=False),
    sa.Column('sender', sa.String(length=100), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('handled_by', sa.String(length=60), nullable=True),
    sa.Column('received_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_updates')),
    sa.UniqueConstraint('channel', 'external_id', name=op.f('uq_inbound_updates_channel_external_id'))
    )



def downgrade():

    op.drop_table('inbound_updates')

