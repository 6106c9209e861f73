"""Frame sources: local files, ``rtsp://`` (over TCP) and ``http(s)://`` (MJPEG, HLS), all through PyAV.

Decoding happens at the stream's rate (inter-frame codecs need every reference frame), but only the frames picked
for analysis are converted to BGR, and frames that nothing references are not decoded at all when the analysis
rate is well below the stream rate (``skip_frame = NONREF``).

Timestamps are stream time in UTC: for files, a start time plus the frame's presentation time; for live streams,
the wall clock at the first frame plus the presentation-time offset from it.

A file URL ending in ``#loop`` (``file:///data/clip.mp4#loop``) plays the file over and over at its own frame rate,
like a live camera (wall-clock timestamps, reconnect semantics): sample cameras for demonstrations and tests.
Between passes it holds for ``LOOP_PAUSE_S`` (an empty street between two cars), so each pass is a new visit.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path

import av
import av.error

from sereno.domain import Frame, utcnow

log = logging.getLogger(__name__)

LIVE_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://")
LOOP_SUFFIX = "#loop"
LOOP_PAUSE_S = 3.0  # longer than the tracker's timeout: a car in the clip ends its track before it comes again
MIN_SIDE = 64  # smaller frames cannot hold a readable plate
MAX_BAD_PACKETS = 200  # consecutive undecodable packets before the source is declared unusable


class SourceError(Exception):
    """The source cannot be opened or decoded. ``retry`` says whether trying again later can help."""

    def __init__(self, source: str, reason: str, retry: bool = True) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason
        self.retry = retry


def is_loop(url: str) -> bool:
    """A local file played in a loop in real time, as a live camera."""
    return url.endswith(LOOP_SUFFIX) and not url.lower().startswith(LIVE_SCHEMES)


def is_live(url: str) -> bool:
    return url.lower().startswith(LIVE_SCHEMES) or is_loop(url)


def local_path(url: str) -> Path:
    url = url.removesuffix(LOOP_SUFFIX) if is_loop(url) else url
    return Path(url[len("file://"):] if url.startswith("file://") else url).expanduser()


def describe(url: str) -> str:
    """The URL without credentials, for messages and logs."""
    if "://" in url and "@" in url.split("://", 1)[1].split("/", 1)[0]:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def open_options(url: str, timeout_s: float) -> dict[str, str]:
    """FFmpeg options: RTSP over TCP (no lost UDP packets through NAT), socket timeouts in microseconds."""
    micros = str(int(timeout_s * 1_000_000))
    if url.lower().startswith(("rtsp://", "rtsps://")):
        return {"rtsp_transport": "tcp", "timeout": micros, "stimeout": micros}
    if url.lower().startswith(("http://", "https://")):
        return {"rw_timeout": micros, "reconnect": "0"}
    return {}


def file_start_time(path: Path, container: av.container.InputContainer) -> datetime:
    """When a file's first frame was taken: its ``creation_time`` metadata, else its modification time."""
    created = container.metadata.get("creation_time")
    if created:
        try:
            parsed = datetime.fromisoformat(created.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    return datetime.fromtimestamp(os.stat(path).st_mtime, timezone.utc)


def open_source(url: str, timeout_s: float) -> av.container.InputContainer:
    """Open a camera source for demuxing (analysis and recording alike); SourceError says why it cannot be."""
    name = describe(url)
    live = is_live(url)
    if not live or is_loop(url):
        path = local_path(url)
        if not path.is_file():
            raise SourceError(name, "file not found; check the path", retry=False)
        target = str(path)
    else:
        target = url
    try:
        return av.open(target, options=open_options(url, timeout_s), timeout=timeout_s)
    except av.error.FFmpegError as exc:
        raise SourceError(name, f"cannot open ({exc.strerror or exc})", retry=live) from exc
    except OSError as exc:
        raise SourceError(name, f"cannot open ({exc})", retry=live) from exc


@dataclass
class DecodeStats:
    frames_decoded: int = 0
    frames_analysed: int = 0
    bad_packets: int = 0
    expected_frames: int = 0  # from the file header, 0 when unknown or live
    last_frame_at: datetime | None = None


class RateSelector:
    """Picks frames at ``fps`` by presentation time (robust to variable frame rate and gaps)."""

    def __init__(self, fps: float) -> None:
        self.interval = 1.0 / fps
        self.next_due: float | None = None

    def take(self, seconds: float) -> bool:
        if self.next_due is None or seconds >= self.next_due - 1e-6:
            # After a gap (reconnect, damaged span) resync instead of taking a burst of catch-up frames.
            behind = self.next_due is not None and seconds - self.next_due > self.interval
            self.next_due = (seconds if behind or self.next_due is None else self.next_due) + self.interval
            return True
        return False


class FrameSource:
    """Iterate analysed frames (BGR) of one camera source at ``analysis_fps``. Raises ``SourceError``."""

    def __init__(self, camera_id: str, url: str, analysis_fps: float, start_time: datetime | None = None,
                 timeout_s: float = 10.0) -> None:
        self.camera_id = camera_id
        self.url = url
        self.analysis_fps = analysis_fps
        self.start_time = start_time
        self.timeout_s = timeout_s
        self.live = is_live(url)
        self.loop = is_loop(url)
        self.stats = DecodeStats()
        self._selector = RateSelector(analysis_fps)  # one for all passes of a loop: the cadence carries on
        self._origin: datetime | None = None  # stream time of the first frame
        self._paced_from = 0.0  # time.monotonic() at the first frame of a loop
        self._played_s = 0.0  # stream seconds of the loop's earlier passes
        self.width = 0
        self.height = 0
        self.stream_fps: float | None = None

    def _open(self) -> av.container.InputContainer:
        return open_source(self.url, self.timeout_s)

    def __iter__(self) -> Iterator[Frame]:
        for _ in itertools.count() if self.loop else range(1):
            yield from self._one_pass()

    def _one_pass(self) -> Iterator[Frame]:
        name = describe(self.url)
        container = self._open()
        try:
            if not container.streams.video:
                raise SourceError(name, "no video stream in this source", retry=False)
            stream = container.streams.video[0]
            self.width, self.height = stream.codec_context.width, stream.codec_context.height
            if self.width and self.height and min(self.width, self.height) < MIN_SIDE:
                raise SourceError(name, f"video is {self.width}x{self.height} pixels, too small to analyse "
                                        f"(minimum {MIN_SIDE}x{MIN_SIDE}); use the camera's main or sub stream",
                                  retry=False)
            rate = stream.average_rate or stream.guessed_rate
            self.stream_fps = float(rate) if rate else None
            if self.stream_fps and self.analysis_fps * 2 <= self.stream_fps:
                stream.codec_context.skip_frame = "NONREF"
            if not self.live:
                self.stats.expected_frames = stream.frames or 0
            try:
                yield from self._frames(container, stream)
            except av.error.FFmpegError as exc:  # the connection dropped or the demuxer gave up mid-stream
                raise SourceError(name, f"stream failed after {self.stats.frames_decoded} frames "
                                        f"({exc.strerror or exc})", retry=self.live) from exc
        finally:
            container.close()

    def _frames(self, container: av.container.InputContainer, stream: av.VideoStream) -> Iterator[Frame]:
        name = describe(self.url)
        time_base = stream.time_base or Fraction(1, 90000)
        first_pts: int | None = None
        offset = self._played_s
        decoded_before = self.stats.frames_decoded
        bad_in_a_row = 0
        for packet in container.demux(stream):
            try:
                decoded = packet.decode()
            except av.error.FFmpegError as exc:
                self.stats.bad_packets += 1
                bad_in_a_row += 1
                log.debug("undecodable packet skipped", extra={"camera": self.camera_id, "error": str(exc)})
                if bad_in_a_row >= MAX_BAD_PACKETS:
                    raise SourceError(name, f"{bad_in_a_row} packets in a row could not be decoded ({exc})") \
                        from exc
                continue
            bad_in_a_row = 0
            for frame in decoded:
                self.stats.frames_decoded += 1
                pts = frame.pts if frame.pts is not None else self.stats.frames_decoded - 1
                if first_pts is None:
                    first_pts = pts
                if self._origin is None:
                    self._origin = utcnow() if self.live else (self.start_time or file_start_time(
                        local_path(self.url), container))
                    self._paced_from = time.monotonic()
                offset = self._played_s + float((pts - first_pts) * time_base)
                if not self._selector.take(offset):
                    continue
                if self.loop:  # real time: a frame is not handed out before its moment comes
                    time.sleep(max(0.0, self._paced_from + offset - time.monotonic()))
                self.stats.frames_analysed += 1
                timestamp = self._origin + timedelta(seconds=offset)
                self.stats.last_frame_at = timestamp
                yield Frame(self.camera_id, self.stats.frames_decoded - 1, timestamp, frame.to_ndarray(format="bgr24"))
        if self.stats.frames_decoded == decoded_before:
            raise SourceError(name, "no frame could be decoded (damaged file or unsupported codec)", retry=self.live)
        # The next pass of a loop starts after a pause, one frame interval after this one's last frame.
        self._played_s = offset + (1.0 / self.stream_fps if self.stream_fps else 0.04) + LOOP_PAUSE_S

    def shortfall(self) -> str | None:
        """For files: a warning when fewer frames decoded than the header claims (truncated or damaged file)."""
        expected, got = self.stats.expected_frames, self.stats.frames_decoded
        if expected and got < expected * 0.95:
            return (f"{describe(self.url)}: file ended early: its header claims {expected} frames but only {got} "
                    f"could be decoded (damaged or truncated file); the frames that decoded were analysed")
        return None


def frame_count(url: str) -> int | None:
    """Frames a file's header announces (for progress bars); None for live sources or when unknown."""
    if is_live(url):
        return None
    try:
        with av.open(str(local_path(url))) as container:
            return (container.streams.video[0].frames or None) if container.streams.video else None
    except (av.error.FFmpegError, OSError):
        return None
