"""``sereno serve``: the web application (API + pages) and, on the embedded default, the camera workers, in one
process."""

from __future__ import annotations

import typer
import uvicorn
from rich.panel import Panel

from sereno.cli.common import console, fail, settings
from sereno.cli.gov_common import configured_cameras
from sereno.config import Settings

app = typer.Typer(invoke_without_command=True)

GRACEFUL_SHUTDOWN_S = 5  # open live streams and event streams are closed after this at Ctrl-C


def _check_models(cfg: Settings) -> None:
    """Fail once, clearly, when the analysis models are missing (not once per camera thread)."""
    from sereno.pipeline.analysis import VisionAnalyser

    try:
        VisionAnalyser(cfg)
    except Exception as exc:  # ModelMissing and friends: the message says what to do
        fail(f"cannot load the analysis models: {exc}", hint="run `sereno models install`, or serve without "
                                                              "cameras: `sereno serve --no-workers`")


def _print_demo(setup, url: str, data_flag: str) -> None:  # noqa: ANN001  (sereno.api.demo.DemoSetup)
    lines = [f"Abra / open [bold]{url}[/] y entre con / and log in with:", ""]
    for account in setup.accounts.accounts:
        lines.append(f"  {account.username:<13} {account.role.value:<14} contraseña / password: "
                     f"[bold]{account.password}[/]")
    lines += ["", "Código de 6 dígitos / 6-digit code: "
              f"[bold]sereno{data_flag} demo code USUARIO[/] (cada código sirve una vez / each code works once)",
              f"Caso / case: [bold]{setup.accounts.case_number}[/]. Demo only: these passwords are stored in "
              f"{setup.accounts.path}."]
    if setup.cameras_added:
        lines.append(f"Cámaras de muestra / sample cameras added: {', '.join(setup.cameras_added)}")
    if setup.clips_missing:
        lines.append("[yellow]Sin video de muestra / sample video missing[/]: " + ", ".join(setup.clips_missing)
                     + " (set SERENO_SHARED_DATA); serving the configured cameras only")
    console.print(Panel("\n".join(lines), title="Sereno (demostración / demo)", border_style="cyan"))


@app.callback()
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0: every interface; put "
                                                         "TLS in front of it)."),
    port: int = typer.Option(8080, "--port", help="Port to listen on."),
    demo: bool = typer.Option(False, "--demo", help="Demo installation: accounts, sample cameras looping real "
                                                    "video in Tijuana, a hotlist with the plate they show."),
    workers: bool = typer.Option(True, "--workers/--no-workers", help="Run the enabled cameras in this process."),
) -> None:
    """Run the web application: the API, the pages, and the camera workers. Everything behind a login."""
    from sereno.api import create_app

    cfg = settings(ctx)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    data_flag = f" -d {cfg.data_dir}" if ctx.find_root().params.get("data_dir") else ""
    if demo:
        from sereno.api.demo import prepare_demo
        from sereno.cli.demo import shared_data_dir
        from sereno.governance import GovernanceError

        try:
            setup = prepare_demo(cfg, shared_data_dir() / "video")
        except GovernanceError as exc:
            fail(str(exc))
        _print_demo(setup, url, data_flag)
    else:
        console.print(f"Sereno: [bold]{url}[/] (log in with your account)")
    if workers and any(c.enabled for c in configured_cameras(ctx)):
        _check_models(cfg)
    config = uvicorn.Config(create_app(cfg, workers=workers), host=host, port=port, log_config=None,
                            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S, access_log=False)
    uvicorn.Server(config).run()
