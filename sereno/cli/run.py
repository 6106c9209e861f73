"""``sereno run``: live cameras, or one file as fast as possible.

A file is video the user handed in, so its plates are shown as they are read. Live cameras see everyone passing:
their status table shows counts only, and alerts only as a number to check with `sereno alerts list` (through the
gate).
"""

from __future__ import annotations

import signal
import time
from datetime import datetime, timezone
from typing import Optional

import typer
from rich.live import Live
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sereno.cli.common import console, fail, open_store, settings
from sereno.config import Settings
from sereno.domain import Alert, Camera, Sighting
from sereno.pipeline.analysis import VisionAnalyser
from sereno.pipeline.worker import WorkerReport
from sereno.video.cameras_file import CameraFileError, load_cameras
from sereno.video.sources import describe, frame_count, is_live, local_path


def _cameras(cfg: Settings) -> list[Camera]:
    try:
        return load_cameras(cfg.cameras_path)
    except CameraFileError as exc:
        fail(str(exc), hint=f"edit {cfg.cameras_path} (see examples/cameras.yaml)")


def _analyser(cfg: Settings, region: str = "auto") -> VisionAnalyser:
    """Load the models once up front, so that a missing model is one clear message, not one per camera."""
    try:
        return VisionAnalyser(cfg, region=region)
    except Exception as exc:  # ModelMissing and friends: the message says what to do
        fail(f"cannot load the analysis models: {exc}", hint="run `sereno models install`")


def check_source(source: str) -> None:
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
    with open_store(cfg) as store, Progress(TextColumn("[bold]{task.description}"), BarColumn(),
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


def status_table(reports: list[WorkerReport]) -> Table:
    from sereno.cli.cameras import STATE_STYLE

    table = Table(title="sereno run (Ctrl-C to stop)")
    for column in ("camera", "state", "decoded", "analysed", "past gate", "sightings", "plates", "alerts", "reason"):
        table.add_column(column)
    for r in reports:
        style = STATE_STYLE.get(r.state.value, "")
        table.add_row(r.camera_id, f"[{style}]{r.state.value}[/]", str(r.frames_decoded), str(r.frames_analysed),
                      str(r.frames_inferred), str(r.sightings), str(r.plates),
                      f"[bold red]{r.alerts} UNVERIFIED[/]" if r.alerts else "0", r.reason)
    return table


def live_alerts_line(count: int) -> str:
    """What the live console says about new alerts: how many, never which plate (that is read through the gate)."""
    return f"[bold white on red] {count} UNVERIFIED alerts [/]: see `sereno alerts list`"


def _stop_on_sigterm() -> None:
    """Service managers (systemd, `docker stop`) send SIGTERM, not Ctrl-C: stop the same way, saving the sightings
    of the open tracks, instead of dying with them."""
    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _run_live(cfg: Settings) -> None:
    from sereno.governance import Governance
    from sereno.governance.camera_alarms import CameraAlarmSink
    from sereno.pipeline.runner import Runner

    cameras = [c for c in _cameras(cfg) if c.enabled]
    if not cameras:
        fail(f"no enabled cameras in {cfg.cameras_path}",
             hint="add one with `sereno cameras add ID --url rtsp://... --lat ... --lon ...`, "
                  "or process a file with `sereno run FILE --camera ID`")
    _analyser(cfg)  # fail early and once when models are missing
    store = open_store(cfg)

    def on_sighting(sighting: Sighting, alerts: list[Alert]) -> None:
        if alerts:
            console.print(live_alerts_line(len(alerts)))

    gov = Governance.open(cfg)  # camera alarms (tampered, down, restored) go to the ledger
    runner = Runner(cfg, cameras, CameraAlarmSink(store, gov.ledger),
                    lambda camera: VisionAnalyser(cfg, region=camera.region), on_sighting=on_sighting)
    runner.start()
    try:
        with Live(status_table(runner.reports), console=console, refresh_per_second=2) as live:
            while runner.alive():
                time.sleep(0.5)
                live.update(status_table(runner.reports))
    except KeyboardInterrupt:
        console.print("stopping: finishing open tracks and saving their sightings ...")
    finally:
        runner.stop()
        store.close()
        gov.close()
    console.print(status_table(runner.reports))


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
    """Process live cameras, or one file. Ctrl-C or SIGTERM stops, saving the sightings of the open tracks."""
    cfg = settings(ctx)
    _stop_on_sigterm()
    if source is None:
        _run_live(cfg)
        return
    check_source(source)
    if camera_id is None:
        fail("a file needs --camera ID: the camera it was recorded by",
             hint="see `sereno cameras list`, or `sereno cameras add` one")
    camera = next((c for c in _cameras(cfg) if c.id == camera_id), None)
    if camera is None:
        fail(f"no camera {camera_id!r} in {cfg.cameras_path}", hint="add it with `sereno cameras add`")
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    process_and_report(cfg, camera, source, start)

