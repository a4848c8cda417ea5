"""workflow: one handling row per event and after-commit handler, claimed, run and recorded on
its own; the event keeps only when it was dispatched (its attempts and error move to each
handling). No after-commit handler was registered before this revision, so no stored event is
waiting for one.

Revision ID: 4144f3f2ed2d
Revises: 1d5b2415d036
Create Date: 2026-12-04 18:50:00.000000

"""
from alembic import op
import sqlalchemy as sa

import portal.core.types


# revision identifiers, used by Alembic.
revision = '4144f3f2ed2d'
down_revision = '1d5b2415d036'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('domain_event_handlings',
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('handler', sa.String(length=200), nullable=False),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['domain_events.id'], name=op.f('fk_domain_event_handlings_event_id_domain_events')),
    sa.PrimaryKeyConstraint('event_id', 'handler', name=op.f('pk_domain_event_handlings'))
    )
    with op.batch_alter_table('domain_event_handlings', schema=None) as batch_op:
        batch_op.create_index('ix_domain_event_handlings_pending', ['done_at', 'created_at'], unique=False)

    with op.batch_alter_table('domain_events', schema=None) as batch_op:
        batch_op.drop_column('last_error')
        batch_op.drop_column('attempts')


def downgrade():
    with op.batch_alter_table('domain_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))
    with op.batch_alter_table('domain_events', schema=None) as batch_op:
        batch_op.alter_column('attempts', server_default=None)

    with op.batch_alter_table('domain_event_handlings', schema=None) as batch_op:
        batch_op.drop_index('ix_domain_event_handlings_pending')

    op.drop_table('domain_event_handlings')
