"""The recorder: each camera's stream copied to MP4 segments on disk, packets as they come (no re-encoding).

One thread per camera (``RecorderPool``). The stream is the camera's ``recording_url`` (its main stream), else its
``analysis_url`` when that is live; a camera that only has a file is not recorded. Segments are cut at the first
keyframe after the segment length (so each one plays on its own) and are written as fragmented MP4
(``frag_keyframe``): a ``.partial`` file is renamed to its final name (``sereno.video.segments``) once closed, and a
crash leaves only a ``.partial``, which no listing shows but which still plays up to its last fragment.

Each camera's ``LiveFeed`` (``sereno.video.live_mux``) gets the same packets, for the live view in the browser.

Only the video stream is kept: recording what people say in the street is an interception of communications,
which no camera policy here authorises.

A connection that fails is retried with backoff; one dead camera never stops the others. Files (tests) are recorded
once; ``file.mp4#loop`` demo cameras are recorded in real time, pass after pass, as a continuous timeline.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av
import av.error

from sereno.config import Settings
from sereno.domain import Camera, utcnow
from sereno.video.backoff import Backoff
from sereno.video.live_mux import LiveFeed
from sereno.video.segments import Segment, final_path, partial_path
from sereno.video.sources import (LOOP_PAUSE_S, SourceError, describe, file_start_time, is_live, is_loop, local_path,
                                  open_source)

log = logging.getLogger(__name__)

# Fragmented MP4, a fragment per keyframe interval, each handed to the OS as soon as it is complete: a crash loses
# at most the fragment being written.
MP4_OPTIONS = {"movflags": "frag_keyframe+empty_moov+default_base_moof", "flush_packets": "1"}
# What goes into MP4 without re-encoding (and what browsers can play); street cameras send H.264 or H.265.
MP4_CODECS = frozenset({"h264", "hevc", "av1", "vp9"})
MAX_DRIFT_S = 5.0  # a live camera's clock may wander from ours by this much before segment times follow ours
MAX_STEP_BACK_S = 1.0  # decode times that go back further than this mean the camera restarted its timeline


def recording_source(camera: Camera) -> str | None:
    """The URL recorded for a camera, or None when it has nothing to record."""
    if not camera.enabled:
        return None
    if camera.recording_url:
        return camera.recording_url
    return camera.analysis_url if is_live(camera.analysis_url) else None


class PacketTimes:
    """Decode timestamps (``dts``) a muxer accepts: counted from 0 at the first packet, continuing across the
    passes of a looped file (after a pause, when asked), filled in where the demuxer gives none (an RTSP stream's
    first packet), and nudged forward when a camera repeats one. A jump back of more than ``MAX_STEP_BACK_S``
    raises ``SourceError``."""

    def __init__(self, source: str, time_base: Fraction) -> None:
        self.source = source
        self.time_base = time_base
        self.last: int | None = None
        self.duration = 0
        self.shift = 0
        self.pass_start = True
        self.pause = 0

    def next_pass(self, pause_s: float = 0.0) -> None:
        self.pass_start = True
        self.pause = int(pause_s / self.time_base) if self.last is not None else 0

    def following(self) -> int:
        """The decode time right after the last packet."""
        return 0 if self.last is None else self.last + max(self.duration, 1)

    def fix(self, packet: av.Packet) -> tuple[int, int]:
        if packet.dts is None:
            dts = self.following()
        else:
            if self.pass_start:
                self.shift, self.pass_start = self.following() + self.pause - packet.dts, False
            dts = packet.dts + self.shift
        if self.last is not None and dts <= self.last:
            if (self.last - dts) * self.time_base > MAX_STEP_BACK_S:
                raise SourceError(self.source, f"the stream's timestamps went back "
                                               f"{float((self.last - dts) * self.time_base):.1f} s (camera "
                                               f"restarted?); reconnecting")
            dts = self.last + 1
        pts = dts if packet.pts is None else max(packet.pts + self.shift, dts)
        self.last, self.duration = dts, packet.duration or 0
        return dts, pts


class StreamClock:
    """Decode time -> UTC. A file starts at its recorded start time; a live stream at the wall clock of its first
    packet, and follows the wall clock again when the camera's own clock has drifted more than ``MAX_DRIFT_S``."""

    def __init__(self, origin: datetime, time_base: Fraction, live: bool) -> None:
        self.origin = origin
        self.time_base = time_base
        self.live = live

    def at(self, dts: int) -> datetime:
        return self.origin + timedelta(seconds=float(dts * self.time_base))

    def resync(self, dts: int) -> None:
        """Called at segment boundaries, so a segment's times stay its own."""
        if self.live:
            drift = (utcnow() - self.at(dts)).total_seconds()
            if abs(drift) > MAX_DRIFT_S:
                self.origin += timedelta(seconds=drift)


class SegmentWriter:
    """One segment being written: packets in; closed, it is renamed from ``.partial`` to ``<start>_<end>.mp4``."""

    def __init__(self, media_root: Path, camera_id: str, template: av.VideoStream, start: datetime,
                 first_dts: int) -> None:
        self.media_root, self.camera_id, self.start, self.first_dts = media_root, camera_id, start, first_dts
        self.partial = partial_path(media_root, camera_id, start)
        self.partial.parent.mkdir(parents=True, exist_ok=True)
        self.container = av.open(str(self.partial), "w", format="mp4", options=MP4_OPTIONS)
        self.container.metadata["creation_time"] = start.isoformat()  # a copied segment still says when it was
        self.stream = self.container.add_stream_from_template(template)

    def write(self, packet: av.Packet, dts: int, pts: int) -> None:
        packet.dts, packet.pts = dts - self.first_dts, pts - self.first_dts  # each segment starts at time 0
        packet.stream = self.stream
        self.container.mux(packet)

    def close(self, end: datetime) -> Segment:
        self.container.close()
        end = max(end, self.start + timedelta(milliseconds=1))
        fd = os.open(self.partial, os.O_RDONLY)
        try:
            os.fsync(fd)  # on disk before it is listed
        finally:
            os.close(fd)
        target = final_path(self.media_root, self.camera_id, self.start, end)
        os.replace(self.partial, target)
        return Segment(self.camera_id, self.start, end, target)


@dataclass
class RecorderStatus:
    """What one camera's recorder is doing (written by its thread, read by the API and the CLI)."""

    camera_id: str
    recording: bool = False
    reason: str = ""
    segments: int = 0
    bytes_written: int = 0
    last_segment: Segment | None = None


class CameraRecorder:
    def __init__(self, camera_id: str, url: str, media_root: Path, segment_s: float, stop: threading.Event,
                 timeout_s: float = 10.0, backoff: Backoff | None = None, live: LiveFeed | None = None) -> None:
        self.camera_id, self.url, self.media_root = camera_id, url, Path(media_root)
        self.live = live or LiveFeed(camera_id)
        self.segment = timedelta(seconds=segment_s)
        self.stop, self.timeout_s = stop, timeout_s
        self.backoff = backoff or Backoff()
        self.status = RecorderStatus(camera_id)
        self.name = describe(url)

    def run(self) -> RecorderStatus:
        """Record until stopped (or, for a plain file, until its end). Never raises."""
        while not self.stop.is_set():
            failure: SourceError | None = None
            try:
                self._record_connection()
            except SourceError as exc:
                failure = exc
            except Exception as exc:  # a recorder bug must not take the service down: log it, retry later
                log.exception("recorder failed", extra={"camera": self.camera_id})
                failure = SourceError(self.name, f"recorder failed ({exc})")
            self.status.recording = False
            if self.stop.is_set() or not is_live(self.url) or (failure is not None and not failure.retry):
                if failure is not None and not failure.retry:
                    log.error("cannot record this camera", extra={"camera": self.camera_id, "source": self.name,
                                                                   "reason": failure.reason})
                self.status.reason = failure.reason if failure else "recorded to the end of the file"
                break
            delay = self.backoff.next_delay()
            self.status.reason = f"{failure.reason if failure else 'stream ended'}; retrying in {delay:.0f} s"
            log.warning("recording interrupted", extra={"camera": self.camera_id, "source": self.name,
                                                        "reason": self.status.reason})
            self.stop.wait(delay)
        return self.status

    def _closed(self, segment: Segment) -> None:
        self.backoff.reset()
        self.status.segments += 1
        self.status.bytes_written += segment.path.stat().st_size
        self.status.last_segment = segment
        log.debug("segment written", extra={"camera": self.camera_id, "segment": segment.id})

    def _record_connection(self) -> None:
        """One connection (a looped file: all its passes) until it ends, fails or the recorder is stopped."""
        writer: SegmentWriter | None = None
        clock: StreamClock | None = None
        times: PacketTimes | None = None
        live, paced_from = is_live(self.url), time.monotonic()
        try:
            for _ in itertools.count() if is_loop(self.url) else range(1):
                # A live stream's time 0 is when it was asked for: the demuxer buffers its first seconds while it
                # probes the stream, so the first packet is handed over late.
                opened_at = utcnow()
                container = open_source(self.url, self.timeout_s)
                try:
                    if not container.streams.video:
                        raise SourceError(self.name, "no video stream in this source", retry=False)
                    stream = container.streams.video[0]
                    if stream.codec_context.name not in MP4_CODECS:
                        self.live.unavailable(f"{stream.codec_context.name} video is not recorded")
                        raise SourceError(self.name, f"its {stream.codec_context.name} video cannot be recorded "
                                                     "without re-encoding; set the camera to send H.264 or H.265",
                                          retry=False)
                    time_base = stream.time_base or Fraction(1, 90000)
                    if clock is None or times is None:
                        origin = opened_at if live else file_start_time(local_path(self.url), container)
                        clock, times = StreamClock(origin, time_base, live), PacketTimes(self.name, time_base)
                    # The analysis pauses between the passes of a demo loop: so does the recording, which keeps
                    # the live view's picture and the analysis overlay at the same moment of the clip.
                    times.next_pass(LOOP_PAUSE_S if is_loop(self.url) else 0.0)
                    self.live.connect(stream, clock.at)
                    for packet in container.demux(stream):
                        if packet.size == 0:  # the demuxer's end-of-stream marker
                            continue
                        dts, pts = times.fix(packet)
                        if writer is None and not packet.is_keyframe:
                            continue  # a segment must start where a decoder can
                        if is_loop(self.url):  # a demo camera: real time, not as fast as the disk reads
                            self.stop.wait(max(0.0, paced_from + float(dts * time_base) - time.monotonic()))
                        if writer is not None and packet.is_keyframe and clock.at(dts) - writer.start >= self.segment:
                            clock.resync(dts)
                            self._closed(writer.close(clock.at(dts)))
                            writer = None
                        if writer is None:
                            writer = SegmentWriter(self.media_root, self.camera_id, stream, clock.at(dts), dts)
                            self.status.recording, self.status.reason = True, ""
                        self.live.feed(packet, dts, pts)  # before write(), which retimes the packet
                        writer.write(packet, dts, pts)
                        if self.stop.is_set():
                            return
                except av.error.FFmpegError as exc:  # the connection dropped or the demuxer gave up mid-stream
                    raise SourceError(self.name, f"stream failed ({exc.strerror or exc})",
                                      retry=is_live(self.url)) from exc
                finally:
                    container.close()
        finally:
            self.live.disconnect()
            if writer is not None and clock is not None and times is not None:
                self._closed(writer.close(clock.at(times.following())))


class RecorderPool:
    """The recorders of all cameras that have something to record. ``start()`` runs one thread per camera;
    ``stop()`` (or setting ``stop_event``) closes every open segment cleanly."""

    def __init__(self, settings: Settings, cameras: Sequence[Camera], stop_event: threading.Event,
                 segment_s: float | None = None) -> None:
        self.stop_event = stop_event
        segment_s = segment_s or settings.recording_segment_s
        self.recorders = {camera.id: CameraRecorder(camera.id, url, settings.media_path, segment_s, stop_event)
                          for camera in cameras if (url := recording_source(camera))}
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        for camera_id, recorder in self.recorders.items():
            thread = threading.Thread(target=recorder.run, name=f"record-{camera_id}", daemon=True)
            thread.start()
            self.threads.append(thread)
        log.info("recording", extra={"cameras": len(self.recorders)})

    def stop(self, timeout_s: float = 15.0) -> None:
        self.stop_event.set()
        deadline = time.monotonic() + timeout_s
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def live(self, camera_id: str) -> LiveFeed | None:
        """The camera's live feed from its recording stream, or None when it is not recorded."""
        recorder = self.recorders.get(camera_id)
        return recorder.live if recorder is not None else None

    def recording(self, camera_id: str) -> bool:
        recorder = self.recorders.get(camera_id)
        return recorder is not None and recorder.status.recording

    def statuses(self) -> list[RecorderStatus]:
        return [recorder.status for recorder in self.recorders.values()]
