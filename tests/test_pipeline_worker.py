"""Camera workers and the runner: states in the store, dead cameras, damaged files, clean stops.

These tests are about the video side, so the analyser finds nothing (no models needed); the end-to-end test
with the real models is in test_cli_run.py.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Sequence

import numpy as np
import pytest
from sqlalchemy import select

from sereno.domain import Box, Camera, CameraState, Detection, PlateRead
from sereno.pipeline.runner import Runner, process_file
from sereno.pipeline.worker import SWEEP_EVERY
from sereno.store import Store
from sereno.store.mapping import row_to_sighting
from sereno.store.tables import SightingRow
from tests.realdata import shared_file
from tests.rtsp_server import rtsp_ls15ebc  # noqa: F401  (fixture)


class NothingFound:
    """An analyser that sees nothing: the worker's video handling is under test, not vision."""

    def __init__(self, camera: Camera | None = None) -> None:
        self.calls = 0

    def detect(self, image_bgr: np.ndarray, objects: bool = True,
               regions: Sequence[Box] | None = None) -> tuple[list[Detection], list[Detection]]:
        self.calls += 1
        return [], []

    def read(self, image_bgr: np.ndarray, box: Box) -> PlateRead | None:
        raise AssertionError("no plate was detected, so none should be read")


class PlateWithoutCar:
    """An analyser for a camera whose object detector never sees the car (at night, say) while its plate shows at
    one place: the plate is found wherever the worker looks for plates, and reads LS15EBC."""

    PLATE: Box = (600.0, 450.0, 740.0, 495.0)

    def __init__(self) -> None:
        self.calls = 0
        self.whole_frame = 0

    def detect(self, image_bgr: np.ndarray, objects: bool = True,
               regions: Sequence[Box] | None = None) -> tuple[list[Detection], list[Detection]]:
        self.calls += 1
        self.whole_frame += regions is None
        x, y = (self.PLATE[0] + self.PLATE[2]) / 2, (self.PLATE[1] + self.PLATE[3]) / 2
        looked = regions is None or any(r[0] <= x <= r[2] and r[1] <= y <= r[3] for r in regions)
        return [], [Detection(self.PLATE, 0.8, "plate")] if looked else []

    def read(self, image_bgr: np.ndarray, box: Box) -> PlateRead | None:
        return PlateRead("LS15EBC", 0.9, box=box)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def camera(camera_id: str, url: str) -> Camera:
    return Camera(camera_id, camera_id, 32.5, -117.0, url)


@pytest.fixture
def store(settings):
    with Store.open(settings) as opened:
        yield opened


def wait_until(condition, timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_dead_camera_goes_offline_with_a_reason_while_another_keeps_running(settings, store,
                                                                             rtsp_ls15ebc):  # noqa: F811
    dead_url = f"rtsp://127.0.0.1:{closed_port()}/cam1"
    cameras = [camera("dead", dead_url), camera("live", rtsp_ls15ebc)]
    runner = Runner(settings, cameras, store, NothingFound)
    runner.start()
    try:
        live, dead = runner.workers[1].report, runner.workers[0].report
        assert wait_until(lambda: live.frames_analysed >= 20), "the live camera did not process its stream"
        assert dead.state == CameraState.OFFLINE
        statuses = store.camera_statuses()
        assert statuses["dead"].state == CameraState.OFFLINE
        assert "Connection refused" in statuses["dead"].reason and "retrying in" in statuses["dead"].reason
        assert statuses["live"].state in (CameraState.ONLINE, CameraState.OFFLINE)  # online, or its clip ended
    finally:
        started = time.monotonic()
        runner.stop()
        assert not runner.alive() and time.monotonic() - started < 10  # Ctrl-C stops every camera promptly
    stopped = store.camera_statuses()["dead"]
    assert stopped.state == CameraState.STOPPED and "last problem" in stopped.reason  # the reason stays visible


def test_a_file_camera_is_processed_once_and_reports_the_end(settings, store):
    analyser = NothingFound()
    report = process_file(settings, camera("file", "unused"), str(shared_file("video/car-approach-plate-LS15EBC.mp4")),
                          store, analyser)
    assert report.state == CameraState.STOPPED and report.frames_decoded == 140 and report.frames_analysed == 24
    assert analyser.calls == report.frames_inferred == 24  # the car moves in every analysed frame
    assert store.camera_statuses()["file"].state == CameraState.STOPPED


def test_a_still_scene_skips_inference(settings, store):
    analyser = NothingFound()
    report = process_file(settings, camera("lot", "unused"), str(shared_file("video/parking-lot-overhead.mp4")),
                          store, analyser)
    assert report.frames_analysed > 100
    assert analyser.calls == report.frames_inferred < report.frames_analysed * 0.8


def test_damaged_files_give_a_clear_state_and_do_not_crash(settings, store):
    truncated = process_file(settings, camera("t", "unused"), str(shared_file("video/damaged-truncated-tree.avi")),
                             store, NothingFound())
    assert truncated.state == CameraState.STOPPED and truncated.frames_decoded == 68
    assert "header claims 444 frames but only 68" in truncated.warnings[0]
    tiny = process_file(settings, camera("raw", "unused"), str(shared_file("video/bad-48x48-raw-demo.avi")), store,
                        NothingFound())
    assert tiny.state == CameraState.ERROR and "too small to analyse" in tiny.reason
    assert store.camera_statuses()["raw"].state == CameraState.ERROR


def test_missing_models_put_the_camera_in_error_instead_of_crashing(settings, store):
    def no_models(camera: Camera):
        raise FileNotFoundError("plate detector model not installed; run `sereno models install`")

    runner = Runner(settings, [camera("a", str(shared_file("video/car-approach-plate-LS15EBC.mp4")))], store, no_models)
    runner.start()
    runner.stop()
    status = store.camera_statuses()["a"]
    assert status.state == CameraState.ERROR and "sereno models install" in status.reason


def test_stop_event_ends_a_file_early_and_keeps_going_cleanly(settings, store):
    stop = threading.Event()
    stop.set()
    report = process_file(settings, camera("s", "unused"), str(shared_file("video/persons-one-by-one.mp4")), store,
                          NothingFound(), stop=stop)
    assert report.frames_analysed <= 1 and report.state == CameraState.STOPPED


def test_a_car_the_object_detector_misses_is_found_by_its_plate_and_followed(settings, store):
    analyser = PlateWithoutCar()
    report = process_file(settings, camera("night", "unused"),
                          str(shared_file("video/car-approach-plate-LS15EBC.mp4")), store, analyser)
    assert report.plates == 1 and report.last_plate == "LS15EBC"
    # The whole frame was searched only now and then; in between, only around the plate it had found ...
    assert analyser.calls == report.frames_inferred == 24 and analyser.whole_frame == -(-24 // SWEEP_EVERY)
    with store.session() as session:
        (sighting,) = [row_to_sighting(r) for r in session.execute(select(SightingRow.__table__)).mappings()]
    assert sighting.object_class == "vehicle" and sighting.frames == 24  # ... and it was seen in every frame
