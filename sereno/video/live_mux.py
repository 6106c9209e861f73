"""Live view from the recording stream: the recorder's packets remuxed (never re-encoded) into fragmented MP4 in
memory, for Media Source Extensions in the browser.

The recorder (``sereno.video.recorder``) hands every packet of a camera to its ``LiveFeed``. Nobody watching, the
feed only keeps the packets since the last keyframe (a reference to bytes it copies; no muxing). When someone
watches, a muxer starts from that keyframe and writes an init segment (ftyp+moov) and one small fragment
(moof+mdat) per frame: a new viewer gets the init and the fragments since the last keyframe, so its picture starts at
once, and then every fragment as it is made. The last viewer gone, the muxer is dropped.

The feed's media timeline starts at 0 at the session's first keyframe; ``origin`` (the stream time of media time
0) lets the player map the video's position to the analysis overlay's stream times.

Threads: the recorder's thread calls ``connect``/``feed``/``disconnect``; viewers are added and drained from any
other thread (the API's event loop). ``feed`` never raises: a live-view problem must not stop recording.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

import av

log = logging.getLogger(__name__)

# One fragment per frame (the muxer writes frame n's fragment when frame n+1 arrives: one frame of delay), each
# fragment addressed from its own moof, as Media Source Extensions require.
LIVE_MP4_OPTIONS = {"movflags": "frag_keyframe+empty_moov+default_base_moof+frag_every_frame"}
MAX_PENDING_BYTES = 8 * 1024 * 1024  # a viewer this far behind skips to the next keyframe instead of lagging on
MAX_BACKLOG_PACKETS = 1200  # a camera that sends no keyframe for this long is not kept in memory without end


@dataclass(frozen=True, slots=True)
class Init:
    """Starts (or restarts) a viewer's player: the codec for ``MediaSource.isTypeSupported``, the picture size, the
    stream time of media time 0, and the init segment."""

    codec: str
    width: int
    height: int
    origin: datetime
    data: bytes


@dataclass(frozen=True, slots=True)
class Fragment:
    data: bytes
    keyframe: bool


@dataclass(frozen=True, slots=True)
class State:
    """``live``, ``offline`` (no connection to the camera now) or ``unavailable`` (this camera's video cannot be
    played this way: the reason says why; the pages fall back to the analysed frames)."""

    state: str
    reason: str = ""


Message = Init | Fragment | State


def codec_string(stream: av.VideoStream) -> str | None:
    """The RFC 6381 codec of an H.264 stream (``avc1.PPCCLL`` from its SPS), or None for any other codec."""
    context = stream.codec_context
    if context.name != "h264":
        return None
    extra = bytes(context.extradata or b"")
    if len(extra) >= 4 and extra[0] == 1:  # avcC (MP4, MKV): profile, constraints and level follow the version
        return f"avc1.{extra[1:4].hex()}"
    start = extra.find(b"\x00\x00\x01\x67")  # Annex B (RTSP): the SPS NAL unit
    if start >= 0 and len(extra) >= start + 7:
        return f"avc1.{extra[start + 4:start + 7].hex()}"
    return "avc1.640028"  # no parameter sets yet: High 4.0, which covers what street cameras send


class Boxes:
    """Cuts a byte stream into top-level MP4 boxes (the muxer's writes do not follow box boundaries)."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:  # the file-like side the muxer writes to
        self.buffer += data
        return len(data)

    def take(self) -> list[tuple[bytes, bytes]]:
        """The complete boxes written so far, as (type, bytes)."""
        boxes = []
        while len(self.buffer) >= 8:
            size = int.from_bytes(self.buffer[:4], "big")
            if size < 8:
                raise ValueError(f"the live muxer wrote a malformed MP4 box (size {size})")
            if len(self.buffer) < size:
                break
            boxes.append((bytes(self.buffer[4:8]), bytes(self.buffer[:size])))
            del self.buffer[:size]
        return boxes


@dataclass(frozen=True, slots=True)
class RawPacket:
    data: bytes
    dts: int
    pts: int
    keyframe: bool


class Muxer:
    """One watching session: packets in, the init segment and one fragment per frame out."""

    def __init__(self, template: av.VideoStream, time_base: Fraction, first_dts: int) -> None:
        self.boxes = Boxes()
        self.container = av.open(self.boxes, "w", format="mp4", options=LIVE_MP4_OPTIONS)
        self.stream = self.container.add_stream_from_template(template)
        self.time_base, self.first_dts = time_base, first_dts
        self.keyframes: deque[bool] = deque()  # of the packets whose fragments are not out yet
        self.moof: bytes | None = None

    def mux(self, packet: RawPacket) -> list[bytes | Fragment]:
        """The init segment (bytes, once) and the fragments completed by this packet."""
        out = av.Packet(packet.data)
        out.dts, out.pts = packet.dts - self.first_dts, packet.pts - self.first_dts
        out.time_base, out.is_keyframe, out.stream = self.time_base, packet.keyframe, self.stream
        self.keyframes.append(packet.keyframe)
        self.container.mux(out)
        made: list[bytes | Fragment] = []
        init = b""
        for kind, data in self.boxes.take():
            if kind in (b"ftyp", b"moov"):
                init += data
            elif kind == b"moof":
                self.moof = data
            elif kind == b"mdat" and self.moof is not None:
                made.append(Fragment(self.moof + data, self.keyframes.popleft() if self.keyframes else False))
                self.moof = None
        return [init, *made] if init else made

    def close(self) -> None:
        try:
            self.container.close()
        except av.error.FFmpegError:  # nothing to save: this output is thrown away
            pass


class Viewer:
    """One viewer's queue of messages. ``wake`` is called (from the recorder's thread) after each new message, so
    the consumer can wait instead of polling; a viewer more than ``MAX_PENDING_BYTES`` behind drops what it has not
    taken and resumes at the next keyframe."""

    def __init__(self, feed: "LiveFeed", wake: Callable[[], None]) -> None:
        self.feed, self.wake = feed, wake
        self._lock = threading.Lock()
        self._queue: deque[Message] = deque()
        self._pending = 0
        self._skipping = False
        self.skipped = 0  # fragments dropped because this viewer fell behind

    def push(self, message: Message) -> None:
        with self._lock:
            if isinstance(message, Fragment):
                if self._pending + len(message.data) > MAX_PENDING_BYTES:
                    self.skipped += sum(isinstance(m, Fragment) for m in self._queue)
                    self._queue = deque(m for m in self._queue if not isinstance(m, Fragment))
                    self._pending = sum(len(m.data) for m in self._queue if isinstance(m, Init))
                    self._skipping = True
                if self._skipping and not message.keyframe:
                    self.skipped += 1
                    return
                self._skipping = False
                self._pending += len(message.data)
            elif isinstance(message, Init):
                self._pending += len(message.data)
            self._queue.append(message)
        self.wake()

    def take(self) -> list[Message]:
        with self._lock:
            taken, self._queue, self._pending = list(self._queue), deque(), 0
        return taken

    def close(self) -> None:
        self.feed.unwatch(self)


class LiveFeed:
    """One camera's live video from its recording stream (see the module's docstring)."""

    def __init__(self, camera_id: str) -> None:
        self.camera_id = camera_id
        self._lock = threading.Lock()
        self._viewers: set[Viewer] = set()
        self._state = State("offline", "not connected to the camera yet")
        self._template: av.VideoStream | None = None
        self._time_base = Fraction(1, 90000)
        self._clock: Callable[[int], datetime] | None = None
        self._codec: str | None = None
        self._backlog: list[RawPacket] = []  # since the last keyframe
        self._muxer: Muxer | None = None
        self._init: Init | None = None
        self._gop: list[Fragment] = []  # the session's fragments since the last keyframe
        self.sessions = 0  # how many times a muxer was started (tests, benchmarks)

    # -- the recorder's side ---------------------------------------------------------------------------------------
    def connect(self, stream: av.VideoStream, clock: Callable[[int], datetime]) -> None:
        """The recorder opened (or, for a looped file, reopened) the stream. ``clock``: decode time -> stream time."""
        codec = codec_string(stream)
        if codec is None:
            self.unavailable(f"{stream.codec_context.name} video cannot be played in the browser without "
                             "re-encoding")
            return
        with self._lock:
            if codec != self._codec:  # another stream than the running session's: start again at a keyframe
                self._reset(State("live"))
            self._template, self._time_base, self._clock, self._codec = stream, stream.time_base, clock, codec
            self._set_state(State("live"))

    def feed(self, packet: av.Packet, dts: int, pts: int) -> None:
        """A packet as recorded (its decode and presentation times already fixed). Never raises."""
        try:
            raw = None
            with self._lock:
                if self._template is None:
                    return
                if packet.is_keyframe:
                    self._backlog = []
                elif not self._backlog:
                    return  # a viewer's picture can only start at a keyframe
                raw = RawPacket(bytes(packet), dts, pts, packet.is_keyframe)
                complete = len(self._backlog) < MAX_BACKLOG_PACKETS  # else new sessions wait for a keyframe
                if complete:
                    self._backlog.append(raw)
                if not self._viewers:
                    self._stop_muxer()
                elif self._muxer is not None:
                    self._publish(self._muxer.mux(raw))
                elif complete:
                    self._start_muxer()
        except Exception:  # noqa: BLE001  (logged; recording goes on, the next keyframe starts a new session)
            log.exception("live view could not take a packet", extra={"camera": self.camera_id})
            with self._lock:
                self._stop_muxer()
                self._backlog = []

    def unavailable(self, reason: str) -> None:
        """This camera's video cannot be played from its recording stream (the pages show the analysed frames)."""
        with self._lock:
            self._reset(State("unavailable", reason))

    def disconnect(self, reason: str = "the connection to the camera ended") -> None:
        with self._lock:
            if self._state.state != "unavailable":
                self._reset(State("offline", reason))

    # -- the viewers' side -----------------------------------------------------------------------------------------
    def watch(self, wake: Callable[[], None]) -> Viewer:
        """A new viewer: it gets the state now and, when a session runs, its init and fragments since the last
        keyframe (else the next packet starts one)."""
        viewer = Viewer(self, wake)
        with self._lock:
            self._viewers.add(viewer)
            viewer.push(self._state)
            if self._init is not None:
                viewer.push(self._init)
                for fragment in self._gop:
                    viewer.push(fragment)
        return viewer

    def unwatch(self, viewer: Viewer) -> None:
        with self._lock:
            self._viewers.discard(viewer)

    @property
    def state(self) -> State:
        return self._state

    @property
    def watched(self) -> bool:
        return bool(self._viewers)

    # -- inside the lock -------------------------------------------------------------------------------------------
    def _start_muxer(self) -> None:
        assert self._template is not None and self._clock is not None
        first = self._backlog[0]
        self._muxer = Muxer(self._template, self._time_base, first.dts)
        self.sessions += 1
        origin = self._clock(first.dts)
        made: list[bytes | Fragment] = []
        for raw in self._backlog:
            made += self._muxer.mux(raw)
        stream = self._template.codec_context
        for item in made:
            if isinstance(item, bytes):
                self._init = Init(self._codec or "", stream.width, stream.height, origin, item)
                self._gop = []
                for viewer in self._viewers:
                    viewer.push(self._init)
        self._publish([item for item in made if isinstance(item, Fragment)])

    def _publish(self, made: list[bytes | Fragment]) -> None:
        for fragment in made:
            if not isinstance(fragment, Fragment):
                continue
            if fragment.keyframe:
                self._gop = []
            self._gop.append(fragment)
            for viewer in self._viewers:
                viewer.push(fragment)

    def _stop_muxer(self) -> None:
        if self._muxer is not None:
            self._muxer.close()
        self._muxer, self._init, self._gop = None, None, []

    def _set_state(self, state: State) -> None:
        if state != self._state:
            self._state = state
            for viewer in self._viewers:
                viewer.push(state)

    def _reset(self, state: State) -> None:
        self._stop_muxer()
        self._template, self._clock, self._codec, self._backlog = None, None, None, []
        self._set_state(state)
