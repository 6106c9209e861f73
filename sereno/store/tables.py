"""The tables of the core store. Migrations in sereno/store/migrations create exactly these (a test compares them).

A sighting carries one plate index, ``(plate_text, observed_at)`` (exact, prefix and route search), and ``cell``
(sereno.intel.geo grid cell, for area search). The suffix and look-alike lookups live in ``seen_plates``, one row per
distinct plate text: a plate seen before (most sightings) then costs no write to those two indexes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sereno.store.base import Base
from sereno.store.types import PlateString, UtcDateTime


class SightingRow(Base):
    __tablename__ = "sightings"

    id: Mapped[str] = mapped_column(String(), primary_key=True)
    camera_id: Mapped[str] = mapped_column(String())
    observed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    first_seen: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_seen: Mapped[datetime | None] = mapped_column(UtcDateTime())
    object_class: Mapped[str] = mapped_column(String())
    box: Mapped[list[float]] = mapped_column(JSON)
    frames: Mapped[int] = mapped_column(Integer, default=1)
    plate_text: Mapped[str | None] = mapped_column(PlateString)
    plate_confidence: Mapped[float | None] = mapped_column(Float)
    plate_raw: Mapped[str | None] = mapped_column(String())
    plate_region: Mapped[str | None] = mapped_column(String())
    plate_pattern: Mapped[str | None] = mapped_column(String())
    plate_candidates: Mapped[Any | None] = mapped_column(JSON)
    plate_corrections: Mapped[Any | None] = mapped_column(JSON)
    plate_box: Mapped[list[float] | None] = mapped_column(JSON)
    plate_frames: Mapped[int | None] = mapped_column(Integer)
    plate_crop_path: Mapped[str | None] = mapped_column(String())
    snapshot_path: Mapped[str | None] = mapped_column(String())
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    cell: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_sightings_plate_time", "plate_text", "observed_at"),
        Index("ix_sightings_camera_time", "camera_id", "observed_at"),
        Index("ix_sightings_time", "observed_at"),
        Index("ix_sightings_cell_time", "cell", "observed_at"),
    )


class SeenPlateRow(Base):
    """Every plate text that some sighting has: ``plate_rev`` (reversed, for suffix wildcards such as ``*123``) and
    ``plate_key`` (sereno.plates.confusion_key, for fuzzy search). Rows whose last sighting is purged are removed
    (sereno.store.seen_plates.forget_unused_plates)."""

    __tablename__ = "seen_plates"

    plate_text: Mapped[str] = mapped_column(PlateString, primary_key=True)
    plate_rev: Mapped[str] = mapped_column(PlateString)
    plate_key: Mapped[str] = mapped_column(String())

    __table_args__ = (
        Index("ix_seen_plates_rev", "plate_rev"),
        Index("ix_seen_plates_key", "plate_key", "plate_text"),
        {"sqlite_with_rowid": False},  # the primary key is the table: one b-tree less to write
    )


class CameraStatusRow(Base):
    __tablename__ = "camera_status"

    camera_id: Mapped[str] = mapped_column(String(), primary_key=True)
    state: Mapped[str] = mapped_column(String())
    reason: Mapped[str] = mapped_column(Text, default="")
    since: Mapped[datetime] = mapped_column(UtcDateTime())
    last_frame_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    frames_decoded: Mapped[int] = mapped_column(BigInteger, default=0)
    frames_analysed: Mapped[int] = mapped_column(BigInteger, default=0)


class HotlistRow(Base):
    __tablename__ = "hotlists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(), unique=True)
    source: Mapped[str] = mapped_column(Text, default="")  # file the list was imported from
    format: Mapped[str] = mapped_column(String())
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime())
    entry_count: Mapped[int] = mapped_column(Integer, default=0)
    rejected_count: Mapped[int] = mapped_column(Integer, default=0)


class HotlistEntryRow(Base):
    __tablename__ = "hotlist_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hotlist_id: Mapped[int] = mapped_column(ForeignKey("hotlists.id", ondelete="CASCADE"))
    plate: Mapped[str] = mapped_column(String())
    plate_key: Mapped[str] = mapped_column(String())
    reason: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(), default="")
    expires: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    source_line: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_hotlist_entries_plate_key", "plate_key"),
        Index("ix_hotlist_entries_hotlist", "hotlist_id"),
    )


class AlertRow(Base):
    __tablename__ = "alerts"

    id: Mapped[str] = mapped_column(String(), primary_key=True)
    sighting_id: Mapped[str] = mapped_column(ForeignKey("sightings.id", ondelete="CASCADE"))
    list_name: Mapped[str] = mapped_column(String())
    hotlist_plate: Mapped[str] = mapped_column(String())
    read_plate: Mapped[str] = mapped_column(String())
    match_kind: Mapped[str] = mapped_column(String())
    reason: Mapped[str] = mapped_column(Text, default="")
    distance: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(String())
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decision_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_alerts_status_created", "status", "created_at"),
        Index("ix_alerts_sighting", "sighting_id"),
    )
