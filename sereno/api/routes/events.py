"""``GET /api/events``: Server-Sent Events. ``camera`` events (state changes) go to every logged-in client;
``alert`` events only to the roles that watch alerts, for the cameras they may read, after the gate allowed the
stream (one decision when it opens, and one access entry per alert handed out); feed grant events
(``sereno/api/feed_events.py``) only to the officer's tablet and the supervisors of the officer's agency."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse

from sereno.api.auth import Authenticated, ServicesDep
from sereno.api.events import CLOSED, Event, Viewer
from sereno.api.services import Services
from sereno.governance import Action, NotAuthenticated, Principal, Purpose, authorize
from sereno.governance.identity import resolve
from sereno.governance.ledger import Kind
from sereno.governance.ownership import installation_agency, readable_cameras
from sereno.governance.policy import RULES
from sereno.intel.governed import STANDING_ALERTS_REASON

router = APIRouter(tags=["events"])
log = logging.getLogger(__name__)

KEEP_ALIVE_S = 15.0  # a comment line this often keeps proxies from closing an idle stream (and rechecks the session)
RETRY_MS = 3000


def _alert_cameras(svc: Services, principal: Principal, reason: str) -> tuple[frozenset[str] | None, dict]:
    """The cameras whose alerts this client may receive (None: no alerts) and the stream's opening message."""
    if principal.role not in RULES[Action.VIEW_ALERTS].roles:  # not a watcher: camera events only, no attempt
        return None, {"alerts": False, "message": "your role receives camera states only"}
    decision = authorize(svc.gov, principal, Action.VIEW_ALERTS, Purpose(None, reason), stream="events")
    if not decision.allowed:
        return None, {"alerts": False, "error": decision.code, "message": decision.message,
                      "ledger_seq": decision.ledger_seq}
    cameras = readable_cameras(svc.cameras(), decision.owners, installation_agency(svc.gov))
    return frozenset(cameras), {"alerts": True, "ledger_seq": decision.ledger_seq}


def _viewer(principal: Principal) -> Viewer:
    return Viewer(principal.user_id, principal.device_id, principal.agency_id,
                  approver=principal.role in RULES[Action.APPROVE_WIDE_SEARCH].roles)


def _record_delivery(svc: Services, principal: Principal, decision_seq: int | None, event: Event) -> None:
    try:
        svc.gov.ledger.append(Kind.ACCESS, principal, action=Action.VIEW_ALERTS.value, outcome="returned",
                              details={"decision_seq": decision_seq, "items": 1, "alert_id": event.data.get("id"),
                                       "stream": "events"})
    except Exception:  # on the records thread: say so loudly, nobody else will
        log.exception("could not record an alert handed out on an event stream",
                      extra={"user": principal.username, "alert": event.data.get("id")})


async def _stream(svc: Services, principal: Principal, token: str, cameras: frozenset[str] | None, hello: dict,
                  last_event_id: int | None) -> AsyncIterator[bytes]:
    sub = svc.events.subscribe(cameras, last_event_id, _viewer(principal))
    try:
        yield f"retry: {RETRY_MS}\n\n".encode()
        yield Event(0, "hello", hello).encode()
        while True:
            try:
                event = await asyncio.wait_for(sub.queue.get(), KEEP_ALIVE_S)
            except TimeoutError:
                try:
                    await to_thread.run_sync(resolve, svc.gov, token)
                except NotAuthenticated:
                    return
                yield b": keep-alive\n\n"
                continue
            if event is CLOSED:
                return
            yield event.encode()
            if event.kind == "alert":
                svc.stream_records.submit(_record_delivery, svc, principal, hello.get("ledger_seq"), event)
    finally:
        svc.events.unsubscribe(sub)


@router.get("/api/events", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}})
async def events(request: Request, principal: Authenticated, svc: ServicesDep,
                 reason: str = STANDING_ALERTS_REASON,
                 last_event_id: Annotated[int | None, Header()] = None) -> StreamingResponse:
    """Server-Sent Events: ``hello`` (whether alerts are on for this client), ``alert`` (an alert with its
    sighting: see GET /api/alerts), ``camera`` ({id, state, reason, since, last_frame_at}) and, for a tablet's own
    feed requests and the supervisors who decide them, ``feed_request``, ``feed_decision`` and ``feed_expired``
    (the grant: see GET /api/feed-requests). ``reason``: why you watch alerts (default: the standing duty of
    watching hotlist alerts). Reconnect with ``Last-Event-ID`` to get what you missed."""
    cameras, hello = await to_thread.run_sync(_alert_cameras, svc, principal, reason)
    return StreamingResponse(_stream(svc, principal, request.state.token, cameras, hello, last_event_id),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
