"""A tablet's feed grant on the event stream: the request, the supervisor's decision and the grant's end reach the
officer's tablet and the supervisors of the officer's agency at once, and nobody else, not even on a replay
(``Last-Event-ID``) and not the same officer's session at the centre."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

from sereno.api.services import PublishingSink
from sereno.domain import CameraState, CameraStatus
from sereno.governance import identity
from tests.api.conftest import CSRF, Api
from tests.api.test_api_live import events, next_of

REASON = "persecución de un vehículo robado hacia la garita"


def mark(api: Api, label: str) -> None:
    """A camera event every stream receives: what a stream got before it is all it got before this moment."""
    PublishingSink(api.services.store, api.services.events).set_camera_status(
        CameraStatus("cam-2", CameraState.OFFLINE, label))


def feed_events_until(stream: Iterator[tuple[str, dict]], label: str) -> list[tuple[str, str]]:
    """(kind, grant id) of the feed events a stream receives before the camera event ``label``."""
    found = []
    for kind, data in stream:
        if kind == "camera" and data["reason"] == label:
            return found
        if kind.startswith("feed"):
            found.append((kind, data["id"]))
    raise AssertionError(f"the stream ended before the mark {label!r}")


def test_feed_grant_events_reach_only_the_officer_who_asked_and_the_agency_supervisors(api: Api) -> None:
    admin = api.world.people["administrator"]
    patrol_3 = identity.register_device(api.world.gov, admin, "Patrulla 3")
    patrol_4 = identity.register_device(api.world.gov, admin, "Patrulla 4")
    with ExitStack() as stack:
        clients = {
            "officer": api.client("op", device_id=patrol_3),
            "other officer": api.client("inv", device_id=patrol_4),
            "officer at the centre": api.client("op"),
            "supervisor": api.client("sup"),
            "deciding supervisor": api.client("sup2"),
            "other agency's supervisor": api.client("bc-sup"),
        }
        streams = {}
        for name, client in clients.items():
            stack.enter_context(client)
            streams[name] = events(stack.enter_context(client.stream("GET", "/api/events")))
            next_of(streams[name], "hello")  # subscribed from here on

        asked = clients["officer"].post("/api/feed-requests", headers=CSRF, json={
            "camera_id": "cam-1", "minutes": 1, "reason": REASON})
        assert asked.status_code == 201, asked.text
        grant = asked.json()["id"]
        assert next_of(streams["officer"], "feed_request")["id"] == grant
        request = next_of(streams["supervisor"], "feed_request")
        assert (request["id"], request["username"], request["status"]) == (grant, "op", "pending")

        decided = clients["deciding supervisor"].post(f"/api/feed-requests/{grant}/approve", headers=CSRF,
                                                      json={"reason": "persecución en curso"})
        assert decided.status_code == 200, decided.text
        approval = next_of(streams["officer"], "feed_decision")
        assert (approval["id"], approval["status"], approval["decided_by"]) == (grant, "approved", "sup2")
        assert approval["expires_at"] == decided.json()["expires_at"]
        assert next_of(streams["supervisor"], "feed_decision")["status"] == "approved"  # drops it from the list

        api.world.clock.advance(minutes=1, seconds=1)  # the governance clock passes the grant's end
        assert next_of(streams["officer"], "feed_expired", give_up_after_s=20)["id"] == grant

        mark(api, "mark after the grant")
        expected = {
            "officer": [],  # all three read above
            "supervisor": [],  # the request and the decision read above; the end is the tablet's business
            "deciding supervisor": [("feed_request", grant), ("feed_decision", grant)],
            "other officer": [],
            "officer at the centre": [],  # the grant is for the tablet, not for every session of the officer
            "other agency's supervisor": [],
        }
        assert {name: feed_events_until(stream, "mark after the grant") for name, stream in streams.items()} \
            == expected

        # Reconnecting with Last-Event-ID replays what the hub kept, each client only what it may receive.
        replayed = {name: events(stack.enter_context(clients[name].stream(
            "GET", "/api/events", headers={"Last-Event-ID": "0"}))) for name in ("officer", "other officer")}
        for stream in replayed.values():
            next_of(stream, "hello")
        mark(api, "mark after the replay")
        assert feed_events_until(replayed["officer"], "mark after the replay") == [
            ("feed_request", grant), ("feed_decision", grant), ("feed_expired", grant)]
        assert feed_events_until(replayed["other officer"], "mark after the replay") == []
