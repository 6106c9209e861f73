"""Tamper alarms on real video: every clip of the shared data plays for minutes without one; a view blacked out,
covered, blurred or turned away (tampering applied to real frames) raises the right alarm within the debounce time
and clears once the view is back; the camera worker turns it into the TAMPERED state, in the store and the log."""

from __future__ import annotations

import itertools
import logging
from contextlib import closing
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from sereno.domain import Camera, CameraState, CameraStatus
from sereno.governance import Governance
from sereno.governance.camera_alarms import CameraAlarmSink, alarm_condition, alarm_entry
from sereno.governance.oversight import find_anomalies
from sereno.governance.report import Figures, figures_from_entries, parse_period
from sereno.pipeline.runner import process_file
from sereno.store import Store
from sereno.video import tamper
from sereno.video.sources import FrameSource, SourceError
from sereno.video.tamper import TamperDetector, tamper_view
from tests.api.conftest import NothingFound
from tests.realdata import SHARED_DATA, shared_file

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
CLIPS = sorted(p.name for p in (SHARED_DATA / "video").glob("*")) if (SHARED_DATA / "video").is_dir() \
    else ["(shared data absent)"]
# Clips from fixed cameras (the others: edited film with cuts, a hand-held tree) and, for each, another clip whose
# scene replaces its view when the camera is "turned away".
FIXED = {"car-approach-plate-LS15EBC.mp4": "highway-320x240-b.avi", "highway-320x240-a.avi": "persons-one-by-one.mp4",
         "street-pedestrians-vtest.avi": "car-approach-plate-LS15EBC.mp4",
         "persons-one-by-one.mp4": "street-pedestrians-vtest.avi", "parking-lot-overhead.mp4": "highway-320x240-a.avi"}
NORMAL_S, TAMPERED_S, RESTORED_S = 15, 25, 30
# Dark, covered and blurred show on the next frame looked at; a turn shows once the recent structure has settled.
FIRST_LOOK = tamper.CHECK_EVERY_S
SETTLE = 3 * tamper.RECENT_S


def ping_pong(items: list, count: int) -> list:
    """Forward then backward, again and again: a longer real sequence without a jump at the seams."""
    cycle = items + items[::-1]
    return list(itertools.islice(itertools.cycle(cycle), count))


@lru_cache(maxsize=None)
def frames_per_second(clip: str, seconds: int) -> tuple[np.ndarray, ...]:
    """One BGR frame per second of a clip, its first ``seconds`` seconds (what the detector looks at)."""
    source = FrameSource("cam", str(shared_file(f"video/{clip}")), analysis_fps=1, start_time=T0)
    return tuple(frame.image for frame in itertools.islice(source, seconds))


def blacked_out(image: np.ndarray) -> np.ndarray:
    return (image * 0.03).astype(np.uint8)


def covered(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]  # a flat patch over 80 % of the view: a bag, a board
    return cv2.rectangle(image.copy(), (0, 0), (int(width * 0.9), int(height * 0.9)), (60, 60, 70), -1)


def blurred(image: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(image, (0, 0), image.shape[1] / 60)  # spray or grease on the lens


def turned(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]  # swung 25 degrees and a third of the view sideways
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), 25, 1.0)
    turn[0, 2] += 0.35 * width
    return cv2.warpAffine(image, turn, (width, height), borderMode=cv2.BORDER_REFLECT)


@pytest.mark.parametrize("clip", CLIPS)
def test_normal_video_never_raises_an_alarm(clip: str) -> None:
    try:
        views = [tamper_view(frame.image) for frame in FrameSource("cam", str(shared_file(f"video/{clip}")),
                                                                   analysis_fps=5, start_time=T0)]
    except SourceError as exc:
        if exc.retry:
            raise
        pytest.skip(f"{clip} is not video a camera could send: {exc.reason}")
    detector = TamperDetector()
    alarms = []
    # Three minutes at least, looked at once a second like the worker does: traffic, pedestrians, the car filling
    # the view as it comes close, the parking lot's exposure jumping when a white car drives in.
    for second, view in enumerate(ping_pong(views, max(len(views), 900))[::5]):
        if detector.update(view, T0 + timedelta(seconds=second)):
            alarms.append((second, detector.alarm))
    assert not alarms, f"{clip}: alarms on normal video at (second, alarm): {alarms[:5]}"


def _timeline(clip: str, tampering, replacement: str | None = None) -> list[np.ndarray]:  # noqa: ANN001
    count = NORMAL_S + TAMPERED_S + RESTORED_S
    frames = ping_pong(list(frames_per_second(clip, 40)), count)
    if replacement is not None:
        height, width = frames[0].shape[:2]
        other = ping_pong(list(frames_per_second(replacement, 40)), count)
        tampering = lambda _frame, second: cv2.resize(other[second], (width, height))  # noqa: E731
    return [tampering(frame, second) if NORMAL_S <= second < NORMAL_S + TAMPERED_S else frame
            for second, frame in enumerate(frames)]


TAMPERING = {"dark": (lambda frame, _: blacked_out(frame), FIRST_LOOK),
             "covered": (lambda frame, _: covered(frame), FIRST_LOOK),
             "blurred": (lambda frame, _: blurred(frame), FIRST_LOOK),
             "turned away": (lambda frame, _: turned(frame), SETTLE)}


@pytest.mark.parametrize("clip", list(FIXED))
@pytest.mark.parametrize("kind", [*TAMPERING, "another scene"])
def test_tampering_raises_the_alarm_within_the_debounce_time_and_clears(clip: str, kind: str) -> None:
    if kind == "another scene":
        frames, expected, settle = _timeline(clip, None, FIXED[clip]), "turned away", SETTLE
    else:
        tampering, settle = TAMPERING[kind]
        frames, expected = _timeline(clip, tampering), kind
    detector = TamperDetector()
    raised = cleared = None
    for second, frame in enumerate(frames):
        alarm = detector.check(frame, T0 + timedelta(seconds=second))
        if second < NORMAL_S:
            assert alarm is None, f"alarm {alarm!r} at {second} s, before any tampering"
        elif alarm is not None and raised is None:
            raised = (second - NORMAL_S, alarm)
        elif alarm is None and raised is not None and cleared is None:
            cleared = second - NORMAL_S - TAMPERED_S
    assert raised is not None, f"{kind} never raised an alarm"
    assert raised[1] == expected
    assert raised[0] <= detector.raise_after_s + settle
    assert cleared is not None and cleared <= detector.clear_after_s + SETTLE + FIRST_LOOK


def test_a_camera_re_aimed_on_purpose_stays_quiet_once_its_new_view_is_accepted() -> None:
    """Real frames of the highway, then the camera turned for good: the alarm is raised; a supervisor accepts the
    new view; the alarm clears at the next look and a minute of the new view raises nothing."""
    frames = ping_pong(list(frames_per_second("highway-320x240-a.avi", 40)), NORMAL_S + 90)
    detector = TamperDetector()
    alarms = []
    for second, frame in enumerate(frames):
        view = frame if second < NORMAL_S else turned(frame)
        alarms.append(detector.check(view, T0 + timedelta(seconds=second)))
        if second == NORMAL_S + 25:
            assert alarms[-1] == "turned away"
            detector.accept_view()
    after = alarms[NORMAL_S + 26:]
    assert after and not any(after), f"alarms after the view was accepted: {sorted(set(after) - {None})}"


def test_a_camera_that_starts_blacked_out_is_dark_without_a_reference() -> None:
    detector = TamperDetector()
    black = blacked_out(frames_per_second("highway-320x240-a.avi", 1)[0])
    alarms = [detector.check(black, T0 + timedelta(seconds=s)) for s in range(15)]
    assert alarms[-1] == "dark" and detector.reference is None  # nothing learned from a dead view


def test_ptz_cameras_may_turn() -> None:
    detector = TamperDetector(check_turned=False)
    for second, frame in enumerate(_timeline("highway-320x240-a.avi", TAMPERING["turned away"][0])):
        assert detector.check(frame, T0 + timedelta(seconds=second)) is None


class StatusHistory:
    """The worker's sink: the real store, remembering every state it was given (the store keeps the latest)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.states: list[tuple[CameraState, str]] = []

    def add_sighting(self, sighting):  # noqa: ANN001, ANN201
        return self.store.add_sighting(sighting)

    def set_camera_status(self, status: CameraStatus) -> None:
        if not self.states or self.states[-1] != (status.state, status.reason):
            self.states.append((status.state, status.reason))
        self.store.set_camera_status(status)


def _write_clip(path: Path, frames: list[np.ndarray], fps: int) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt, stream.bit_rate = "yuv420p", 2_000_000
        for image in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")))
        container.mux(stream.encode())


@pytest.fixture
def blackout_clip(tmp_path: Path) -> Path:
    """Real video: 15 s of highway, 20 s blacked out, 20 s of highway again (10 fps)."""
    fps = 10
    source = FrameSource("cam", str(shared_file("video/highway-320x240-a.avi")), analysis_fps=fps, start_time=T0)
    highway = [frame.image for frame in itertools.islice(source, fps * 10)]
    frames = [blacked_out(f) if fps * 15 <= n < fps * 35 else f for n, f in enumerate(ping_pong(highway, fps * 55))]
    clip = tmp_path / "tampered.mp4"
    _write_clip(clip, frames, fps)
    return clip


def test_the_worker_marks_a_blacked_out_camera_tampered_and_back_online(settings, caplog, blackout_clip) -> None:
    camera = Camera("gate-2", "Garita 2", 32.54, -117.03, str(blackout_clip))
    caplog.set_level(logging.INFO, logger="sereno.pipeline.worker")
    with Store.open(settings) as store:
        history = StatusHistory(store)
        process_file(settings, camera, str(blackout_clip), history, NothingFound(), start_time=T0)
        assert history.states[1:] == [(CameraState.ONLINE, ""), (CameraState.TAMPERED, "dark"),
                                      (CameraState.ONLINE, ""), (CameraState.STOPPED, "end of file")]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.getMessage() == "camera tampered"]
    assert len(warnings) == 1 and warnings[0].reason == "dark" and warnings[0].camera == "gate-2"


def test_a_blacked_out_camera_is_on_the_ledger_for_auditors_and_in_the_public_report(settings, blackout_clip) -> None:
    camera = Camera("gate-2", "Garita 2", 32.54, -117.03, str(blackout_clip))
    with Store.open(settings) as store, closing(Governance.open(settings)) as gov:
        process_file(settings, camera, str(blackout_clip), CameraAlarmSink(store, gov.ledger), NothingFound(),
                     start_time=T0)
        entries = [e for e in gov.ledger.entries() if e["kind"] == "camera"]
        assert [(e["action"], e["actor"], e["details"]["camera"], e["details"].get("reason")) for e in entries] == [
            ("camera.tampered", "system", "gate-2", "dark"), ("camera.restored", "system", "gate-2", None)]
        assert gov.ledger.verify().ok
        found = find_anomalies(gov.ledger.entries(), shifts={})
        assert [(a["camera"], a["action"], a["reason"]) for a in found.camera_alarms] == [
            ("gate-2", "camera.tampered", "dark")]
        figures = Figures(period=parse_period("2026"), generated_at="now")
        figures_from_entries(figures, gov.ledger.entries())
        assert figures.camera_alarms == {"tampered": 1, "restored": 1}


def _status(state: CameraState, reason: str = "") -> CameraStatus:
    return CameraStatus("cam", state, reason)


def test_only_changes_of_a_cameras_alarm_condition_are_written() -> None:
    """Reconnection attempts change the reason every few seconds; starting and stopping are no alarms."""
    timeline = [_status(CameraState.STARTING), _status(CameraState.ONLINE),
                _status(CameraState.TAMPERED, "dark"), _status(CameraState.TAMPERED, "dark"),
                _status(CameraState.TAMPERED, "covered"),
                _status(CameraState.OFFLINE, "connection refused; retrying in 1 s"),
                _status(CameraState.OFFLINE, "connection refused; retrying in 2 s"),
                _status(CameraState.ERROR, "timed out; retrying in 4 s"),
                _status(CameraState.ONLINE), _status(CameraState.STOPPED, "stopped"), _status(CameraState.ONLINE)]
    actions, previous = [], None
    for status in timeline:
        current = alarm_condition(status)
        actions.append(alarm_entry(previous, current))
        previous = current or previous
    assert [a for a in actions if a] == ["camera.tampered", "camera.tampered", "camera.down", "camera.restored"]
    # A camera that never comes up is an alarm too.
    assert alarm_entry(None, alarm_condition(_status(CameraState.ERROR, "no route to host"))) == "camera.down"
