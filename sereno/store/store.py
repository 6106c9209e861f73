"""The Store: the write path the pipeline uses (sightings in, alerts out) and camera state.

Every write is committed before the call returns, so what a caller reports as saved survives a kill.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from sereno.config import Settings
from sereno.domain import Alert, CameraStatus, Sighting
from sereno.intel.alerts import save_alerts
from sereno.intel.matching import HotlistIndex, current_index
from sereno.store.db import make_engine, make_session_factory
from sereno.store.mapping import camera_status_to_row, row_to_camera_status, sighting_to_row
from sereno.store.migrate import upgrade
from sereno.store.seen_plates import record_plates
from sereno.store.tables import CameraStatusRow, SightingRow

log = logging.getLogger(__name__)


class StoreError(Exception):
    """The database cannot be opened or migrated; the message names it and says what to check."""


def migrated_engine(url: str) -> Engine:
    """An engine on a database brought to the newest schema, or a StoreError naming the database and the fix."""
    engine = make_engine(url)
    try:
        upgrade(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise StoreError(f"cannot open the database {engine.url.render_as_string()}: {reason}. Check the "
                         "URL (SERENO_DATABASE_URL), that the server is up, or that the file is a Sereno "
                         "database (move a damaged file away to start a new one).") from exc
    return engine


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions: sessionmaker[Session] = make_session_factory(engine)
        self._hotlists: HotlistIndex | None = None

    @classmethod
    def open(cls, settings: Settings) -> Store:
        """Create the data directory if needed and bring the database to the newest schema."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return cls.open_url(settings.db_url)

    @classmethod
    def open_url(cls, url: str) -> Store:
        return cls(migrated_engine(url))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self.sessions.begin() as session:
            yield session

    def add_sighting(self, sighting: Sighting) -> list[Alert]:
        """Commit the sighting and the alerts it raises; returns the alerts (UNVERIFIED)."""
        return self.add_sightings([sighting])

    def add_sightings(self, sightings: Sequence[Sighting]) -> list[Alert]:
        """Commit a batch and the alerts it raises in one transaction (one disk sync); returns the alerts."""
        if not sightings:
            return []
        alerts = self._match(sightings)
        with self.session() as session:
            session.execute(insert(SightingRow.__table__), [sighting_to_row(s) for s in sightings])
            record_plates(session, (s.plate_text for s in sightings))
            save_alerts(session, alerts)
        for alert in alerts:
            # No plate text in the log: whoever reads the server's console has not passed the gate.
            log.warning("hotlist alert (UNVERIFIED: check the plate crop before acting)", extra={
                "alert": alert.id, "list": alert.list_name, "match": alert.match_kind.value,
                "sighting": alert.sighting_id})
        return alerts

    def _match(self, sightings: Sequence[Sighting]) -> list[Alert]:
        """The alerts for a batch. A failure here (a bug, a broken list) is logged and the sightings are still
        saved: losing evidence is worse than missing an alert that a search can still find."""
        try:
            with self.session() as session:
                self._hotlists = current_index(session, self._hotlists)
            return self._hotlists.match(sightings)
        except Exception:
            log.exception("hotlist matching failed; saving the sightings without alerts",
                          extra={"sightings": len(sightings)})
            return []

    def set_camera_status(self, status: CameraStatus) -> None:
        with self.session() as session:
            session.execute(delete(CameraStatusRow).where(CameraStatusRow.camera_id == status.camera_id))
            session.execute(insert(CameraStatusRow), [camera_status_to_row(status)])

    def camera_statuses(self) -> dict[str, CameraStatus]:
        with self.session() as session:
            rows = session.execute(select(CameraStatusRow.__table__)).mappings()
            return {r["camera_id"]: row_to_camera_status(r) for r in rows}

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
