"""Feed grants: a supervisor lets one tablet watch one camera live for a few minutes (sereno.governance.feeds).

Revision ID: 0003_feed_grants
Revises: 0002_governance
"""

import sqlalchemy as sa
from alembic import op

from sereno.store.types import UtcDateTime

revision = "0003_feed_grants"
down_revision = "0002_governance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gov_feed_grants',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('camera_id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('agency_id', sa.String(length=64), nullable=False),
        sa.Column('device_id', sa.String(length=32), nullable=False),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('requested_at', UtcDateTime(), nullable=False),
        sa.Column('decided_by', sa.String(length=64), nullable=True),
        sa.Column('decided_at', UtcDateTime(), nullable=True),
        sa.Column('decision_reason', sa.Text(), nullable=True),
        sa.Column('expires_at', UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['agency_id'], ['gov_agencies.id'],
            name=op.f('fk_gov_feed_grants_agency_id_gov_agencies')),
        sa.ForeignKeyConstraint(['device_id'], ['gov_devices.id'],
            name=op.f('fk_gov_feed_grants_device_id_gov_devices')),
        sa.ForeignKeyConstraint(['user_id'], ['gov_users.id'], name=op.f('fk_gov_feed_grants_user_id_gov_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gov_feed_grants'))
    )
    op.create_index('ix_gov_feed_grants_lookup', 'gov_feed_grants', ['user_id', 'device_id', 'camera_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_gov_feed_grants_lookup', table_name='gov_feed_grants')
    op.drop_table('gov_feed_grants')
