"""Which cameras' data a decision lets the caller return: each camera belongs to ``Camera.agency``, or, when that is
empty, to the installation's own agency (the first one created)."""

from __future__ import annotations

from typing import Iterable, Sequence

from sqlalchemy import select

from sereno.domain import Camera
from sereno.governance.context import Governance
from sereno.governance.tables import AgencyRow


def installation_agency(gov: Governance) -> str | None:
    with gov.sessions() as session:
        return session.scalar(select(AgencyRow.id).order_by(AgencyRow.created_at, AgencyRow.id).limit(1))


def readable_cameras(cameras: Sequence[Camera], owners: Iterable[str], default_owner: str | None) -> tuple[str, ...]:
    """Ids of the cameras whose data belongs to one of ``owners`` (pass ``decision.owners``). A search filters its
    sightings to these cameras; an empty result means nothing may be returned."""
    allowed = set(owners)
    return tuple(c.id for c in cameras if (c.agency or default_owner) in allowed)
