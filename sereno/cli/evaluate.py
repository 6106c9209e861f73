"""``sereno eval alpr DIR``: plate-reading accuracy on a labelled folder (crops or openalpr end-to-end)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from sereno.cli.common import console, err_console, fail, print_json, settings
from sereno.vision.evaluation import END_TO_END, DatasetError, Report, detect_layout, evaluate
from sereno.vision.onnx import OnnxSetupError, resolve_runtime
from sereno.vision.plate_formats import AUTO, REGIONS, UnknownRegion, check_region

app = typer.Typer(no_args_is_help=True)
SHOWN_ERRORS = 15


def _detector(ctx: typer.Context, threads: Optional[int], vehicles: bool, required: bool):
    """The photo detector, and whether it looks inside the vehicles. A crops folder does not require one (it only
    looks into images that do not read as crops): there, a missing model gives a warning and the plate detector
    alone, or no detector at all."""
    try:
        from sereno.vision.detectors import PhotoPlateDetector, PlateDetector
        from sereno.vision.models import ModelMissing
    except ImportError as exc:
        if required:
            fail(f"the plate detector is not available ({exc})", hint="reinstall sereno: pip install -e .")
        err_console.print(f"[yellow]warning:[/] every image is read as a plate crop: the plate detector is not "
                          f"available ({exc})", highlight=False)
        return None, False
    makers = [(True, lambda: PhotoPlateDetector(settings(ctx), threads=threads))] if vehicles else []
    # a photo's passes, the vehicles' left out
    makers.append((False, lambda: PlateDetector(settings(ctx), threads=threads, squeeze=True, zoom_out=True)))
    for inside_vehicles, make in makers:
        try:
            return make(), inside_vehicles
        except ModelMissing as exc:
            if required:
                fail(str(exc))
            err_console.print(f"[yellow]warning:[/] {exc}", highlight=False)
    err_console.print("[yellow]warning:[/] every image is read as a plate crop", highlight=False)
    return None, False


def _print_report(folder: Path, report: Report, region: str, backend: str, plate_detector: str | None,
                  vehicles: bool, runtime_name: str) -> None:
    detector = f", plate detector {plate_detector}{' and vehicles' if vehicles else ''}" if plate_detector else ""
    console.print(f"[bold]{folder}[/] ({report.layout}, reader {backend}{detector}, region {region}, "
                  f"runtime {runtime_name})")
    console.print(f"  images          {report.images}   plates {report.plates}")
    if report.plates_detected is not None:
        console.print(f"  plates detected {report.plates_detected:.1%}  (IoU >= 0.3 with the labelled box)")
    console.print(f"  exact (top-1)   [bold]{report.exact:.1%}[/]   ignoring O/0: {report.exact_ignoring_o0:.1%}")
    console.print(f"  char accuracy   {report.char_accuracy:.1%}")
    console.print(f"  ms per image    {report.ms_per_image:.1f}")
    for error in report.errors[:SHOWN_ERRORS]:
        console.print(f"  [red]{error['file']}[/]: {error['truth']} read as {error['read'] or '(nothing)'}",
                      highlight=False)
    if len(report.errors) > SHOWN_ERRORS:
        console.print(f"  ... and {len(report.errors) - SHOWN_ERRORS} more errors (--json lists all)")
    for bad in report.bad_files:
        console.print(f"  [yellow]skipped {bad['file']}[/]: {bad['problem']}", highlight=False)


@app.command("alpr")
def alpr(
    ctx: typer.Context,
    folder: Path = typer.Argument(..., help="Labelled folder: labels.csv (file,plate) of plate crops or of photos of "
                                  "one plate each, or X.jpg + X.txt pairs (openalpr end-to-end: file x y w h "
                                  "PLATE)."),
    region: str = typer.Option(AUTO, "--region", "-r", help=f"Plate region: {', '.join((AUTO, *REGIONS))}."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output, with every error."),
    limit: Optional[int] = typer.Option(None, "--limit", "-n", min=1, help="Only the first N images."),
    backend: str = typer.Option("auto", "--reader", help="auto (our PlateOCR when installed, else PP-OCRv4), "
                                "plate-ocr or pp-ocrv4."),
    threads: Optional[int] = typer.Option(None, "--threads", min=1, help="ONNX threads per model."),
    vehicles: bool = typer.Option(True, "--vehicles/--no-vehicles",
                                  help="Photos: also look for plates inside the vehicles the object detector "
                                  "finds, enlarged (finds small plates; about 150 ms more per 720p photo on one "
                                  "core)."),
) -> None:
    """Score plate reading: exact read rate, character accuracy, time per image (and detection rate end to end)."""
    from sereno.vision.plate_reader import PlateReader

    try:
        region = check_region(region)
        layout = detect_layout(folder) if folder.is_dir() else fail(f"{folder}: not a folder")
        reader = PlateReader(settings(ctx), region=region, threads=threads, backend=backend)
    except (UnknownRegion, DatasetError, ValueError, OnnxSetupError) as exc:
        fail(str(exc))
    detector, vehicles = _detector(ctx, threads, vehicles, required=layout == END_TO_END)
    columns = (TextColumn("reading plates"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("eval", total=None)
        try:
            report = evaluate(folder, reader, detector, limit,
                              progress=lambda done, total: bar.update(task, completed=done, total=total))
        except DatasetError as exc:  # labels.csv without the columns it needs
            fail(str(exc))
    # which plate detector made the boxes (setting plate_detector_precision), so a figure says what produced it
    # and which runtime ran the models (setting inference_runtime, auto resolved)
    plate_detector = settings(ctx).plate_detector_precision if detector is not None else None
    runtime_name = resolve_runtime(settings(ctx).inference_runtime)
    if as_json:
        print_json({"folder": str(folder), "reader": reader.backend, "region": region,
                    "plate_detector": plate_detector, "vehicles": vehicles if detector is not None else None,
                    "runtime": runtime_name, **asdict(report)})
    else:
        _print_report(folder, report, region, reader.backend, plate_detector, vehicles, runtime_name)
