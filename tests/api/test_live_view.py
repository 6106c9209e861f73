"""The pieces behind the live view, on real video: the looping file source of the sample cameras, the frame hub
(encodes once per frame, however many watch) and the analysis overlay."""

from __future__ import annotations

from datetime import datetime, timezone

import cv2
import numpy as np

from sereno.api.live import FrameHub, draw_overlay
from sereno.domain import Camera, Detection, Frame, PlateRead
from sereno.pipeline.tracker import PlateObservation
from sereno.video.sources import LOOP_PAUSE_S, FrameSource, is_live, local_path
from tests.realdata import shared_file


def test_a_looping_file_plays_on_past_its_end_like_a_live_camera() -> None:
    clip = shared_file("video/car-approach-plate-LS15EBC.mp4")  # 140 frames at 30 fps: 4.7 s
    url = f"file://{clip}#loop"
    assert is_live(url) and local_path(url) == clip
    source = FrameSource("loop", url, analysis_fps=5.0)
    stamps = []
    for frame in source:
        stamps.append(frame.timestamp)
        if len(stamps) == 30:  # 24 frames a pass at 5 fps: this is into the second pass
            break
    gaps = [(b - a).total_seconds() for a, b in zip(stamps, stamps[1:])]
    assert all(g > 0 for g in gaps)  # stream time only moves forward, across passes too
    assert sum(g > LOOP_PAUSE_S for g in gaps) == 1  # one pause between the passes: a new visit
    assert source.stats.frames_decoded > 140


def test_the_hub_encodes_each_frame_once_and_the_overlay_shows_what_was_found() -> None:
    video = cv2.VideoCapture(str(shared_file("video/car-approach-plate-LS15EBC.mp4")))
    video.set(cv2.CAP_PROP_POS_FRAMES, 120)
    ok, image = video.read()
    assert ok
    camera = Camera("cam", "cam", 32.5, -117.0, "unused")
    car = Detection((300.0, 150.0, 900.0, 650.0), 0.91, "car")
    plate = PlateObservation(Detection((520.0, 520.0, 680.0, 560.0), 0.88, "plate"), PlateRead("LS15EBC", 0.97))
    hub = FrameHub()
    assert hub.jpeg("cam", overlay=False) is None  # nothing yet
    hub.publish(camera, Frame("cam", 120, datetime.now(timezone.utc), image), [car], [plate])
    first = hub.jpeg("cam", overlay=True)
    assert first is not None and hub.jpeg("cam", overlay=True)[1] is first[1]  # one encoding for every watcher
    plain = cv2.imdecode(np.frombuffer(hub.jpeg("cam", overlay=False)[1], np.uint8), cv2.IMREAD_COLOR)
    drawn = draw_overlay(hub.latest("cam"))
    assert np.array_equal(hub.latest("cam").image, image)  # the analysed frame itself is left untouched
    changed = np.abs(drawn.astype(int) - image.astype(int)).sum(axis=2) > 60
    assert changed[150:650, 300].mean() > 0.9  # the car's left edge
    assert changed[520:560, 520].mean() > 0.9  # the plate's left edge
    assert changed[560:620, 520:680].any()  # its text under it
    assert not changed[20:120, 20:200].any()  # and nothing elsewhere
    assert plain.shape == image.shape
