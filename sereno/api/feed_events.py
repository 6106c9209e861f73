"""Feed grants on the event stream, so that a tablet hears the supervisor's answer at once instead of polling.

A new request goes to the officer's tablet and to the supervisors of the officer's agency (who decide it); the
decision goes to both (the supervisors' pages drop the request); the grant's end goes to the tablet. Nobody else
receives them, replays included (``Audience``). Each event's data is the grant as ``GET /api/feed-requests`` gives
it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from sereno.api.events import Audience, EventHub
from sereno.api.schemas import feed_json
from sereno.governance.feeds import FeedGrant

EXPIRY_CHECK_S = 1.0  # a running grant's end is checked this often against the governance clock (tests move it)
_expiry_watches: set[asyncio.Task] = set()  # the event loop keeps only weak references to its tasks


def requester(grant: FeedGrant) -> Audience:
    """The officer who asked, on the tablet the grant is for."""
    return Audience(grant.user_id, grant.device_id)


def requester_and_approvers(grant: FeedGrant) -> Audience:
    return Audience(grant.user_id, grant.device_id, approvers_of=grant.agency_id)


def announce_request(hub: EventHub, grant: FeedGrant) -> None:
    hub.publish("feed_request", feed_json(grant), audience=requester_and_approvers(grant))


def announce_decision(hub: EventHub, grant: FeedGrant, now: Callable[[], datetime]) -> None:
    """On the server's event loop: the decision now, and for an approval the grant's end when it comes."""
    hub.publish("feed_decision", feed_json(grant), audience=requester_and_approvers(grant))
    if grant.status == "approved" and grant.expires_at is not None:
        watch = asyncio.get_running_loop().create_task(_announce_expiry(hub, grant, now))
        _expiry_watches.add(watch)
        watch.add_done_callback(_expiry_watches.discard)


async def _announce_expiry(hub: EventHub, grant: FeedGrant, now: Callable[[], datetime]) -> None:
    assert grant.expires_at is not None
    while not hub.closed:
        left = (grant.expires_at - now()).total_seconds()
        if left <= 0:
            hub.publish("feed_expired", feed_json(grant), audience=requester(grant))
            return
        await asyncio.sleep(min(left, EXPIRY_CHECK_S))
