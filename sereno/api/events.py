"""The event hub behind ``GET /api/events`` (Server-Sent Events): camera workers publish from their threads, each
connected client reads its own queue on the server's event loop.

A client that cannot keep up (its queue is full) is disconnected rather than slowing everyone else; the browser's
EventSource reconnects by itself and asks for what it missed with ``Last-Event-ID`` (the hub keeps the latest
events for that). Alert events carry their camera, so each client only receives the alerts of the cameras it may
read.
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
class Event:
    id: int
    kind: str  # "alert" or "camera"
    data: dict[str, Any]
    camera_id: str | None = None  # alerts: whose camera, for the reader's filter

    def encode(self) -> bytes:
        payload = json.dumps(self.data, ensure_ascii=False, separators=(",", ":"))
        return f"id: {self.id}\nevent: {self.kind}\ndata: {payload}\n\n".encode()


CLOSED = Event(id=0, kind="closed", data={})


@dataclass(eq=False)
class Subscription:
    """One client. ``alert_cameras``: the cameras whose alerts it may receive (None: no alerts at all)."""

    loop: asyncio.AbstractEventLoop
    alert_cameras: frozenset[str] | None
    queue: asyncio.Queue[Event] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    dropped: bool = False

    def wants(self, event: Event) -> bool:
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

    def publish(self, kind: str, data: dict[str, Any], camera_id: str | None = None) -> Event:
        """Thread-safe; never blocks on a client."""
        with self._lock:
            event = Event(next(self._ids), kind, data, camera_id)
            self._recent.append(event)
            subscribers = list(self._subscribers)
        for sub in subscribers:
            if sub.wants(event):
                try:
                    sub.loop.call_soon_threadsafe(sub.offer, event)
                except RuntimeError:  # that client's loop is closed: it is going away
                    pass
        return event

    def subscribe(self, alert_cameras: frozenset[str] | None, last_event_id: int | None = None) -> Subscription:
        """Call on the event loop that will read the queue. Replays what a reconnecting client missed."""
        sub = Subscription(asyncio.get_running_loop(), alert_cameras)
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
