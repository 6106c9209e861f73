"""The installation's public settings, the camera list, and live video (MJPEG and one JPEG)."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from sereno.api.auth import Authenticated, ReaderDep, ServicesDep
from sereno.api.errors import ApiError
from sereno.api.live import BOUNDARY, mjpeg_part
from sereno.api.schemas import AcceptViewBody, camera_json
from sereno.api.services import Services
from sereno.governance import Action, NotAuthenticated, Principal, Scope, require
from sereno.governance.feeds import authorize_live
from sereno.governance.identity import resolve
from sereno.governance.ownership import installation_agency
from sereno.governance.purposes import MIN_REASON_CHARS
from sereno.intel.governed import list_cameras

router = APIRouter(tags=["cameras"])

MAX_WALL_CAMERAS = 16
POLL_S = 0.04  # how often a stream looks for a newer frame
RECHECK_SESSION_S = 5.0  # a stream ends soon after its session is revoked (a stolen tablet, a disabled user)
# Snapshots refreshed and live video players reconnecting: the ledger records the session's live view of a camera
# once per this many seconds, not at every request. The session itself is still checked on every request, and a
# tablet grant's end still ends the view.
LIVE_DECISION_REUSE_S = 300.0


@router.get("/api/config")
def config(svc: ServicesDep) -> dict[str, Any]:
    """What the pages need before anyone logs in: the map's tiles and centre, the languages, demo or not."""
    settings = svc.settings
    return {"tile_url": settings.tile_url, "map_center": list(settings.map_center), "map_zoom": settings.map_zoom,
            "languages": ["es-MX", "en"], "demo": svc.demo}


@router.get("/api/cameras")
def cameras(r: ReaderDep, svc: ServicesDep) -> list[dict[str, Any]]:
    """Every configured camera with its state; positions only for the roles that may see them (recorded)."""
    return [camera_json(view, svc.recording(view.camera)) for view in list_cameras(r)]


@router.post("/api/cameras/{camera_id}/accept-view")
def accept_view(camera_id: str, body: AcceptViewBody, principal: Authenticated, svc: ServicesDep) -> dict[str, Any]:
    """A camera re-aimed on purpose: its tamper alarm ("turned away") clears and its current view becomes the
    normal one. Supervisors only, with a reason; recorded in the ledger (turning a camera away and silencing its
    alarm is what an abuser would do)."""
    camera = svc.camera(camera_id)
    if camera is None:
        raise ApiError(404, "not_found", f"no camera {camera_id!r}; see GET /api/cameras")
    if len(body.reason.strip()) < MIN_REASON_CHARS:
        raise ApiError(422, "reason_too_short", f"say why the view changed (at least {MIN_REASON_CHARS} characters)")
    owner = camera.agency or installation_agency(svc.gov)
    decision = require(svc.gov, principal, Action.ACCEPT_CAMERA_VIEW, None,
                       Scope(cameras=(camera_id,), owners=(owner,)), reason=body.reason.strip())
    if not svc.accept_view(camera_id):
        raise ApiError(409, "not_running", f"camera {camera_id} is not analysed by this server (disabled, or run by "
                                           "another process): nothing to accept")
    return {"camera": camera_id, "accepted": True, "ledger_seq": decision.ledger_seq}


def _authorize_live(svc: Services, principal: Principal, camera_id: str) -> datetime | None:
    """Check (and record) a live view; returns when a tablet's grant ends (None at the centre)."""
    camera = svc.camera(camera_id)
    if camera is None:
        raise ApiError(404, "not_found", f"no camera {camera_id!r}; see GET /api/cameras")
    _, grant = authorize_live(svc.gov, principal, camera_id, camera.agency or installation_agency(svc.gov))
    return grant.expires_at if grant else None


def authorize_live_reusing(svc: Services, principal: Principal, camera_id: str) -> datetime | None:
    """``_authorize_live``, its recorded decision reused by the same session for ``LIVE_DECISION_REUSE_S`` (a wall
    refreshing snapshots, a player reconnecting); a grant's end is still checked every time."""
    key = (principal.session_id, camera_id)
    reuse_until, grant_end = svc.live_views.get(key, (0.0, None))
    if time.monotonic() >= reuse_until or (grant_end is not None and svc.gov.now() >= grant_end):
        grant_end = _authorize_live(svc, principal, camera_id)
        svc.live_views[key] = (time.monotonic() + LIVE_DECISION_REUSE_S, grant_end)
    return grant_end


async def _frames(svc: Services, request: Request, watched: dict[str, datetime | None], overlay: bool,
                  part: Callable[[str, bytes | None], bytes]) -> AsyncIterator[bytes]:
    """``part(camera, jpeg)`` for each new frame of the watched cameras (camera -> when its tablet grant ends),
    until the client leaves or the session ends. A camera whose grant expires gets ``part(camera, None)`` and is
    dropped; the stream ends with the last one."""
    shown: dict[str, int] = dict.fromkeys(watched, 0)
    checked = time.monotonic()
    token = request.state.token
    while not svc.closing and watched:
        for camera_id, until in list(watched.items()):
            if until is not None and svc.gov.now() >= until:  # the grant expired: that feed ends
                del watched[camera_id]
                yield part(camera_id, None)
        if time.monotonic() - checked > RECHECK_SESSION_S:
            checked = time.monotonic()
            try:
                await to_thread.run_sync(resolve, svc.gov, token)
            except NotAuthenticated:
                return
        for camera_id in watched:
            if svc.frames.version(camera_id) != shown[camera_id]:
                encoded = await to_thread.run_sync(svc.frames.jpeg, camera_id, overlay)
                if encoded is not None:
                    shown[camera_id] = encoded[0]
                    yield part(camera_id, encoded[1])
        await asyncio.sleep(POLL_S)


def _wall_event(camera_id: str, jpeg: bytes | None) -> bytes:
    data = {"camera": camera_id, "jpeg": base64.b64encode(jpeg).decode() if jpeg is not None else None}
    return f"event: {'frame' if jpeg is not None else 'ended'}\ndata: {json.dumps(data)}\n\n".encode()


@router.get("/api/cameras/{camera_id}/live.mjpg", response_class=StreamingResponse,
            responses={200: {"content": {f"multipart/x-mixed-replace; boundary={BOUNDARY}": {}}}})
async def live(camera_id: str, request: Request, principal: Authenticated, svc: ServicesDep,
               overlay: bool = False) -> StreamingResponse:
    """Live video as MJPEG at the analysis rate, with the analysis boxes and plate text when ``overlay=1``. A
    session on a tablet needs a running feed grant for the camera; the stream ends when it expires."""
    until = await to_thread.run_sync(_authorize_live, svc, principal, camera_id)
    return StreamingResponse(_frames(svc, request, {camera_id: until}, overlay,
                                     lambda _, jpeg: mjpeg_part(jpeg) if jpeg is not None else b""),
                             media_type=f"multipart/x-mixed-replace; boundary={BOUNDARY}",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/api/wall/stream", response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}}})
async def wall_stream(request: Request, principal: Authenticated, svc: ServicesDep,
                      camera: Annotated[list[str], Query(max_length=MAX_WALL_CAMERAS)],
                      overlay: bool = False) -> StreamingResponse:
    """Many cameras live over ONE connection (Server-Sent Events: ``frame`` {camera, jpeg base64}, ``ended``
    {camera} when a tablet grant runs out). Browsers keep at most 6 connections per server, so a 9- or 16-tile
    wall cannot hold one MJPEG stream per tile. Each camera is authorised (and recorded) as its live stream is;
    one refused camera refuses the request."""
    watched = {}
    for camera_id in dict.fromkeys(camera):
        watched[camera_id] = await to_thread.run_sync(_authorize_live, svc, principal, camera_id)
    return StreamingResponse(_frames(svc, request, watched, overlay, _wall_event), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/api/cameras/{camera_id}/snapshot.jpg", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}}})
def snapshot(camera_id: str, principal: Authenticated, svc: ServicesDep, overlay: bool = False) -> Response:
    """The latest frame as one JPEG (same rule as the live stream)."""
    authorize_live_reusing(svc, principal, camera_id)
    encoded = svc.frames.jpeg(camera_id, overlay)
    if encoded is None:
        raise ApiError(404, "no_frame", f"camera {camera_id} has sent no frame yet; see its state in GET /api/cameras")
    return Response(encoded[1], media_type="image/jpeg", headers={"Cache-Control": "no-store"})
