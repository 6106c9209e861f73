"""Retention: the purge deletes expired sightings, alerts, media and video, never what a case holds, and writes the
counts to the ledger. Sightings go in through the store's real write path."""

from __future__ import annotations

import os
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from sereno.config import load_settings
from sereno.domain import Alert, AlertStatus, MatchKind, PlateRead, Sighting
from sereno.governance import Refused, retention
from sereno.governance.cases import place_hold, release_hold
from sereno.governance.model import GovernanceError
from sereno.store import Store
from sereno.store.media import MediaStore
from sereno.store.mapping import alert_to_row
from sereno.store.tables import AlertRow, SeenPlateRow, SightingRow

from tests.governance_world import STATE, World, build_world

CAMERA_AGENCY = {"cam-1": "tij-municipal", "cam-2": "tij-municipal", "cam-3": "tij-municipal", "cam-bc": STATE}


@pytest.fixture
def world(tmp_path) -> World:  # noqa: ANN001
    built = build_world(load_settings(tmp_path / "data"))
    yield built
    built.gov.close()


def _sighting(world: World, media: MediaStore, name: str, camera: str, days_ago: float) -> Sighting:
    crop = media.save_jpeg(f"crops/{name}.jpg", np.full((24, 80, 3), 200, np.uint8))
    snapshot = media.save_jpeg(f"snapshots/{name}.jpg", np.full((72, 128, 3), 90, np.uint8))
    observed = world.clock() - timedelta(days=days_ago)
    return Sighting(camera_id=camera, observed_at=observed, object_class="car", box=(0, 0, 10, 10),
                    plate=PlateRead(text=f"TST{abs(hash(name)) % 10000:04d}", confidence=0.9),
                    plate_crop_path=crop, snapshot_path=snapshot, id=name)


def _alert(sighting: Sighting, status: AlertStatus) -> Alert:
    return Alert(sighting_id=sighting.id, list_name="robados", hotlist_plate=sighting.plate.text,
                 read_plate=sighting.plate.text, match_kind=MatchKind.EXACT, status=status,
                 created_at=sighting.observed_at, id=f"alert-{sighting.id}-{status.value}")


def _ids(store: Store, table) -> set[str]:  # noqa: ANN001
    with store.session() as session:
        return set(session.scalars(select(table.id)))


def test_purge_deletes_expired_and_keeps_held(world: World) -> None:
    gov, inv, sup = world.gov, world.people["investigator"], world.people["supervisor"]
    media = MediaStore(gov.settings.media_path)
    store = Store.open(gov.settings)
    now = world.clock()
    s = {name: _sighting(world, media, name, camera, days) for name, camera, days in [
        ("old-free", "cam-1", 40), ("old-held", "cam-1", 40), ("old-window", "cam-2", 40),
        ("old-other-camera", "cam-3", 40), ("recent", "cam-1", 5), ("municipal-25d", "cam-1", 25),
        ("state-40d", "cam-bc", 40),
    ]}
    store.add_sightings(list(s.values()))
    with store.session() as session:
        for alert in (_alert(s["state-40d"], AlertStatus.UNVERIFIED), _alert(s["state-40d"], AlertStatus.CONFIRMED),
                      _alert(s["old-held"], AlertStatus.UNVERIFIED)):
            session.add(AlertRow(**alert_to_row(alert)))

    video = gov.settings.media_path / "video"
    old_clip, held_clip, new_clip = (video / "cam-1" / "old.mp4", video / "cam-2" / "held.mp4",
                                     video / "cam-1" / "new.mp4")
    for clip, days in ((old_clip, 40), (held_clip, 40), (new_clip, 2)):
        clip.parent.mkdir(parents=True, exist_ok=True)
        clip.write_bytes(b"\x00\x00\x00\x18ftypmp42")
        stamp = (now - timedelta(days=days)).timestamp()
        os.utime(clip, (stamp, stamp))

    retention.set_retention(gov, world.people["administrator"], "sightings", 20)
    retention.set_retention(gov, world.people["state-administrator"], "sightings", 60)
    hold_item = place_hold(gov, inv, "TIJ-2026-0001", "vehículo del caso, evidencia", sighting_id="old-held",
                           until=now + timedelta(days=180))
    place_hold(gov, inv, "TIJ-2026-0001", "ventana del robo en cámara 2", camera_id="cam-2",
               start=now - timedelta(days=41), end=now - timedelta(days=39), until=now + timedelta(days=180))

    counts = retention.purge(gov, world.people["administrator"], CAMERA_AGENCY)

    assert _ids(store, SightingRow) == {"old-held", "old-window", "recent", "state-40d"}
    with store.session() as session:  # a purged plate no sighting has any more is no longer searchable
        seen = set(session.scalars(select(SeenPlateRow.plate_text)))
    assert seen == {s[name].plate.text for name in ("old-held", "old-window", "recent", "state-40d")}
    assert _ids(store, AlertRow) == {"alert-state-40d-confirmed", "alert-old-held-unverified"}
    assert counts.sightings == 3 and counts.unverified_alerts == 1 and counts.media_files == 6
    assert counts.held_kept == 4  # two held sightings, the held sighting's alert, the held clip
    assert not media.path(s["old-free"].plate_crop_path).exists()
    assert media.path(s["old-held"].plate_crop_path).exists() and media.path(s["old-window"].snapshot_path).exists()
    assert not old_clip.exists() and held_clip.exists() and new_clip.exists()

    entry = [e for e in gov.ledger.entries() if e["action"] == "retention.purge"][-1]
    assert entry["kind"] == "deletion" and entry["details"]["sightings"] == 3
    assert entry["details"]["retention"][STATE]["sightings"] == 60

    release_hold(gov, sup, hold_item, "caso cerrado, evidencia entregada al MP")
    retention.purge(gov, world.people["administrator"], CAMERA_AGENCY)
    assert "old-held" not in _ids(store, SightingRow)
    assert gov.ledger.verify().ok
    store.close()


def test_only_administrators_purge_and_configure(world: World) -> None:
    with pytest.raises(Refused):
        retention.purge(world.gov, world.people["investigator"])
    with pytest.raises(Refused):
        retention.set_retention(world.gov, world.people["supervisor"], "sightings", 365)
    with pytest.raises(GovernanceError, match="audit"):
        retention.set_retention(world.gov, world.people["administrator"], "audit", 1)


def test_long_holds_need_an_extended_retention_warrant(world: World) -> None:
    with pytest.raises(GovernanceError, match="extended_retention"):
        place_hold(world.gov, world.people["investigator"], "TIJ-2026-0001", "conservar indefinidamente",
                   sighting_id="x")
