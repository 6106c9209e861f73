"""Camera alarms on the ledger: a camera that is covered, blinded, turned away or goes down, and when it is back.

Cameras shot out or covered one by one before a crime are a pattern an auditor must be able to see, and a log file
is something IT staff can edit; so every change of a camera's alarm condition is a ledger entry (actor ``system``):

- ``camera.tampered`` (details: camera, reason such as ``dark`` or ``covered``), again when the reason changes;
- ``camera.down`` when its stream is lost or never came up (offline or error; the reconnection attempts that
  follow write nothing more);
- ``camera.restored`` when it shows a normal view again after either.

Starting and stopping (a shutdown, the end of a file) are not alarms. ``CameraAlarmSink`` wraps the workers' sink,
so ``sereno serve`` and ``sereno run`` record the same entries.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sereno.domain import CameraState, CameraStatus
from sereno.governance.ledger import Ledger

log = logging.getLogger(__name__)

OK = "ok"
DOWN = "down"
TAMPERED = "tampered"
ALARM_ACTIONS = ("camera.tampered", "camera.down")  # what auditors see among the anomalies (not the restorations)


def alarm_condition(status: CameraStatus) -> tuple[str, str] | None:
    """(condition, reason) of a status, or None for a state that says nothing about the view (starting, stopped)."""
    if status.state == CameraState.ONLINE:
        return OK, ""
    if status.state == CameraState.TAMPERED:
        return TAMPERED, status.reason
    if status.state in (CameraState.OFFLINE, CameraState.ERROR):
        return DOWN, ""  # the reason changes with every retry ("retrying in 8 s"); the condition does not
    return None


def alarm_entry(previous: tuple[str, str] | None, current: tuple[str, str] | None) -> str | None:
    """The ledger action a change of condition calls for, or None."""
    if current is None or current == previous:
        return None
    condition = current[0]
    if condition == OK:
        return "camera.restored" if previous is not None and previous[0] != OK else None
    return "camera.tampered" if condition == TAMPERED else "camera.down"


class CameraAlarmSink:
    """The workers' sink, plus a ledger entry whenever a camera's alarm condition changes. A ledger failure is
    logged and never stops the camera."""

    def __init__(self, sink: Any, ledger: Ledger) -> None:
        self.sink = sink
        self.ledger = ledger
        self._lock = threading.Lock()
        self._conditions: dict[str, tuple[str, str]] = {}

    def set_camera_status(self, status: CameraStatus) -> None:
        self.sink.set_camera_status(status)
        current = alarm_condition(status)
        with self._lock:
            action = alarm_entry(self._conditions.get(status.camera_id), current)
            if current is not None:
                self._conditions[status.camera_id] = current
        if action is None:
            return
        details = {"camera": status.camera_id, "since": status.since.isoformat()}
        if current[1]:
            details["reason"] = current[1]
        try:
            self.ledger.append("camera", None, action=action, outcome=current[0], details=details)
        except Exception:  # noqa: BLE001 - the alarm is still in the camera's state and the log
            log.exception("could not record a camera alarm in the ledger", extra={"camera": status.camera_id,
                                                                                   "action": action})

    def __getattr__(self, name: str) -> Any:  # add_sighting and whatever else the workers ask of the sink
        return getattr(self.sink, name)
