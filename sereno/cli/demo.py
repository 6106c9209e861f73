"""``sereno demo [SOURCE]``: the demo installation (one account per role, an open case) and a real video read end
to end; ``sereno demo login USERNAME`` logs the CLI in as a demo account; ``sereno demo code USERNAME`` prints the
code for the web login form."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import click
import typer
from rich.panel import Panel
from rich.table import Table
from typer.core import TyperGroup

from sereno.cli.common import console, fail, settings
from sereno.cli.gov_common import configured_cameras, governance
from sereno.cli.run import check_source, process_and_report
from sereno.config import Settings, default_data_dir
from sereno.domain import Camera
from sereno.governance import GovernanceError
from sereno.governance import demo as installation
from sereno.governance.session_file import save_token
from sereno.video.cameras_file import save_cameras
from sereno.video.sources import describe

DEMO_CLIP = "video/car-approach-plate-LS15EBC.mp4"
DEMO_CLIP_REGION = "eu"  # the clip was filmed in the UK: its plate has the UK layout @@##@@@
# Disabled: `sereno run` (live) must not re-process the clip. Region "auto": a border camera sees many formats.
DEMO_CAMERA = Camera(id="demo", name="Demo camera (public clip)", lat=32.5149, lon=-117.0382, analysis_url="",
                     heading=0.0, enabled=False)
SEARCH_REASON = "vehículo con reporte de robo visto en la cámara de demostración"


class DemoGroup(TyperGroup):
    """``sereno demo login|code USERNAME`` are subcommands; any other first word is the video SOURCE, run by the
    hidden ``video`` subcommand (a group argument would swallow the subcommand names)."""

    def resolve_command(self, ctx: click.Context, args: list[str]):  # noqa: ANN201
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            return "video", self.commands["video"], args
        return super().resolve_command(ctx, args)


app = typer.Typer(cls=DemoGroup, invoke_without_command=True)


def shared_data_dir() -> Path:
    """``$SERENO_SHARED_DATA``, else ``../shared/data`` beside the repository checkout."""
    env = os.environ.get("SERENO_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "data"


def _source(source: str | None) -> tuple[str, str | None]:
    """The video to read and the plate region to expect (known for the demo clip, else the camera's)."""
    if source is not None:
        check_source(source)
        return source, None
    clip = shared_data_dir() / DEMO_CLIP
    if not clip.is_file():
        fail(f"the demo clip is not here ({clip})",
             hint="pass a video file or an rtsp:// URL: `sereno demo PATH_OR_URL` (or set SERENO_SHARED_DATA "
                  "to the folder holding video/car-approach-plate-LS15EBC.mp4)")
    return str(clip), DEMO_CLIP_REGION


def _accounts(ctx: typer.Context) -> installation.DemoAccounts | None:
    """The demo accounts, created on a new installation; None (with a note) on an installation that has users."""
    with governance(ctx) as gov:
        try:
            return installation.ensure_demo_installation(gov, settings(ctx))
        except GovernanceError as exc:
            console.print(f"[yellow]no demo accounts:[/] {exc}")
            return None


def _show_accounts(cfg: Settings, accounts: installation.DemoAccounts, plate: str) -> None:
    table = Table("username", "role", "password", title=f"demo accounts ({accounts.agency})")
    for account in accounts.accounts:
        table.add_row(account.username, account.role.value, account.password)
    console.print(table)
    console.print(f"Authenticator secrets are in {accounts.path} (mode 0600); `sereno demo code USERNAME` prints the "
                  f"current code for the web login. Open case: [bold]{accounts.case_number}[/].", highlight=False)
    sereno = "sereno" if cfg.data_dir == default_data_dir() else f"sereno -d {cfg.data_dir}"
    console.print("\n[bold cyan]Try next:[/]")
    for command in (f"{sereno} demo login supervisora",
                    f"{sereno} hotlist import examples/hotlist-demo.csv --name demo",
                    f"{sereno} demo login investigador",
                    f'{sereno} search plate {plate} --case {accounts.case_number} --reason "{SEARCH_REASON}"',
                    f"{sereno} demo login operador",
                    f"{sereno} alerts list"):
        console.print(f"  {command}", soft_wrap=True, highlight=False)


def _run_demo(ctx: typer.Context, source: str | None) -> None:
    cfg = settings(ctx)
    source, region = _source(source)
    accounts = _accounts(ctx)
    cameras = list(configured_cameras(ctx))
    if not any(c.id == DEMO_CAMERA.id for c in cameras):
        save_cameras(cfg.cameras_path, [*cameras, replace(DEMO_CAMERA, analysis_url=source)])
        console.print(f"added camera [bold]{DEMO_CAMERA.id}[/] to {cfg.cameras_path}")
    camera = next(c for c in configured_cameras(ctx) if c.id == DEMO_CAMERA.id)
    camera = replace(camera, region=region or camera.region)
    console.print(f"processing {describe(source)} as camera [bold]{camera.id}[/] (stream time = now) ...")
    sightings = process_and_report(cfg, camera, source, datetime.now(timezone.utc))
    read = sorted((s for s in sightings if s.plate), key=lambda s: -s.plate.frames)  # best supported first
    plates = [s.plate.text for s in read]
    console.print(f"\nplates read: [bold]{', '.join(plates) or 'none'}[/]")
    if accounts is not None:
        _show_accounts(cfg, accounts, plates[0] if plates else "LS15EBC")
    console.print(Panel(
        "Hotlists are matched when a sighting is added (and on import, against the last 24 hours). "
        "If you import the hotlist after this demo, run `sereno demo` again to see the alert raised live. "
        "Every alert starts UNVERIFIED: a person must look at the plate crop and confirm or dismiss it. "
        "Every search names a case and a reason, and is written to the ledger (`sereno audit verify`).",
        border_style="cyan"))


SOURCE = typer.Argument(None, help=f"Video file or rtsp:// URL (default: ../shared/data/{DEMO_CLIP}).")


@app.callback()
def demo(ctx: typer.Context) -> None:
    """Run the demo: create the demo installation (accounts, a case) on a new data directory, read plates from a
    video (`sereno demo [FILE_OR_URL]`), then show what to try next."""
    if ctx.invoked_subcommand is None:
        _run_demo(ctx, None)


@app.command("video", hidden=True)
def video(ctx: typer.Context, source: Optional[str] = SOURCE) -> None:
    _run_demo(ctx, source)


USERNAME = typer.Argument(..., help="A demo account: admin, supervisora, investigador, operador or auditora.")


@app.command("login")
def login(ctx: typer.Context, username: str = USERNAME) -> None:
    """Log the CLI in as a demo account (a real login: its stored password and a fresh authenticator code)."""
    with governance(ctx) as gov:
        token = installation.demo_login(gov, settings(ctx), username)
    path = save_token(settings(ctx), token)
    console.print(f"logged in as {username}; session stored in {path}")


@app.command("code")
def code(ctx: typer.Context, username: str = USERNAME) -> None:
    """Print the authenticator code of a demo account, for the web login form."""
    with governance(ctx) as gov:
        typer.echo(installation.demo_code(gov, settings(ctx), username))
