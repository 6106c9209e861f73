"""The live side: Server-Sent Events (alerts from the workers, camera states), MJPEG from a real looping video,
and a tablet's feed that ends when its supervisor's grant expires (on the governance clock, no sleeping)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import cv2
import httpx
import numpy as np
import pytest

from sereno.api.services import PublishingSink
from sereno.domain import CameraState, CameraStatus
from sereno.governance import identity
from sereno.store.media import MediaStore
from tests.api.conftest import CSRF, LOOP_CLIP, Api, save_with_images, sighting

needs_video = pytest.mark.skipif(not LOOP_CLIP.is_file(), reason=f"real data not present: {LOOP_CLIP}")


def events(response: httpx.Response) -> Iterator[tuple[str, dict]]:
    """(event name, data) as a browser's EventSource sees them (and keep-alive comments)."""
    kind, data = "message", []
    for line in response.iter_lines():
        if line.startswith("event:"):
            kind = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif line.startswith(":"):
            yield "comment", {}  # a keep-alive
        elif line == "" and data:
            yield kind, json.loads("\n".join(data))
            kind, data = "message", []


def next_of(stream: Iterator[tuple[str, dict]], kind: str, give_up_after_s: float = 60.0) -> dict:
    """The next event of ``kind`` (keep-alive comments every 15 s let the deadline be checked)."""
    deadline = time.monotonic() + give_up_after_s
    for name, data in stream:
        if name == kind:
            return data
        assert time.monotonic() < deadline, f"no {kind} event within {give_up_after_s:.0f} s"
    raise AssertionError(f"the stream ended before a {kind} event")


def parts(chunks: Iterator[bytes], count: int) -> list[bytes]:
    """The next ``count`` JPEG parts of a multipart/x-mixed-replace stream (``response.iter_bytes()``)."""
    buffer, found = b"", []
    for chunk in chunks:
        buffer += chunk
        while b"\r\n\r\n" in buffer:
            head, rest = buffer.split(b"\r\n\r\n", 1)
            length = int(next(h.split(b":")[1] for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")))
            if len(rest) < length + 2:
                break
            found.append(rest[:length])
            buffer = rest[length + 2:]
            if len(found) == count:
                return found
    return found


def wait_for(condition, what: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def test_an_alert_from_a_worker_reaches_only_the_watchers_who_may_read_its_camera(api: Api) -> None:
    with api.client("sup") as supervisor:
        supervisor.post("/api/hotlists", headers=CSRF, data={"name": "buscados"},
                        files={"file": ("buscados.csv", b"plate,reason,state,expires\nBCN4471,placa robada,BC,\n")})
    with api.client("op") as operator, api.client("bc-sup") as state, \
            operator.stream("GET", "/api/events") as ours, state.stream("GET", "/api/events") as theirs:
        ours_events, theirs_events = events(ours), events(theirs)
        assert next_of(ours_events, "hello")["alerts"] is True
        assert next_of(theirs_events, "hello")["alerts"] is True

        # What a camera worker does with a new sighting: store it (the hotlist matches it), then its hook.
        passing = sighting("BCN4471", api.cameras["cam-1"], api.world, minutes_ago=0)
        raised = save_with_images(api.services.store, MediaStore(api.services.settings.media_path), passing)
        api.services.on_sighting(passing, raised)
        alert = next_of(ours_events, "alert")
        assert alert["read_plate"] == "BCN4471" and alert["status"] == "unverified"
        assert alert["list_name"] == "buscados" and alert["sighting"]["camera_id"] == "cam-1"
        assert operator.get(alert["sighting"]["snapshot_url"]).headers["content-type"] == "image/jpeg"

        # The state police's supervisor may not read cam-1: the next thing they get is a camera state, not the alert.
        PublishingSink(api.services.store, api.services.events).set_camera_status(
            CameraStatus("cam-2", CameraState.OFFLINE, "sin señal"))
        assert next(theirs_events) == ("camera", next_of(ours_events, "camera"))
    wait_for(lambda: any(e["kind"] == "access" and e["details"].get("alert_id") == alert["id"]
                         for e in api.world.gov.ledger.entries(kind="access")), "the delivery in the ledger")


def test_roles_that_do_not_watch_alerts_get_camera_states_only(api: Api) -> None:
    with api.client("aud") as auditor, auditor.stream("GET", "/api/events",
                                                        headers={"Last-Event-ID": "0"}) as stream:
        received = events(stream)
        assert next_of(received, "hello") == {"alerts": False, "message": "your role receives camera states only"}
        kind, data = next(received)  # replayed from before the client connected
        assert kind == "camera" and set(data) == {"id", "state", "reason", "since", "last_frame_at"}


@needs_video
def test_live_mjpeg_streams_moving_jpeg_frames_of_a_looping_camera(api: Api) -> None:
    with api.client("op") as operator, operator.stream("GET", "/api/cameras/cam-1/live.mjpg",
                                                       params={"overlay": 1}) as live:
        assert live.status_code == 200
        assert live.headers["content-type"] == "multipart/x-mixed-replace; boundary=frame"
        frames = [cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
                  for jpeg in parts(live.iter_bytes(), 3)]
    assert [f.shape for f in frames] == [(240, 320, 3)] * 3
    assert np.abs(frames[0].astype(int) - frames[2].astype(int)).mean() > 1.0  # the traffic moves
    decision = list(api.world.gov.ledger.entries(kind="decision"))[-1]
    assert decision["action"] == "view.live" and decision["outcome"] == "allowed" and decision["actor"] == "op"
    with api.client("aud") as auditor:
        refused = auditor.get("/api/cameras/cam-1/live.mjpg")
        assert refused.status_code == 403 and refused.json()["error"] == "role"


@needs_video
def test_a_large_wall_gets_many_cameras_live_over_one_connection(api: Api) -> None:
    """Browsers open 6 connections per server: a 16-tile wall takes every camera's frames from one event stream."""
    with api.client("op") as operator, operator.stream("GET", "/api/wall/stream",
                                                       params={"camera": ["cam-1", "cam-1"]}) as wall:
        assert wall.status_code == 200 and wall.headers["content-type"].startswith("text/event-stream")
        frames = []
        for kind, data in events(wall):
            if kind == "frame":
                assert data["camera"] == "cam-1"
                frames.append(cv2.imdecode(np.frombuffer(base64.b64decode(data["jpeg"]), np.uint8), cv2.IMREAD_COLOR))
            if len(frames) == 3:
                break
    assert [f.shape for f in frames] == [(240, 320, 3)] * 3
    assert np.abs(frames[0].astype(int) - frames[2].astype(int)).mean() > 1.0  # the traffic moves
    with api.client("aud") as auditor:
        refused = auditor.get("/api/wall/stream", params={"camera": "cam-1"})
        assert refused.status_code == 403 and refused.json()["error"] == "role"


@needs_video
def test_a_wall_refreshing_snapshots_records_one_live_view_per_camera_not_one_per_refresh(api: Api) -> None:
    """A 16-tile wall refreshes each snapshot every 2 s; the ledger gets the view once, and a refusal every time."""
    with api.client("op") as operator:
        live_views = lambda: [e for e in api.world.gov.ledger.entries(kind="decision")  # noqa: E731
                              if e["action"] == "view.live"]
        before = len(live_views())
        deadline = time.monotonic() + 30
        while (first := operator.get("/api/cameras/cam-1/snapshot.jpg")).status_code == 404:
            assert time.monotonic() < deadline, "the looping camera sent no frame"
            time.sleep(0.2)
        assert first.headers["content-type"] == "image/jpeg"
        for _ in range(5):
            assert operator.get("/api/cameras/cam-1/snapshot.jpg").status_code == 200
        assert len(live_views()) == before + 1
    with api.client("aud") as auditor:
        for _ in range(2):
            assert auditor.get("/api/cameras/cam-1/snapshot.jpg").status_code == 403
        assert [e["outcome"] for e in live_views()[-2:]] == ["refused", "refused"]


@needs_video
def test_a_tablet_sees_a_camera_only_under_a_grant_and_the_feed_ends_when_it_expires(api: Api) -> None:
    device = identity.register_device(api.world.gov, api.world.people["administrator"], "Patrulla 12")
    with api.client("op", device_id=device) as tablet, api.client("sup") as supervisor:
        refused = tablet.get("/api/cameras/cam-1/live.mjpg")
        assert refused.status_code == 403 and refused.json()["error"] == "needs_feed_grant"
        assert api.ledger_entry(refused.json()["ledger_seq"])["outcome"] == "refused"

        asked = tablet.post("/api/feed-requests", headers=CSRF, json={
            "camera_id": "cam-1", "minutes": 5, "reason": "persecución de un vehículo robado hacia la garita"})
        assert asked.status_code == 201 and asked.json()["status"] == "pending"
        grant = asked.json()["id"]
        assert tablet.post(f"/api/feed-requests/{grant}/approve", headers=CSRF, json={}).json()["error"] == "role"
        assert [g["id"] for g in supervisor.get("/api/feed-requests").json()] == [grant]
        approved = supervisor.post(f"/api/feed-requests/{grant}/approve", headers=CSRF,
                                   json={"reason": "persecución en curso"})
        assert approved.json()["status"] == "approved" and approved.json()["decided_by"] == "sup"

        with tablet.stream("GET", "/api/cameras/cam-1/live.mjpg") as feed:
            chunks = feed.iter_bytes()
            assert len(parts(chunks, 2)) == 2
            api.world.clock.advance(minutes=5, seconds=1)
            for _ in chunks:  # the stream ends by itself once the grant has expired
                pass
        expired = tablet.get("/api/cameras/cam-1/live.mjpg")
        assert expired.status_code == 403 and expired.json()["error"] == "needs_feed_grant"
    at_centre = api.client("op")
    with at_centre.stream("GET", "/api/cameras/cam-1/live.mjpg") as live:
        assert len(parts(live.iter_bytes(), 1)) == 1  # at the centre no grant is needed
    at_centre.close()


def test_a_feed_request_needs_a_device_session_and_a_known_camera(api: Api) -> None:
    with api.client("op") as operator:
        no_device = operator.post("/api/feed-requests", headers=CSRF, json={
            "camera_id": "cam-1", "minutes": 5, "reason": "persecución de un vehículo robado"})
        assert no_device.status_code == 400 and "registered device" in no_device.json()["message"]
        unknown = operator.post("/api/feed-requests", headers=CSRF, json={
            "camera_id": "nope", "minutes": 5, "reason": "persecución de un vehículo robado"})
        assert unknown.status_code == 404



def test_a_supervisor_accepts_a_re_aimed_cameras_view_with_a_reason_recorded(api: Api) -> None:
    if not LOOP_CLIP.is_file():
        pytest.skip("needs ../shared/data: cam-1 loops the LS15EBC clip")
    body = {"reason": "cámara reorientada por mantenimiento, orden de trabajo 4411"}
    with api.client("op") as operator:
        refused = operator.post("/api/cameras/cam-1/accept-view", json=body, headers=CSRF)
        assert refused.status_code == 403
    detector = next(w for w in api.services.runner.workers if w.camera.id == "cam-1").tamper
    with api.client("sup") as supervisor:
        assert supervisor.post("/api/cameras/cam-1/accept-view", json={"reason": "ok"},
                               headers=CSRF).status_code == 422  # a reason that says nothing
        answer = supervisor.post("/api/cameras/cam-1/accept-view", json=body, headers=CSRF)
        assert answer.status_code == 200, answer.text
        assert supervisor.post("/api/cameras/nope/accept-view", json=body, headers=CSRF).status_code == 404
    entry = api.ledger_entry(answer.json()["ledger_seq"])
    assert (entry["actor"], entry["action"], entry["outcome"]) == ("sup", "cameras.accept_view", "allowed")
    assert entry["details"]["reason"] == body["reason"]
    deadline = time.monotonic() + 10
    while detector.accept_requested and time.monotonic() < deadline:  # the camera's own thread applies it
        time.sleep(0.1)
    assert not detector.accept_requested and detector.alarm is None
