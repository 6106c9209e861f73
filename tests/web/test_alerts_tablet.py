"""Alerts in the monitoring center (a live hotlist hit, confirmed with a reason, recorded in the ledger) and the
patrol tablet (alerts near the officer, a camera feed a supervisor grants for a few minutes, ended at expiry)."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import expect

from sereno.domain import AlertStatus
from sereno.intel.alerts import find_alert
from tests.web.browser import TABLET, screenshot
from tests.web.site import ROUTE_PLATE, ROUTE_STOPS

pytestmark = pytest.mark.slow

HOTLISTED = "LS15EBC"  # the demo hotlist lists the plate the border camera's clip shows
LIVE_ALERT_WAIT_MS = 120_000  # the clip passes every ~8 s; reading it takes longer on a loaded machine


def test_a_hotlist_loaded_by_a_supervisor_alerts_the_operator_live_who_confirms(open_page, site, tmp_path) -> None:
    operator = open_page("operador")
    operator.goto("/#/alerts")
    expect(operator.locator(".alerts-page .toolbar")).to_be_visible()

    supervisor = open_page("supervisora")
    supervisor.goto("/#/cases")
    listed = tmp_path / "robados.csv"
    listed.write_text(f"plate,reason,state,expires\n{ROUTE_PLATE},robo con violencia en Otay,BC,2099-12-31\n"
                      "??,bad line,BC,\n", encoding="utf-8")
    supervisor.fill("#hotlist-name", "robados-bc")
    supervisor.set_input_files("#hotlist-file", str(listed))
    supervisor.click("#hotlist-import")
    expect(supervisor.locator("#hotlist-result .banner.ok")).to_contain_text(f"{len(ROUTE_STOPS)} alertas")
    expect(supervisor.locator("#hotlist-result .problems")).to_contain_text("línea 3")

    # The route car was seen in the last 24 h: its alerts reach the operator's open page on the event stream.
    cards = operator.locator(f'.alert-card.fresh:has(.plate-text.big:text-is("{ROUTE_PLATE}"))')
    expect(cards).to_have_count(len(ROUTE_STOPS))
    expect(operator.locator(".toast.alert").first).to_contain_text(ROUTE_PLATE)
    card = cards.first
    alert_id = card.get_attribute("data-id")
    card = operator.locator(f'.alert-card[data-id="{alert_id}"]')
    expect(card.locator(".alert-status.unverified")).to_contain_text("SIN VERIFICAR")
    expect(card.locator(".alert-status.unverified")).to_contain_text("Verifique la placa")
    expect(card.locator(".match.exact")).to_have_text("Coincidencia exacta")
    expect(card).to_contain_text("robo con violencia en Otay")
    expect(card).to_contain_text("robados-bc")
    for image in ("crop", "snapshot"):
        operator.wait_for_function("img => img.complete && img.naturalWidth > 0",
                                   arg=card.locator(f"figure.{image} img").element_handle())
    screenshot(operator, "alerts")

    card.locator("textarea.decision-reason").fill("el recorte coincide con la placa de la lista")
    card.locator("button.confirm").click()
    expect(card.locator(".alert-status.confirmed")).to_contain_text("CONFIRMADA")
    expect(card.locator(".alert-status.confirmed")).to_contain_text("operador")

    with site.app.state.services.store.session() as session:
        decided = find_alert(session, alert_id)
    assert (decided.status, decided.decided_by) == (AlertStatus.CONFIRMED, "operador")
    recorded = [e for e in site.gov.ledger.entries(kind="decision")
                if e["action"] == "alerts.decide" and alert_id in json.dumps(e["details"])]
    assert [(e["actor"], e["outcome"]) for e in recorded] == [("operador", "allowed")]
    assert operator.errors == [] and supervisor.errors == []


def test_the_border_camera_alerts_the_operator_when_the_hotlisted_car_passes(open_page) -> None:
    page = open_page("operador")
    page.goto("/#/alerts")
    expect(page.locator(".alerts-page .toolbar")).to_be_visible()
    card = page.locator(f'.alert-card.fresh:has(.plate-text.big:text-is("{HOTLISTED}"))').first
    expect(card).to_be_visible(timeout=LIVE_ALERT_WAIT_MS)
    expect(card).to_contain_text("Garita San Ysidro")
    expect(card.locator(".alert-status.unverified")).to_be_visible()
    assert page.errors == []


def feed_request_polls(page) -> list[str]:  # noqa: ANN001
    """The GET /api/feed-requests the page makes from now on (how it would learn a decision without events)."""
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if r.method == "GET" and "/api/feed-requests" in r.url else None)
    return polls


def test_tablet_feed_is_granted_by_a_supervisor_and_ends_when_the_grant_expires(open_page, site) -> None:
    """The request reaches the supervisor's open page, and the approval and the grant's end reach the tablet, on
    the event stream: neither page asks the API again (the tablet's fallback poll runs only while its event
    stream is down), and the tablet's own clock never reaches the end, only the server's."""
    supervisor = open_page("supervisora")
    supervisor.goto("/#/cases")
    expect(supervisor.locator("#feed-requests .empty")).to_be_visible()
    supervisor_polls = feed_request_polls(supervisor)

    tablet_id = site.register_tablet("Patrulla 7")
    tablet = open_page("operador", viewport=TABLET, device=tablet_id)
    tablet.goto("/#/tablet")
    tablet.reload()
    expect(tablet.locator("#near-alerts")).to_be_visible()
    tablet.click("#pick-point")
    expect(tablet.locator(".pick-map")).to_be_visible()
    tablet.locator(".pick-map").click()
    expect(tablet.locator("#where")).to_contain_text("Punto elegido")
    tablet.select_option("#feed-camera", "tij-garita")
    tablet.select_option("#feed-minutes", "1")
    tablet.fill("#feed-reason", "persecución de un vehículo robado hacia la garita")
    tablet_polls = feed_request_polls(tablet)
    tablet.click("#feed-request")
    expect(tablet.locator("#feed-status .waiting")).to_be_visible()
    # Without a grant the tablet's session gets no live video.
    assert tablet.request.get("/api/cameras/tij-garita/snapshot.jpg").status == 403

    request = supervisor.locator("#feed-requests .request-card").first
    expect(request).to_contain_text("operador → tij-garita")
    expect(supervisor.locator(".toast", has_text="operador pide ver la cámara tij-garita")).to_be_visible()
    request.locator("button.confirm").click()
    expect(supervisor.locator("#feed-requests .empty")).to_be_visible()

    # The feed plays the camera's recording stream in a <video> whose clock advances.
    tablet.wait_for_function("() => (document.querySelector('#feed-live video')?.currentTime || 0) > 1",
                             timeout=30_000)
    expect(tablet.locator("#feed-countdown")).to_contain_text("El permiso vence en")
    screenshot(tablet, "tablet")

    # A stream opened under the grant ends by itself when the grant expires (the server's clock decides).
    cookies = {c["name"]: c["value"] for c in tablet.context.cookies()}
    opened, ended = threading.Event(), threading.Event()

    def watch() -> None:
        with httpx.stream("GET", f"{site.url}/api/cameras/tij-garita/live.mjpg", cookies=cookies,
                          timeout=30) as response:
            if response.status_code == 200:
                opened.set()
                for _ in response.iter_bytes():
                    pass
        ended.set()

    threading.Thread(target=watch, daemon=True).start()
    assert opened.wait(timeout=20), "the live stream did not open under the grant"
    site.clock.offset += timedelta(minutes=2)  # the page's countdown still shows about a minute left
    expect(tablet.locator("#feed-expired")).to_contain_text("El permiso expiró")
    expect(tablet.locator("#feed-live")).to_have_count(0)
    assert ended.wait(timeout=20), "the live stream went on after the grant expired"
    after = tablet.request.get("/api/cameras/tij-garita/snapshot.jpg")
    assert (after.status, after.json()["error"]) == (403, "needs_feed_grant")
    assert tablet_polls == [] and supervisor_polls == []
    assert tablet.errors == [] and supervisor.errors == []


def test_a_tablet_without_its_event_stream_still_hears_the_decision_by_a_slow_poll(open_page, site) -> None:
    """Also: a supervisor on another page than the cases page hears the request and is pointed to it."""
    supervisor = open_page("supervisora")
    supervisor.goto("/#/map")
    expect(supervisor.locator("#camera-map")).to_be_visible()
    tablet = open_page("operador", viewport=TABLET, device=site.register_tablet("Patrulla 9"))
    tablet.route("**/api/events*", lambda route: route.abort())  # the event stream cannot get through
    tablet.clock.install()  # the page's clock, to bring the fallback poll forward
    tablet.goto("/#/tablet")
    tablet.reload()
    expect(tablet.locator("body.stream-lost")).to_have_count(1)  # the page says live updates may be late
    tablet.select_option("#feed-camera", "tij-garita")
    tablet.fill("#feed-reason", "apoyo a una unidad en la garita, vehículo sospechoso")
    # the request itself, not one of the page's polls of the same address (a GET, listing requests)
    with tablet.expect_response(lambda r: r.url.endswith("/api/feed-requests") and r.request.method == "POST") as asked:
        tablet.click("#feed-request")
    expect(tablet.locator("#feed-status .waiting")).to_be_visible()
    polls = feed_request_polls(tablet)

    cue = supervisor.locator('.toast a[href="#/cases"]', has_text="operador pide ver la cámara tij-garita")
    expect(cue).to_be_visible()
    approved = supervisor.request.post(f"/api/feed-requests/{asked.value.json()['id']}/approve",
                                       headers={"X-Sereno": "1"}, data={"reason": "apoyo en curso"})
    assert approved.ok, approved.text()
    expect(tablet.locator("#feed-status .waiting")).to_be_visible()  # no event can tell it
    tablet.clock.fast_forward("00:31")  # past the fallback poll's 30 s
    expect(tablet.locator("#feed-live")).to_have_count(1)
    assert polls, "the tablet learnt of the decision without asking"
    assert tablet.errors == []
