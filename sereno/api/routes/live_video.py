"""Live video from the recording stream over a WebSocket, for Media Source Extensions: the camera's own frames at
its own rate, remuxed (``sereno.video.live_mux``), with the analysis overlay as data the page draws.

``/api/cameras/{id}/live.ws?overlay=0|1``. Server to browser: text messages (JSON, ``type``):

- ``state`` {state: live | offline | unavailable, reason}: ``unavailable`` (a codec browsers cannot play, a camera
  this server does not record) means "use live.mjpg"; the socket then closes.
- ``init`` {codec, width, height, origin}: the next binary message is an init segment (ftyp+moov); every other
  binary message is a media fragment (moof+mdat, one frame). ``origin``: the stream time (ms since 1970) of the
  video's time 0, so ``origin + currentTime`` is the stream time on screen.
- ``overlay`` {at, width, height, objects, plates} while the overlay is on (``live.overlay_json``).
- ``settings`` {overlay}: the browser's ``{"overlay": ...}`` taken into account. Overlay messages already on their
  way may arrive before it; after it, they follow the setting.
- ``error`` {error, message, ledger_seq} then close (4401 not logged in, 4403 refused, 4404 unknown camera);
  ``ended`` {reason: grant_expired} then close 1000.

Browser to server: ``{"overlay": true|false}`` turns the overlay messages on or off.

Authorised like ``live.mjpg`` (``view.live``; a tablet needs a running feed grant, and the stream ends when it
expires), the decision reused by the session like snapshots. The session cookie is SameSite=Strict, but a
WebSocket handshake is not subject to CORS: a cookie handshake whose ``Origin`` is not this server is refused (403)
before anything is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from anyio import to_thread
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from sereno.api.auth import principal_of, session_token
from sereno.api.errors import ApiError
from sereno.api.live import epoch_ms, overlay_json
from sereno.api.routes.cameras import RECHECK_SESSION_S, authorize_live_reusing
from sereno.api.services import Services
from sereno.governance import NotAuthenticated, Refused
from sereno.governance.identity import resolve
from sereno.video.live_mux import Fragment, Init, State, Viewer

router = APIRouter(tags=["cameras"])

POLL_S = 0.04  # the longest a new overlay or a grant's end waits (video fragments wake the sender at once)
CLOSE_CODES = {401: 4401, 403: 4403, 404: 4404}


def same_origin(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc == websocket.headers.get("host")


def _refusal(exc: Exception) -> tuple[int, dict[str, Any]]:
    """(close code, error message) for what the gate or the session check raised."""
    if isinstance(exc, Refused):
        d = exc.decision
        return 4403, {"type": "error", "error": d.code, "message": d.message, "ledger_seq": d.ledger_seq}
    if isinstance(exc, ApiError):
        return CLOSE_CODES.get(exc.status, 4400), {"type": "error", "error": exc.code, "message": exc.message}
    return 4401, {"type": "error", "error": "not_authenticated", "message": str(exc).replace("run `sereno login`",
                                                                                             "log in")}


@router.websocket("/api/cameras/{camera_id}/live.ws")
async def live_video(websocket: WebSocket, camera_id: str, overlay: bool = False) -> None:
    svc: Services = websocket.app.state.services
    token, from_cookie = session_token(websocket)  # type: ignore[arg-type]  (headers and cookies, as a request)
    if token and from_cookie and not same_origin(websocket):
        await websocket.close(code=1008)  # before accept: the handshake is answered 403
        return
    await websocket.accept()
    try:
        principal = await to_thread.run_sync(principal_of, svc, token)
        until = await to_thread.run_sync(authorize_live_reusing, svc, principal, camera_id)
    except (NotAuthenticated, Refused, ApiError) as exc:
        code, message = _refusal(exc)
        await websocket.send_json(message)
        await websocket.close(code)
        return
    feed = svc.live_feed(camera_id)
    if feed is None:
        await websocket.send_json({"type": "state", "state": "unavailable",
                                   "reason": "this server does not record the camera"})
        await websocket.close()
        return
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()
    viewer = feed.watch(lambda: loop.call_soon_threadsafe(wake.set))
    wanted = {"overlay": overlay}
    receiver = asyncio.create_task(_receive(websocket, wanted))
    try:
        await _send(websocket, svc, camera_id, token, until, viewer, wake, wanted, receiver)
    except (WebSocketDisconnect, RuntimeError):  # the browser left while a message was on its way
        pass
    finally:
        viewer.close()
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await receiver


async def _receive(websocket: WebSocket, wanted: dict[str, bool]) -> None:
    """The browser's settings (the overlay on or off) until it leaves; anything else is ignored."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            try:
                asked = json.loads(await websocket.receive_text())
            except (ValueError, KeyError):
                continue
            if isinstance(asked, dict) and isinstance(asked.get("overlay"), bool):
                wanted["overlay"] = asked["overlay"]


async def _send(websocket: WebSocket, svc: Services, camera_id: str, token: str | None, until: datetime | None,
                viewer: Viewer, wake: asyncio.Event, wanted: dict[str, bool], receiver: asyncio.Task) -> None:
    """The feed's messages and the overlay to the browser until it leaves, the session ends or the grant expires."""
    checked = time.monotonic()
    shown = 0  # the overlay's frame version last sent
    acknowledged = wanted["overlay"]  # the overlay setting the browser was last told of (at first, its own ?overlay)
    while not svc.closing and not receiver.done():
        if until is not None and svc.gov.now() >= until:  # a tablet's grant ended: so does its view
            await websocket.send_json({"type": "ended", "reason": "grant_expired"})
            await websocket.close()
            return
        if time.monotonic() - checked > RECHECK_SESSION_S:
            checked = time.monotonic()
            try:
                await to_thread.run_sync(resolve, svc.gov, token)
            except NotAuthenticated as exc:
                code, message = _refusal(exc)
                await websocket.send_json(message)
                await websocket.close(code)
                return
        wake.clear()
        for message in viewer.take():
            if isinstance(message, Fragment):
                await websocket.send_bytes(message.data)
            elif isinstance(message, Init):
                await websocket.send_json({"type": "init", "codec": message.codec, "width": message.width,
                                           "height": message.height, "origin": epoch_ms(message.origin)})
                await websocket.send_bytes(message.data)
            elif isinstance(message, State):
                await websocket.send_json({"type": "state", "state": message.state, "reason": message.reason})
                if message.state == "unavailable":
                    await websocket.close()
                    return
        overlay_on = wanted["overlay"]
        if overlay_on != acknowledged:
            acknowledged = overlay_on
            await websocket.send_json({"type": "settings", "overlay": overlay_on})
        if overlay_on and (version := svc.frames.version(camera_id)) != shown:
            frame = svc.frames.latest(camera_id)
            if frame is not None:
                shown = version
                await websocket.send_json(overlay_json(frame))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), POLL_S)
