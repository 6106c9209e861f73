"""Core store: sightings, camera status, hotlists and their entries, alerts.

Revision ID: 0001_core
Revises:
"""

import sqlalchemy as sa
from alembic import op

from sereno.store.types import PlateString, UtcDateTime

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sightings",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("camera_id", sa.String(), nullable=False),
        sa.Column("observed_at", UtcDateTime(), nullable=False),
        sa.Column("first_seen", UtcDateTime(), nullable=True),
        sa.Column("last_seen", UtcDateTime(), nullable=True),
        sa.Column("object_class", sa.String(), nullable=False),
        sa.Column("box", sa.JSON(), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("plate_text", PlateString, nullable=True),
        sa.Column("plate_rev", PlateString, nullable=True),
        sa.Column("plate_key", sa.String(), nullable=True),
        sa.Column("plate_confidence", sa.Float(), nullable=True),
        sa.Column("plate_raw", sa.String(), nullable=True),
        sa.Column("plate_region", sa.String(), nullable=True),
        sa.Column("plate_pattern", sa.String(), nullable=True),
        sa.Column("plate_candidates", sa.JSON(), nullable=True),
        sa.Column("plate_corrections", sa.JSON(), nullable=True),
        sa.Column("plate_box", sa.JSON(), nullable=True),
        sa.Column("plate_frames", sa.Integer(), nullable=True),
        sa.Column("plate_crop_path", sa.String(), nullable=True),
        sa.Column("snapshot_path", sa.String(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("cell", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sightings"),
    )
    op.create_index("ix_sightings_plate_time", "sightings", ["plate_text", "observed_at"])
    op.create_index("ix_sightings_plate_rev", "sightings", ["plate_rev"])
    op.create_index("ix_sightings_plate_key", "sightings", ["plate_key", "plate_text"])
    op.create_index("ix_sightings_camera_time", "sightings", ["camera_id", "observed_at"])
    op.create_index("ix_sightings_time", "sightings", ["observed_at"])
    op.create_index("ix_sightings_cell_time", "sightings", ["cell", "observed_at"])

    op.create_table(
        "camera_status",
        sa.Column("camera_id", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("since", UtcDateTime(), nullable=False),
        sa.Column("last_frame_at", UtcDateTime(), nullable=True),
        sa.Column("frames_decoded", sa.BigInteger(), nullable=False),
        sa.Column("frames_analysed", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("camera_id", name="pk_camera_status"),
    )

    op.create_table(
        "hotlists",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("format", sa.String(), nullable=False),
        sa.Column("imported_at", UtcDateTime(), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("rejected_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_hotlists"),
        sa.UniqueConstraint("name", name="uq_hotlists_name"),
    )

    op.create_table(
        "hotlist_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hotlist_id", sa.Integer(), nullable=False),
        sa.Column("plate", sa.String(), nullable=False),
        sa.Column("plate_key", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("expires", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source_line", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["hotlist_id"], ["hotlists.id"], ondelete="CASCADE",
                                name="fk_hotlist_entries_hotlist_id_hotlists"),
        sa.PrimaryKeyConstraint("id", name="pk_hotlist_entries"),
    )
    op.create_index("ix_hotlist_entries_plate_key", "hotlist_entries", ["plate_key"])
    op.create_index("ix_hotlist_entries_hotlist", "hotlist_entries", ["hotlist_id"])

    op.create_table(
        "alerts",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("sighting_id", sa.String(), nullable=False),
        sa.Column("list_name", sa.String(), nullable=False),
        sa.Column("hotlist_plate", sa.String(), nullable=False),
        sa.Column("read_plate", sa.String(), nullable=False),
        sa.Column("match_kind", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("distance", sa.Float(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(), nullable=True),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["sighting_id"], ["sightings.id"], ondelete="CASCADE",
                                name="fk_alerts_sighting_id_sightings"),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
    )
    op.create_index("ix_alerts_status_created", "alerts", ["status", "created_at"])
    op.create_index("ix_alerts_sighting", "alerts", ["sighting_id"])


def downgrade() -> None:
    for table in ("alerts", "hotlist_entries", "hotlists", "camera_status", "sightings"):
        op.drop_table(table)
