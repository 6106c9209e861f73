"""``sereno report transparency``: the public report, from the ledger and the store."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from sereno.cli.common import console
from sereno.cli.gov_common import configured_cameras, governance, principal
from sereno.governance.report import gather, parse_period, write_report

app = typer.Typer(no_args_is_help=True)


@app.command("transparency")
def transparency(
    ctx: typer.Context,
    period: str = typer.Option(..., help="2026-Q4, 2026-11 or 2026."),
    fmt: str = typer.Option("md", "--format", help="md, html or pdf."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Default: transparency-PERIOD.FORMAT"),
) -> None:
    """Cameras per district, sightings, searches by offense and agency, alerts confirmed vs dismissed, warrants,
    emergency uses, sharing partners, retention, purges, refusals by reason (an auditor or supervisor)."""
    cameras = configured_cameras(ctx)
    with governance(ctx) as gov:
        parsed = parse_period(period)
        figures = gather(gov, principal(gov), parsed, cameras)
        path = write_report(figures, fmt, output or Path(f"transparency-{parsed.label}.{fmt}"))
    console.print(f"wrote {path}")
