"""accounts: a Telegram chat is linked by the bot's /start <one-time token>, and belongs to one
person in the whole product

Before the unique constraint, chat ids are trimmed (blank ones become NULL) and a chat id held by
more than one person is taken from all of them: nothing tells who really owns it (any profile
could type another person's), so none keeps it, and its owner links it again from their
profile.

Revision ID: 1d5b2415d036
Revises: b3f0a6d2e917
Create Date: 2026-12-04 17:44:12.265435

"""
from alembic import op
import sqlalchemy as sa

import portal.core.types


# revision identifiers, used by Alembic.
revision = '1d5b2415d036'
down_revision = 'b3f0a6d2e917'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('telegram_link_tokens',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_telegram_link_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telegram_link_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_telegram_link_tokens_token_hash'))
    )
    with op.batch_alter_table('telegram_link_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_telegram_link_tokens_user_id'), ['user_id'], unique=False)

    op.execute(
        "UPDATE users SET telegram_chat_id = NULLIF(TRIM(telegram_chat_id), '') "
        "WHERE telegram_chat_id IS NOT NULL AND telegram_chat_id <> TRIM(telegram_chat_id) "
        "OR telegram_chat_id = ''"
    )
    op.execute(
        "UPDATE users SET telegram_chat_id = NULL WHERE telegram_chat_id IN ("
        "SELECT telegram_chat_id FROM users WHERE telegram_chat_id IS NOT NULL "
        "GROUP BY telegram_chat_id HAVING COUNT(*) > 1)"
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_users_telegram_chat_id'), ['telegram_chat_id'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_telegram_chat_id'), type_='unique')

    with op.batch_alter_table('telegram_link_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_telegram_link_tokens_user_id'))

    op.drop_table('telegram_link_tokens')
