"""notifications: each organisation's preferences per machine, status and channel

Revision ID: b3f0a6d2e917
Revises: 9d41b7e2c5a8
Create Date: 2026-12-04 18:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

import portal.core.types


# revision identifiers, used by Alembic.
revision = 'b3f0a6d2e917'
down_revision = '9d41b7e2c5a8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notification_preferences',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('organisation_id', sa.Uuid(), nullable=False),
        sa.Column('machine', sa.String(length=50), nullable=False),
        sa.Column('status', sa.String(length=40), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('updated_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['organisation_id'], ['organisations.id'],
            name=op.f('fk_notification_preferences_organisation_id_organisations'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_preferences')),
        sa.UniqueConstraint(
            'organisation_id', 'machine', 'status', 'channel',
            name=op.f('uq_notification_preferences_organisation_id_machine_status_channel'),
        ),
    )


def downgrade():
    op.drop_table('notification_preferences')
