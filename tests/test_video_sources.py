"""Frame sources on real video: files, a real RTSP server on loopback, dead URLs and damaged files."""

from __future__ import annotations

import socket
import time
from datetime import datetime, timedelta, timezone

import pytest

from sereno.domain import utcnow
from sereno.video.backoff import Backoff
from sereno.video.motion import MotionGate
from sereno.video.sources import FrameSource, RateSelector, SourceError, describe, frame_count
from tests.realdata import shared_file
from tests.rtsp_server import rtsp_ls15ebc  # noqa: F401  (fixture)

LS15EBC = "video/car-approach-plate-LS15EBC.mp4"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_file_is_decoded_at_the_analysis_rate_with_stream_timestamps():
    start = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    source = FrameSource("cam", str(shared_file(LS15EBC)), analysis_fps=5, start_time=start)
    frames = list(source)
    assert source.stats.frames_decoded == 140  # 30 fps, 4.67 s: every frame decoded (H.264 needs them) ...
    assert len(frames) == source.stats.frames_analysed == 24  # ... but only 5 per second become BGR images
    assert frames[0].image.shape == (720, 1280, 3)
    assert frames[0].timestamp == start and frames[1].timestamp == start + timedelta(seconds=0.2)
    assert [f.index for f in frames[:3]] == [0, 6, 12]
    assert source.shortfall() is None


def test_file_time_defaults_to_its_creation_time_metadata():
    frames = list(FrameSource("cam", str(shared_file(LS15EBC)), analysis_fps=1))
    assert frames[0].timestamp == datetime(2016, 2, 22, 7, 18, 18, tzinfo=timezone.utc)
    assert frame_count(str(shared_file(LS15EBC))) == 140


def test_rate_selector_resyncs_after_a_gap_instead_of_bursting():
    selector = RateSelector(5)
    taken = [t for t in [0.0, 0.1, 0.2, 0.3, 0.4, 10.0, 10.03, 10.2] if selector.take(t)]
    assert taken == [0.0, 0.2, 0.4, 10.0, 10.2]


def test_truncated_file_gives_its_frames_and_a_clear_warning():
    source = FrameSource("cam", str(shared_file("video/damaged-truncated-tree.avi")), analysis_fps=5)
    frames = list(source)
    assert source.stats.frames_decoded == 68 and frames
    assert "header claims 444 frames but only 68 could be decoded" in source.shortfall()


def test_tiny_raw_video_is_refused_with_the_reason():
    with pytest.raises(SourceError) as error:
        list(FrameSource("cam", str(shared_file("video/bad-48x48-raw-demo.avi")), analysis_fps=5))
    assert "48x48 pixels, too small" in str(error.value) and not error.value.retry


def test_missing_file_and_dead_url_fail_with_the_source_named(tmp_path):
    with pytest.raises(SourceError) as missing:
        list(FrameSource("cam", str(tmp_path / "nope.mp4"), analysis_fps=5))
    assert "nope.mp4: file not found" in str(missing.value) and not missing.value.retry
    url = f"rtsp://127.0.0.1:{closed_port()}/cam1"
    with pytest.raises(SourceError) as dead:
        list(FrameSource("cam", url, analysis_fps=5, timeout_s=3))
    assert url in str(dead.value) and "cannot open" in dead.value.reason and dead.value.retry


def test_credentials_are_hidden_in_messages():
    assert describe("rtsp://admin:hunter2@10.0.0.5:554/sub") == "rtsp://***@10.0.0.5:554/sub"


def test_rtsp_stream_over_tcp_from_a_real_server(rtsp_ls15ebc):  # noqa: F811
    before = utcnow()
    source = FrameSource("cam", rtsp_ls15ebc, analysis_fps=5, timeout_s=10)
    frames = list(source)
    assert frames and frames[0].image.shape == (720, 1280, 3)
    assert 20 <= len(frames) <= 26  # 4.7 s of stream at 5 fps
    assert before <= frames[0].timestamp <= utcnow()  # live: wall clock at the first frame ...
    span = (frames[-1].timestamp - frames[0].timestamp).total_seconds()
    assert 4.0 <= span <= 5.0  # ... plus the stream's own time


def test_motion_gate_skips_still_scenes_and_wakes_on_movement():
    gate = MotionGate(threshold=0.004, keepalive=1000)
    verdicts = [gate.should_analyse(f.image) for f in FrameSource(
        "cam", str(shared_file("video/parking-lot-overhead.mp4")), analysis_fps=5)]
    # The overhead parking lot is still for its first seconds, then cars drive through.
    assert verdicts[0] is True  # nothing known yet: look
    assert not any(verdicts[2:20])
    assert sum(verdicts[22:45]) >= 20  # cars drive through: awake


def test_motion_gate_passes_the_approaching_car():
    gate = MotionGate(threshold=0.004)
    assert all(gate.should_analyse(f.image) for f in FrameSource("cam", str(shared_file(LS15EBC)), analysis_fps=5))


def test_backoff_grows_with_jitter_up_to_a_cap_and_resets():
    import random

    backoff = Backoff(base_s=1, cap_s=30, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(8)]
    assert 0.5 <= delays[0] <= 1 and 1 <= delays[1] <= 2 and 2 <= delays[2] <= 4
    assert all(15 <= d <= 30 for d in delays[5:])
    backoff.reset()
    assert backoff.next_delay() <= 1


def test_mjpeg_over_http_from_a_real_server():
    """ffmpeg serves the clip as multipart JPEG over HTTP on loopback, in real time, as IP cameras do."""
    import shutil
    import subprocess

    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed (apt-get install ffmpeg)")
    url = f"http://127.0.0.1:{closed_port()}/cam.mjpg"
    server = subprocess.Popen(["ffmpeg", "-v", "error", "-re", "-i", str(shared_file(LS15EBC)), "-vf", "scale=640:360",
                               "-q:v", "5", "-f", "mpjpeg", "-listen", "1", url])
    try:
        source = FrameSource("cam", url, analysis_fps=5, timeout_s=10)
        frames = []
        listening_by = time.monotonic() + 20  # the server needs a moment to listen; longer on a loaded 2-core CI box
        while True:
            try:
                frames.extend(source)
                break
            except SourceError as error:
                if source.stats.frames_decoded:  # the server hung up at the end of the clip: a live stream ends so
                    break
                assert "cannot open" in error.reason
                if time.monotonic() > listening_by:
                    break
                time.sleep(0.25)
        assert len(frames) >= 20 and frames[0].image.shape == (360, 640, 3)
    finally:
        server.kill()
        server.wait()
