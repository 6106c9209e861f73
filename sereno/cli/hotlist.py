"""``sereno hotlist import|list``: load stolen-vehicle and wanted-plate lists (supervisors; each import is written
to the ledger)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from sereno.cli.common import console, fail, print_json
from sereno.cli.gov_common import reader
from sereno.intel import governed
from sereno.intel.hotlists import FORMATS

app = typer.Typer(no_args_is_help=True)
SHOWN_PROBLEMS = 20


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="The hotlist file."),
    name: str = typer.Option(..., "--name", "-n", help="List name; importing the same name again replaces it."),
    fmt: Optional[str] = typer.Option(None, "--format", "-f", help=f"One of {', '.join(FORMATS)}; "
                                      "detected from the first line when left out."),
    lookback: float = typer.Option(24.0, "--lookback", min=0, help="Also match sightings from the last HOURS "
                                   "(0: only new sightings)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Import (or replace) a hotlist. Bad lines are reported with their line numbers; good lines still import.
    Sightings from the last --lookback hours are matched at once, so a plate listed now is found where it passed."""
    if fmt is not None and fmt not in FORMATS:
        fail(f"unknown format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
    with reader(ctx) as r:
        parsed, alerts = governed.import_hotlist(r, file, name, fmt, timedelta(hours=lookback))
    imported = len(parsed.entries)
    if as_json:
        print_json({"name": name, "format": parsed.format, "imported": imported, "rejected": parsed.problems,
                    "alerts": alerts})
        return
    console.print(f"[bold green]{imported}[/] entries imported into [bold]{name}[/] (format {parsed.format}), "
                  f"[bold {'red' if parsed.problems else 'green'}]{len(parsed.problems)}[/] lines rejected.")
    for problem in parsed.problems[:SHOWN_PROBLEMS]:
        console.print(f"  [red]{file.name}:{problem.line}[/]: {problem.reason}", highlight=False)
    if len(parsed.problems) > SHOWN_PROBLEMS:
        console.print(f"  ... and {len(parsed.problems) - SHOWN_PROBLEMS} more (use --json to see all)")
    if alerts:
        console.print(f"[bold white on red] {len(alerts)} UNVERIFIED alerts [/] on sightings from the last "
                      f"{lookback:g} h: check each crop with [bold]sereno alerts list[/] before anyone acts.")


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """The hotlists loaded, with entry counts (expired entries are inactive)."""
    with reader(ctx) as r:
        lists = governed.list_hotlists(r)
    if as_json:
        print_json(lists)
        return
    if not lists:
        console.print("No hotlists yet. Import one with [bold]sereno hotlist import FILE --name NAME[/].")
        return
    table = Table("name", "format", "entries", "active", "rejected lines", "imported (UTC)", "source")
    for h in lists:
        table.add_row(h.name, h.format, str(h.entries), str(h.active), str(h.rejected),
                      h.imported_at.strftime("%Y-%m-%d %H:%M"), h.source)
    console.print(table)
