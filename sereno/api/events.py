"""The event hub behind ``GET /api/events`` (Server-Sent Events): camera workers publish from their threads, each
connected client reads its own queue on the server's event loop.

A client that cannot keep up (its queue is full) is disconnected rather than slowing everyone else; the browser's
EventSource reconnects by itself and asks for what it missed with ``Last-Event-ID`` (the hub keeps the latest
events for that). Alert events carry their camera, so each client only receives the alerts of the cameras it may
read. Personal events (a tablet's feed grant) carry their audience, so they reach only the person they concern
and, where it says so, the agency's approvers, also when they are replayed.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

QUEUE_SIZE = 256  # events waiting for one client before it counts as too slow and is dropped
REPLAY = 512  # recent events kept for clients that reconnect with Last-Event-ID


@dataclass(frozen=True, slots=True)
class Audience:
    """Who receives a personal event: one user (only on one device, when ``device_id`` is given) and, when
    ``approvers_of`` names an agency, that agency's approvers."""

    user_id: str
    device_id: str | None = None
    approvers_of: str | None = None


@dataclass(frozen=True, slots=True)
class Viewer:
    """The person behind one stream, as far as personal events are concerned."""

    user_id: str
    device_id: str | None
    agency_id: str | None
    approver: bool  # may approve requests of their agency (a supervisor)

    def within(self, audience: Audience) -> bool:
        if self.user_id == audience.user_id and audience.device_id in (None, self.device_id):
            return True
        return self.approver and audience.approvers_of is not None and self.agency_id == audience.approvers_of


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    kind: str  # "alert", "camera", "feed_request", "feed_decision", "feed_expired"
    data: dict[str, Any]
    camera_id: str | None = None  # alerts: whose camera, for the reader's filter
    audience: Audience | None = None  # personal events: only for these readers

    def encode(self) -> bytes:
        payload = json.dumps(self.data, ensure_ascii=False, separators=(",", ":"))
        return f"id: {self.id}\nevent: {self.kind}\ndata: {payload}\n\n".encode()


CLOSED = Event(id=0, kind="closed", data={})


@dataclass(eq=False)
class Subscription:
    """One client. ``alert_cameras``: the cameras whose alerts it may receive (None: no alerts at all);
    ``viewer``: who it is, for personal events (None: none of them)."""

    loop: asyncio.AbstractEventLoop
    alert_cameras: frozenset[str] | None
    viewer: Viewer | None = None
    queue: asyncio.Queue[Event] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    dropped: bool = False

    def wants(self, event: Event) -> bool:
        if event.audience is not None:
            return self.viewer is not None and self.viewer.within(event.audience)
        if event.kind != "alert":
            return True
        return self.alert_cameras is not None and event.camera_id in self.alert_cameras

    def offer(self, event: Event) -> None:
        """On the subscriber's loop: queue the event, or end a client that fell too far behind."""
        if self.dropped:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped = True
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(CLOSED)


class EventHub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: set[Subscription] = set()
        self._recent: deque[Event] = deque(maxlen=REPLAY)
        # Ids keep growing across restarts (milliseconds at start-up), so a reconnecting client never mistakes a
        # new event for one it has seen.
        self._ids = itertools.count(int(time.time() * 1000))
        self.closed = False

    def publish(self, kind: str, data: dict[str, Any], camera_id: str | None = None,
                audience: Audience | None = None) -> Event:
        """Thread-safe; never blocks on a client."""
        with self._lock:
            event = Event(next(self._ids), kind, data, camera_id, audience)
            self._recent.append(event)
            subscribers = list(self._subscribers)
        for sub in subscribers:
            if sub.wants(event):
                try:
                    sub.loop.call_soon_threadsafe(sub.offer, event)
                except RuntimeError:  # that client's loop is closed: it is going away
                    pass
        return event

    def subscribe(self, alert_cameras: frozenset[str] | None, last_event_id: int | None = None,
                  viewer: Viewer | None = None) -> Subscription:
        """Call on the event loop that will read the queue. Replays what a reconnecting client missed (and may
        receive)."""
        sub = Subscription(asyncio.get_running_loop(), alert_cameras, viewer)
        with self._lock:
            self._subscribers.add(sub)
            missed = [e for e in self._recent if last_event_id is not None and e.id > last_event_id]
        for event in missed:
            if sub.wants(event):
                sub.offer(event)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subscribers.discard(sub)

    def close(self) -> None:
        """End every stream (server shutdown)."""
        with self._lock:
            self.closed = True
            subscribers = list(self._subscribers)
        for sub in subscribers:
            try:
                sub.loop.call_soon_threadsafe(sub.offer, CLOSED)
            except RuntimeError:
                pass

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subscribers)
