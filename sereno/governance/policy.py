"""The rules of the gate as pure functions: role x action, purposes, cases, sharing, wide searches, warrants.

``evaluate`` takes every fact it needs as arguments (the gate looks them up) and returns a Decision. No I/O here, so
the whole rule book is testable row by row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sereno.governance.model import (
    Action,
    Capability,
    CaseInfo,
    Decision,
    Principal,
    Purpose,
    Role,
    Scope,
    WarrantInfo,
)
from sereno.governance.purposes import MIN_REASON_CHARS, forbidden_purpose


@dataclass(frozen=True, slots=True)
class ActionRule:
    roles: frozenset[Role]
    personal: bool = False  # reads personal data: states a reason, forbidden purposes refused
    needs_case: bool = False  # must name an open case of the principal's agency (or one shared with it)
    capability: Capability | None = None  # needs a judge's warrant covering the exact request
    search: bool = False  # subject to the wide-search limits


_OP, _INV, _SUP, _AUD, _ADM = Role.OPERATOR, Role.INVESTIGATOR, Role.SUPERVISOR, Role.AUDITOR, Role.ADMINISTRATOR
_CASEWORK = frozenset({_INV, _SUP})
_WATCH = frozenset({_OP, _INV, _SUP})

RULES: dict[Action, ActionRule] = {
    Action.SEARCH_PLATE: ActionRule(_CASEWORK, personal=True, needs_case=True, search=True),
    Action.SEARCH_AREA: ActionRule(_CASEWORK, personal=True, needs_case=True, search=True),
    Action.SEARCH_ROUTE: ActionRule(_CASEWORK, personal=True, needs_case=True, search=True),
    Action.VIEW_SIGHTING: ActionRule(_CASEWORK, personal=True, needs_case=True),
    Action.VIEW_VIDEO: ActionRule(_CASEWORK, personal=True, needs_case=True),
    # Watching the street live is the centre's duty: logged, no case; tablets need a feed grant (governance.feeds).
    Action.VIEW_LIVE: ActionRule(_WATCH),
    # Alerts come from hotlists: the hotlist entry is the standing purpose, so no case, but a reason is recorded.
    Action.VIEW_ALERTS: ActionRule(_WATCH, personal=True),
    Action.DECIDE_ALERT: ActionRule(_WATCH, personal=True),
    Action.MANAGE_HOTLIST: ActionRule(frozenset({_SUP})),
    Action.FACE_SEARCH: ActionRule(_CASEWORK, personal=True, needs_case=True, capability=Capability.FACE_SEARCH,
                                   search=True),
    Action.FACE_WATCHLIST: ActionRule(frozenset({_SUP}), personal=True, needs_case=True,
                                      capability=Capability.FACE_WATCHLIST),
    Action.EXPORT_EVIDENCE: ActionRule(_CASEWORK, personal=True, needs_case=True),
    Action.VIEW_CAMERA_LOCATIONS: ActionRule(frozenset({_OP, _INV, _SUP, _AUD})),
    # Silencing a tamper alarm is what someone who turned a camera away would want: a supervisor, with a reason.
    Action.ACCEPT_CAMERA_VIEW: ActionRule(frozenset({_SUP})),
    Action.MANAGE_CASES: ActionRule(_CASEWORK),
    Action.RECORD_WARRANT: ActionRule(_CASEWORK),
    Action.DECLARE_EMERGENCY: ActionRule(frozenset({_SUP})),
    Action.PLACE_HOLD: ActionRule(_CASEWORK),
    Action.RELEASE_HOLD: ActionRule(frozenset({_SUP})),
    Action.APPROVE_WIDE_SEARCH: ActionRule(frozenset({_SUP})),
    Action.ACTIVATE_ACCOUNT: ActionRule(frozenset({_SUP})),
    Action.READ_LEDGER: ActionRule(frozenset({_AUD})),
    Action.EXPORT_LEDGER: ActionRule(frozenset({_AUD})),
    Action.PUBLISH_REPORT: ActionRule(frozenset({_AUD, _SUP})),
    Action.MANAGE_ACCOUNTS: ActionRule(frozenset({_ADM})),
    Action.MANAGE_SHARING: ActionRule(frozenset({_ADM})),
    Action.CONFIGURE: ActionRule(frozenset({_ADM})),
    Action.RUN_PURGE: ActionRule(frozenset({_ADM})),
}

# Wide-search limits: beyond any of these a supervisor (not the requester) must approve the exact scope.
MAX_PLATES = 5
MIN_FIXED_PLATE_CHARS = 4  # a wildcard such as "A*" matches half the city
MAX_AREA_KM2 = 1.0
MAX_AREA_WINDOW_HOURS = 72.0  # area and route searches
MAX_PLATE_WINDOW_HOURS = 31 * 24.0
EMERGENCY_RATIFY_WITHIN = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class ApprovalInfo:
    id: str
    case_id: str
    scope_fingerprint: str
    requested_by: str  # user id
    approved_by: str  # user id of a supervisor
    expires_at: datetime


def wide_search_reasons(action: Action, scope: Scope) -> list[str]:
    """Why a search counts as bulk or wide (empty when it is targeted)."""
    reasons = []
    if len(scope.plates) > MAX_PLATES:
        reasons.append(f"{len(scope.plates)} plates (more than {MAX_PLATES})")
    for plate in scope.plates:
        fixed = sum(ch.isalnum() for ch in plate)
        if ("*" in plate or "?" in plate) and fixed < MIN_FIXED_PLATE_CHARS:
            reasons.append(f"pattern {plate!r} fixes only {fixed} characters (at least {MIN_FIXED_PLATE_CHARS})")
    if scope.area is not None and scope.area.km2() > MAX_AREA_KM2:
        reasons.append(f"area of {scope.area.km2():.1f} km2 (more than {MAX_AREA_KM2:g})")
    if action in (Action.SEARCH_AREA, Action.SEARCH_ROUTE, Action.FACE_SEARCH) and not scope.plates:
        if scope.area is None and not scope.cameras:
            reasons.append("no area and no cameras: the whole city")
    hours = scope.window_hours()
    limit = MAX_PLATE_WINDOW_HOURS if action == Action.SEARCH_PLATE else MAX_AREA_WINDOW_HOURS
    if hours is None and action != Action.SEARCH_PLATE:
        reasons.append("no time window")
    elif hours is not None and hours > limit:
        reasons.append(f"time window of {hours:.0f} h (more than {limit:.0f} h)")
    return reasons


def warrant_is_valid(warrant: WarrantInfo, now: datetime) -> bool:
    if warrant.revoked or not (warrant.valid_from <= now <= warrant.valid_until):
        return False
    if warrant.emergency and not warrant.ratified:
        return now <= warrant.valid_from + EMERGENCY_RATIFY_WITHIN
    return True


def warrant_gaps(warrant: WarrantInfo, capability: Capability, case_id: str | None, scope: Scope,
                 now: datetime) -> list[str]:
    """What of the request this warrant does not cover (empty when it covers all of it)."""
    gaps = []
    if warrant.capability != capability:
        gaps.append(f"it authorises {warrant.capability.value}, not {capability.value}")
    if warrant.case_id != case_id:
        gaps.append("it belongs to another case")
    if not warrant_is_valid(warrant, now):
        gaps.append("it is not valid now (expired, revoked, or an emergency not ratified within 24 h)")
    if scope.start is None or scope.end is None:
        gaps.append("the request has no time window")
    elif scope.start < warrant.start or scope.end > warrant.end:
        gaps.append("the time window reaches outside the warrant's")
    if scope.cameras:
        outside = sorted(set(scope.cameras) - set(warrant.cameras))
        if outside:
            gaps.append(f"cameras not named in the warrant: {', '.join(outside)}")
    elif scope.area is None:
        gaps.append("the request names neither cameras nor an area")
    elif warrant.area is None or not warrant.area.contains(scope.area):
        gaps.append("the area reaches outside the warrant's")
    if warrant.targets and not scope.targets:
        gaps.append("the request names no target (the warrant is for specific targets)")
    extra = sorted(set(scope.targets) - set(warrant.targets))
    if extra:
        gaps.append(f"targets not named in the warrant: {', '.join(extra)}")
    return gaps


def readable_owners(principal: Principal, shared_with_me: set[str], warrants: list[WarrantInfo],
                    case_id: str | None, now: datetime) -> set[str]:
    """The agencies whose data this principal may read for this case: its own, those with a sharing agreement
    towards its agency, and those a valid cross-agency warrant for the case names."""
    owners = {principal.agency_id} if principal.agency_id else set()
    owners |= shared_with_me
    for w in warrants:
        if w.capability == Capability.CROSS_AGENCY_SHARING and w.case_id == case_id and warrant_is_valid(w, now):
            owners |= set(w.targets)
    return owners


def evaluate(principal: Principal, action: Action, purpose: Purpose | None, scope: Scope, *,
             case: CaseInfo | None, shared_with_me: set[str], warrants: list[WarrantInfo],
             approval: ApprovalInfo | None, now: datetime) -> Decision:
    """Decide one request. Checks run in a fixed order and the first failure is the answer."""
    rule = RULES[action]
    base = Decision(allowed=False, code="", message="", action=action, principal=principal, purpose=purpose,
                    scope=scope)

    def refuse(code: str, message: str, **details: object) -> Decision:
        return replace(base, code=code, message=message, details=dict(details))

    if principal.role not in rule.roles:
        allowed = ", ".join(sorted(r.value for r in rule.roles))
        return refuse("role", f"a {principal.role.value} may not {action.value} (allowed: {allowed})")

    if rule.personal:
        if purpose is None or len(purpose.reason.strip()) < MIN_REASON_CHARS:
            return refuse("no_reason", f"state the reason for this {action.value} in at least {MIN_REASON_CHARS} "
                                       "characters (--reason)")
        forbidden = forbidden_purpose(purpose.reason)
        if forbidden:
            category, words = forbidden
            return refuse("forbidden_purpose", f"refused: the reason names a forbidden purpose ({category}: "
                                               f"'{words}'). This attempt is recorded for the auditors.",
                          category=category, words=words)

    if rule.needs_case:
        if purpose is None or not purpose.case_id:
            return refuse("no_case", f"{action.value} needs an open case (--case)")
        if case is None:
            return refuse("no_case", f"case {purpose.case_id!r} does not exist")
        if case.status != "open":
            return refuse("case_closed", f"case {case.number} is {case.status}")
        if case.agency_id != principal.agency_id and case.agency_id not in shared_with_me:
            return refuse("case_agency", f"case {case.number} belongs to agency {case.agency_id}, which shares "
                                         "nothing with yours")

    owners: tuple[str, ...] = ()
    if rule.personal:
        case_id = purpose.case_id if purpose else None
        readable = readable_owners(principal, shared_with_me, warrants, case_id, now)
        denied = sorted(set(scope.owners) - readable)
        if denied:
            return refuse("no_sharing", f"no sharing agreement or cross-agency warrant gives you the data of "
                                        f"{', '.join(denied)}", agencies=denied)
        owners = tuple(sorted(set(scope.owners) if scope.owners else readable))

    approval_id = None
    if rule.search:
        wide = wide_search_reasons(action, scope)
        if wide:
            ok = (approval is not None and approval.scope_fingerprint == scope.fingerprint()
                  and approval.case_id == (case.id if case else None)  # the purpose may name the case by number
                  and approval.requested_by == principal.user_id and approval.approved_by != principal.user_id
                  and now <= approval.expires_at)
            if not ok:
                return refuse("needs_approval", "a wide search needs a supervisor's approval of this exact scope "
                                                f"({'; '.join(wide)}): ask for one with `sereno cases approve`",
                              wide=wide, scope_fingerprint=scope.fingerprint())
            approval_id = approval.id

    warrant_id = None
    if rule.capability is not None:
        case_id = purpose.case_id if purpose else None
        candidates = [w for w in warrants if purpose is None or purpose.warrant_id in (None, w.id)]
        gaps_by_warrant = {w.id: warrant_gaps(w, rule.capability, case_id, scope, now) for w in candidates}
        covering = [wid for wid, gaps in gaps_by_warrant.items() if not gaps]
        if not covering:
            closest = min(gaps_by_warrant.values(), key=len, default=["no warrant recorded for this case"])
            return refuse("needs_warrant", f"{rule.capability.value} needs a valid warrant covering exactly this "
                                           f"request: {'; '.join(closest)}", capability=rule.capability.value)
        warrant_id = covering[0]

    return replace(base, allowed=True, code="ok", message="allowed", owners=owners, warrant_id=warrant_id,
                   approval_id=approval_id)
