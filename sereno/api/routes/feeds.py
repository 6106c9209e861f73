"""Feed grants for tablets: request a camera's live feed, and a supervisor approves or denies it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from sereno.api.auth import Authenticated, ServicesDep
from sereno.api.errors import ApiError
from sereno.api.schemas import FeedDecisionBody, FeedRequestBody, feed_json
from sereno.governance import feeds

router = APIRouter(prefix="/api/feed-requests", tags=["feeds"])


@router.post("", status_code=201)
def request_feed(body: FeedRequestBody, principal: Authenticated, svc: ServicesDep) -> dict[str, Any]:
    """From a tablet session: ask to watch one camera live for ``minutes`` (1-60), saying why."""
    if svc.camera(body.camera_id) is None:
        raise ApiError(404, "not_found", f"no camera {body.camera_id!r}; see GET /api/cameras")
    return feed_json(feeds.request_feed(svc.gov, principal, body.camera_id, body.minutes, body.reason))


@router.get("")
def feed_requests(principal: Authenticated, svc: ServicesDep) -> list[dict[str, Any]]:
    """Newest first: a supervisor sees the agency's requests, anyone else their own (with the grant's end)."""
    return [feed_json(g) for g in feeds.feed_requests(svc.gov, principal)]


@router.post("/{grant_id}/approve")
def approve(grant_id: str, body: FeedDecisionBody, principal: Authenticated, svc: ServicesDep) -> dict[str, Any]:
    """A supervisor of the same agency, not the requester: the grant runs from now for the minutes asked."""
    return feed_json(feeds.decide_feed(svc.gov, principal, grant_id, True, body.reason))


@router.post("/{grant_id}/deny")
def deny(grant_id: str, body: FeedDecisionBody, principal: Authenticated, svc: ServicesDep) -> dict[str, Any]:
    return feed_json(feeds.decide_feed(svc.gov, principal, grant_id, False, body.reason))
