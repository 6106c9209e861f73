"""The governance tables, on the store's declarative Base. Alembic revision 0002_governance creates exactly these.

The ledger keeps its timestamps as ISO strings (``at``) because they are hashed: the text that was signed is the
text that is stored, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sereno.store.base import Base
from sereno.store.types import UtcDateTime


class AgencyRow(Base):
    __tablename__ = "gov_agencies"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64), default="America/Tijuana")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class UserRow(Base):
    __tablename__ = "gov_users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    agency_id: Mapped[str] = mapped_column(ForeignKey("gov_agencies.id"))
    role: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24))  # enrolling, awaiting_activation, active, disabled
    password_hash: Mapped[str | None] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(String(255))  # encrypted with <data dir>/keys/secrets.key
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)  # a TOTP code works once
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    enroll_code_hash: Mapped[str | None] = mapped_column(String(64))
    enroll_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    shift_start: Mapped[str | None] = mapped_column(String(5))  # "HH:MM", agency local time
    shift_end: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    activated_by: Mapped[str | None] = mapped_column(String(64))


class DeviceRow(Base):
    __tablename__ = "gov_devices"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("gov_agencies.id"))
    label: Mapped[str] = mapped_column(String(200))
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SessionRow(Base):
    __tablename__ = "gov_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("gov_users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the token; the token is never kept
    device_id: Mapped[str | None] = mapped_column(ForeignKey("gov_devices.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SharingRow(Base):
    """The owner agency lets another agency read its personal data. Off unless a row says otherwise."""

    __tablename__ = "gov_sharing"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_agency: Mapped[str] = mapped_column(ForeignKey("gov_agencies.id"))
    partner_agency: Mapped[str] = mapped_column(ForeignKey("gov_agencies.id"))
    basis: Mapped[str] = mapped_column(Text)  # the signed agreement it rests on
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class CaseRow(Base):
    __tablename__ = "gov_cases"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    offense: Mapped[str] = mapped_column(String(32))
    agency_id: Mapped[str] = mapped_column(ForeignKey("gov_agencies.id"))
    lead_user_id: Mapped[str] = mapped_column(ForeignKey("gov_users.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))  # open, closed
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class WarrantRow(Base):
    __tablename__ = "gov_warrants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("gov_cases.id"))
    capability: Mapped[str] = mapped_column(String(32))
    court: Mapped[str] = mapped_column(String(200), default="")
    judge: Mapped[str] = mapped_column(String(200), default="")
    reference: Mapped[str] = mapped_column(String(100), default="")
    cameras: Mapped[list[str]] = mapped_column(JSON)
    area: Mapped[Any | None] = mapped_column(JSON)  # [min_lat, min_lon, max_lat, max_lon]
    start: Mapped[datetime] = mapped_column(UtcDateTime())
    end: Mapped[datetime] = mapped_column(UtcDateTime())
    targets: Mapped[list[str]] = mapped_column(JSON)
    valid_from: Mapped[datetime] = mapped_column(UtcDateTime())
    valid_until: Mapped[datetime] = mapped_column(UtcDateTime())
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    justification: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))  # active, pending_ratification, lapsed, revoked
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ratified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class EmergencyResultRow(Base):
    """Something produced under an emergency authorisation; purged if the emergency lapses unratified."""

    __tablename__ = "gov_emergency_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    warrant_id: Mapped[str] = mapped_column(ForeignKey("gov_warrants.id"))
    media_path: Mapped[str] = mapped_column(String(255))  # relative to settings.media_path
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    purged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ApprovalRow(Base):
    """A supervisor's approval of one refused wide search (the ledger entry ``request_seq``), for a while."""

    __tablename__ = "gov_approvals"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    request_seq: Mapped[int] = mapped_column(BigInteger)
    case_id: Mapped[str] = mapped_column(ForeignKey("gov_cases.id"))
    scope_fingerprint: Mapped[str] = mapped_column(String(64))
    requested_by: Mapped[str] = mapped_column(ForeignKey("gov_users.id"))
    approved_by: Mapped[str] = mapped_column(ForeignKey("gov_users.id"))
    reason: Mapped[str] = mapped_column(Text)
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_gov_approvals_lookup", "requested_by", "case_id", "scope_fingerprint"),)


class HoldRow(Base):
    """A legal hold: one sighting, or everything a camera (or every camera) saw in a window."""

    __tablename__ = "gov_holds"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("gov_cases.id"))
    sighting_id: Mapped[str | None] = mapped_column(String(32))
    camera_id: Mapped[str | None] = mapped_column(String(64))
    start: Mapped[datetime | None] = mapped_column(UtcDateTime())
    end: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class RetentionRow(Base):
    """Per-agency retention that overrides the defaults (agency ``*`` = the installation's default)."""

    __tablename__ = "gov_retention"

    agency_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    data_class: Mapped[str] = mapped_column(String(32), primary_key=True)
    days: Mapped[int] = mapped_column(Integer)


class LedgerEntryRow(Base):
    __tablename__ = "ledger_entries"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    agency: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    action: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(16))
    case_id: Mapped[str | None] = mapped_column(String(32))
    details: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    sig: Mapped[str] = mapped_column(String(128))

    __table_args__ = (
        Index("ix_ledger_entries_at", "at"),
        Index("ix_ledger_entries_case", "case_id"),
    )


class LedgerCheckpointRow(Base):
    __tablename__ = "ledger_checkpoints"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    log_id: Mapped[str] = mapped_column(String(32))
    root: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(32))
    sig: Mapped[str] = mapped_column(String(128))
    # Cache of the tree's perfect-subtree roots, so the next checkpoint continues from here. Not signed: a wrong
    # cache only produces a checkpoint that fails verification.
    frontier: Mapped[Any] = mapped_column(JSON)


GOVERNANCE_TABLES = [
    AgencyRow, UserRow, DeviceRow, SessionRow, SharingRow, CaseRow, WarrantRow, EmergencyResultRow, ApprovalRow,
    HoldRow, RetentionRow, LedgerEntryRow, LedgerCheckpointRow,
]

# The ledger refuses UPDATE and DELETE at the database level too; an insider must drop these triggers first (which
# verification still catches, and which needs database-owner rights the application account should not have).
APPEND_ONLY_SQL = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS ledger_entries_no_update BEFORE UPDATE ON ledger_entries "
        "BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS ledger_entries_no_delete BEFORE DELETE ON ledger_entries "
        "BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION 'ledger_entries is append-only'; END; $$ LANGUAGE plpgsql",
        "CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries "
        "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()",
        "CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries "
        "FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()",
    ],
}
DROP_APPEND_ONLY_SQL = {
    "sqlite": ["DROP TRIGGER IF EXISTS ledger_entries_no_update", "DROP TRIGGER IF EXISTS ledger_entries_no_delete"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS ledger_entries_append_only ON ledger_entries",
        "DROP TRIGGER IF EXISTS ledger_entries_no_truncate ON ledger_entries",
        "DROP FUNCTION IF EXISTS ledger_append_only()",
    ],
}
