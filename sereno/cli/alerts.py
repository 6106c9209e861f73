"""``sereno alerts list|confirm|dismiss``: every alert is UNVERIFIED until a person checks the plate crop.

Alerts are personal data read through the gate (sereno.intel.governed): no case is needed, since the hotlist entry
is the purpose, but every look and every decision is written to the ledger with its reason and the logged-in person.
"""

from __future__ import annotations

from typing import Optional

import typer
from rich.panel import Panel
from rich.table import Table

from sereno.cli.common import console, print_json, settings, to_jsonable
from sereno.cli.gov_common import reader
from sereno.domain import AlertStatus, MatchKind
from sereno.intel import governed
from sereno.intel.alerts import AlertWithEvidence
from sereno.store.media import MediaError, MediaStore

app = typer.Typer(no_args_is_help=True)

UNVERIFIED_WARNING = (
    "[bold]UNVERIFIED alerts are not grounds for a stop.[/] Compare the plate crop with the listed plate, "
    "character by character, before anyone acts: a misread 3/7 or O/0 has led to armed stops of innocent drivers.\n"
    "[bold]Las alertas SIN VERIFICAR no justifican una detención.[/] Compare el recorte de la placa con la placa "
    "de la lista, carácter por carácter, antes de actuar."
)


def _evidence(item: AlertWithEvidence, media: MediaStore) -> dict:
    s = item.sighting

    def where(rel: str | None) -> str | None:
        try:
            return str(media.path(rel)) if rel else None
        except MediaError:  # not a media-relative path: show it as stored rather than hide the evidence
            return rel

    return {"sighting_id": s.id, "camera_id": s.camera_id, "observed_at": s.observed_at, "lat": s.lat,
            "lon": s.lon, "plate_confidence": s.plate.confidence if s.plate else None,
            "plate_crop": where(s.plate_crop_path), "snapshot": where(s.snapshot_path)}


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Optional[AlertStatus] = typer.Option(None, "--status", "-s", help="Only this status."),
    limit: int = typer.Option(50, "--limit", min=1),
    reason: str = typer.Option(governed.STANDING_ALERTS_REASON, "--reason",
                               help="Why you look (recorded); the default is the watch duty."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Alerts on your agency's cameras, newest first, with the evidence to check (camera, time, plate crop,
    snapshot)."""
    media = MediaStore(settings(ctx).media_path)
    with reader(ctx) as r:
        items = governed.list_alerts(r, reason, status, limit)
    if as_json:
        print_json([{**to_jsonable(i.alert), "verification_required": i.alert.status is AlertStatus.UNVERIFIED,
                     "evidence": to_jsonable(_evidence(i, media))} for i in items])
        return
    if not items:
        console.print("No alerts" + (f" with status {status.value}." if status else "."))
        return
    if any(i.alert.status is AlertStatus.UNVERIFIED for i in items):
        console.print(Panel(UNVERIFIED_WARNING, title="[bold red]VERIFY BEFORE ACTING / VERIFIQUE ANTES DE ACTUAR",
                            border_style="red"))
    table = Table("id", "status", "read / listed", "match", "list: reason", "camera", "seen (UTC)",
                  "plate crop to check", show_lines=True)
    for item in items:
        a, ev = item.alert, _evidence(item, media)
        status_cell = {AlertStatus.UNVERIFIED: "[bold white on red] UNVERIFIED [/]",
                       AlertStatus.CONFIRMED: f"[green]confirmed[/]\nby {a.decided_by}",
                       AlertStatus.DISMISSED: f"[dim]dismissed[/]\nby {a.decided_by}"}[a.status]
        match = ("exact" if a.match_kind is MatchKind.EXACT
                 else f"[yellow]LOOK-ALIKE[/] (distance {a.distance:.1f}): read differs from the list")
        table.add_row(a.id[:8], status_cell, f"{a.read_plate}\n{a.hotlist_plate}", match,
                      f"{a.list_name}: {a.reason}", ev["camera_id"], ev["observed_at"].strftime("%Y-%m-%d %H:%M:%S"),
                      ev["plate_crop"] or "[red](no crop saved: check the video)[/]")
    console.print(table)


def _decide(ctx: typer.Context, alert_id: str, status: AlertStatus, reason: str) -> None:
    with reader(ctx) as r:
        alert = governed.decide_alert(r, alert_id, status, reason)
    console.print(f"alert {alert.id} [bold]{alert.status.value}[/] by {alert.decided_by}: {alert.decision_reason}")


ALERT_ID = typer.Argument(..., help="Alert id (the first 8 characters shown by `alerts list` suffice).")


@app.command("confirm")
def confirm(
    ctx: typer.Context,
    alert_id: str = ALERT_ID,
    reason: str = typer.Option(..., "--reason", help="What was checked, e.g. 'crop reads ABC1234, make matches' "
                               "(10+ characters; recorded with your name)."),
) -> None:
    """Confirm an alert after checking the plate crop against the listed plate."""
    _decide(ctx, alert_id, AlertStatus.CONFIRMED, reason)


@app.command("dismiss")
def dismiss(
    ctx: typer.Context,
    alert_id: str = ALERT_ID,
    reason: str = typer.Option(..., "--reason", help="Why it is wrong, e.g. 'misread: crop shows 7, list has 3' "
                               "(10+ characters; recorded with your name)."),
) -> None:
    """Dismiss an alert (a misread, an expired entry, a different vehicle)."""
    _decide(ctx, alert_id, AlertStatus.DISMISSED, reason)
