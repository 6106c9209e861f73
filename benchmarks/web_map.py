"""Time to first render of the camera map with many cameras, in Debian's Chromium driven by Playwright.

A fresh demo installation (accounts made through the real account API) gets N generated cameras around Tijuana in
cameras.yaml; the API app serves them without camera workers. An investigator (who may see camera locations) opens
``/#/map`` in a new browser context each run; the page marks ``sereno:map-rendered`` once every camera is drawn.
Prints, per run and as the median: the time from navigation start to that mark, and how long ``GET /api/cameras``
took inside it. No tile server (the default): the figure is the app's own cost.

    python benchmarks/web_map.py --cameras 1000 --runs 5
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from loopback import serve  # benchmarks/loopback.py
from sereno.api import create_app
from sereno.config import load_settings
from sereno.domain import Camera
from sereno.governance import Governance
from sereno.governance.demo import demo_code, ensure_demo_installation
from sereno.video.cameras_file import save_cameras

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CENTRE = (32.5149, -117.0382)  # Tijuana
SPREAD_DEG = 0.12  # about 13 km across


def cameras(count: int) -> list[Camera]:
    rng = random.Random(7)
    return [Camera(id=f"cam-{i:04d}", name=f"Cámara {i:04d}", lat=CENTRE[0] + rng.uniform(-1, 1) * SPREAD_DEG / 2,
                   lon=CENTRE[1] + rng.uniform(-1, 1) * SPREAD_DEG / 2, heading=rng.uniform(0, 360),
                   analysis_url=f"rtsp://10.1.{i // 250}.{i % 250}/sub", enabled=False) for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameras", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sereno-web-map-") as folder:
        settings = load_settings(Path(folder))
        with Governance.open(settings) as gov:
            accounts = ensure_demo_installation(gov, settings)
        save_cameras(settings.cameras_path, cameras(args.cameras))
        app = create_app(settings)
        url, server = serve(app)
        password = accounts.get("investigador").password
        figures = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            login = browser.new_context(base_url=url)
            answer = login.request.post("/api/session", data={
                "username": "investigador", "password": password,
                "code": demo_code(app.state.services.gov, settings, "investigador")})
            assert answer.ok, answer.text()
            state = login.storage_state()
            for run in range(1, args.runs + 1):
                context = browser.new_context(base_url=url, viewport={"width": 1920, "height": 1080},
                                              storage_state=state)
                page = context.new_page()
                page.goto("/#/map")
                page.wait_for_function("() => performance.getEntriesByName('sereno:map-rendered').length > 0",
                                       timeout=60_000)
                rendered, api_ms = page.evaluate("""() => [
                    performance.getEntriesByName('sereno:map-rendered')[0].startTime,
                    performance.getEntriesByType('resource').find(r => r.name.endsWith('/api/cameras')).duration]""")
                placed = page.get_attribute(".page-map", "data-placed")
                figures.append((rendered, api_ms))
                print(f"run {run}: first render {rendered:7.0f} ms  (GET /api/cameras {api_ms:5.0f} ms, "
                      f"{placed} cameras placed)")
                context.close()
            browser.close()
        server.should_exit = True
    print(f"median over {args.runs} runs, {args.cameras} cameras: first render "
          f"{statistics.median(f[0] for f in figures):.0f} ms, GET /api/cameras "
          f"{statistics.median(f[1] for f in figures):.0f} ms")


if __name__ == "__main__":
    main()
