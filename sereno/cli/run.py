"""``sereno run`` (live cameras, or one file as fast as possible) and ``sereno demo``."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import typer
from rich.live import Live
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sereno.cli.common import console, fail, settings
from sereno.config import Settings, default_data_dir
from sereno.domain import Alert, Camera, Sighting
from sereno.pipeline.analysis import VisionAnalyser
from sereno.pipeline.worker import WorkerReport
from sereno.video.cameras_file import CameraFileError, load_cameras, save_cameras
from sereno.video.sources import describe, frame_count, is_live, local_path

DEMO_CLIP = "video/car-approach-plate-LS15EBC.mp4"
DEMO_CLIP_REGION = "eu"  # the clip was filmed in the UK: its plate has the UK layout @@##@@@
# Disabled: `sereno run` (live) must not re-process the clip. Region "auto": a border camera sees many formats.
DEMO_CAMERA = Camera(id="demo", name="Demo camera (public clip)", lat=32.5149, lon=-117.0382, analysis_url="",
                     heading=0.0, enabled=False)


def shared_data_dir() -> Path:
    """``$SERENO_SHARED_DATA``, else ``../shared/data`` beside the repository checkout."""
    env = os.environ.get("SERENO_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "data"


def _cameras(cfg: Settings) -> list[Camera]:
    try:
        return load_cameras(cfg.cameras_path)
    except CameraFileError as exc:
        fail(str(exc), hint=f"edit {cfg.cameras_path} (see examples/cameras.yaml)")


def _open_store(cfg: Settings):
    from sereno.store import Store, StoreError

    try:
        return Store.open(cfg)
    except StoreError as exc:
        fail(str(exc))


def _analyser(cfg: Settings, region: str = "auto") -> VisionAnalyser:
    """Load the models once up front, so that a missing model is one clear message, not one per camera."""
    try:
        return VisionAnalyser(cfg, region=region)
    except Exception as exc:  # ModelMissing and friends: the message says what to do
        fail(f"cannot load the analysis models: {exc}", hint="run `sereno models install`")


def _check_source(source: str) -> None:
    if not is_live(source) and not local_path(source).is_file():
        fail(f"{source}: no such file", hint="pass a video file or an rtsp:// / http(s):// URL")


# -- output ---------------------------------------------------------------------------------------------------
def _alert_line(alert: Alert) -> str:
    kind = "exact" if alert.match_kind.value == "exact" else "look-alike characters"
    return (f"[bold white on red] ALERT - UNVERIFIED [/] list [bold]{alert.list_name}[/]: listed "
            f"[bold]{alert.hotlist_plate}[/], read [bold]{alert.read_plate}[/] ({kind}) {alert.reason}. "
            "Check the plate crop before acting.")


def _sightings_table(sightings: list[Sighting]) -> Table:
    table = Table(title="sightings")
    for column in ("time (UTC)", "class", "plate", "confidence", "frames", "alternatives", "plate crop"):
        table.add_column(column, overflow="fold")
    for s in sightings:
        plate = s.plate
        alternatives = " ".join("/".join(c.char for c in position[:2]) for position in plate.candidates) if plate else ""
        table.add_row(f"{s.observed_at:%Y-%m-%d %H:%M:%S}", s.object_class, plate.text if plate else "-",
                      f"{plate.confidence:.2f}" if plate else "", str(s.frames), alternatives,
                      s.plate_crop_path or "")
    return table


def _summary_table(report: WorkerReport, seconds: float) -> Table:
    table = Table(title=f"summary: camera {report.camera_id}", show_header=False)
    rows = [("frames decoded", report.frames_decoded), ("frames analysed", report.frames_analysed),
            ("frames past the motion gate", report.frames_inferred), ("sightings", report.sightings),
            ("plates read", report.plates), ("alerts (UNVERIFIED)", report.alerts), ("frame errors", report.errors),
            ("seconds", f"{seconds:.1f}"),
            ("decoded frames / s", f"{report.frames_decoded / seconds:.0f}" if seconds else "-")]
    for name, value in rows:
        table.add_row(name, str(value))
    return table


def process_and_report(cfg: Settings, camera: Camera, source: str, start_time: datetime | None) -> list[Sighting]:
    """Process a file (or a stream until it ends) with a progress bar, then print the summary; returns sightings."""
    from sereno.pipeline.runner import process_file

    analyser = _analyser(cfg, camera.region)
    sightings: list[Sighting] = []
    alerts: list[Alert] = []
    total = frame_count(source)
    with _open_store(cfg) as store, Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                                             MofNCompleteColumn(), TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task(f"{camera.id}: {describe(source)}", total=total)

        def on_sighting(sighting: Sighting, new_alerts: list[Alert]) -> None:
            sightings.append(sighting)
            alerts.extend(new_alerts)
            for alert in new_alerts:
                progress.console.print(_alert_line(alert))

        started = time.monotonic()
        try:
            report = process_file(cfg, camera, source, store, analyser, start_time=start_time,
                                  on_sighting=on_sighting, on_frame=lambda index: progress.update(task, completed=index + 1))
        except KeyboardInterrupt:
            fail("interrupted; the sightings reported so far are saved", code=130)
        progress.update(task, total=report.frames_decoded, completed=report.frames_decoded)
        seconds = time.monotonic() - started
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning}")
    if report.state.value == "error":
        fail(f"{describe(source)}: {report.reason}")
    console.print(_summary_table(report, seconds))
    if sightings:
        console.print(_sightings_table(sightings))
    if alerts:
        console.print(Panel("\n".join(_alert_line(a) for a in alerts), title="HOTLIST ALERTS: UNVERIFIED",
                            border_style="red"))
    return sightings


def _status_table(reports: list[WorkerReport]) -> Table:
    from sereno.cli.cameras import STATE_STYLE

    table = Table(title="sereno run (Ctrl-C to stop)")
    for column in ("camera", "state", "decoded", "analysed", "past gate", "sightings", "plates", "alerts",
                   "last plate", "reason"):
        table.add_column(column)
    for r in reports:
        style = STATE_STYLE.get(r.state.value, "")
        table.add_row(r.camera_id, f"[{style}]{r.state.value}[/]", str(r.frames_decoded), str(r.frames_analysed),
                      str(r.frames_inferred), str(r.sightings), str(r.plates),
                      f"[bold red]{r.alerts} UNVERIFIED[/]" if r.alerts else "0", r.last_plate, r.reason)
    return table


def _run_live(cfg: Settings) -> None:
    from sereno.pipeline.runner import Runner

    cameras = [c for c in _cameras(cfg) if c.enabled]
    if not cameras:
        fail(f"no enabled cameras in {cfg.cameras_path}",
             hint="add one with `sereno cameras add ID --url rtsp://... --lat ... --lon ...`, "
                  "or process a file with `sereno run FILE --camera ID`")
    _analyser(cfg)  # fail early and once when models are missing
    store = _open_store(cfg)

    def on_sighting(sighting: Sighting, alerts: list[Alert]) -> None:
        for alert in alerts:
            console.print(_alert_line(alert))

    runner = Runner(cfg, cameras, store, lambda camera: VisionAnalyser(cfg, region=camera.region),
                    on_sighting=on_sighting)
    runner.start()
    try:
        with Live(_status_table(runner.reports), console=console, refresh_per_second=2) as live:
            while runner.alive():
                time.sleep(0.5)
                live.update(_status_table(runner.reports))
    except KeyboardInterrupt:
        console.print("stopping: finishing open tracks and saving their sightings ...")
    finally:
        runner.stop()
        store.close()
    console.print(_status_table(runner.reports))


def run(
    ctx: typer.Context,
    source: Optional[str] = typer.Argument(None, help="A video file (or stream URL) to process once, as fast as "
                                                      "possible. Omit it to run all enabled cameras live."),
    camera_id: Optional[str] = typer.Option(None, "--camera", "-c", help="The camera the file was recorded by "
                                                                        "(its position goes into the sightings)."),
    start: Optional[datetime] = typer.Option(None, "--start", help="UTC time of the file's first frame "
                                                                   "(default: the file's creation_time, else its "
                                                                   "modification time)."),
) -> None:
    """Process live cameras, or one file."""
    cfg = settings(ctx)
    if source is None:
        _run_live(cfg)
        return
    _check_source(source)
    if camera_id is None:
        fail("a file needs --camera ID: the camera it was recorded by",
             hint="see `sereno cameras list`, or `sereno cameras add` one")
    camera = next((c for c in _cameras(cfg) if c.id == camera_id), None)
    if camera is None:
        fail(f"no camera {camera_id!r} in {cfg.cameras_path}", hint="add it with `sereno cameras add`")
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    process_and_report(cfg, camera, source, start)


def demo(
    ctx: typer.Context,
    source: Optional[str] = typer.Argument(None, help=f"Video file or rtsp:// URL (default: ../shared/data/"
                                                      f"{DEMO_CLIP})."),
) -> None:
    """Run the demo: read plates from a video, then show what to try next."""
    cfg = settings(ctx)
    region = None
    if source is None:
        clip = shared_data_dir() / DEMO_CLIP
        region = DEMO_CLIP_REGION
        if not clip.is_file():
            fail(f"the demo clip is not here ({clip})",
                 hint="pass a video file or an rtsp:// URL: `sereno demo PATH_OR_URL` (or set SERENO_SHARED_DATA "
                      "to the folder holding video/car-approach-plate-LS15EBC.mp4)")
        source = str(clip)
    _check_source(source)
    cameras = _cameras(cfg)
    if not any(c.id == DEMO_CAMERA.id for c in cameras):
        save_cameras(cfg.cameras_path, [*cameras, replace(DEMO_CAMERA, analysis_url=source)])
        console.print(f"added camera [bold]{DEMO_CAMERA.id}[/] to {cfg.cameras_path}")
    camera = next(c for c in _cameras(cfg) if c.id == DEMO_CAMERA.id)
    camera = replace(camera, region=region or camera.region)
    console.print(f"processing {describe(source)} as camera [bold]{camera.id}[/] (stream time = now) ...")
    sightings = process_and_report(cfg, camera, source, datetime.now(timezone.utc))
    read = sorted((s for s in sightings if s.plate), key=lambda s: -s.plate.frames)  # best supported first
    plates = [s.plate.text for s in read]
    console.print(f"\nplates read: [bold]{', '.join(plates) or 'none'}[/]")
    data_flag = "" if cfg.data_dir == default_data_dir() else f" -d {cfg.data_dir}"
    console.print("\n[bold cyan]Try next:[/]")
    for command in (f"sereno{data_flag} hotlist import examples/hotlist-demo.csv --name demo",
                    f"sereno{data_flag} search plate {plates[0] if plates else 'LS15EBC'}",
                    f"sereno{data_flag} alerts list"):
        console.print(f"  {command}", soft_wrap=True, highlight=False)
    console.print(Panel(
        "Hotlists are matched when a sighting is added (and on import, against the last 24 hours). "
        "If you import the hotlist after this demo, run `sereno demo` again to see the alert raised live. "
        "Every alert starts UNVERIFIED: a person must look at the plate crop and confirm or dismiss it.",
        border_style="cyan"))
