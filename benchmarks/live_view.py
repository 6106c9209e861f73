"""Live view from the recording stream: what it costs the server, and how far behind a 16-tile wall plays.

``--part mux``: one camera's packets (a real H.264 clip, looped) through its ``LiveFeed`` as the recorder hands them
over, as fast as they come: CPU time of the process per second of video, nobody watching (the feed keeps the
packets since the last keyframe) and watched (remuxed into per-frame fMP4 fragments for 1 and for 16 viewers),
less the cost of making the packets.

``--part wall``: the API app with recorders (no analysis) for N cameras looping the clip in real time, and Debian's
Chromium (Playwright) showing them on the video wall, one WebSocket per tile. Prints, over the measuring window: the
tiles playing, the lag of the picture on screen behind the stream's own clock (``Date.now() - (origin +
currentTime)``: pacing, one frame in the muxer, the socket, the MSE buffer; the loop's 3 s pause between passes
shows as a stall), the video each tile has buffered ahead, frames dropped by the browser, and the CPU of the server
process and of the browser's processes, against a window with the same recorders and nobody watching. With
``--overlay`` the cameras are also analysed (real models, 5 fps) and the overlay is on: how far the newest analysis
result is from the picture on screen, by their stream times.

    python benchmarks/live_view.py --part mux
    python benchmarks/live_view.py --part wall --cameras 16 --seconds 30
    SERENO_MODELS_DIR=~/.cache/sereno/models python benchmarks/live_view.py --part wall --cameras 1 --overlay
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import av

from loopback import serve  # benchmarks/loopback.py
from sereno.api import create_app
from sereno.config import load_settings
from sereno.domain import Camera
from sereno.governance import Governance
from sereno.governance.demo import demo_code, ensure_demo_installation
from sereno.video.cameras_file import save_cameras
from sereno.video.live_mux import LiveFeed
from sereno.video.recorder import RecorderPool

from shared_data import SHARED  # noqa: E402
CLIP = SHARED / "video" / "car-approach-plate-LS15EBC.mp4"  # H.264 1280x720 30 fps, 3.9 Mbit/s
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--mute-audio"]
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


# -- the muxer's CPU ----------------------------------------------------------------------------------------------
def mux_cost(clip: Path, passes: int) -> None:
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        recorded = [(bytes(p), p.dts, p.pts, p.is_keyframe) for p in container.demux(stream) if p.size]
        seconds_per_pass = len(recorded) / float(stream.average_rate)
        video_s = seconds_per_pass * passes
        step = int(seconds_per_pass / stream.time_base)

        def run(viewers: int | None) -> float:
            """CPU seconds to hand every packet over (None: no feed at all, only making the packets)."""
            feed = LiveFeed("bench")
            feed.connect(stream, lambda dts: START + timedelta(seconds=float(dts * stream.time_base)))
            watching = [feed.watch(lambda: None) for _ in range(viewers or 0)]
            began = time.process_time()
            for n in range(passes):
                for data, dts, pts, key in recorded:
                    packet = av.Packet(data)
                    packet.dts, packet.pts, packet.is_keyframe = dts + n * step, pts + n * step, key
                    if viewers is not None:
                        feed.feed(packet, packet.dts, packet.pts)
                    for viewer in watching:
                        viewer.take()
            return time.process_time() - began

        baseline = run(None)
        print(f"{clip.name}: {stream.codec_context.width}x{stream.codec_context.height} "
              f"{float(stream.average_rate):.0f} fps, {video_s:.0f} s of video ({passes} passes); "
              f"making the packets: {baseline:.3f} s CPU")
        for label, viewers in (("nobody watching", 0), ("1 viewer", 1), ("16 viewers", 16)):
            cost = run(viewers) - baseline
            print(f"  {label:16s} {cost:7.3f} s CPU = {cost / video_s * 1000:6.2f} ms per second of video "
                  f"({cost / video_s * 100:.2f} % of a core)")


# -- a wall in the browser -----------------------------------------------------------------------------------------
def descendants_cpu_s() -> float:
    """CPU seconds (user + system) of this process's descendants now running (the browser and its driver)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
    total, todo = 0.0, list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


SAMPLE_JS = """() => [...document.querySelectorAll('.tile video.live')].map(v => ({
    lag: v.dataset.origin && v.readyState >= 2 ? Date.now() - (Number(v.dataset.origin) + v.currentTime * 1000) : null,
    analysis: v.dataset.origin && v.nextSibling.dataset.overlayAt
      ? Number(v.nextSibling.dataset.overlayAt) - (Number(v.dataset.origin) + v.currentTime * 1000) : null,
    boxes: Number(v.nextSibling.dataset.boxes || 0),
    ahead: v.buffered.length ? v.buffered.end(v.buffered.length - 1) - v.currentTime : null,
    playing: !v.paused && v.readyState >= 2, jumps: Number(v.dataset.jumps || 0),
    dropped: v.getVideoPlaybackQuality().droppedVideoFrames, total: v.getVideoPlaybackQuality().totalVideoFrames}))"""


def wall(clip: Path, count: int, seconds: float, chromium: str, overlay: bool) -> None:
    from playwright.sync_api import sync_playwright

    size = 16 if count > 9 else 9 if count > 4 else 4 if count > 1 else 1
    with tempfile.TemporaryDirectory(prefix="sereno-live-view-") as folder:
        settings = load_settings(Path(folder))
        with Governance.open(settings) as gov:
            accounts = ensure_demo_installation(gov, settings)
        # As the demo's border camera: its UK plate, analysed at 5 fps.
        cameras = [Camera(f"cam-{i:02d}", f"Cámara {i:02d}", 32.5 + i / 1000, -117.0, f"file://{clip}#loop",
                          analysis_fps=5.0, region="eu") for i in range(count)]
        save_cameras(settings.cameras_path, cameras)
        # Without --overlay, no analysis: recorders only, and the figures are the live view's.
        app = create_app(settings, workers=overlay)
        url, server = serve(app)
        services = app.state.services
        stop = threading.Event()
        if not overlay:
            services.recorder = RecorderPool(settings, cameras, stop)
            services.recorder.start()
        time.sleep(5)
        cpu, wall_clock = time.process_time(), time.monotonic()
        time.sleep(seconds)
        unwatched = (time.process_time() - cpu) / (time.monotonic() - wall_clock)
        print(f"{count} cameras recording {clip.name}{' and analysed' if overlay else ''}, nobody watching: "
              f"server process {unwatched * 100:.1f} % of a core")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            context = browser.new_context(base_url=url, viewport={"width": 1920, "height": 1080})
            answer = context.request.post("/api/session", headers={"X-Sereno": "1"}, data={
                "username": "operador", "password": accounts.get("operador").password,
                "code": demo_code(services.gov, settings, "operador")})
            assert answer.ok, answer.text()
            context.add_init_script(f"localStorage.setItem('sereno.wall', JSON.stringify({{size: {size}, "
                                    f"overlay: {str(overlay).lower()}, tiles: {[c.id for c in cameras]!r}}}))")
            page = context.new_page()
            page.goto("/#/wall")
            page.wait_for_function(f"() => [...document.querySelectorAll('.tile video.live')]"
                                   f".filter(v => !v.paused && v.readyState >= 2).length >= {count}",
                                   timeout=120_000)
            time.sleep(3)
            samples = []
            cpu, browser_cpu, wall_clock = time.process_time(), descendants_cpu_s(), time.monotonic()
            first = page.evaluate(SAMPLE_JS)
            while time.monotonic() - wall_clock < seconds:
                samples.append(page.evaluate(SAMPLE_JS))
                time.sleep(0.25)
            elapsed = time.monotonic() - wall_clock
            server_cpu = (time.process_time() - cpu) / elapsed
            browser_share = (descendants_cpu_s() - browser_cpu) / elapsed
            last = page.evaluate(SAMPLE_JS)
            browser.close()
        stop.set()
        if not overlay:
            services.recorder.stop()
        server.should_exit = True
    lags = sorted(t["lag"] for s in samples for t in s if t["lag"] is not None)
    aheads = sorted(t["ahead"] for s in samples for t in s if t["ahead"] is not None)
    playing = statistics.mean(sum(t["playing"] for t in s) for s in samples)
    decoded = sum(b["total"] - a["total"] for a, b in zip(first, last))
    dropped = sum(b["dropped"] - a["dropped"] for a, b in zip(first, last))
    shown = decoded - dropped
    print(f"{count} tiles watched for {elapsed:.0f} s in Chromium (1920x1080, software decoding):")
    print(f"  tiles playing (mean of {len(samples)} samples): {playing:.1f} of {count}")
    print(f"  picture behind the stream clock: median {statistics.median(lags):.0f} ms, p90 "
          f"{lags[int(len(lags) * 0.9)]:.0f} ms (the 3 s pause between passes of the loop included)")
    print(f"  video buffered ahead of the playhead: median {statistics.median(aheads) * 1000:.0f} ms; jumps to the "
          f"live edge: {sum(b['jumps'] - a['jumps'] for a, b in zip(first, last)) / count / elapsed * 60:.1f} "
          f"a minute per tile")
    print(f"  frames shown {shown}, dropped {dropped} ({dropped / max(decoded, 1) * 100:.1f} %): "
          f"{shown / elapsed / count:.1f} fps per tile")
    print(f"  server process: {server_cpu * 100:.1f} % of a core ({(server_cpu - unwatched) / count * 100:.2f} % "
          f"per watched camera over the unwatched recording)")
    print(f"  browser: {browser_share * 100:.0f} % of a core ({browser_share / count * 100:.1f} % per tile)")
    if overlay:
        ahead = sorted(t["analysis"] for s in samples for t in s if t["analysis"] is not None)
        drawn = statistics.mean(t["boxes"] > 0 for s in samples for t in s)
        print(f"  newest analysis result minus the picture on screen (stream times): median "
              f"{statistics.median(ahead):.0f} ms, p10 {ahead[len(ahead) // 10]:.0f} ms, p90 "
              f"{ahead[len(ahead) * 9 // 10]:.0f} ms; boxes drawn in {drawn * 100:.0f} % of samples")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("mux", "wall"), default="mux")
    parser.add_argument("--clip", type=Path, default=CLIP)
    parser.add_argument("--passes", type=int, default=30, help="mux: passes of the clip")
    parser.add_argument("--cameras", type=int, default=16, help="wall: tiles (and cameras)")
    parser.add_argument("--seconds", type=float, default=30.0, help="wall: measuring window")
    parser.add_argument("--overlay", action="store_true", help="wall: analyse the cameras (real models) and "
                        "draw the overlay; measures how far the analysis is from the picture")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    if args.part == "mux":
        mux_cost(args.clip, args.passes)
    else:
        wall(args.clip, args.cameras, args.seconds, args.chromium, args.overlay)


if __name__ == "__main__":
    main()
