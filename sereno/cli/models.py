"""``sereno models install|list``: detector models from the package registries, SHA-256 checked, cached locally."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from sereno.cli.common import console, fail, print_json, settings
from sereno.vision.models import MODELS, ModelInstallError, install_models, model_states

app = typer.Typer(no_args_is_help=True)


@app.command("install")
def install(
    ctx: typer.Context,
    force: bool = typer.Option(False, "--force", help="Fetch and install again even when the cached file is fine."),
    source: Optional[Path] = typer.Option(
        None, "--from", exists=True, file_okay=False,
        help="Folder with the package archives already fetched (fastanpr wheel, npm .tgz), for offline machines.",
    ),
    only: Optional[list[str]] = typer.Option(None, "--only", help=f"Install only these: {', '.join(MODELS)}."),
) -> None:
    """Take the models from PyPI and npm, check their SHA-256, convert to ONNX once, cache them.

    Safe to run again: models already installed and verified are skipped. Nothing downloads at run time.
    """
    cfg = settings(ctx)
    unknown = sorted(set(only or []) - set(MODELS))
    if unknown:
        fail(f"unknown model {', '.join(unknown)}", hint=f"known models: {', '.join(MODELS)}")
    console.print(f"models folder: {cfg.models_path}")

    def show(name: str, message: str) -> None:
        console.print(f"  [bold]{name}[/]: {message}", highlight=False)

    try:
        with console.status("installing models..."):
            installed = install_models(cfg, progress=show, force=force, names=only, sources=source)
    except ModelInstallError as exc:
        fail(str(exc))
    console.print(f"[green]{len(installed)} model(s) ready[/] in {cfg.models_path}")


@app.command("list")
def list_models(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Show each model: installed and verified or not (and why), SHA-256, source, license.

    Exits with status 1 when a model is not usable, so scripts can check before starting cameras.
    """
    states = model_states(settings(ctx))
    if as_json:
        print_json(states)
    else:
        for state in states:
            mark = "[green]ok[/]" if state.installed else f"[red]{state.problem}[/]"
            console.print(f"[bold]{state.name}[/]  {mark}\n  {state.description}\n  file    {state.path}"
                          f"\n  source  {state.source}  ({state.license})", highlight=False)
            if state.sha256:
                console.print(f"  sha256  {state.sha256}", highlight=False)
    if not all(s.installed for s in states):
        raise typer.Exit(1)
