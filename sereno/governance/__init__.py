"""Governance: THE gate every read of personal data passes, and the ledger nobody can quietly rewrite.

The API every read path calls (sightings, crops, snapshots, video, alerts, faces, uploads)::

    from sereno.governance import Governance, Action, Purpose, Scope, governed_read, current_principal, Refused

    gov = Governance.open(settings)                  # migrates the database, loads the ledger key
    principal = current_principal(gov)               # from `sereno login` (or SERENO_TOKEN); NotAuthenticated else
    rows = governed_read(
        gov, principal, Action.SEARCH_PLATE,
        Purpose(case_id="2026-TIJ-0042", reason="vehículo robado con violencia, placa vista por testigo"),
        Scope(plates=("ABC1234",), start=start, end=end),
        lambda decision: store.search_plate("ABC1234", owners=decision.owners),
    )

``governed_read`` asks the gate (role x action, case open and of the principal's agency or shared, forbidden
purposes, wide searches need a supervisor's approval, warrant-only capabilities need a warrant covering exactly the
request), commits the decision to the ledger (allowed AND refused), raises ``Refused`` (already recorded) or runs
``fetch(decision)``, records how many items it returned, and returns them. ``fetch`` must stay within
``decision.owners`` (agencies whose data the principal may read; ``ownership.readable_cameras`` turns them into
camera ids) and the scope. ``authorize`` is the same check
without running anything, for callers that stream.

Modules: model (dataclasses), purposes and policy (pure rules), gate, ledger + verify (hash chain, Merkle
checkpoints, Ed25519; verify.py is standalone and ships inside exports), identity (agencies, users, TOTP, sessions,
devices, sharing), cases (cases, warrants, emergencies, approvals, holds), retention (purge), oversight and report.
"""

from sereno.governance.context import Governance
from sereno.governance.gate import authorize, governed_read, require
from sereno.governance.identity import NotAuthenticated
from sereno.governance.model import (
    Action,
    Area,
    Capability,
    Decision,
    GovernanceError,
    Principal,
    Purpose,
    Refused,
    Role,
    Scope,
)
from sereno.governance.session_file import current_principal

__all__ = [
    "Action", "Area", "Capability", "Decision", "Governance", "GovernanceError", "NotAuthenticated", "Principal",
    "Purpose", "Refused", "Role", "Scope", "authorize", "current_principal", "governed_read", "require",
]
