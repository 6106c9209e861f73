"""Governance: agencies, users, devices, sessions, sharing, cases, warrants, approvals, holds, retention, the ledger.

Revision ID: 0002_governance
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

from sereno.governance.tables import APPEND_ONLY_SQL, DROP_APPEND_ONLY_SQL
from sereno.store.types import UtcDateTime

revision = "0002_governance"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gov_agencies',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('level', sa.String(length=16), nullable=False),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.Column('created_at', UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gov_agencies'))
    )
    op.create_table('gov_retention',
        sa.Column('agency_id', sa.String(length=64), nullable=False),
        sa.Column('data_class', sa.String(length=32), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('agency_id', 'data_class', name=op.f('pk_gov_retention'))
    )
    op.create_table('ledger_checkpoints',
        sa.Column('tree_size', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('log_id', sa.String(length=32), nullable=False),
        sa.Column('root', sa.String(length=64), nullable=False),
        sa.Column('at', sa.String(length=32), nullable=False),
        sa.Column('sig', sa.String(length=128), nullable=False),
        sa.Column('frontier', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('tree_size', name=op.f('pk_ledger_checkpoints'))
    )
    op.create_table('ledger_entries',
        sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('at', sa.String(length=32), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('agency', sa.String(length=64), nullable=True),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('action', sa.String(length=64), nullable=True),
        sa.Column('outcome', sa.String(length=16), nullable=True),
        sa.Column('case_id', sa.String(length=32), nullable=True),
        sa.Column('details', sa.Text(), nullable=False),
        sa.Column('prev', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('sig', sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_ledger_entries')),
        sa.UniqueConstraint('hash', name=op.f('uq_ledger_entries_hash'))
    )
    op.create_index('ix_ledger_entries_at', 'ledger_entries', ['at'], unique=False)
    op.create_index('ix_ledger_entries_case', 'ledger_entries', ['case_id'], unique=False)
    op.create_table('gov_devices',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('agency_id', sa.String(length=64), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('registered_at', UtcDateTime(), nullable=False),
        sa.Column('revoked_at', UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['agency_id'], ['gov_agencies.id'], name=op.f('fk_gov_devices_agency_id_gov_agencies')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gov_devices'))
    )
    op.create_table('gov_sharing',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('owner_agency', sa.String(length=64), nullable=False),
        sa.Column('partner_agency', sa.String(length=64), nullable=False),
        sa.Column('basis', sa.Text(), nullable=False),
        sa.Column('starts_at', UtcDateTime(), nullable=False),
        sa.Column('ends_at', UtcDateTime(), nullable=True),
        sa.Column('revoked_at', UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['owner_agency'], ['gov_agencies.id'],
            name=op.f('fk_gov_sharing_owner_agency_gov_agencies')),
        sa.ForeignKeyConstraint(['partner_agency'], ['gov_agencies.id'],
            name=op.f('fk_gov_sharing_partner_agency_gov_agencies')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gov_sharing'))
    )
    op.create_table('gov_users',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('display_name', sa.String(length=200), nullable=False),
        sa.Column('agency_id', sa.String(length=64), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=24), nullable=False),
        sa.Column('password_hash', sa.String(length=200), nullable=True),
        sa.Column('totp_secret', sa.String(length=255), nullable=True),
        sa.Column('totp_last_step', sa.BigInteger(), nullable=True),
        sa.Column('failed_logins', sa.Integer(), nullable=False),
        sa.Column('locked_until', UtcDateTime(), nullable=True),
        sa.Column('enroll_code_hash', sa.String(length=64), nullable=True),
        sa.Column('enroll_expires_at', UtcDateTime(), nullable=True),
        sa.Column('shift_start', sa.String(length=5), nullable=True),
        sa.Column('shift_end', sa.String(length=5), nullable=True),
        sa.Column('created_at', UtcDateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('activated_by', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['agency_id'], ['gov_agencies.id'], name=op.f('fk_gov_users_agency_id_gov_agencies')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gov_users')),
        sa.UniqueConstraint('username', name=op.f('uq_gov_users_username'))
    )
    op.create_table('gov_cases',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('number', sa.String(length=64), nullable=False),
        sa.Column('offense', sa.String(length=32), nullable=False),
        sa.Column('agency_id', sa.String(length=64), nullable=False),
        sa.Column('lead_user_id', sa.String(length=32), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('opened_at', UtcDateTime(), nullable=False),
        sa.Column('closed_at', UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['agency_id'], ['gov_agencies.id'], name=op.f('fk_gov_cases_agency_id_gov_agencies')),
        sa.ForeignKeyConstraint(['lead_user_id'], ['gov_users.id'], name=op.f('fk_gov_cases_lead_user_id_gov_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gov_cases')),
        sa.UniqueConstraint('number', name=op.f('uq_gov_cases_number'))
    )
    op.create_table('gov_sessions',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('device_id', sa.String(length=32), nullable=True),
        sa.Column('created_at', UtcDateTime(), nullable=False),
        sa.Column('expires_at', UtcDateTime(), nullable=False),
        sa.Column('revoked_at', UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['device_id'], ['gov_devices.id'], name=op.f('fk_gov_sessions_device_id_gov_devices')),
        sa.ForeignKeyConstraint(['user_id'], ['gov_users.id'], name=op.f('fk_gov_sessions_user_id_gov_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gov_sessions')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_gov_sessions_token_hash'))
    )
    op.create_table('gov_approvals',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('request_seq', sa.BigInteger(), nullable=False),
        sa.Column('case_id', sa.String(length=32), nullable=False),
        sa.Column('scope_fingerprint', sa.String(length=64), nullable=False),
        sa.Column('requested_by', sa.String(length=32), nullable=False),
        sa.Column('approved_by', sa.String(length=32), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('approved_at', UtcDateTime(), nullable=False),
        sa.Column('expires_at', UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['approved_by'], ['gov_users.id'], name=op.f('fk_gov_approvals_approved_by_gov_users')),
        sa.ForeignKeyConstraint(['case_id'], ['gov_cases.id'], name=op.f('fk_gov_approvals_case_id_gov_cases')),
        sa.ForeignKeyConstraint(['requested_by'], ['gov_users.id'],
            name=op.f('fk_gov_approvals_requested_by_gov_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gov_approvals'))
    )
    op.create_index('ix_gov_approvals_lookup', 'gov_approvals', ['requested_by', 'case_id', 'scope_fingerprint'],
                    unique=False)
    op.create_table('gov_holds',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('case_id', sa.String(length=32), nullable=False),
        sa.Column('sighting_id', sa.String(length=32), nullable=True),
        sa.Column('camera_id', sa.String(length=64), nullable=True),
        sa.Column('start', UtcDateTime(), nullable=True),
        sa.Column('end', UtcDateTime(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('placed_by', sa.String(length=64), nullable=False),
        sa.Column('placed_at', UtcDateTime(), nullable=False),
        sa.Column('until', UtcDateTime(), nullable=True),
        sa.Column('released_at', UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['gov_cases.id'], name=op.f('fk_gov_holds_case_id_gov_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gov_holds'))
    )
    op.create_table('gov_warrants',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('case_id', sa.String(length=32), nullable=False),
        sa.Column('capability', sa.String(length=32), nullable=False),
        sa.Column('court', sa.String(length=200), nullable=False),
        sa.Column('judge', sa.String(length=200), nullable=False),
        sa.Column('reference', sa.String(length=100), nullable=False),
        sa.Column('cameras', sa.JSON(), nullable=False),
        sa.Column('area', sa.JSON(), nullable=True),
        sa.Column('start', UtcDateTime(), nullable=False),
        sa.Column('end', UtcDateTime(), nullable=False),
        sa.Column('targets', sa.JSON(), nullable=False),
        sa.Column('valid_from', UtcDateTime(), nullable=False),
        sa.Column('valid_until', UtcDateTime(), nullable=False),
        sa.Column('emergency', sa.Boolean(), nullable=False),
        sa.Column('justification', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('recorded_by', sa.String(length=64), nullable=False),
        sa.Column('recorded_at', UtcDateTime(), nullable=False),
        sa.Column('ratified_at', UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['gov_cases.id'], name=op.f('fk_gov_warrants_case_id_gov_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gov_warrants'))
    )
    op.create_table('gov_emergency_results',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('warrant_id', sa.String(length=32), nullable=False),
        sa.Column('media_path', sa.String(length=255), nullable=False),
        sa.Column('registered_at', UtcDateTime(), nullable=False),
        sa.Column('purged_at', UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['warrant_id'], ['gov_warrants.id'],
            name=op.f('fk_gov_emergency_results_warrant_id_gov_warrants')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gov_emergency_results'))
    )
    for statement in APPEND_ONLY_SQL.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP_APPEND_ONLY_SQL.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    op.drop_table("ledger_checkpoints")
    op.drop_table("ledger_entries")
    op.drop_table("gov_retention")
    op.drop_table("gov_holds")
    op.drop_table("gov_approvals")
    op.drop_table("gov_emergency_results")
    op.drop_table("gov_warrants")
    op.drop_table("gov_cases")
    op.drop_table("gov_sharing")
    op.drop_table("gov_sessions")
    op.drop_table("gov_devices")
    op.drop_table("gov_users")
    op.drop_table("gov_agencies")
