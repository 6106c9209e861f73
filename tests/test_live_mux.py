"""The live feed from the recording stream, on real packets of the shared clips: nothing is muxed while nobody
watches; a viewer who joins mid-stream starts at the last keyframe with fragments PyAV decodes; a viewer who falls
behind resumes at a keyframe; a camera in a codec browsers cannot play says so; a live-view failure never stops the
recording."""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import av

from sereno.video import live_mux
from sereno.video.live_mux import Fragment, Init, LiveFeed, State, codec_string
from sereno.video.recorder import CameraRecorder
from sereno.video.segments import list_segments
from tests.realdata import shared_file

PERSONS = "video/persons-one-by-one.mp4"  # H.264 768x432, 10 fps, a keyframe every second (shown at 0, 1, 2 s...)
START = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)


def packets(clip: str) -> Iterator[tuple[av.VideoStream, av.Packet]]:
    with av.open(str(shared_file(clip))) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.size:
                yield stream, packet


def play(feed: LiveFeed, source: Iterator[tuple[av.VideoStream, av.Packet]], count: int) -> list[bool]:
    """What the recorder does with ``count`` packets; returns their keyframe flags."""
    keys = []
    for stream, packet in source:
        if feed.state.state != "live":
            feed.connect(stream, lambda dts, tb=stream.time_base: START + timedelta(seconds=float(dts * tb)))
        keys.append(packet.is_keyframe)
        feed.feed(packet, packet.dts, packet.pts)
        if len(keys) == count:
            break
    return keys


def decode(messages: list) -> list[av.VideoFrame]:  # noqa: ANN001
    [init] = [m for m in messages if isinstance(m, Init)]
    data = init.data + b"".join(m.data for m in messages if isinstance(m, Fragment))
    with av.open(io.BytesIO(data), format="mp4") as container:
        return list(container.decode(video=0))


def test_nothing_is_muxed_unwatched_and_a_viewer_starts_at_the_last_keyframe() -> None:
    feed, source = LiveFeed("cam"), packets(PERSONS)
    play(feed, source, 25)  # 2.5 s: keyframes at 0, 1 and 2 s
    assert feed.sessions == 0 and not feed.watched

    viewer = feed.watch(lambda: None)
    assert viewer.take() == [State("live")]  # nothing to show before the next packet
    play(feed, source, 10)  # to 3.5 s: its first packet starts the session from the keyframe at 2 s
    first = viewer.take()
    init = first[0]
    assert isinstance(init, Init) and init.codec == "avc1.4d401f" and (init.width, init.height) == (768, 432)
    frames = decode(first)
    assert len(frames) == 5 + 9  # from the keyframe shown at 2.0 s up to the packet before the last one fed
    # The video's time plus the origin is the frame's stream time (what the overlay's times are compared with).
    assert frames[0].key_frame and init.origin + timedelta(seconds=frames[0].time) == START + timedelta(seconds=2)
    steps = [round(b.time - a.time, 3) for a, b in zip(frames, frames[1:])]
    assert steps[:-1] == [0.1] * 12  # 10 fps (the frame before the last is the one not yet out, a B-frame)

    later = feed.watch(lambda: None)  # joins a running session: the init and the fragments since the keyframe
    joined = later.take()
    assert joined[:2] == [State("live"), init] and isinstance(joined[2], Fragment) and joined[2].keyframe
    assert decode(joined)[0].key_frame

    viewer.close(), later.close()
    play(feed, source, 1)
    assert feed.sessions == 1 and feed._muxer is None  # the last viewer gone, the muxer is dropped


def test_a_viewer_that_falls_behind_resumes_at_the_next_keyframe(monkeypatch) -> None:
    monkeypatch.setattr(live_mux, "MAX_PENDING_BYTES", 60_000)  # about 3 s of this clip
    feed, source = LiveFeed("cam"), packets(PERSONS)
    woken = threading.Event()
    viewer = feed.watch(woken.set)
    play(feed, source, 100)  # ten seconds the viewer never takes
    assert woken.is_set() and viewer.skipped > 0
    kept = viewer.take()
    fragments = [m for m in kept if isinstance(m, Fragment)]
    media = [m for m in kept if not isinstance(m, State)]
    assert isinstance(media[0], Init) and media[1].keyframe  # a decodable start
    assert sum(len(f.data) for f in fragments) <= 60_000
    assert decode(kept)[0].key_frame


def test_a_codec_browsers_cannot_play_is_unavailable() -> None:
    feed = LiveFeed("cam")
    with av.open(str(shared_file("video/highway-320x240-a.avi"))) as container:  # MPEG-4 part 2
        stream = container.streams.video[0]
        assert codec_string(stream) is None
        feed.connect(stream, lambda dts: START)
    viewer = feed.watch(lambda: None)
    [state] = viewer.take()
    assert state.state == "unavailable" and "mpeg4" in state.reason


def test_a_live_view_failure_never_stops_the_recording(tmp_path, monkeypatch, caplog) -> None:
    def broken(self, packet):  # noqa: ANN001, ANN202  (a fault injected into the muxer)
        raise RuntimeError("muxer broke")

    monkeypatch.setattr(live_mux.Muxer, "mux", broken)
    feed = LiveFeed("cam-1")
    viewer = feed.watch(lambda: None)
    clip = shared_file("video/car-approach-plate-LS15EBC.mp4")  # 140 frames
    with caplog.at_level(logging.ERROR, logger="sereno.video.live_mux"):
        status = CameraRecorder("cam-1", str(clip), tmp_path, 60, threading.Event(), live=feed).run()
    assert status.reason == "recorded to the end of the file" and status.segments == 1
    [segment] = list_segments(tmp_path, "cam-1", START - timedelta(days=9999), START + timedelta(days=9999))
    with av.open(str(segment.path)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 140  # every frame recorded
    assert "live view could not take a packet" in caplog.text
    assert [m for m in viewer.take() if isinstance(m, Fragment)] == []
    assert feed.state == State("offline", "the connection to the camera ended")

