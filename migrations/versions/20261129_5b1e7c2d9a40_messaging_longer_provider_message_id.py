"""messaging: an email's Message-ID carries the sending host's name, longer than 100
characters on some hosts

Revision ID: 5b1e7c2d9a40
Revises: 3420bc86198d
Create Date: 2026-11-29 20:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1e7c2d9a40'
down_revision = '3420bc86198d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.alter_column(
            'provider_message_id',
            existing_type=sa.String(length=100),
            type_=sa.String(length=320),
            existing_nullable=True,
        )


def downgrade():
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.alter_column(
            'provider_message_id',
            existing_type=sa.String(length=320),
            type_=sa.String(length=100),
            existing_nullable=True,
        )
