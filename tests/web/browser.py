"""What the browser tests share: how Chromium is started, screen sizes, logging in through the form, screenshots.

``SERENO_SCREENSHOTS=docs/screenshots`` saves the pages the tests pass through (es-MX) for the documentation.
"""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("SERENO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--mute-audio"]
DESKTOP = {"width": 1920, "height": 1080}
TABLET = {"width": 800, "height": 1280}
WAIT_MS = 20_000  # the longest a page may take to show what a test waits for (a loaded 2-core machine)


def log_in(page, site, username: str, device: str | None = None) -> None:  # noqa: ANN001
    """Log in through the login form, as a person does (password and the current 6-digit code)."""
    page.goto("/#/login" + (f"?device={device}" if device else ""))
    page.fill("#login-username", username)
    page.fill("#login-password", site.password(username))
    page.fill("#login-code", site.code(username))
    page.click(".login-form button[type=submit]")
    page.wait_for_selector("#menu")


def screenshot(page, name: str) -> None:  # noqa: ANN001
    """Save the page for docs/ when SERENO_SCREENSHOTS names a folder (JPEG: a tenth of the PNG's size)."""
    folder = os.environ.get("SERENO_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.jpg"), type="jpeg", quality=85)
