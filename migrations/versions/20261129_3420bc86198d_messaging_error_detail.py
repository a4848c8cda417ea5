"""messaging: outbound messages keep their failure's code and values, to show it in each
reader's language

Revision ID: 3420bc86198d
Revises: 0f77a67aa753
Create Date: 2026-11-29 19:06:40.877589

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3420bc86198d'
down_revision = '0f77a67aa753'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_detail', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_column('error_detail')
