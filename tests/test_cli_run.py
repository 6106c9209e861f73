"""`sereno run FILE --camera ID` and `sereno demo` end to end: real video, real models, real SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from sereno.cli import app
from sereno.store import Store
from sereno.store.mapping import row_to_sighting
from sereno.store.media import MediaStore
from sereno.store.tables import SightingRow
from tests.realdata import shared_file
from tests.rtsp_server import rtsp_ls15ebc  # noqa: F401  (fixture)
from tests.test_pipeline_worker import closed_port

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def sereno(settings, *args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, ["--data-dir", str(settings.data_dir), *args], env=env)


@pytest.fixture
def models(settings):
    """Skip (with the reason) when the detector models are not installed here."""
    from sereno.pipeline.analysis import VisionAnalyser

    try:
        VisionAnalyser(settings)
    except Exception as exc:  # ModelMissing, or the detector module not written yet
        pytest.skip(f"analysis models unavailable: {exc} (run `sereno models install`)")


def sightings(settings):
    with Store.open(settings) as store, store.session() as session:
        return [row_to_sighting(r) for r in session.execute(select(SightingRow.__table__)).mappings()]


@pytest.mark.slow
def test_run_file_gives_one_sighting_that_reads_LS15EBC(settings, models):
    clip = shared_file("video/car-approach-plate-LS15EBC.mp4")
    assert sereno(settings, "cameras", "add", "gate", "--url", "rtsp://10.0.0.5/sub", "--lat", "32.54",
                  "--lon", "-117.03", "--region", "eu").exit_code == 0  # the clip was filmed in the UK
    result = sereno(settings, "run", str(clip), "--camera", "gate", "--start", "2026-03-01T12:00:00")
    assert result.exit_code == 0, result.output
    assert "frames decoded" in result.output and "LS15EBC" in result.output
    read = [s.plate_text for s in sightings(settings) if s.plate is not None]
    found = [s for s in sightings(settings) if s.plate_text == "LS15EBC"]
    assert len(found) == 1, read  # one passing car, one sighting (a far car at the edge may give another)
    sighting = found[0]
    assert sighting.plate.text == "LS15EBC" and sighting.plate.frames >= 3 and sighting.plate.candidates
    assert sighting.object_class in ("car", "vehicle") and (sighting.lat, sighting.lon) == (32.54, -117.03)
    assert str(sighting.observed_at).startswith("2026-03-01 12:00:0")
    media = MediaStore(settings.media_path)
    assert sighting.plate_crop_path.startswith("2026/03/01/gate/") and media.path(sighting.plate_crop_path).is_file()
    assert media.path(sighting.snapshot_path).is_file()


@pytest.mark.slow
def test_demo_then_hotlist_then_demo_again_raises_an_unverified_alert(settings, models):
    clip = shared_file("video/car-approach-plate-LS15EBC.mp4")
    first = sereno(settings, "demo", env={"SERENO_SHARED_DATA": str(clip.parents[1])})
    assert first.exit_code == 0, first.output
    assert "LS15EBC" in first.output and "hotlist import examples/hotlist-demo.csv" in first.output
    assert "investigador" in first.output and "--case DEMO-2026-0001" in first.output  # the accounts, what next
    assert sereno(settings, "demo", "login", "supervisora").exit_code == 0
    imported = sereno(settings, "hotlist", "import", str(REPO / "examples" / "hotlist-demo.csv"), "--name", "demo")
    assert imported.exit_code == 0, imported.output
    again = sereno(settings, "demo", str(clip))
    assert again.exit_code == 0, again.output
    assert "UNVERIFIED" in again.output and "LS15EBC" in again.output  # a video the user handed in: plates shown


def test_the_live_status_shows_counts_never_plates():
    from rich.console import Console

    from sereno.cli.run import live_alerts_line, status_table
    from sereno.domain import CameraState
    from sereno.pipeline.worker import WorkerReport

    report = WorkerReport(camera_id="garita", state=CameraState.ONLINE, sightings=3, plates=2, alerts=1,
                          last_plate="LS15EBC")
    console = Console(width=200, record=True)
    console.print(status_table([report]))
    console.print(live_alerts_line(1))
    shown = console.export_text()
    assert "garita" in shown and "1 UNVERIFIED" in shown and "sereno alerts list" in shown
    assert "LS15EBC" not in shown


def test_demo_without_the_shared_clip_says_to_pass_a_file_or_url(settings, tmp_path):
    result = sereno(settings, "demo", env={"SERENO_SHARED_DATA": str(tmp_path / "absent")})
    assert result.exit_code == 1
    assert "pass a video file or an rtsp:// URL" in result.output


def test_run_file_needs_a_known_camera(settings):
    clip = shared_file("video/car-approach-plate-LS15EBC.mp4")
    no_camera = sereno(settings, "run", str(clip))
    assert no_camera.exit_code == 1 and "--camera" in no_camera.output
    unknown = sereno(settings, "run", str(clip), "--camera", "nope")
    assert unknown.exit_code == 1 and "no camera 'nope'" in unknown.output
    missing = sereno(settings, "run", "/no/such/clip.mp4", "--camera", "nope")
    assert missing.exit_code == 1 and "no such file" in missing.output


def test_run_bad_video_gives_a_clear_message(settings, models):
    assert sereno(settings, "cameras", "add", "c", "--url", "x.mp4", "--lat", "1", "--lon", "1").exit_code == 0
    tiny = sereno(settings, "run", str(shared_file("video/bad-48x48-raw-demo.avi")), "--camera", "c")
    assert tiny.exit_code == 1 and "too small to analyse" in tiny.output and "Traceback" not in tiny.output
    truncated = sereno(settings, "run", str(shared_file("video/damaged-truncated-tree.avi")), "--camera", "c")
    assert truncated.exit_code == 0 and "only 68 could be decoded" in truncated.output


def test_run_without_cameras_explains_what_to_do(settings):
    result = sereno(settings, "run")
    assert result.exit_code == 1 and "no enabled cameras" in result.output


@pytest.mark.slow
@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM"])  # Ctrl-C; a service manager (systemd, docker stop)
def test_run_live_shows_states_and_stops_cleanly_on_ctrl_c(settings, models, rtsp_ls15ebc, stop):  # noqa: F811
    import json
    import os
    import signal
    import subprocess
    import sys
    import time

    base = [str(Path(sys.executable).parent / "sereno"), "--data-dir", str(settings.data_dir)]
    for camera_id, url in (("live", rtsp_ls15ebc), ("dead", f"rtsp://127.0.0.1:{closed_port()}/nothing")):
        subprocess.run([*base, "cameras", "add", camera_id, "--url", url, "--lat", "32.5", "--lon", "-117"], check=True,
                       capture_output=True)
    # A test suite started in the background (`scripts/test.sh &`) hands its children SIGINT ignored, and Python then
    # never turns Ctrl-C into KeyboardInterrupt: give `sereno run` the terminal's default back.
    process = subprocess.Popen([*base, "run"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "COLUMNS": "200", "PYTHONFAULTHANDLER": "1"},
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(12)
    process.send_signal(getattr(signal, stop))
    try:
        output, _ = process.communicate(timeout=90)  # finishing open tracks takes longer on a loaded machine
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack: where it hangs
        output, _ = process.communicate()
        pytest.fail(f"`sereno run` still running 90 s after {stop}; its output:\n{output[-6000:]}")
    assert process.returncode == 0, output
    assert "finishing open tracks" in output
    listed = json.loads(subprocess.run([*base, "cameras", "list", "--json"], check=True, capture_output=True,
                                       text=True).stdout)
    states = {entry["camera"]["id"]: entry["status"] for entry in listed}
    assert states["live"]["frames_decoded"] > 0 and states["live"]["state"] == "stopped"
    assert states["dead"]["state"] == "stopped" and "Connection refused" in states["dead"]["reason"]
