"""Cases, warrants (and the urgent procedure), supervisor approvals of wide searches, and legal holds."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from sereno.domain import new_id
from sereno.governance.context import Governance
from sereno.governance.gate import require
from sereno.governance.ledger import Kind
from sereno.governance.lookups import case_info
from sereno.governance.model import Action, Area, Capability, CaseInfo, GovernanceError, Principal, Purpose, Scope
from sereno.governance.policy import EMERGENCY_RATIFY_WITHIN
from sereno.governance.purposes import OFFENSES
from sereno.governance.tables import (
    ApprovalRow, CaseRow, EmergencyResultRow, HoldRow, LedgerEntryRow, UserRow, WarrantRow,
)

APPROVAL_TTL = timedelta(hours=24)
HOLD_WITHOUT_WARRANT = timedelta(days=365)  # longer needs an extended-retention warrant


def _case(gov: Governance, case_ref: str) -> CaseInfo:
    with gov.sessions() as session:
        case = case_info(session, case_ref)
    if case is None:
        raise GovernanceError(f"no case {case_ref!r}; list them with `sereno cases list`")
    return case


def _purpose(case: CaseInfo, reason: str) -> Purpose:
    return Purpose(case_id=case.id, reason=reason)


# --- cases --------------------------------------------------------------------------------------------------------

def open_case(gov: Governance, actor: Principal, number: str, offense: str, description: str = "",
              lead: str | None = None) -> str:
    if offense not in OFFENSES:
        raise GovernanceError(f"unknown offense {offense!r}; choose one of: {', '.join(sorted(OFFENSES))}")
    require(gov, actor, Action.MANAGE_CASES, number=number, offense=offense)
    case_id = new_id()
    with gov.sessions.begin() as session:
        if session.scalar(select(CaseRow).where(CaseRow.number == number)):
            raise GovernanceError(f"case number {number!r} already exists")
        lead_row = (session.scalar(select(UserRow).where(UserRow.username == lead)) if lead
                    else session.get(UserRow, actor.user_id))
        if lead_row is None or lead_row.agency_id != actor.agency_id:
            raise GovernanceError(f"lead {lead!r} is not a user of your agency")
        session.add(CaseRow(id=case_id, number=number, offense=offense, agency_id=actor.agency_id,
                            lead_user_id=lead_row.id, description=description, status="open",
                            opened_at=gov.now()))
    gov.ledger.append(Kind.CASE, actor, action="case.open", outcome="done", case_id=case_id,
                      details={"number": number, "offense": offense})
    return case_id


def close_case(gov: Governance, actor: Principal, case_ref: str, reason: str) -> None:
    case = _case(gov, case_ref)
    require(gov, actor, Action.MANAGE_CASES, _purpose(case, reason), number=case.number)
    if case.agency_id != actor.agency_id:
        raise GovernanceError(f"case {case.number} belongs to {case.agency_id}")
    with gov.sessions.begin() as session:
        row = session.get(CaseRow, case.id)
        row.status, row.closed_at = "closed", gov.now()
    gov.ledger.append(Kind.CASE, actor, action="case.close", outcome="done", case_id=case.id,
                      details={"reason": reason})


def add_note(gov: Governance, actor: Principal, case_ref: str, note: str) -> int:
    """Case activity that is not a search (an interview, a lab result): oversight looks for cases with none."""
    case = _case(gov, case_ref)
    require(gov, actor, Action.MANAGE_CASES, _purpose(case, note), number=case.number)
    return gov.ledger.append(Kind.CASE, actor, action="case.note", outcome="done", case_id=case.id,
                             details={"note": note})


def cases(gov: Governance, agency_id: str | None = None) -> list[CaseRow]:
    with gov.sessions() as session:
        query = select(CaseRow).order_by(CaseRow.opened_at)
        if agency_id:
            query = query.where(CaseRow.agency_id == agency_id)
        return list(session.scalars(query))


# --- warrants -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WarrantScope:
    start: datetime
    end: datetime
    cameras: tuple[str, ...] = ()
    area: Area | None = None
    targets: tuple[str, ...] = ()

    def check(self) -> None:
        if self.end <= self.start:
            raise GovernanceError("the warrant's time window ends before it starts")
        if not self.cameras and self.area is None:
            raise GovernanceError("a warrant must name its cameras or an area (CLI: --camera or --area)")


def _add_warrant(gov: Governance, actor: Principal, case: CaseInfo, capability: Capability, scope: WarrantScope,
                 valid_from: datetime, valid_until: datetime, *, court: str = "", judge: str = "",
                 reference: str = "", emergency: bool = False, justification: str = "") -> str:
    scope.check()
    warrant_id = new_id()
    with gov.sessions.begin() as session:
        session.add(WarrantRow(
            id=warrant_id, case_id=case.id, capability=capability.value, court=court, judge=judge,
            reference=reference, cameras=list(scope.cameras),
            area=[scope.area.min_lat, scope.area.min_lon, scope.area.max_lat, scope.area.max_lon]
            if scope.area else None,
            start=scope.start, end=scope.end, targets=list(scope.targets), valid_from=valid_from,
            valid_until=valid_until, emergency=emergency, justification=justification,
            status="pending_ratification" if emergency else "active", recorded_by=actor.username,
            recorded_at=gov.now()))
    gov.ledger.append(Kind.EMERGENCY if emergency else Kind.WARRANT, actor,
                      action="warrant.emergency" if emergency else "warrant.record", outcome="done",
                      case_id=case.id, details={
                          "warrant_id": warrant_id, "capability": capability.value, "court": court, "judge": judge,
                          "reference": reference, "cameras": list(scope.cameras), "targets": list(scope.targets),
                          "start": scope.start.isoformat(), "end": scope.end.isoformat(),
                          "valid_until": valid_until.isoformat(), "justification": justification})
    return warrant_id


def record_warrant(gov: Governance, actor: Principal, case_ref: str, capability: Capability, scope: WarrantScope,
                   *, court: str, judge: str, reference: str, valid_from: datetime, valid_until: datetime) -> str:
    """Record a judge's authorisation as issued (court, judge, reference number, exact scope, validity)."""
    case = _case(gov, case_ref)
    if not (court.strip() and judge.strip() and reference.strip()):
        raise GovernanceError("a warrant needs the court, the judge and the reference number")
    if valid_until <= valid_from:
        raise GovernanceError("the warrant's validity ends before it starts")
    require(gov, actor, Action.RECORD_WARRANT, _purpose(case, f"warrant {reference} from {court}"),
            capability=capability.value)
    return _add_warrant(gov, actor, case, capability, scope, valid_from, valid_until, court=court, judge=judge,
                        reference=reference)


def declare_emergency(gov: Governance, actor: Principal, case_ref: str, capability: Capability,
                      scope: WarrantScope, justification: str) -> str:
    """Urgent procedure: usable at once, must be ratified by a judge within 24 h or its results are purged."""
    case = _case(gov, case_ref)
    require(gov, actor, Action.DECLARE_EMERGENCY, _purpose(case, justification), capability=capability.value)
    now = gov.now()
    return _add_warrant(gov, actor, case, capability, scope, now, now + EMERGENCY_RATIFY_WITHIN, emergency=True,
                        justification=justification)


def ratify_emergency(gov: Governance, actor: Principal, warrant_id: str, *, court: str, judge: str,
                     reference: str, valid_until: datetime) -> None:
    with gov.sessions() as session:
        row = session.get(WarrantRow, warrant_id)
        if row is None or not row.emergency:
            raise GovernanceError(f"no emergency authorisation {warrant_id!r}")
        case_id, status = row.case_id, row.status
    if status != "pending_ratification":
        raise GovernanceError(f"emergency {warrant_id} is {status}; it can no longer be ratified")
    case = _case(gov, case_id)
    require(gov, actor, Action.RECORD_WARRANT, _purpose(case, f"ratification {reference} by {court}"),
            warrant_id=warrant_id)
    now = gov.now()
    with gov.sessions.begin() as session:
        row = session.get(WarrantRow, warrant_id)
        if now > row.valid_from + EMERGENCY_RATIFY_WITHIN:
            raise GovernanceError("more than 24 h have passed: the emergency lapsed and cannot be ratified")
        row.court, row.judge, row.reference = court, judge, reference
        row.ratified_at, row.valid_until, row.status = now, valid_until, "active"
    gov.ledger.append(Kind.EMERGENCY, actor, action="warrant.ratify", outcome="done", case_id=case_id,
                      details={"warrant_id": warrant_id, "court": court, "judge": judge, "reference": reference})


def register_emergency_result(gov: Governance, warrant_id: str, media_path: str) -> None:
    """Record a file produced under an emergency authorisation, so it is purged if the emergency lapses."""
    with gov.sessions.begin() as session:
        session.add(EmergencyResultRow(warrant_id=warrant_id, media_path=media_path, registered_at=gov.now()))


def warrants(gov: Governance, case_ref: str | None = None) -> list[WarrantRow]:
    with gov.sessions() as session:
        query = select(WarrantRow).order_by(WarrantRow.recorded_at)
        if case_ref:
            query = query.where(WarrantRow.case_id == _case(gov, case_ref).id)
        return list(session.scalars(query))


# --- approvals of wide searches -----------------------------------------------------------------------------------

def approve(gov: Governance, actor: Principal, request_seq: int, reason: str) -> str:
    """A supervisor approves one refused wide search (named by its ledger entry) for 24 h. The requester then
    repeats the same request and it passes."""
    with gov.sessions() as session:
        entry = session.get(LedgerEntryRow, request_seq)
        requester = (session.scalar(select(UserRow).where(UserRow.username == entry.actor)) if entry else None)
    details = json.loads(entry.details) if entry else {}
    if entry is None or details.get("code") != "needs_approval" or requester is None:
        raise GovernanceError(f"ledger entry #{request_seq} is not a wide search waiting for approval")
    case = _case(gov, entry.case_id)
    require(gov, actor, Action.APPROVE_WIDE_SEARCH, _purpose(case, reason), request_seq=request_seq)
    if requester.id == actor.user_id:
        raise GovernanceError("a supervisor cannot approve their own wide search; ask another supervisor")
    if case.agency_id != actor.agency_id:
        raise GovernanceError(f"case {case.number} belongs to {case.agency_id}; its own supervisors approve")
    approval_id = new_id()
    now = gov.now()
    with gov.sessions.begin() as session:
        session.add(ApprovalRow(id=approval_id, request_seq=request_seq, case_id=case.id,
                                scope_fingerprint=details["scope_fingerprint"], requested_by=requester.id,
                                approved_by=actor.user_id, reason=reason, approved_at=now,
                                expires_at=now + APPROVAL_TTL))
    gov.ledger.append(Kind.CASE, actor, action="approval.grant", outcome="done", case_id=case.id,
                      details={"approval_id": approval_id, "request_seq": request_seq, "requester": entry.actor,
                               "reason": reason})
    return approval_id


# --- legal holds --------------------------------------------------------------------------------------------------

def place_hold(gov: Governance, actor: Principal, case_ref: str, reason: str, *, sighting_id: str | None = None,
               camera_id: str | None = None, start: datetime | None = None, end: datetime | None = None,
               until: datetime | None = None) -> str:
    """Hold one sighting, or what a camera (or every camera) saw in a window, from the purge."""
    case = _case(gov, case_ref)
    if sighting_id is None and (start is None or end is None):
        raise GovernanceError("hold a sighting (--sighting) or a time window (--from and --to, optional --camera)")
    now = gov.now()
    long_hold = until is None or until - now > HOLD_WITHOUT_WARRANT
    scope = Scope(cameras=(camera_id,) if camera_id else (), start=start, end=end)
    require(gov, actor, Action.PLACE_HOLD, _purpose(case, reason), scope, sighting_id=sighting_id)
    if long_hold and not any(w.capability == Capability.EXTENDED_RETENTION.value and w.status == "active"
                             and w.valid_until >= now for w in warrants(gov, case.id)):
        raise GovernanceError("a hold without an end date, or longer than a year, needs an extended_retention "
                              "warrant for this case; give --until")
    hold_id = new_id()
    with gov.sessions.begin() as session:
        session.add(HoldRow(id=hold_id, case_id=case.id, sighting_id=sighting_id, camera_id=camera_id, start=start,
                            end=end, reason=reason, placed_by=actor.username, placed_at=now, until=until))
    gov.ledger.append(Kind.HOLD, actor, action="hold.place", outcome="done", case_id=case.id, details={
        "hold_id": hold_id, "sighting_id": sighting_id, "camera_id": camera_id,
        "start": start.isoformat() if start else None, "end": end.isoformat() if end else None,
        "until": until.isoformat() if until else None, "reason": reason})
    return hold_id


def release_hold(gov: Governance, actor: Principal, hold_id: str, reason: str) -> None:
    with gov.sessions() as session:
        row = session.get(HoldRow, hold_id)
    if row is None:
        raise GovernanceError(f"no hold {hold_id!r}")
    case = _case(gov, row.case_id)
    require(gov, actor, Action.RELEASE_HOLD, _purpose(case, reason), hold_id=hold_id)
    with gov.sessions.begin() as session:
        session.get(HoldRow, hold_id).released_at = gov.now()
    gov.ledger.append(Kind.HOLD, actor, action="hold.release", outcome="done", case_id=case.id,
                      details={"hold_id": hold_id, "reason": reason})


def active_holds(gov: Governance, now: datetime | None = None) -> list[HoldRow]:
    now = now or gov.now()
    with gov.sessions() as session:
        rows = session.scalars(select(HoldRow).where(HoldRow.released_at.is_(None)))
        return [r for r in rows if r.until is None or r.until > now]
