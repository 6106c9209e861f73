"""Seen plates: the suffix and look-alike plate lookups move from every sighting to one row per distinct plate.

A sighting of a plate seen before then writes one plate-index page instead of three. Existing plates are copied
from the sightings, then the sightings' ``plate_rev``/``plate_key`` indexes and columns are dropped (on SQLite with
``ALTER TABLE ... DROP COLUMN``, SQLite 3.35 or newer: it rewrites each row in place instead of copying the table).

Revision ID: 0004_seen_plates
Revises: 0003_feed_grants
"""

import sqlalchemy as sa
from alembic import op

from sereno.store.seen_plates import seen_plate_rows
from sereno.store.types import PlateString

revision = "0004_seen_plates"
down_revision = "0003_feed_grants"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "seen_plates",
        sa.Column("plate_text", PlateString, nullable=False),
        sa.Column("plate_rev", PlateString, nullable=False),
        sa.Column("plate_key", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("plate_text", name="pk_seen_plates"),
        sqlite_with_rowid=False,
    )
    # Distinct plates stream from the (plate_text, observed_at) index in order, so the new table is written in order
    # too; the reverse and the key are made by the same function the write path uses.
    connection = op.get_bind()
    seen = connection.execute(
        sa.text("SELECT DISTINCT plate_text FROM sightings WHERE plate_text IS NOT NULL ORDER BY plate_text")
        .execution_options(stream_results=True, yield_per=10_000))
    insert = sa.table("seen_plates", sa.column("plate_text"), sa.column("plate_rev"), sa.column("plate_key")).insert()
    for plates in seen.scalars().partitions():
        connection.execute(insert, seen_plate_rows(plates))
    op.create_index("ix_seen_plates_rev", "seen_plates", ["plate_rev"])
    op.create_index("ix_seen_plates_key", "seen_plates", ["plate_key", "plate_text"])
    op.drop_index("ix_sightings_plate_rev", table_name="sightings")
    op.drop_index("ix_sightings_plate_key", table_name="sightings")
    op.drop_column("sightings", "plate_rev")
    op.drop_column("sightings", "plate_key")


def downgrade() -> None:
    op.add_column("sightings", sa.Column("plate_rev", PlateString, nullable=True))
    op.add_column("sightings", sa.Column("plate_key", sa.String(), nullable=True))
    op.execute("UPDATE sightings SET plate_rev = (SELECT p.plate_rev FROM seen_plates p "
               "WHERE p.plate_text = sightings.plate_text), plate_key = (SELECT p.plate_key FROM seen_plates p "
               "WHERE p.plate_text = sightings.plate_text)")
    op.create_index("ix_sightings_plate_rev", "sightings", ["plate_rev"])
    op.create_index("ix_sightings_plate_key", "sightings", ["plate_key", "plate_text"])
    op.drop_table("seen_plates")
