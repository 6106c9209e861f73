"""Every read of personal data that the CLI and the API offer, each through the gate.

The CLI and the web API call these functions and nothing else for sightings, crops, snapshots, alerts and camera
positions; neither touches ``intel.search`` directly. Each function states its request to the gate
(``governance.governed_read``: the decision, allowed or refused, is committed to the ledger before anything is
read, then an ``access`` entry records how many items were handed out) and keeps its query to the cameras whose
owner agency the decision allows (``ownership.readable_cameras``), narrowed to the cameras asked for.

Errors: ``Refused`` (already in the ledger) when the gate says no, ``SearchError`` / ``AlertError`` /
``HotlistError`` for bad input, ``NotFound`` for an id that does not exist or that this reader may not see (the two
look the same, so an id reveals nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Literal, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from sereno.domain import Alert, AlertStatus, Camera, CameraStatus, Sighting
from sereno.governance import Action, Area, Decision, Governance, Principal, Purpose, Scope, authorize, governed_read
from sereno.governance.gate import require
from sereno.governance.ledger import Kind
from sereno.governance.ownership import installation_agency, readable_cameras
from sereno.governance.policy import RULES
from sereno.intel import alerts as alert_store
from sereno.intel import hotlists
from sereno.intel.alerts import AlertNotFound, AlertWithEvidence, save_alerts
from sereno.intel.geo import bounding_box
from sereno.intel.matching import match_recent
from sereno.intel.polygon import check_polygon, polygon_box, search_polygon
from sereno.intel.search import (
    SearchError, SearchFilter, clean_pattern, fuzzy_plates, route_geojson, route_query, search_area, search_plate,
    search_plates,
)
from sereno.plates import normalize_plate
from sereno.store import Store
from sereno.store.mapping import row_to_sighting
from sereno.store.media import MediaStore
from sereno.store.tables import SightingRow

T = TypeVar("T")
Media = Literal["crop", "snapshot"]
SIGHTINGS = SightingRow.__table__

# Watching hotlist alerts is the operators' standing duty: the hotlist entry is the purpose, and this reason is
# what the ledger records when the person gives none of their own.
STANDING_ALERTS_REASON = "revisión de alertas de listas en turno"


class NotFound(LookupError):
    """No sighting, alert or media file with this id that this reader may see."""


@dataclass(frozen=True)
class Reader:
    """Who reads (the logged-in principal), through which gate, from which store, over which cameras."""

    gov: Governance
    store: Store
    principal: Principal
    cameras: tuple[Camera, ...]  # the configured cameras (cameras.yaml): ownership (Camera.agency) and positions


@dataclass(frozen=True)
class PlateResult:
    sightings: list[Sighting]
    plates: dict[str, float]  # fuzzy: plate -> distance, only plates among the sightings (empty otherwise)
    decision: Decision

    def __len__(self) -> int:  # what the ledger's access entry counts: the sightings handed out
        return len(self.sightings)


@dataclass(frozen=True)
class CameraView:
    camera: Camera  # lat, lon and heading are None unless ``located``
    status: CameraStatus | None
    located: bool


# --- scope and ownership ------------------------------------------------------------------------------------------

def _closed_window(r: Reader, f: SearchFilter) -> SearchFilter:
    """A window with a start and no end ends now: the gate measures it and the query keeps to it."""
    return replace(f, until=r.gov.now()) if f.since is not None and f.until is None else f


def _owners_of(r: Reader, camera_ids: tuple[str, ...]) -> tuple[str, ...]:
    """The agencies owning the cameras asked for, so the gate can say whose data it will not give."""
    if not camera_ids:
        return ()
    default = installation_agency(r.gov)
    return tuple(sorted({c.agency or default for c in r.cameras if c.id in camera_ids} - {None}))


def _scope(r: Reader, f: SearchFilter, **what: Any) -> Scope:
    return Scope(cameras=f.cameras, start=f.since, end=f.until, owners=_owners_of(r, f.cameras), **what)


def _readable(r: Reader, decision: Decision, asked: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The cameras a query may touch: those of the agencies the decision allows, narrowed to those asked for."""
    ids = readable_cameras(r.cameras, decision.owners, installation_agency(r.gov))
    return tuple(c for c in ids if c in asked) if asked else ids


def _query(r: Reader, decision: Decision, f: SearchFilter, run: Callable[[Session, SearchFilter], T], empty: T) -> T:
    cameras = _readable(r, decision, f.cameras)
    if not cameras:  # nothing readable; an empty camera filter would mean every camera
        return empty
    with r.store.session() as session:
        return run(session, replace(f, cameras=cameras))


def _box(min_lat: float, max_lat: float, min_lon: float, max_lon: float) -> Area:
    return Area(min_lat, min_lon, max_lat, max_lon)


def _plate(text: str) -> str:
    plate = normalize_plate(text)
    if not plate:
        raise SearchError(f"plate {text!r} has no letters or digits")
    return plate


# --- searches -----------------------------------------------------------------------------------------------------

def find_plate(r: Reader, purpose: Purpose, pattern: str, f: SearchFilter, fuzzy: bool = False,
               max_distance: float = 1.0) -> PlateResult:
    """Sightings of a plate: exact, wildcard (``*``, ``?``) or, with ``fuzzy``, plates within ``max_distance``."""
    asked = clean_pattern(pattern) if not fuzzy and ("*" in pattern or "?" in pattern) else _plate(pattern)
    f = _closed_window(r, f)

    def run(session: Session, g: SearchFilter) -> tuple[list[Sighting], dict[str, float]]:
        if not fuzzy:
            return search_plate(session, asked, g), {}
        near = fuzzy_plates(session, asked, max_distance)
        found = search_plates(session, near, g)
        seen = {s.plate_text for s in found}  # never name a plate that only other agencies' cameras saw
        return found, {p: d for p, d in near.items() if p in seen}

    def fetch(decision: Decision) -> PlateResult:
        return PlateResult(*_query(r, decision, f, run, ([], {})), decision=decision)

    return governed_read(r.gov, r.principal, Action.SEARCH_PLATE, purpose, _scope(r, f, plates=(asked,)), fetch,
                         fuzzy=fuzzy, max_distance=max_distance if fuzzy else None)


def find_area(r: Reader, purpose: Purpose, lat: float, lon: float, radius_m: float,
              f: SearchFilter) -> list[Sighting]:
    """Sightings within ``radius_m`` metres of (lat, lon), newest first."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or radius_m <= 0:
        raise SearchError(f"({lat}, {lon}) with radius {radius_m} m is not a circle: latitude -90..90, longitude "
                          "-180..180, radius in positive metres")
    f = _closed_window(r, f)
    return governed_read(
        r.gov, r.principal, Action.SEARCH_AREA, purpose, _scope(r, f, area=_box(*bounding_box(lat, lon, radius_m))),
        lambda decision: _query(r, decision, f, lambda s, g: search_area(s, lat, lon, radius_m, g), []),
        centre=[lat, lon], radius_m=radius_m)


def find_area_polygon(r: Reader, purpose: Purpose, polygon: list[tuple[float, float]],
                      f: SearchFilter) -> list[Sighting]:
    """Sightings inside a polygon of (lat, lon) corners, newest first."""
    corners = check_polygon(polygon)
    f = _closed_window(r, f)
    return governed_read(
        r.gov, r.principal, Action.SEARCH_AREA, purpose, _scope(r, f, area=_box(*polygon_box(corners))),
        lambda decision: _query(r, decision, f, lambda s, g: search_polygon(s, corners, g), []),
        polygon=[list(c) for c in corners])


def find_route(r: Reader, purpose: Purpose, plate: str, f: SearchFilter) -> dict[str, Any]:
    """The route of one exact plate as GeoJSON: its sightings in time order (search.route_geojson)."""
    plate = _plate(plate)
    f = _closed_window(r, f)

    def run(session: Session, g: SearchFilter) -> list[Sighting]:
        return [row_to_sighting(row) for row in session.execute(route_query(plate, g)).mappings()]

    sightings = governed_read(r.gov, r.principal, Action.SEARCH_ROUTE, purpose, _scope(r, f, plates=(plate,)),
                              lambda decision: _query(r, decision, f, run, []))
    return route_geojson(sightings)


# --- one sighting and its evidence --------------------------------------------------------------------------------

def _sighting(r: Reader, decision: Decision, session: Session, sighting_id: str) -> Sighting:
    row = session.execute(select(SIGHTINGS).where(SIGHTINGS.c.id == sighting_id)).mappings().first()
    if row is None or row["camera_id"] not in _readable(r, decision):
        raise NotFound(f"no sighting {sighting_id!r} that you may see")
    return row_to_sighting(row)


def _media_file(r: Reader, sighting: Sighting, which: Media) -> Path:
    relative = sighting.plate_crop_path if which == "crop" else sighting.snapshot_path
    if not relative:
        raise NotFound(f"sighting {sighting.id} has no saved {which}")
    path = MediaStore(r.gov.settings.media_path).path(relative)
    if not path.is_file():
        raise NotFound(f"the {which} of sighting {sighting.id} is no longer on disk (retention may have removed it)")
    return path


def view_sighting(r: Reader, purpose: Purpose, sighting_id: str) -> Sighting:
    def fetch(decision: Decision) -> Sighting:
        with r.store.session() as session:
            return _sighting(r, decision, session, sighting_id)

    return governed_read(r.gov, r.principal, Action.VIEW_SIGHTING, purpose, Scope(), fetch, sighting_id=sighting_id)


def sighting_media(r: Reader, purpose: Purpose, sighting_id: str, which: Media) -> Path:
    """The file of a sighting's plate crop or snapshot."""
    def fetch(decision: Decision) -> Path:
        with r.store.session() as session:
            return _media_file(r, _sighting(r, decision, session, sighting_id), which)

    return governed_read(r.gov, r.principal, Action.VIEW_SIGHTING, purpose, Scope(), fetch, sighting_id=sighting_id,
                         media=which)


# --- alerts -------------------------------------------------------------------------------------------------------

def _alert(r: Reader, decision: Decision, session: Session, alert_id: str) -> AlertWithEvidence:
    try:
        alert = alert_store.find_alert(session, alert_id)
        return AlertWithEvidence(alert, _sighting(r, decision, session, alert.sighting_id))
    except (AlertNotFound, NotFound):
        raise NotFound(f"no alert {alert_id!r} that you may see; see `sereno alerts list`") from None


def list_alerts(r: Reader, reason: str, status: AlertStatus | None = None, limit: int = 50) -> list[AlertWithEvidence]:
    """Alerts on the cameras this reader may see, newest first, each with its sighting (the evidence to check)."""
    def fetch(decision: Decision) -> list[AlertWithEvidence]:
        cameras = _readable(r, decision)
        if not cameras:
            return []
        with r.store.session() as session:
            return alert_store.list_alerts(session, status, limit, cameras=cameras)

    return governed_read(r.gov, r.principal, Action.VIEW_ALERTS, Purpose(None, reason), Scope(), fetch,
                         status=status.value if status else None, limit=limit)


def alert_media(r: Reader, reason: str, alert_id: str, which: Media) -> Path:
    """The plate crop or snapshot behind an alert."""
    def fetch(decision: Decision) -> Path:
        with r.store.session() as session:
            return _media_file(r, _alert(r, decision, session, alert_id).sighting, which)

    return governed_read(r.gov, r.principal, Action.VIEW_ALERTS, Purpose(None, reason), Scope(), fetch,
                         alert_id=alert_id, media=which)


def decide_alert(r: Reader, alert_id: str, status: AlertStatus, reason: str) -> Alert:
    """Confirm or dismiss an alert as the logged-in person; the reason is both the gate's purpose and the
    decision's recorded why."""
    def fetch(decision: Decision) -> Alert:
        with r.store.session() as session:
            found = _alert(r, decision, session, alert_id)
            return alert_store.decide_alert(session, found.alert.id, status, r.principal.username, reason)

    return governed_read(r.gov, r.principal, Action.DECIDE_ALERT, Purpose(None, reason), Scope(), fetch,
                         alert_id=alert_id, status=status.value)


# --- cameras and hotlists -----------------------------------------------------------------------------------------

def camera_views(cameras: tuple[Camera, ...] | list[Camera], statuses: dict[str, CameraStatus],
                 located: bool) -> list[CameraView]:
    """Each camera with its status; positions and headings left out unless ``located``."""
    return [CameraView(c if located else replace(c, lat=None, lon=None, heading=None), statuses.get(c.id), located)
            for c in cameras]


def may_see_camera_locations(r: Reader) -> bool:
    """Positions are restricted: shown, and the showing recorded, to the roles the rule book allows. To other roles
    the list simply leaves them out, which is no attempt and so no refusal for the auditors to chase."""
    if r.principal.role not in RULES[Action.VIEW_CAMERA_LOCATIONS].roles:
        return False
    return authorize(r.gov, r.principal, Action.VIEW_CAMERA_LOCATIONS).allowed


def list_cameras(r: Reader) -> list[CameraView]:
    return camera_views(r.cameras, r.store.camera_statuses(), may_see_camera_locations(r))


def import_hotlist(r: Reader, path: Path, name: str, fmt: str | None,
                   lookback: timedelta = timedelta(hours=24)) -> tuple[hotlists.ParsedHotlist, list[Alert]]:
    """Import (or replace) a hotlist (a supervisor) and match the sightings of the last ``lookback`` at once.
    Alerts are raised on every camera, as live matching does; those returned are on the reader's agency's cameras."""
    require(r.gov, r.principal, Action.MANAGE_HOTLIST, list_name=name, file=path.name)
    own_cameras = readable_cameras(r.cameras, (r.principal.agency_id,), installation_agency(r.gov))
    with r.store.session() as session:
        parsed = hotlists.import_hotlist(session, path, name, fmt)
        raised = match_recent(session, name, r.gov.now() - lookback) if lookback else []
        save_alerts(session, raised)
        visible = set(session.execute(select(SIGHTINGS.c.id).where(
            SIGHTINGS.c.id.in_([a.sighting_id for a in raised]),
            SIGHTINGS.c.camera_id.in_(own_cameras))).scalars()) if raised else set()
    r.gov.ledger.append(Kind.CONFIG, r.principal, action="hotlist.import", outcome="done",
                        details={"list_name": name, "format": parsed.format, "entries": len(parsed.entries),
                                 "rejected": len(parsed.problems), "alerts_raised": len(raised)})
    return parsed, [a for a in raised if a.sighting_id in visible]


def list_hotlists(r: Reader) -> list[hotlists.HotlistSummary]:
    """The lists loaded (names and counts): for supervisors, who manage them, and for those who watch alerts."""
    if r.principal.role in RULES[Action.MANAGE_HOTLIST].roles:
        require(r.gov, r.principal, Action.MANAGE_HOTLIST)
    else:
        require(r.gov, r.principal, Action.VIEW_ALERTS, Purpose(None, STANDING_ALERTS_REASON))
    with r.store.session() as session:
        return hotlists.list_hotlists(session, r.gov.now().date())
