"""The recorder on real video: a file and a real RTSP server cut into MP4 segments that decode and follow each other
without a gap; an open (or crashed) segment is never listed; a dead camera does not stop the others; the purge
deletes expired segments but keeps what a case holds; playback through the API passes the gate; the live view
taps the same stream."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path

import av
import av.error
import httpx
import pytest

from sereno.api import create_app
from sereno.config import load_settings
from sereno.domain import Camera, utcnow
from sereno.governance import retention
from sereno.governance.cases import place_hold
from sereno.video.cameras_file import save_cameras
from sereno.video.live_mux import Fragment, Init
from sereno.video.recorder import MAX_DRIFT_S, CameraRecorder, PacketTimes, RecorderPool
from sereno.video.segments import PARTIAL_SUFFIX, Segment, final_path, format_stamp, list_segments
from sereno.video.sources import LOOP_PAUSE_S, file_start_time
from tests.api.conftest import CASE, REASON, Api, Served
from tests.governance_world import STATE, World, build_world
from tests.realdata import shared_file
from tests.rtsp_server import rtsp_url_for

PERSONS = "video/persons-one-by-one.mp4"  # 139.4 s, 10 fps, a keyframe every second
EVER = (datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc))
WAIT_S = 60  # an upper bound for things that take a few seconds, so that a broken recorder fails instead of hanging


def wait_for(condition, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def frames_in(path: Path) -> int:
    with av.open(str(path), format="mp4") as container:
        return sum(1 for _ in container.decode(video=0))


def assert_contiguous(segments: list[Segment]) -> None:
    assert segments, "no segment was written"
    for before, after in zip(segments, segments[1:]):
        assert before.end == after.start, f"gap or overlap between {before.id} and {after.id}"


def record_file(media: Path, camera_id: str, clip: str, segment_s: float) -> list[Segment]:
    status = CameraRecorder(camera_id, str(shared_file(clip)), media, segment_s, threading.Event()).run()
    assert status.reason == "recorded to the end of the file"
    return list_segments(media, camera_id, *EVER)


def test_a_file_is_cut_at_keyframes_into_segments_that_decode_and_follow_each_other(tmp_path) -> None:
    segments = record_file(tmp_path, "cam-1", PERSONS, segment_s=10)
    assert_contiguous(segments)
    assert len(segments) == 14 and [s.seconds for s in segments[:-1]] == [10.0] * 13
    assert segments[0].start == datetime(2017, 9, 26, 16, 57, 49, tzinfo=timezone.utc)  # the file's creation time
    assert abs((segments[-1].end - segments[0].start).total_seconds() - 139.4) < 0.01
    assert sum(frames_in(s.path) for s in segments) == 1394  # every frame, none decoded twice
    assert segments[0].path.parent.name == "2017-09-26" and segments[0].path.name == \
        "20170926T165749.000Z_20170926T165759.000Z.mp4"
    with av.open(str(segments[3].path)) as container:  # a segment copied elsewhere still says when it was taken
        assert file_start_time(segments[3].path, container) == segments[3].start


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def rtsp_persons() -> Iterator[str]:
    yield from rtsp_url_for(shared_file(PERSONS))


def listing_while_writing(media: Path, camera_id: str) -> tuple[set[str], list[Segment]]:
    """A listing taken while a segment was open from before it started until after it ended, and that segment."""
    folder, seen = media / "video" / camera_id, {}

    def taken() -> bool:
        writing = {p.name for p in folder.rglob(f"*{PARTIAL_SUFFIX}")}
        seen["listed"] = list_segments(media, camera_id, *EVER)
        seen["writing"] = writing & {p.name for p in folder.rglob(f"*{PARTIAL_SUFFIX}")}
        return bool(seen["writing"])

    wait_for(taken, "a listing taken while a segment is being written")
    return seen["writing"], seen["listed"]


@pytest.mark.rtsp
def test_live_rtsp_is_recorded_while_a_dead_camera_retries(settings, rtsp_persons) -> None:
    cameras = [Camera("gate", "Garita", 32.54, -117.03, rtsp_persons),
               Camera("dead", "Apagada", 32.53, -117.02, f"rtsp://127.0.0.1:{closed_port()}/cam1"),
               Camera("file-only", "Archivo", 32.52, -117.01, str(shared_file(PERSONS)))]
    stop = threading.Event()
    pool = RecorderPool(settings, cameras, stop, segment_s=1.0)
    assert set(pool.recorders) == {"gate", "dead"}  # a camera with only a file has no stream to record
    before = utcnow()
    pool.start()
    folder = settings.media_path / "video" / "gate"
    try:
        wait_for(lambda: len(list_segments(settings.media_path, "gate", *EVER)) >= 3, "three closed segments")
        writing, listed = listing_while_writing(settings.media_path, "gate")
        assert not {f"{format_stamp(s.start)}.mp4{PARTIAL_SUFFIX}" for s in listed} & writing
        assert pool.recording("gate") and not pool.recording("dead")
        dead = next(s for s in pool.statuses() if s.camera_id == "dead")
        wait_for(lambda: "retrying in" in dead.reason, "the dead camera's retry")
        assert "cannot open" in dead.reason
        # The live view taps the same stream: an RTSP camera's H.264 (parameter sets from the SDP) plays too.
        received: list = []
        viewer = pool.live("gate").watch(lambda: None)
        wait_for(lambda: received.extend(viewer.take()) or sum(isinstance(m, Fragment) for m in received) >= 15,
                 "live fragments")
        viewer.close()
    finally:
        pool.stop()
    [init] = [m for m in received if isinstance(m, Init)]
    assert init.codec.startswith("avc1.") and (init.width, init.height) == (768, 432)
    video = init.data + b"".join(m.data for m in received if isinstance(m, Fragment))
    with av.open(io.BytesIO(video), format="mp4") as container:
        frames = list(container.decode(video=0))
    assert len(frames) >= 14 and frames[0].key_frame
    after = utcnow()
    assert not any(folder.rglob(f"*{PARTIAL_SUFFIX}"))  # stopping closes the open segment cleanly
    segments = list_segments(settings.media_path, "gate", *EVER)
    assert_contiguous(segments)
    drift = timedelta(seconds=MAX_DRIFT_S)  # how far a live stream's own clock may lead or lag ours
    assert before - drift <= segments[0].start and segments[-1].end <= after + drift
    assert all(frames_in(s.path) >= 1 for s in segments)
    assert all(0.9 <= s.seconds <= 1.6 for s in segments[:-1])  # cut at the first keyframe after one second


def test_the_passes_of_a_demo_loop_follow_each_other_after_the_analysis_pause() -> None:
    times = PacketTimes("loop", Fraction(1, 1000))
    stamps = []
    for _ in range(2):
        times.next_pass(LOOP_PAUSE_S)  # the analysis pauses as long: the overlay stays on the same moment
        for dts in range(1000, 2000, 100):  # a file whose timestamps start at 1 s
            packet = av.Packet(b"frame")
            packet.dts = packet.pts = dts
            packet.duration = 100
            stamps.append(times.fix(packet)[0])
    assert stamps[:10] == list(range(0, 1000, 100))  # the first pass starts at 0, without a pause
    assert stamps[10:] == list(range(4000, 5000, 100))  # 1 s of video, then 3 s of pause


RECORD_A_LOOP = """
import sys, threading
from pathlib import Path
from sereno.video.recorder import CameraRecorder
CameraRecorder("cam-1", sys.argv[1], Path(sys.argv[2]), 60.0, threading.Event()).run()
"""


def partial_frames(folder: Path) -> int:
    try:
        return sum(frames_in(p) for p in folder.rglob(f"*{PARTIAL_SUFFIX}"))
    except av.error.FFmpegError:  # no fragment complete yet
        return 0


def test_a_crash_leaves_only_a_partial_file_that_is_never_listed_but_still_plays(tmp_path) -> None:
    url = f"file://{shared_file(PERSONS)}#loop"  # a demo camera: the file played in real time, like a live one
    recorder = subprocess.Popen([sys.executable, "-c", RECORD_A_LOOP, url, str(tmp_path)],
                                cwd=Path(__file__).resolve().parents[1])
    try:
        wait_for(lambda: partial_frames(tmp_path) >= 10, "a second of video on disk")
    finally:
        recorder.kill()  # SIGKILL: no chance to close anything
        recorder.wait()
    [left] = tmp_path.rglob(f"*{PARTIAL_SUFFIX}")
    assert frames_in(left) >= 10  # fragmented MP4: what was written before the crash plays
    assert list_segments(tmp_path, "cam-1", *EVER) == []


@pytest.fixture
def world(tmp_path) -> Iterator[World]:
    built = build_world(load_settings(tmp_path / "data"))
    yield built
    built.gov.close()


def test_the_purge_deletes_expired_segments_but_not_one_a_case_holds(world: World) -> None:
    gov, media = world.gov, world.gov.settings.media_path
    old = record_file(media, "cam-1", PERSONS, segment_s=30)  # recorded in 2017: long expired
    assert len(old) == 5
    now = world.clock()
    recent_start = now - timedelta(days=2)
    recent = final_path(media, "cam-1", recent_start, recent_start + timedelta(seconds=30))
    recent.parent.mkdir(parents=True)
    old[4].path.rename(recent)  # a segment recorded two days ago
    # A hold on ten seconds in the middle of the second segment keeps that whole segment.
    place_hold(gov, world.people["investigator"], "TIJ-2026-0001", "el robo quedó grabado por la cámara 1",
               camera_id="cam-1", start=old[1].start + timedelta(seconds=10), end=old[1].start + timedelta(seconds=20),
               until=now + timedelta(days=90))

    counts = retention.purge(gov, world.people["administrator"], {"cam-1": None})

    assert list_segments(media, "cam-1", *EVER) == [old[1], *list_segments(media, "cam-1", recent_start, now)]
    assert recent.exists() and counts.video_files == 3 and counts.held_kept == 1
    entry = [e for e in gov.ledger.entries() if e["action"] == "retention.purge"][-1]
    assert entry["kind"] == "deletion" and entry["details"]["video_files"] == 3


# --- playback through the API -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def recorded_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The app (no workers) over two cameras, one of the state police, each with a recorded file."""
    settings = load_settings(tmp_path_factory.mktemp("playback") / "data")
    world = build_world(settings)
    cameras = {"cam-1": Camera("cam-1", "Garita", 32.5422, -117.0293, "rtsp://10.0.0.5/main"),
               "cam-2": Camera("cam-2", "Carretera estatal", 32.53, -117.01, "rtsp://10.0.0.6/main", agency=STATE)}
    save_cameras(settings.cameras_path, list(cameras.values()))
    for camera_id in cameras:
        record_file(settings.media_path, camera_id, PERSONS, segment_s=60)
    app = create_app(settings, clock=world.clock)
    with Served(app) as url:
        yield Api(world, url, app, app.state.services, cameras)
    world.gov.close()


WINDOW = {"since": "2017-09-26T16:57:00Z", "until": "2017-09-26T17:10:00Z"}


def listing(client: httpx.Client, camera_id: str, **params: str) -> httpx.Response:
    return client.get(f"/api/cameras/{camera_id}/recordings", params={"case": CASE, "reason": REASON, **WINDOW,
                                                                        **params})


def test_an_investigator_lists_and_plays_segments_with_ranges_each_read_recorded(recorded_api: Api) -> None:
    with recorded_api.client("inv") as investigator:
        response = listing(investigator, "cam-1")
        assert response.status_code == 200, response.text
        segments = response.json()
        assert [(s["start"], s["end"]) for s in segments] == [
            ("2017-09-26T16:57:49Z", "2017-09-26T16:58:49Z"), ("2017-09-26T16:58:49Z", "2017-09-26T16:59:49Z"),
            ("2017-09-26T16:59:49Z", "2017-09-26T17:00:08.400000Z")]
        decision = list(recorded_api.world.gov.ledger.entries(kind="decision"))[-1]
        assert decision["action"] == "view.video" and decision["outcome"] == "allowed"
        assert decision["details"]["scope"]["cameras"] == ["cam-1"] and decision["details"]["reason"] == REASON
        assert decision["details"]["scope"]["start"].startswith("2017-09-26T16:57:00")

        whole = investigator.get(segments[0]["url"])  # the URL carries the same case and reason
        assert whole.status_code == 200 and whole.headers["content-type"] == "video/mp4"
        assert whole.headers["accept-ranges"] == "bytes" and whole.content[4:8] == b"ftyp"
        played = recorded_api.services.settings.data_dir / "played.mp4"
        played.write_bytes(whole.content)
        assert frames_in(played) == 600  # a minute at 10 fps, as recorded

        part = investigator.get(segments[0]["url"], headers={"Range": "bytes=100-1099"})
        assert part.status_code == 206 and len(part.content) == 1000
        assert part.content == whole.content[100:1100]
        assert part.headers["content-range"] == f"bytes 100-1099/{len(whole.content)}"
        viewed = list(recorded_api.world.gov.ledger.entries(kind="decision"))[-1]
        assert viewed["action"] == "view.video" and viewed["details"]["segment"] in segments[0]["url"]
        assert viewed["details"]["scope"]["start"] == "2017-09-26T16:57:49+00:00"


def test_playback_needs_a_case_a_casework_role_and_the_cameras_owner(recorded_api: Api) -> None:
    with recorded_api.client("inv") as investigator:
        no_case = investigator.get("/api/cameras/cam-1/recordings", params={"reason": REASON, **WINDOW})
        assert no_case.status_code == 403 and no_case.json()["error"] == "no_case"
        url = listing(investigator, "cam-1").json()[0]["url"]
        for theirs in (listing(investigator, "cam-2"), investigator.get(url.replace("/cam-1/", "/cam-2/"))):
            assert theirs.status_code == 403 and theirs.json()["error"] == "no_sharing"  # the state police's camera
        assert investigator.get(url.replace(".000Z.mp4", ".001Z.mp4")).status_code == 404
        assert investigator.get("/api/recordings/cam-1/..%2F..%2Fsereno.db.mp4").status_code == 404
        assert listing(investigator, "cam-1", since="2017-09-26T00:00:00Z", until="2017-09-28T12:00:00Z") \
            .status_code == 400
        assert listing(investigator, "nowhere").status_code == 404
    with recorded_api.client("op") as operator:
        refused = listing(operator, "cam-1")
        assert refused.status_code == 403 and refused.json()["error"] == "role"
        assert operator.get(url).status_code == 403
    anonymous = httpx.get(f"{recorded_api.url}{url}")
    assert anonymous.status_code == 401


def test_a_camera_whose_codec_cannot_go_into_mp4_is_named_once_and_not_retried(tmp_path: Path) -> None:
    """The pedestrians clip is MS-MPEG4: not recordable without re-encoding. The recorder says so and stops, instead
    of retrying (and logging) every few seconds forever."""
    url = shared_file("video/street-pedestrians-vtest.avi").as_uri() + "#loop"
    done = threading.Event()
    recorder = CameraRecorder("ped", url, tmp_path, 2.0, threading.Event())
    thread = threading.Thread(target=lambda: (recorder.run(), done.set()), daemon=True)
    thread.start()
    wait_for(done.is_set, "the recorder to give up")
    assert "msmpeg4" in recorder.status.reason and "H.264" in recorder.status.reason
    assert not recorder.status.recording and list_segments(tmp_path, "ped", *EVER) == []
