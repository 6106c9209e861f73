"""Logging in (password + 6-digit code) and out, the menu each role gets, the camera map, and the language switch."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.web.browser import screenshot

pytestmark = pytest.mark.slow

SAMPLE_CAMERAS = 5


def test_login_needs_the_right_code_and_logout_ends_the_session(open_page, site) -> None:
    page = open_page()
    page.goto("/")
    expect(page.locator(".demo-hint")).to_contain_text("sereno demo code")
    screenshot(page, "login")

    page.fill("#login-username", "investigador")
    page.fill("#login-password", site.password("investigador"))
    page.fill("#login-code", "000000" if site.code("investigador") != "000000" else "111111")
    page.click(".login-form button[type=submit]")
    expect(page.locator(".login-message .banner")).to_be_visible()
    expect(page.locator("#menu")).to_have_count(0)

    page.fill("#login-code", site.code("investigador"))
    page.click(".login-form button[type=submit]")
    expect(page.locator("#menu a")).to_have_text(["Mapa", "Videowall", "Alertas", "Investigación", "Patrulla",
                                                  "Casos"])
    expect(page.locator(".user")).to_contain_text("Investigador(a)")

    page.click("#logout")
    expect(page.locator("#login-username")).to_be_visible()
    assert page.request.get("/api/session").status == 401
    assert page.errors == []


def test_the_map_places_the_cameras_with_their_state(open_page) -> None:
    page = open_page("investigador")
    page.goto("/#/map")
    expect(page.locator(".leaflet-tooltip.camera-label")).to_have_count(SAMPLE_CAMERAS)
    expect(page.locator("#camera-list .camera-row")).to_have_count(SAMPLE_CAMERAS)
    # The two cameras that run here come online; the disabled ones show as stopped.
    expect(page.locator('#camera-list .camera-row[data-id="tij-garita"] .state')).to_have_text("En línea")
    expect(page.locator('#camera-list .camera-row[data-id="tij-zona-rio"] .state')).to_have_text("Detenida")
    expect(page.locator(".map-legend")).to_contain_text("Manipulada")
    screenshot(page, "map")
    assert page.errors == []


def test_roles_without_access_to_camera_locations_get_a_list_not_a_map(open_page) -> None:
    page = open_page("admin")
    page.goto("/#/map")
    expect(page.locator("#unplaced-list .camera-row")).to_have_count(SAMPLE_CAMERAS)
    expect(page.locator(".leaflet-tooltip.camera-label")).to_have_count(0)
    expect(page.locator("#menu a")).to_have_text(["Mapa"])  # no personal data for administrators


def test_language_switch_changes_texts_and_dates_and_is_remembered(open_page) -> None:
    page = open_page("auditora")
    page.goto("/#/audit")
    expect(page.locator("#menu a")).to_have_text(["Mapa", "Auditoría", "Informes"])
    first_date = page.locator("#ledger-entries tbody tr td:nth-child(2)").first
    expect(first_date).to_have_text(re.compile(r"^\d{1,2} [a-z]{3}\.? \d{4}"))  # "23 nov 2026, 11:42:10"
    page.click("#verify")
    expect(page.locator("#verify-banner")).to_contain_text("Verificación correcta")
    screenshot(page, "audit")

    page.select_option("#lang", "en")
    expect(page.locator("#menu a")).to_have_text(["Map", "Audit", "Reports"])
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(first_date).to_have_text(re.compile(r"^[A-Z][a-z]{2} \d{1,2}, \d{4}"))  # "Nov 23, 2026, 11:42:10 AM"
    page.reload()
    expect(page.locator("#menu a").first).to_have_text("Map")
    page.select_option("#lang", "es-MX")
    expect(page.locator("#menu a").first).to_have_text("Mapa")
    assert page.errors == []
