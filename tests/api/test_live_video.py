"""Live video from the recording stream over the WebSocket: a demo camera recording a real H.264 clip in real time
gives an init segment and per-frame fragments that PyAV decodes at the clip's own frame rate; the overlay is turned
on and off on the same socket; the same refusals as live.mjpg (not logged in, a role without view.live, a tablet
without a grant, a foreign page's Origin); a tablet's view ends with its grant; a camera whose codec browsers cannot
play says so (the pages then use live.mjpg)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import av
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from sereno.api import create_app
from sereno.config import load_settings
from sereno.domain import Camera
from sereno.governance import identity
from sereno.video.cameras_file import save_cameras
from tests.api.conftest import CSRF, LOOP_CLIP, Api, NothingFound, Served
from tests.governance_world import build_world
from tests.realdata import shared_file

CLIP = "video/car-approach-plate-LS15EBC.mp4"  # H.264 1280x720 at 30 fps, a keyframe every 4.7 s pass
MESSAGE_WAIT_S = 30  # a looping camera sends a fragment every 33 ms: only a broken stream waits this long


@pytest.fixture(scope="module")
def video_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """cam-h264 records a real H.264 clip in a loop (as the demo's border camera); cam-mpeg4 loops an MPEG-4 part 2
    clip, which the recorder cannot keep and browsers cannot play."""
    settings = load_settings(tmp_path_factory.mktemp("live-video") / "data")
    world = build_world(settings)
    cameras = {
        "cam-h264": Camera("cam-h264", "Garita", 32.5422, -117.0293, f"file://{shared_file(CLIP)}#loop",
                           analysis_fps=2.0),
        "cam-mpeg4": Camera("cam-mpeg4", "Vía rápida", 32.517, -117.01, f"file://{LOOP_CLIP}#loop", analysis_fps=1.0),
    }
    save_cameras(settings.cameras_path, list(cameras.values()))
    app = create_app(settings, workers=True, analyser_factory=NothingFound, clock=world.clock)
    with Served(app) as url:
        yield Api(world, url, app, app.state.services, cameras)
    world.gov.close()


def open_socket(api: Api, client, camera: str = "cam-h264", origin: str | None = "same",  # noqa: ANN001
                **query: str) -> ClientConnection:
    url = api.url.replace("http://", "ws://") + f"/api/cameras/{camera}/live.ws"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    headers = {}
    if client is not None and (token := client.cookies.get("sereno_session")):
        headers["Cookie"] = f"sereno_session={token}"
    if origin:
        headers["Origin"] = api.url if origin == "same" else origin
    return connect(url, additional_headers=headers, open_timeout=15, max_size=None)


def messages(socket: ClientConnection) -> Iterator[str | bytes]:
    while True:
        yield socket.recv(timeout=MESSAGE_WAIT_S)


def refusal(socket: ClientConnection) -> tuple[dict, int]:
    """The error message and the close code of a socket the server refuses after the handshake."""
    error = json.loads(socket.recv(timeout=MESSAGE_WAIT_S))
    with pytest.raises(ConnectionClosed) as closed:
        socket.recv(timeout=MESSAGE_WAIT_S)
    return error, closed.value.rcvd.code


def decode(init: bytes, fragments: list[bytes]) -> list[av.VideoFrame]:
    with av.open(io.BytesIO(init + b"".join(fragments)), format="mp4") as container:
        return list(container.decode(video=0))


def test_a_viewer_gets_the_recording_stream_as_fragments_that_decode_at_the_camera_frame_rate(video_api: Api) -> None:
    with video_api.client("op") as operator, open_socket(video_api, operator) as socket:
        init_info, init, fragments = None, None, []
        for message in messages(socket):
            if isinstance(message, str):
                parsed = json.loads(message)
                if parsed["type"] == "init":
                    init_info = parsed
                else:
                    assert parsed == {"type": "state", "state": "live", "reason": ""}
            elif init is None:
                assert init_info is not None, "binary data before the init message"
                init = message
            else:
                fragments.append(message)
                if len(fragments) == 90:  # three seconds of video
                    break
    assert init_info["codec"].startswith("avc1.") and (init_info["width"], init_info["height"]) == (1280, 720)
    assert init[4:8] == b"ftyp" and all(f[4:8] == b"moof" for f in fragments)
    frames = decode(init, fragments)
    assert len(frames) == 90  # one frame per fragment, the first a keyframe: every one decodes
    assert frames[0].key_frame and (frames[0].width, frames[0].height) == (1280, 720)
    steps = {frames[i + 1].time - frames[i].time for i in range(len(frames) - 1)}
    # 30 frames a second (one step of the 3 s pause between two passes of the loop may fall in)
    assert {round(s, 4) for s in steps if s < 1} == {round(1 / 30, 4)}
    decision = [e for e in video_api.world.gov.ledger.entries(kind="decision") if e["action"] == "view.live"][-1]
    assert decision["outcome"] == "allowed" and decision["actor"] == "op"


def test_the_overlay_is_turned_on_and_off_on_the_same_socket(video_api: Api) -> None:
    with video_api.client("op") as operator, open_socket(video_api, operator) as socket:
        received = messages(socket)
        origin = None
        for message in received:  # the overlay is off: video only
            if isinstance(message, str) and json.loads(message)["type"] == "init":
                origin = json.loads(message)["origin"]
                break
        socket.send(json.dumps({"overlay": True}))
        texts = (json.loads(m) for m in received if isinstance(m, str))
        assert next(texts) == {"type": "settings", "overlay": True}  # taken into account, before any overlay
        overlay = next(texts)
        assert overlay["type"] == "overlay" and (overlay["width"], overlay["height"]) == (1280, 720)
        assert overlay["objects"] == [] and overlay["plates"] == []  # this test's analyser finds nothing
        # The analysed frame's stream time and the video's are the same clock: within a few seconds.
        assert abs(overlay["at"] - origin) < 10_000
        socket.send(json.dumps({"overlay": False}))
        # Overlays already on their way may come first; after the server says it took the setting, none.
        assert {"type": "settings", "overlay": False} in (text for text in texts if text["type"] != "overlay")
        after = [json.loads(m)["type"] for _, m in zip(range(60), received) if isinstance(m, str)]
        assert "overlay" not in after


def test_the_same_refusals_as_the_mjpeg_stream(video_api: Api) -> None:
    with open_socket(video_api, None, origin=None) as anonymous:
        error, code = refusal(anonymous)
        assert code == 4401 and error["error"] == "not_authenticated"
    with video_api.client("aud") as auditor, open_socket(video_api, auditor) as socket:
        error, code = refusal(socket)
        assert code == 4403 and error["error"] == "role" and error["ledger_seq"]
        assert video_api.ledger_entry(error["ledger_seq"])["outcome"] == "refused"
    with video_api.client("op") as operator:
        with pytest.raises(InvalidStatus) as cross_site:  # another site's page, with the officer's cookie
            open_socket(video_api, operator, origin="http://evil.example")
        assert cross_site.value.response.status_code == 403
        with open_socket(video_api, operator, camera="nope") as unknown:
            error, code = refusal(unknown)
            assert code == 4404 and error["error"] == "not_found"


def test_a_tablet_watches_only_under_a_grant_and_its_view_ends_with_it(video_api: Api) -> None:
    api = video_api
    device = identity.register_device(api.world.gov, api.world.people["administrator"], "Patrulla 7")
    with api.client("op", device_id=device) as tablet, api.client("sup") as supervisor:
        with open_socket(api, tablet) as socket:
            error, code = refusal(socket)
            assert code == 4403 and error["error"] == "needs_feed_grant"
        grant = tablet.post("/api/feed-requests", headers=CSRF, json={
            "camera_id": "cam-h264", "minutes": 5, "reason": "persecución de un vehículo robado hacia la garita"})
        supervisor.post(f"/api/feed-requests/{grant.json()['id']}/approve", headers=CSRF,
                        json={"reason": "persecución en curso"})
        with open_socket(api, tablet) as socket:
            received = messages(socket)
            assert sum(isinstance(m, bytes) for _, m in zip(range(20), received)) > 10  # video flows
            api.world.clock.advance(minutes=5, seconds=1)
            ended = next(json.loads(m) for m in received if isinstance(m, str) and '"ended"' in m)
            assert ended == {"type": "ended", "reason": "grant_expired"}
            with pytest.raises(ConnectionClosed):
                for _ in received:
                    pass


def test_a_camera_whose_codec_browsers_cannot_play_says_so(video_api: Api) -> None:
    with video_api.client("op") as operator, open_socket(video_api, operator, camera="cam-mpeg4") as socket:
        received = messages(socket)
        state = json.loads(next(received))
        while state["state"] == "offline":  # before the recorder has opened the clip
            state = json.loads(next(received))
        assert state["state"] == "unavailable" and "mpeg4" in state["reason"]
        with pytest.raises(ConnectionClosed):
            next(received)
