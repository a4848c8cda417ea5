"""workflow: every status change records where it came from and the change that caused it

Revision ID: 7c3e9a1f2b60
Revises: 5b1e7c2d9a40
Create Date: 2026-12-04 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c3e9a1f2b60'
down_revision = '5b1e7c2d9a40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('origin', sa.String(length=60), nullable=False, server_default='system')
        )
        batch_op.add_column(sa.Column('cause_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_status_changes_cause_id'), ['cause_id'], unique=False)
    # Changes written before origins were recorded each stand for themselves.
    op.execute("UPDATE status_changes SET cause_id = id")
    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        batch_op.alter_column('origin', server_default=None)


def downgrade():
    with op.batch_alter_table('status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_status_changes_cause_id'))
        batch_op.drop_column('cause_id')
        batch_op.drop_column('origin')
