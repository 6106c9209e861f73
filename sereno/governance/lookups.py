"""Read-only lookups the gate needs (cases, warrants, approvals, sharing), turned into the pure model types."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sereno.governance.model import Area, Capability, CaseInfo, WarrantInfo
from sereno.governance.policy import ApprovalInfo
from sereno.governance.tables import ApprovalRow, CaseRow, SharingRow, WarrantRow


def case_info(session: Session, case_ref: str | None) -> CaseInfo | None:
    """A case by id or by case number."""
    if not case_ref:
        return None
    row = session.get(CaseRow, case_ref) or session.scalar(select(CaseRow).where(CaseRow.number == case_ref))
    if row is None:
        return None
    return CaseInfo(id=row.id, number=row.number, offense=row.offense, agency_id=row.agency_id,
                    lead_user_id=row.lead_user_id, status=row.status)


def area_from_json(value: list[float] | None) -> Area | None:
    return Area(*value) if value else None


def warrant_info(row: WarrantRow) -> WarrantInfo:
    return WarrantInfo(
        id=row.id, case_id=row.case_id, capability=Capability(row.capability), cameras=tuple(row.cameras or ()),
        area=area_from_json(row.area), start=row.start, end=row.end, targets=tuple(row.targets or ()),
        valid_from=row.valid_from, valid_until=row.valid_until, emergency=row.emergency,
        ratified=row.ratified_at is not None, revoked=row.status in ("revoked", "lapsed"),
    )


def warrants_for_case(session: Session, case_id: str | None) -> list[WarrantInfo]:
    if not case_id:
        return []
    return [warrant_info(r) for r in session.scalars(select(WarrantRow).where(WarrantRow.case_id == case_id))]


def shared_with(session: Session, partner_agency: str | None, now: datetime) -> set[str]:
    """Agencies that share their data with ``partner_agency`` right now."""
    if not partner_agency:
        return set()
    rows = session.scalars(select(SharingRow.owner_agency).where(
        SharingRow.partner_agency == partner_agency, SharingRow.revoked_at.is_(None), SharingRow.starts_at <= now,
        or_(SharingRow.ends_at.is_(None), SharingRow.ends_at > now)))
    return set(rows)


def approval_for(session: Session, user_id: str, case_id: str | None, fingerprint: str,
                 now: datetime) -> ApprovalInfo | None:
    if not case_id:
        return None
    row = session.scalar(select(ApprovalRow).where(
        ApprovalRow.requested_by == user_id, ApprovalRow.case_id == case_id,
        ApprovalRow.scope_fingerprint == fingerprint, ApprovalRow.expires_at >= now,
    ).order_by(ApprovalRow.approved_at.desc()).limit(1))
    if row is None:
        return None
    return ApprovalInfo(id=row.id, case_id=row.case_id, scope_fingerprint=row.scope_fingerprint,
                        requested_by=row.requested_by, approved_by=row.approved_by, expires_at=row.expires_at)
