"""Browser tests: Playwright drives Debian's Chromium (headless, no sandbox, no background networking, a fresh
profile) against a real Sereno site served on loopback (tests/web/site.py). They skip, saying why, without
/usr/bin/chromium, the playwright package, the shared sample data or the analysis models."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.realdata import SHARED_DATA, shared_file

from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, WAIT_MS, log_in


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator["Site"]:  # noqa: F821
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium; scripts/setup.sh --test)")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is missing (pip install -e '.[test]')")
    shared_file("video/car-approach-plate-LS15EBC.mp4")
    shared_file("alpr/openalpr-us-endtoend")
    from sereno.config import load_settings
    from sereno.pipeline.analysis import VisionAnalyser
    from tests.web.site import start

    data = tmp_path_factory.mktemp("web") / "data"
    try:
        VisionAnalyser(load_settings(data))
    except Exception as exc:  # ModelMissing: the message says what to run
        pytest.skip(f"analysis models unavailable: {exc} (run `sereno models install`)")
    running = start(data, SHARED_DATA)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def browser(site):  # noqa: ANN001, ANN201
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        # Playwright gives every context a fresh, temporary profile (a new user data dir).
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def sessions() -> dict[str, dict]:
    """Logged-in browser state per account, so that each account logs in through the form once per run (a
    6-digit code works once, and an account has at most three valid codes at a time)."""
    return {}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):  # noqa: ANN001, ANN201
    report = yield
    if report.when == "call":
        item.failed_call = report.failed
    return report


@pytest.fixture
def open_page(browser, site, sessions, request, tmp_path):  # noqa: ANN001, ANN201
    """open_page(user=None, viewport=DESKTOP, locale="es-MX", device=None) -> a page in a new context (closed
    after the test); logged in as ``user`` when given (on the tablet ``device`` when given)."""
    contexts = []

    def make(user: str | None = None, viewport: dict[str, int] = DESKTOP, locale: str = "es-MX",
             device: str | None = None):  # noqa: ANN202
        key = f"{user}@{device}"
        context = browser.new_context(viewport=viewport, locale=locale, timezone_id="America/Tijuana",
                                      base_url=site.url, storage_state=sessions.get(key))
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        page.errors = []  # uncaught script errors: a test that ends with some has found a bug
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        if user and key not in sessions:
            log_in(page, site, user, device)
            sessions[key] = context.storage_state()
        return page

    yield make
    for number, context in enumerate(contexts):
        if getattr(request.node, "failed_call", False):  # what the pages showed when the test failed
            for page in context.pages:
                path = tmp_path / f"failed-{number}.png"
                page.screenshot(path=str(path))
                print(f"page at failure: {page.url} -> {path}")
        context.close()
