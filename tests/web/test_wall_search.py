"""The video wall plays live video (the recording stream, or the analysed frames where browsers cannot play it);
investigations: plate search, an area drawn on the map, a route, and a search for a forbidden purpose that the gate
refuses (with its ledger entry)."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from sereno.api.services import PublishingSink
from sereno.domain import CameraState, CameraStatus
from tests.web.browser import screenshot
from tests.web.site import ROUTE_PLATE, ROUTE_STOPS

pytestmark = pytest.mark.slow

CASE = "DEMO-2026-0001"
FRAME_WAIT_S = 20


def frames_differ(image) -> bool:  # noqa: ANN001
    """Two pictures of a live <img>, taken as new frames arrive, differ: the video moves."""
    first = image.screenshot()
    deadline = time.monotonic() + FRAME_WAIT_S
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if image.screenshot() != first:
            return True
    return False


def plays(page, selector: str) -> None:  # noqa: ANN001
    """The <video> at ``selector`` plays: its position moves on by two seconds of video."""
    start = page.wait_for_function(f"() => {{ const v = document.querySelector({selector!r});"
                                   " return v && v.readyState >= 2 && !v.paused && v.currentTime; }").json_value()
    page.wait_for_function(f"start => document.querySelector({selector!r}).currentTime > start + 2", arg=start)


def test_a_live_tile_plays_the_recording_stream_and_opens_the_camera(open_page) -> None:
    page = open_page("operador")
    page.goto("/#/wall")
    garita = '.tile[data-camera="tij-garita"]'
    expect(page.locator(f"{garita} .no-signal")).to_be_hidden()  # the first frame is on screen
    plays(page, f"{garita} video.live")  # H.264 recording stream, through Media Source Extensions
    # The highway clip is MPEG-4 part 2, which browsers cannot play: its tile falls back to the analysed frames.
    highway = page.locator('.tile[data-camera="tij-via-rapida-a"]')
    expect(highway.locator("img.live")).to_have_attribute("src", "/api/cameras/tij-via-rapida-a/live.mjpg?overlay=0")
    expect(highway.locator(".no-signal")).to_be_hidden()
    assert frames_differ(highway.locator("img.live"))

    page.check("#overlay-toggle")  # boxes and plate text, drawn over the video from the analysis results
    overlay = page.locator(f"{garita} canvas.live-overlay")
    expect(overlay).to_be_visible()
    page.wait_for_function(f"() => Number(document.querySelector('{garita} canvas.live-overlay').dataset.boxes) > 0",
                           timeout=60_000)  # the car is found (real models) and drawn at its moment in the video
    screenshot(page, "wall")
    expect(highway.locator("img.live")).to_have_attribute("src", "/api/cameras/tij-via-rapida-a/live.mjpg?overlay=1")
    page.uncheck("#overlay-toggle")
    expect(overlay).to_be_hidden()

    page.click('button[data-size="16"]')  # one socket per tile; the fallback shares ONE event stream
    plays(page, f"{garita} video.live")
    highway_img = page.locator('.tile[data-camera="tij-via-rapida-a"] img.live')
    expect(highway.locator(".no-signal")).to_be_hidden()
    assert highway_img.evaluate("img => img.src.startsWith('data:image/jpeg')")
    page.click('button[data-size="4"]')

    page.click(f"{garita} .tile-body")
    expect(page).to_have_url("/#/camera/tij-garita")
    plays(page, "#camera-live video.live")
    page.check("#camera-overlay")
    expect(page.locator("#camera-live canvas.live-overlay")).to_be_visible()
    assert page.errors == []


# Stands in for a screen too slow to decode the stream (a browser API we cannot make starve on demand here): every
# frame the decoder handles is reported dropped. The stream itself is real.
ALL_FRAMES_DROPPED = """
HTMLVideoElement.prototype.getVideoPlaybackQuality = function () {
  this.reported = (this.reported || 0) + 100;
  return { totalVideoFrames: this.reported, droppedVideoFrames: this.reported };
};
"""


def test_a_tile_that_cannot_show_its_video_falls_back_to_the_analysed_frames(open_page) -> None:
    page = open_page("operador")
    page.add_init_script(ALL_FRAMES_DROPPED)
    page.clock.install()  # the page's timers, to run the decoding watch without waiting; the video stays real time
    page.goto("/#/camera/tij-garita")
    page.reload()  # a new document, which the init scripts apply to (the login page may have been this one)
    live = page.locator("#camera-live")
    page.wait_for_function("() => document.querySelector('#camera-live video.live')?.readyState >= 2")
    for _ in range(3):  # three watch windows in which video arrived and nothing was shown
        page.wait_for_timeout(700)
        page.clock.fast_forward(5000)
    expect(live).to_have_attribute("data-fallback", "starved")
    expect(live.locator("img.live")).to_have_attribute("src", "/api/cameras/tij-garita/live.mjpg?overlay=0")
    expect(live.locator("video.live")).to_be_hidden()
    assert page.errors == []


def test_a_supervisor_accepts_the_new_view_of_a_camera_turned_on_purpose(open_page, site) -> None:
    page = open_page("supervisora")
    page.goto("/#/camera/tij-garita")
    expect(page.locator("#camera-live")).to_be_visible()
    expect(page.locator("#accept-view")).to_be_hidden()  # nothing to accept while the view is normal
    # The camera's state as its worker would report it after being turned (the real worker's view is not turned).
    PublishingSink(site.app.state.services.store, site.app.state.services.events).set_camera_status(
        CameraStatus("tij-garita", CameraState.TAMPERED, "turned away"))
    expect(page.locator("#accept-view")).to_be_visible()
    page.fill("#accept-view-reason", "reorientada por mantenimiento, orden de trabajo 4411")
    page.click("#accept-view-button")
    expect(page.locator(".toast.ok")).to_contain_text("Vista aceptada")
    recorded = [e for e in site.gov.ledger.entries(kind="decision") if e["action"] == "cameras.accept_view"]
    assert [(e["actor"], e["outcome"], e["details"]["reason"]) for e in recorded] == [
        ("supervisora", "allowed", "reorientada por mantenimiento, orden de trabajo 4411")]
    assert page.errors == []


def test_the_camera_page_plays_a_recorded_segment_from_its_timeline(open_page) -> None:
    page = open_page("investigador")
    page.goto("/#/camera/tij-garita")
    page.select_option("#recording-window", "15")
    segments = page.locator("#recordings .timeline .segment")
    page.click("#load-recordings")
    state_purpose(page, "revisar el paso del vehículo por la garita")
    for _ in range(10):  # the recorder closes a segment every few seconds: ask again until one is listed
        if segments.count():
            break
        page.wait_for_timeout(2000)
        page.click("#load-recordings")
    expect(segments.first).to_be_visible()
    segments.last.click()
    page.wait_for_function("() => { const v = document.querySelector('#recording-player');"
                           " return v && v.readyState >= 1 && v.duration > 0; }")
    assert "reason=" in page.get_attribute("#recording-player", "src")
    assert page.errors == []


def state_purpose(page, reason: str) -> None:  # noqa: ANN001
    expect(page.locator("#purpose-case")).to_be_visible()
    page.select_option("#purpose-case", CASE)
    page.fill("#purpose-reason", reason)
    page.click("#purpose-ok")


def test_plate_search_asks_case_and_reason_and_shows_the_crops(open_page) -> None:
    page = open_page("investigador")
    page.goto("/#/search/plate")
    page.fill("#plate-pattern", ROUTE_PLATE)
    page.click("#plate-search")
    state_purpose(page, "vehículo visto en el robo del expediente")
    cards = page.locator("#results .sighting-card")
    expect(cards).to_have_count(len(ROUTE_STOPS))
    expect(page.locator("#purpose-text")).to_contain_text(CASE)
    for i in range(len(ROUTE_STOPS)):
        crop = cards.nth(i).locator("img.crop")
        expect(crop).to_be_visible()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=crop.element_handle())
    screenshot(page, "search-results")
    assert page.errors == []


def test_an_area_drawn_on_the_map_finds_the_sighting_inside_it(open_page, site) -> None:
    page = open_page("investigador")
    page.goto("/#/search/area")
    camera = next(c for c in site.app.state.services.cameras() if c.id == "tij-zona-rio")
    expect(page.locator(".leaflet-pm-icon-circle")).to_be_visible()
    centre, edge = page.evaluate("""([lat, lon]) => {
        const map = document.querySelector('#area-map').leafletMap;
        const box = map.getContainer().getBoundingClientRect();
        const at = (ll) => { const p = map.latLngToContainerPoint(ll); return [box.left + p.x, box.top + p.y]; };
        return [at([lat, lon]), at([lat, lon + 0.0025])];   // about 230 m east
    }""", [camera.lat, camera.lon])
    page.click(".leaflet-pm-icon-circle")
    page.mouse.click(*centre)
    page.mouse.move(*edge)
    page.mouse.click(*edge)
    expect(page.locator("#shape-text")).to_contain_text("Círculo")
    page.click("#area-search")
    state_purpose(page, "vehículo visto en el robo del expediente")  # a new tab: asked again
    cards = page.locator("#area-results .sighting-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text(ROUTE_PLATE)
    expect(cards.first).to_contain_text("Estacionamiento Plaza Río")
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=cards.first.locator("img.crop").element_handle())
    screenshot(page, "search-area")
    assert page.errors == []


def test_the_route_of_a_plate_follows_its_sightings_in_time(open_page) -> None:
    page = open_page("investigador")
    page.goto("/#/search/route")
    page.fill("#route-plate", ROUTE_PLATE)
    page.click("#route-search")
    state_purpose(page, "vehículo visto en el robo del expediente")
    expect(page.locator(".route-stop")).to_have_count(len(ROUTE_STOPS))
    expect(page.locator("#route-table tbody tr").first).to_contain_text("Avenida Revolución")  # oldest first
    screenshot(page, "route")
    page.locator("#route-slider").fill("1")
    expect(page.locator(".route-stop")).to_have_count(1)
    expect(page.locator("#route-time")).to_contain_text("Parada 1 de 3")
    assert page.errors == []


def test_a_search_for_a_forbidden_purpose_is_refused_with_the_gates_words(open_page, site) -> None:
    page = open_page("investigador")
    page.goto("/#/search/plate")
    page.click("#purpose-change")
    state_purpose(page, "saber a dónde va el periodista que publicó la nota")
    page.fill("#plate-pattern", ROUTE_PLATE)
    page.click("#plate-search")
    refusal = page.locator(".banner.refused")
    expect(refusal).to_contain_text("Solicitud rechazada por el control de acceso: finalidad prohibida")
    seq = int(refusal.locator(".refusal-ledger").inner_text().rsplit("#", 1)[1])
    entry = next(e for e in site.gov.ledger.entries(kind="decision") if e["seq"] == seq)
    assert (entry["outcome"], entry["details"]["code"], entry["actor"]) == ("refused", "forbidden_purpose",
                                                                            "investigador")
    expect(refusal.locator(".refusal-message")).to_have_text(entry["details"]["message"])
    expect(page.locator("#results")).to_have_count(0)
    screenshot(page, "search-refused")
    assert page.errors == []
