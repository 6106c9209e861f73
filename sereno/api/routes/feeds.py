"""Feed grants for tablets: request a camera's live feed, and a supervisor approves or denies it. Requests and
decisions also go out on the event stream (``sereno/api/feed_events.py``) to the tablet and the supervisors."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from fastapi import APIRouter

from sereno.api import feed_events
from sereno.api.auth import Authenticated, ServicesDep
from sereno.api.errors import ApiError
from sereno.api.schemas import FeedDecisionBody, FeedRequestBody, feed_json
from sereno.api.services import Services
from sereno.governance import Principal, feeds

router = APIRouter(prefix="/api/feed-requests", tags=["feeds"])


@router.post("", status_code=201)
def request_feed(body: FeedRequestBody, principal: Authenticated, svc: ServicesDep) -> dict[str, Any]:
    """From a tablet session: ask to watch one camera live for ``minutes`` (1-60), saying why. The tablet and the
    agency's supervisors get a ``feed_request`` event."""
    if svc.camera(body.camera_id) is None:
        raise ApiError(404, "not_found", f"no camera {body.camera_id!r}; see GET /api/cameras")
    grant = feeds.request_feed(svc.gov, principal, body.camera_id, body.minutes, body.reason)
    feed_events.announce_request(svc.events, grant)
    return feed_json(grant)


@router.get("")
def feed_requests(principal: Authenticated, svc: ServicesDep) -> list[dict[str, Any]]:
    """Newest first: a supervisor sees the agency's requests, anyone else their own (with the grant's end)."""
    return [feed_json(g) for g in feeds.feed_requests(svc.gov, principal)]


async def _decide(svc: Services, principal: Principal, grant_id: str, approve: bool, reason: str) -> dict[str, Any]:
    grant = await to_thread.run_sync(feeds.decide_feed, svc.gov, principal, grant_id, approve, reason)
    feed_events.announce_decision(svc.events, grant, svc.gov.now)
    return feed_json(grant)


@router.post("/{grant_id}/approve")
async def approve(grant_id: str, body: FeedDecisionBody, principal: Authenticated,
                  svc: ServicesDep) -> dict[str, Any]:
    """A supervisor of the same agency, not the requester: the grant runs from now for the minutes asked. The
    tablet gets a ``feed_decision`` event now and a ``feed_expired`` event when the grant ends."""
    return await _decide(svc, principal, grant_id, True, body.reason)


@router.post("/{grant_id}/deny")
async def deny(grant_id: str, body: FeedDecisionBody, principal: Authenticated, svc: ServicesDep) -> dict[str, Any]:
    return await _decide(svc, principal, grant_id, False, body.reason)
