"""``sereno cameras add|list|remove``: the camera list file and each camera's last known state.

Camera positions are restricted data (``cameras.locations``): ``list`` shows them only to the roles that may see
them. Ids, names and states are not personal data, so a person who is not logged in still sees those.
"""

from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table

from sereno.cli.common import console, fail, open_store, print_json, settings, to_jsonable
from sereno.cli.gov_common import governance, principal
from sereno.config import Settings
from sereno.domain import Camera
from sereno.governance import NotAuthenticated
from sereno.intel.governed import CameraView, Reader, camera_views, list_cameras as governed_list_cameras
from sereno.video.cameras_file import CameraFileError, camera_from_mapping, load_cameras, save_cameras
from sereno.video.sources import describe

app = typer.Typer(no_args_is_help=True)

STATE_STYLE = {"online": "green", "starting": "cyan", "offline": "yellow", "error": "bold red", "tampered": "bold magenta", "stopped": "dim"}


def _load(cfg: Settings):
    try:
        return load_cameras(cfg.cameras_path)
    except CameraFileError as exc:
        fail(str(exc), hint=f"edit {cfg.cameras_path} (see examples/cameras.yaml)")


def _views(ctx: typer.Context, cameras: list[Camera]) -> tuple[list[CameraView], str | None]:
    """The cameras as the person running the command may see them, and a note when positions are left out."""
    with governance(ctx) as gov, open_store(settings(ctx)) as store:
        try:
            who = principal(gov)
        except NotAuthenticated:
            return (camera_views(cameras, store.camera_statuses(), located=False),
                    "positions hidden: not logged in (`sereno login`)")
        views = governed_list_cameras(Reader(gov, store, who, tuple(cameras)))
    located = all(v.located for v in views)
    return views, None if located else f"positions hidden: restricted data that a {who.role.value} does not see"


@app.command("add")
def add(
    ctx: typer.Context,
    camera_id: str = typer.Argument(..., help="Unique id: letters, digits, '.', '_', '-'."),
    url: str = typer.Option(..., "--url", help="Analysis stream: rtsp://..., http(s)://... (MJPEG/HLS) or a file."),
    lat: float = typer.Option(..., "--lat", help="Latitude, decimal degrees."),
    lon: float = typer.Option(..., "--lon", help="Longitude, decimal degrees."),
    name: Optional[str] = typer.Option(None, "--name", help="Human name (default: the id)."),
    heading: Optional[float] = typer.Option(None, "--heading", help="Degrees clockwise from north."),
    kind: str = typer.Option("fixed", "--kind", help="fixed or ptz."),
    recording_url: Optional[str] = typer.Option(None, "--recording-url", help="Main stream for recording."),
    fps: Optional[float] = typer.Option(None, "--fps", help="Analysis frames per second (default from settings)."),
    region: str = typer.Option("auto", "--region", help="Plate formats expected: auto, mx, us, eu, br or ar."),
    disabled: bool = typer.Option(False, "--disabled", help="Add it without running it."),
    replace: bool = typer.Option(False, "--replace", help="Replace a camera with the same id."),
) -> None:
    """Add a camera to the camera list."""
    cfg = settings(ctx)
    cameras = _load(cfg)
    entry = {"id": camera_id, "name": name, "lat": lat, "lon": lon, "heading": heading, "kind": kind,
             "analysis_url": url, "recording_url": recording_url, "analysis_fps": fps or cfg.analysis_fps,
             "enabled": not disabled, "region": region}
    try:
        camera = camera_from_mapping(entry, "new camera")
    except CameraFileError as exc:
        fail(str(exc))
    if any(c.id == camera.id for c in cameras) and not replace:
        fail(f"camera {camera.id!r} already exists in {cfg.cameras_path}", hint="use --replace, or another id")
    save_cameras(cfg.cameras_path, [c for c in cameras if c.id != camera.id] + [camera])
    console.print(f"added camera [bold]{camera.id}[/] ({describe(camera.analysis_url)}) to {cfg.cameras_path}")


@app.command("remove")
def remove(ctx: typer.Context, camera_id: str = typer.Argument(..., help="The camera's id.")) -> None:
    """Remove a camera from the camera list (its past sightings stay)."""
    cfg = settings(ctx)
    cameras = _load(cfg)
    if not any(c.id == camera_id for c in cameras):
        fail(f"no camera {camera_id!r} in {cfg.cameras_path}", hint="see `sereno cameras list`")
    save_cameras(cfg.cameras_path, [c for c in cameras if c.id != camera_id])
    console.print(f"removed camera [bold]{camera_id}[/]")


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The cameras and each one's last known state (online / offline / error and why); positions for the roles that
    may see them."""
    cfg = settings(ctx)
    cameras = _load(cfg)
    views, note = _views(ctx, cameras)
    if as_json:
        print_json([{"camera": _camera_json(v.camera), "status": v.status, "located": v.located} for v in views])
        return
    if not cameras:
        console.print(f"no cameras yet in {cfg.cameras_path}; add one with `sereno cameras add ID --url ... "
                      "--lat ... --lon ...`")
        return
    table = Table(title=f"cameras ({cfg.cameras_path})")
    for column in ("id", "name", "kind", "position", "analysis stream", "fps", "state", "since", "reason"):
        table.add_column(column, overflow="fold")
    for view in views:
        camera, status = view.camera, view.status
        state = status.state.value if status else "never run"
        style = STATE_STYLE.get(state, "dim")
        table.add_row(camera.id, camera.name, camera.kind.value,
                      f"{camera.lat:.5f}, {camera.lon:.5f}" if view.located else "[dim]hidden[/]",
                      describe(camera.analysis_url), f"{camera.analysis_fps:g}",
                      f"[{style}]{state}[/]" + ("" if camera.enabled else " (disabled)"),
                      f"{status.since:%Y-%m-%d %H:%M:%S}" if status else "", status.reason if status else "")
    console.print(table)
    if note:
        console.print(note)


def _camera_json(camera: Camera) -> dict:
    """The camera as JSON, credentials in URLs hidden."""
    values = to_jsonable(camera)
    values["analysis_url"] = describe(camera.analysis_url)
    if camera.recording_url:
        values["recording_url"] = describe(camera.recording_url)
    return values
