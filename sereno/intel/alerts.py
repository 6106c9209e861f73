"""Alerts after they are raised: list them with their evidence, and record a person's decision.

Every alert starts UNVERIFIED. A person must look at the plate crop and confirm or dismiss it, saying who and why;
a decision is final (a changed mind is a new note elsewhere, not a silent overwrite).
"""

from __future__ import annotations

from dataclasses import dataclass

from collections.abc import Sequence

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from sereno.domain import Alert, AlertStatus, Sighting, utcnow
from sereno.store.mapping import alert_to_row, row_to_alert, row_to_sighting
from sereno.store.tables import AlertRow, SightingRow

ALERTS = AlertRow.__table__
SIGHTINGS = SightingRow.__table__
MIN_ID_PREFIX = 6


class AlertError(ValueError):
    """The alert cannot be found or decided; the message says why and what to do."""


class AlertNotFound(AlertError, LookupError):
    """No alert has this id (or id prefix)."""


@dataclass(frozen=True, slots=True)
class AlertWithEvidence:
    alert: Alert
    sighting: Sighting


def save_alerts(session: Session, alerts: Sequence[Alert]) -> None:
    """Write new alerts in the caller's transaction."""
    if alerts:
        session.execute(insert(ALERTS), [alert_to_row(a) for a in alerts])


def list_alerts(session: Session, status: AlertStatus | None = None, limit: int = 50,
                cameras: Sequence[str] | None = None) -> list[AlertWithEvidence]:
    """Alerts with the sighting behind each (camera, time, plate crop, snapshot), newest first; only those on
    ``cameras`` when given."""
    query = (select(ALERTS, SIGHTINGS).join(SIGHTINGS, SIGHTINGS.c.id == ALERTS.c.sighting_id)
             .order_by(ALERTS.c.created_at.desc()).limit(limit))
    if status is not None:
        query = query.where(ALERTS.c.status == status.value)
    if cameras is not None:
        query = query.where(SIGHTINGS.c.camera_id.in_(cameras))
    out = []
    for row in session.execute(query).all():
        alert_part = {c.name: row[i] for i, c in enumerate(ALERTS.columns)}
        sighting_part = {c.name: row[len(ALERTS.columns) + i] for i, c in enumerate(SIGHTINGS.columns)}
        out.append(AlertWithEvidence(row_to_alert(alert_part), row_to_sighting(sighting_part)))
    return out


def find_alert(session: Session, alert_id: str) -> Alert:
    """By full id or a unique prefix of at least MIN_ID_PREFIX characters (as ``alerts list`` shows them)."""
    alert_id = alert_id.strip().lower()
    if len(alert_id) < MIN_ID_PREFIX:
        raise AlertError(f"alert id {alert_id!r} is too short; give at least {MIN_ID_PREFIX} characters "
                         "as shown by `sereno alerts list`")
    rows = session.execute(select(ALERTS).where(ALERTS.c.id.like(alert_id + "%")).limit(2)).mappings().all()
    if not rows:
        raise AlertNotFound(f"no alert with id {alert_id!r}; see `sereno alerts list`")
    if len(rows) > 1:
        raise AlertError(f"alert id {alert_id!r} matches several alerts; give more characters")
    return row_to_alert(rows[0])


def decide_alert(session: Session, alert_id: str, status: AlertStatus, by: str, reason: str) -> Alert:
    """Confirm or dismiss an UNVERIFIED alert, recording who, when and why."""
    if status is AlertStatus.UNVERIFIED:
        raise AlertError("a decision is confirmed or dismissed")
    if not by.strip() or not reason.strip():
        raise AlertError("say who decides (--by) and why (--reason): the decision is part of the record")
    alert = find_alert(session, alert_id)
    if alert.status is not AlertStatus.UNVERIFIED:
        raise AlertError(f"alert {alert.id} was already {alert.status.value} by {alert.decided_by} at "
                         f"{alert.decided_at.isoformat() if alert.decided_at else '?'}; decisions are final")
    now = utcnow()
    done = session.execute(
        update(ALERTS).where(ALERTS.c.id == alert.id, ALERTS.c.status == AlertStatus.UNVERIFIED.value)
        .values(status=status.value, decided_by=by.strip(), decided_at=now, decision_reason=reason.strip()))
    if done.rowcount != 1:  # someone else decided it between our read and write
        raise AlertError(f"alert {alert.id} was decided by someone else just now; list it again")
    alert.status, alert.decided_by, alert.decided_at, alert.decision_reason = status, by.strip(), now, reason.strip()
    return alert
