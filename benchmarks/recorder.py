"""What recording and tamper detection cost: CPU per recorded stream, disk per camera, milliseconds per tamper check.

Prints, asserts nothing:
1. remux of each H.264 clip of the shared data into 60 s segments as fast as the disk allows: CPU seconds per
   second of video (= the share of one core a live stream of that kind costs), and the disk it takes per day;
2. a live stream: the LS15EBC clip from a real RTSP server on loopback (Debian's GStreamer, tests/rtsp_server.py),
   recorded in real time: CPU of the recorder over the stream's duration;
3. the tamper detector: milliseconds per check (shrinking the BGR frame, features, comparison) at three frame
   sizes, and what one check a second costs a camera.

    taskset -c 0 .venv/bin/python benchmarks/recorder.py
"""

from __future__ import annotations

import logging
import os
import resource
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import av

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sereno.video.recorder import CameraRecorder  # noqa: E402
from sereno.video.segments import list_segments  # noqa: E402
from sereno.video.sources import FrameSource  # noqa: E402
from sereno.video.tamper import CHECK_EVERY_S, TamperDetector  # noqa: E402

from shared_data import SHARED  # noqa: E402
H264_CLIPS = ("car-approach-plate-LS15EBC.mp4", "persons-one-by-one.mp4", "parking-lot-overhead.mp4",
              "faces-short-clip.mp4")
TAMPER_CLIPS = ("car-approach-plate-LS15EBC.mp4", "street-pedestrians-vtest.avi", "highway-320x240-a.avi")
EVER = (datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc))
DAY_S = 86_400


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def remux_figures(folder: Path) -> None:
    print("1. remux into 60 s segments (no re-encoding), as fast as the disk allows")
    print(f"   {'clip':34s} {'size':>9s} {'video s':>8s} {'CPU s':>7s} {'core share':>10s} {'Mbit/s':>7s} "
          f"{'GB/day':>7s} {'GB/30 d':>8s}")
    for name in H264_CLIPS:
        clip = SHARED / "video" / name
        cpu = float("inf")
        for attempt in range(3):  # the least of three: the first also pays for loading the demuxer
            media = folder / f"{name}-{attempt}"
            started = cpu_seconds()
            CameraRecorder("cam", str(clip), media, 60.0, threading.Event()).run()
            cpu = min(cpu, cpu_seconds() - started)
        segments = list_segments(media, "cam", *EVER)
        seconds = sum(s.seconds for s in segments)
        size = sum(s.path.stat().st_size for s in segments)
        rate = size * 8 / seconds / 1e6
        with av.open(str(clip)) as container:
            codec = container.streams.video[0].codec_context
            shape = f"{codec.width}x{codec.height}"
        print(f"   {name[:22] + ' ' + shape:34s} {size / 1e6:7.1f}MB {seconds:8.1f} {cpu:7.3f} {cpu / seconds:10.2%} "
              f"{rate:7.2f} {size / seconds * DAY_S / 1e9:7.1f} {size / seconds * DAY_S * 30 / 1e9:8.0f}")


def live_figures(folder: Path) -> None:
    from tests.rtsp_server import DEBIAN_PYTHON, RtspServer

    clip = SHARED / "video" / "car-approach-plate-LS15EBC.mp4"
    if not Path(DEBIAN_PYTHON).exists():
        print("2. live RTSP: skipped (Debian's Python with the GStreamer RTSP server is not installed)")
        return
    with RtspServer(clip) as url:
        stop = threading.Event()
        recorder = CameraRecorder("live", url, folder / "live", 60.0, stop)
        started_cpu, started = cpu_seconds(), time.monotonic()
        thread = threading.Thread(target=recorder.run)
        thread.start()
        time.sleep(6.0)  # the clip lasts 4.7 s; then the server ends the stream and the recorder waits to retry
        stop.set()
        thread.join()
        cpu, wall = cpu_seconds() - started_cpu, time.monotonic() - started
    seconds = sum(s.seconds for s in list_segments(folder / "live", "live", *EVER))
    print(f"2. live RTSP (1280x720 H.264 30 fps from GStreamer on loopback): {seconds:.1f} s of video recorded in "
          f"{wall:.1f} s, recorder CPU {cpu:.3f} s = {cpu / seconds:.2%} of a core per stream "
          f"(connection and probing included)")


def tamper_figures() -> None:
    print(f"3. tamper detector, one check = shrink + features + comparison (one check every {CHECK_EVERY_S:g} s)")
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for name in TAMPER_CLIPS:
        source = FrameSource("cam", str(SHARED / "video" / name), 5, start_time=start)
        frames = [frame.image for _, frame in zip(range(50), source)]
        detector = TamperDetector(every_s=0.0)
        for n, image in enumerate(frames[:10]):  # learning
            detector.check(image, start + timedelta(seconds=n))
        checks = 500
        began = time.process_time()
        for n in range(checks):
            detector.check(frames[n % len(frames)], start + timedelta(seconds=10 + n))
        ms = (time.process_time() - began) / checks * 1000
        height, width = frames[0].shape[:2]
        print(f"   {width}x{height} ({name[:28]}): {ms:.2f} ms CPU per check = {ms / 1000 / CHECK_EVERY_S:.2%} of a "
              f"core per camera")


def main() -> None:
    if not (SHARED / "video").is_dir():
        sys.exit(f"the shared data is not at {SHARED} (set SERENO_SHARED_DATA)")
    logging.basicConfig(level=logging.ERROR)  # the live stream's end and retry are expected here
    print(f"CPU: {os.cpu_count()} cores seen; figures are CPU time of this process (pin it: taskset -c 0)")
    with tempfile.TemporaryDirectory() as folder:
        remux_figures(Path(folder))
        live_figures(Path(folder))
    tamper_figures()


if __name__ == "__main__":
    main()
