"""onboarding: clients, programs, requests, assignments, sessions, attendees, stages, materials

Revision ID: 0e67e0dcd064
Revises: a8bfcf5cfc9a
Create Date: 2026-11-23 06:02:24.657955

"""
from alembic import op
import sqlalchemy as sa

import portal.core.types


# revision identifiers, used by Alembic.
revision = '0e67e0dcd064'
down_revision = 'a8bfcf5cfc9a'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('clients',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_clients_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clients')),
    sa.UniqueConstraint('organisation_id', 'name', name=op.f('uq_clients_organisation_id_name'))
    )
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clients_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('request_code_counters',
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_request_code_counters_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('organisation_id', 'year', name=op.f('pk_request_code_counters'))
    )
    op.create_table('training_programs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_training_programs_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_programs')),
    sa.UniqueConstraint('organisation_id', 'name', name=op.f('uq_training_programs_organisation_id_name'))
    )
    with op.batch_alter_table('training_programs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_programs_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('client_contacts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_client_contacts_client_id_clients')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_client_contacts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_contacts')),
    sa.UniqueConstraint('client_id', 'user_id', name=op.f('uq_client_contacts_client_id_user_id'))
    )
    with op.batch_alter_table('client_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_contacts_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_contacts_user_id'), ['user_id'], unique=False)

    op.create_table('onboarding_requests',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('request_code', sa.String(length=20), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('program_id', sa.Uuid(), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('priority_rank', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('assigned_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('started_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('actual_start_date', sa.Date(), nullable=True),
    sa.Column('actual_end_date', sa.Date(), nullable=True),
    sa.Column('cancellation_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_onboarding_requests_client_id_clients')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_onboarding_requests_created_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_onboarding_requests_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['program_id'], ['training_programs.id'], name=op.f('fk_onboarding_requests_program_id_training_programs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_onboarding_requests')),
    sa.UniqueConstraint('organisation_id', 'request_code', name=op.f('uq_onboarding_requests_organisation_id_request_code'))
    )
    with op.batch_alter_table('onboarding_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_onboarding_requests_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_onboarding_requests_queue', ['organisation_id', 'status', 'priority_rank', 'created_at'], unique=False)

    op.create_table('program_stages',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('program_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('order', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['program_id'], ['training_programs.id'], name=op.f('fk_program_stages_program_id_training_programs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_stages')),
    sa.UniqueConstraint('program_id', 'order', name=op.f('uq_program_stages_program_id_order'))
    )
    with op.batch_alter_table('program_stages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_program_stages_program_id'), ['program_id'], unique=False)

    op.create_table('stage_progress',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('program_stage_id', sa.Uuid(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('order', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('progress_percentage', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('started_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('skipped_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('updated_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_stage_progress_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['program_stage_id'], ['program_stages.id'], name=op.f('fk_stage_progress_program_stage_id_program_stages')),
    sa.ForeignKeyConstraint(['request_id'], ['onboarding_requests.id'], name=op.f('fk_stage_progress_request_id_onboarding_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_progress')),
    sa.UniqueConstraint('request_id', 'order', name=op.f('uq_stage_progress_request_id_order'))
    )
    with op.batch_alter_table('stage_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_progress_request_id'), ['request_id'], unique=False)

    op.create_table('training_assignments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('trainer_id', sa.Uuid(), nullable=False),
    sa.Column('assigned_by_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('assigned_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('started_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rejected_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('updated_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_training_assignments_assigned_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_training_assignments_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['request_id'], ['onboarding_requests.id'], name=op.f('fk_training_assignments_request_id_onboarding_requests')),
    sa.ForeignKeyConstraint(['trainer_id'], ['users.id'], name=op.f('fk_training_assignments_trainer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_assignments'))
    )
    with op.batch_alter_table('training_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_assignments_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_assignments_trainer_id'), ['trainer_id'], unique=False)

    op.create_table('training_sessions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('assignment_id', sa.Uuid(), nullable=False),
    sa.Column('stage_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('starts_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('location_type', sa.String(length=10), nullable=False),
    sa.Column('meeting_link', sa.String(length=500), nullable=True),
    sa.Column('physical_location', sa.String(length=300), nullable=True),
    sa.Column('is_makeup', sa.Boolean(), nullable=False),
    sa.Column('rescheduled_from_id', sa.Uuid(), nullable=True),
    sa.Column('actual_start_time', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('actual_end_time', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rescheduled_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completion_notes', sa.Text(), nullable=True),
    sa.Column('cancellation_reason', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['training_assignments.id'], name=op.f('fk_training_sessions_assignment_id_training_assignments')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_training_sessions_created_by_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_training_sessions_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['request_id'], ['onboarding_requests.id'], name=op.f('fk_training_sessions_request_id_onboarding_requests')),
    sa.ForeignKeyConstraint(['rescheduled_from_id'], ['training_sessions.id'], name=op.f('fk_training_sessions_rescheduled_from_id_training_sessions')),
    sa.ForeignKeyConstraint(['stage_id'], ['stage_progress.id'], name=op.f('fk_training_sessions_stage_id_stage_progress')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_sessions'))
    )
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_sessions_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_sessions_stage_id'), ['stage_id'], unique=False)

    op.create_table('session_attendees',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('attendance_status', sa.String(length=20), nullable=False),
    sa.Column('confirmed_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attended_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('absent_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', portal.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_session_attendees_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_session_attendees_session_id_training_sessions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_session_attendees_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_attendees')),
    sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_session_attendees_session_id_user_id'))
    )
    with op.batch_alter_table('session_attendees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_attendees_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_attendees_user_id'), ['user_id'], unique=False)

    op.create_table('session_materials',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('material_type', sa.String(length=20), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=100), nullable=False),
    sa.Column('uploaded_by_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', portal.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_session_materials_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['session_id'], ['training_sessions.id'], name=op.f('fk_session_materials_session_id_training_sessions')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_session_materials_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_materials')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_session_materials_storage_key'))
    )
    with op.batch_alter_table('session_materials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_materials_session_id'), ['session_id'], unique=False)




def downgrade():

    with op.batch_alter_table('session_materials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_materials_session_id'))

    op.drop_table('session_materials')
    with op.batch_alter_table('session_attendees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_attendees_user_id'))
        batch_op.drop_index(batch_op.f('ix_session_attendees_session_id'))

    op.drop_table('session_attendees')
    with op.batch_alter_table('training_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_sessions_stage_id'))
        batch_op.drop_index(batch_op.f('ix_training_sessions_request_id'))

    op.drop_table('training_sessions')
    with op.batch_alter_table('training_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_assignments_trainer_id'))
        batch_op.drop_index(batch_op.f('ix_training_assignments_request_id'))

    op.drop_table('training_assignments')
    with op.batch_alter_table('stage_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_progress_request_id'))

    op.drop_table('stage_progress')
    with op.batch_alter_table('program_stages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_program_stages_program_id'))

    op.drop_table('program_stages')
    with op.batch_alter_table('onboarding_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_onboarding_requests_queue')
        batch_op.drop_index(batch_op.f('ix_onboarding_requests_client_id'))

    op.drop_table('onboarding_requests')
    with op.batch_alter_table('client_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_contacts_user_id'))
        batch_op.drop_index(batch_op.f('ix_client_contacts_client_id'))

    op.drop_table('client_contacts')
    with op.batch_alter_table('training_programs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_programs_organisation_id'))

    op.drop_table('training_programs')
    op.drop_table('request_code_counters')
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clients_organisation_id'))

    op.drop_table('clients')

