"""Cases, warrants, the offense catalogue, and supervisors' approvals of wide searches."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from sereno.api.auth import Authenticated, ServicesDep
from sereno.api.errors import ApiError
from sereno.api.schemas import ApprovalBody, CaseBody, WarrantBody, iso
from sereno.api.routes.search import utc
from sereno.governance import cases as case_book
from sereno.governance import identity
from sereno.governance.cases import WarrantScope
from sereno.governance.gate import require
from sereno.governance.ledger import stamp
from sereno.governance.model import Action, Area, Capability, GovernanceError, Principal
from sereno.governance.purposes import OFFENSES
from sereno.governance.tables import ApprovalRow, CaseRow, WarrantRow

router = APIRouter(tags=["cases"])


def _case_json(row: CaseRow, usernames: dict[str, str]) -> dict[str, Any]:
    spanish, english = OFFENSES.get(row.offense, (row.offense, row.offense))
    return {"id": row.id, "number": row.number, "offense": row.offense, "offense_es": spanish,
            "offense_en": english, "agency": row.agency_id, "lead": usernames.get(row.lead_user_id),
            "description": row.description, "status": row.status, "opened_at": iso(row.opened_at),
            "closed_at": iso(row.closed_at)}


def _warrant_json(row: WarrantRow) -> dict[str, Any]:
    return {"id": row.id, "capability": row.capability, "court": row.court, "judge": row.judge,
            "reference": row.reference, "cameras": row.cameras, "area": row.area, "start": iso(row.start),
            "end": iso(row.end), "targets": row.targets, "valid_from": iso(row.valid_from),
            "valid_until": iso(row.valid_until), "emergency": row.emergency, "status": row.status,
            "recorded_by": row.recorded_by}


def _usernames(svc: ServicesDep, principal: Principal) -> dict[str, str]:
    return {u.id: u.username for u in identity.users(svc.gov, principal.agency_id)}


@router.get("/api/cases")
def cases(principal: Authenticated, svc: ServicesDep) -> list[dict[str, Any]]:
    """Your agency's cases, newest first (to pick the case a search is for)."""
    names = _usernames(svc, principal)
    rows = case_book.cases(svc.gov, principal.agency_id)
    return [_case_json(row, names) for row in reversed(rows)]


@router.post("/api/cases", status_code=201)
def open_case(body: CaseBody, principal: Authenticated, svc: ServicesDep) -> dict[str, Any]:
    case_book.open_case(svc.gov, principal, body.number.strip(), body.offense, body.description, body.lead)
    return case(body.number.strip(), principal, svc)


@router.get("/api/cases/{number}")
def case(number: str, principal: Authenticated, svc: ServicesDep) -> dict[str, Any]:
    """One case of your agency with its warrants (investigators and supervisors: warrants name their targets)."""
    require(svc.gov, principal, Action.MANAGE_CASES, number=number, what="case details")
    row = next((c for c in case_book.cases(svc.gov, principal.agency_id) if number in (c.number, c.id)), None)
    if row is None:
        raise ApiError(404, "not_found", f"no case {number!r} in your agency; see GET /api/cases")
    return {**_case_json(row, _usernames(svc, principal)),
            "warrants": [_warrant_json(w) for w in case_book.warrants(svc.gov, row.id)]}


@router.post("/api/cases/{number}/warrants", status_code=201)
def record_warrant(number: str, body: WarrantBody, principal: Authenticated, svc: ServicesDep) -> dict[str, Any]:
    """Record a judge's warrant as issued: court, judge, reference, the exact scope, the validity."""
    try:
        capability = Capability(body.capability)
    except ValueError:
        raise GovernanceError(f"unknown capability {body.capability!r}; one of: "
                              f"{', '.join(c.value for c in Capability)}") from None
    scope = WarrantScope(start=utc(body.start), end=utc(body.end), cameras=tuple(body.cameras),
                         area=Area(*body.area) if body.area else None, targets=tuple(body.targets))
    warrant_id = case_book.record_warrant(svc.gov, principal, number, capability, scope, court=body.court,
                                          judge=body.judge, reference=body.reference,
                                          valid_from=utc(body.valid_from), valid_until=utc(body.valid_until))
    return {"id": warrant_id}


@router.get("/api/offenses")
def offenses(principal: Authenticated) -> list[dict[str, str]]:
    """The fixed offense catalogue a case names (code, Spanish, English)."""
    return [{"code": code, "es": spanish, "en": english} for code, (spanish, english) in OFFENSES.items()]


@router.get("/api/approvals")
def pending_approvals(principal: Authenticated, svc: ServicesDep) -> list[dict[str, Any]]:
    """For supervisors: wide searches of their agency refused in the last 24 h for want of an approval, not yet
    approved, newest first (approve one by its ``ledger_seq``)."""
    require(svc.gov, principal, Action.APPROVE_WIDE_SEARCH, what="pending approvals")
    since = stamp(svc.gov.now() - case_book.APPROVAL_TTL)
    with svc.gov.sessions() as session:
        approved = set(session.scalars(select(ApprovalRow.request_seq)))
    waiting = [e for e in svc.gov.ledger.entries(kind="decision", since=since)
               if e["outcome"] == "refused" and e["details"].get("code") == "needs_approval"
               and e["agency"] == principal.agency_id and e["seq"] not in approved]
    return [{"ledger_seq": e["seq"], "at": e["at"], "user": e["actor"], "action": e["action"],
             "case": e["details"].get("case_number"), "reason": e["details"].get("reason"),
             "wide": e["details"].get("wide", []), "scope": e["details"].get("scope")} for e in reversed(waiting)]


@router.post("/api/approvals/{ledger_seq}", status_code=201)
def approve(ledger_seq: int, body: ApprovalBody, principal: Authenticated, svc: ServicesDep) -> dict[str, Any]:
    """A supervisor (not the requester) approves the refused wide search recorded as ledger entry ``ledger_seq``
    for 24 h; the requester then repeats exactly the same search."""
    return {"approval_id": case_book.approve(svc.gov, principal, ledger_seq, body.reason)}
