"""THE gate: every read of personal data asks ``authorize`` (or goes through ``governed_read``).

The decision, allowed or refused, is committed to the ledger before anything is returned; ``governed_read`` then
runs the caller's query and records what it handed out.
"""

from __future__ import annotations

import logging
from collections.abc import Sized
from dataclasses import replace
from typing import Any, Callable, TypeVar

from sereno.governance.context import Governance
from sereno.governance.ledger import Kind
from sereno.governance.lookups import approval_for, case_info, shared_with, warrants_for_case
from sereno.governance.model import Action, Decision, Outcome, Principal, Purpose, Refused, Scope
from sereno.governance.policy import evaluate

log = logging.getLogger(__name__)

T = TypeVar("T")


def authorize(gov: Governance, principal: Principal, action: Action, purpose: Purpose | None = None,
              scope: Scope = Scope(), **extra: Any) -> Decision:
    """Decide and record. ``extra`` (JSON-able) goes into the ledger entry, e.g. the sighting id viewed."""
    now = gov.now()
    with gov.sessions() as session:
        case = case_info(session, purpose.case_id if purpose else None)
        shared = shared_with(session, principal.agency_id, now)
        warrants = warrants_for_case(session, case.id if case else None)
        approval = (approval_for(session, principal.user_id, case.id, scope.fingerprint(), now)
                    if case else None)
    decision = evaluate(principal, action, purpose, scope, case=case, shared_with_me=shared, warrants=warrants,
                        approval=approval, now=now)
    emergency = any(w.id == decision.warrant_id and w.emergency and not w.ratified for w in warrants)
    details = {
        "code": decision.code, "message": decision.message, "reason": purpose.reason if purpose else None,
        "case_number": case.number if case else None, "offense": case.offense if case else None,
        "scope": scope.as_dict(), "owners": list(decision.owners), "warrant_id": decision.warrant_id,
        "approval_id": decision.approval_id, "emergency": emergency, "role": principal.role.value,
        "user_id": principal.user_id, "session_id": principal.session_id, "device_id": principal.device_id,
        **decision.details, **extra,
    }
    seq = gov.ledger.append(Kind.DECISION, principal, action=action.value,
                            outcome=(Outcome.ALLOWED if decision.allowed else Outcome.REFUSED).value,
                            case_id=case.id if case else (purpose.case_id if purpose else None), details=details)
    if not decision.allowed:
        log.warning("request refused", extra={"user": principal.username, "action": action.value,
                                              "code": decision.code, "ledger_seq": seq})
    return replace(decision, ledger_seq=seq, purpose=purpose if case is None or purpose is None
                   else replace(purpose, case_id=case.id))


def require(gov: Governance, principal: Principal, action: Action, purpose: Purpose | None = None,
            scope: Scope = Scope(), **extra: Any) -> Decision:
    """``authorize`` that raises Refused on a refusal (for administrative commands)."""
    decision = authorize(gov, principal, action, purpose, scope, **extra)
    if not decision.allowed:
        raise Refused(decision)
    return decision


def governed_read(gov: Governance, principal: Principal, action: Action, purpose: Purpose | None, scope: Scope,
                  fetch: Callable[[Decision], T], **extra: Any) -> T:
    """Authorise, record, then run ``fetch(decision)`` and record what it returned.

    ``fetch`` must keep to ``decision.owners`` (the agencies whose data the principal may read) and to the scope.
    Raises Refused (already recorded) when the gate says no.
    """
    decision = require(gov, principal, action, purpose, scope, **extra)
    case_id = decision.purpose.case_id if decision.purpose else None
    try:
        result = fetch(decision)
    except Exception as exc:
        gov.ledger.append(Kind.ACCESS, principal, action=action.value, outcome="error", case_id=case_id,
                          details={"decision_seq": decision.ledger_seq, "error": type(exc).__name__})
        raise
    returned = len(result) if isinstance(result, Sized) else None
    gov.ledger.append(Kind.ACCESS, principal, action=action.value, outcome="returned", case_id=case_id,
                      details={"decision_seq": decision.ledger_seq, "items": returned})
    return result
