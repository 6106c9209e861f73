"""``sereno cases``: cases, warrants (and the urgent procedure), approvals of wide searches, legal holds."""

from __future__ import annotations

from typing import List, Optional

import typer

from sereno.cli.common import console, parse_when, print_json
from sereno.cli.gov_common import governance, parse_area, principal
from sereno.governance import cases
from sereno.governance.cases import WarrantScope
from sereno.governance.model import Capability
from sereno.governance.purposes import OFFENSES

app = typer.Typer(no_args_is_help=True)


@app.command("offenses")
def offenses() -> None:
    """The offense catalogue a case must use."""
    for code, (spanish, english) in OFFENSES.items():
        console.print(f"{code:<20} {spanish} / {english}")


@app.command("open")
def open_case(
    ctx: typer.Context,
    number: str = typer.Argument(..., help="The case number (carpeta de investigación)."),
    offense: str = typer.Option(..., help="From `sereno cases offenses`."),
    description: str = typer.Option(""),
    lead: Optional[str] = typer.Option(None, help="Lead investigator's username (default: you)."),
) -> None:
    """Open a case in your agency."""
    with governance(ctx) as gov:
        cases.open_case(gov, principal(gov), number, offense, description, lead)
    console.print(f"case {number} open")


@app.command("close")
def close(ctx: typer.Context, case: str = typer.Argument(...),
          reason: str = typer.Option(..., help="Why it is closed.")) -> None:
    """Close a case: searches under it are refused from now on."""
    with governance(ctx) as gov:
        cases.close_case(gov, principal(gov), case, reason)
    console.print(f"case {case} closed")


@app.command("note")
def note(ctx: typer.Context, case: str = typer.Argument(...), text: str = typer.Argument(...)) -> None:
    """Record case activity other than searches (auditors look for cases that only ever search)."""
    with governance(ctx) as gov:
        seq = cases.add_note(gov, principal(gov), case, text)
    console.print(f"noted (ledger entry #{seq})")


@app.command("list")
def list_cases(ctx: typer.Context, json_out: bool = typer.Option(False, "--json")) -> None:
    """Cases of your agency."""
    with governance(ctx) as gov:
        rows = [{"number": c.number, "offense": c.offense, "status": c.status, "opened_at": c.opened_at}
                for c in cases.cases(gov, principal(gov).agency_id)]
    if json_out:
        print_json(rows)
        return
    for row in rows:
        console.print(f"{row['number']:<24} {row['offense']:<18} {row['status']:<8} {row['opened_at']:%Y-%m-%d}")


def _scope(start: str, end: str, cameras: list[str], area: str | None, targets: list[str]) -> WarrantScope:
    return WarrantScope(start=parse_when(start, "--from"), end=parse_when(end, "--to"), cameras=tuple(cameras),
                        area=parse_area(area), targets=tuple(targets))


_CAMERAS = typer.Option([], "--camera", help="A camera the judge named (repeat).")
_AREA = typer.Option(None, "--area", help="MIN_LAT,MIN_LON,MAX_LAT,MAX_LON the judge named.")
_TARGETS = typer.Option([], "--target", help="A target the judge named: plate, face reference (repeat).")


@app.command("warrant-add")
def warrant_add(
    ctx: typer.Context,
    case: str = typer.Argument(...),
    capability: Capability = typer.Option(...),
    court: str = typer.Option(...),
    judge: str = typer.Option(...),
    reference: str = typer.Option(..., help="The warrant's number."),
    start: str = typer.Option(..., "--from", help="Start of the window the warrant covers (ISO)."),
    end: str = typer.Option(..., "--to", help="End of that window (ISO)."),
    valid_until: str = typer.Option(..., help="When the authorisation itself expires (ISO)."),
    valid_from: Optional[str] = typer.Option(None, help="Default: now."),
    camera: List[str] = _CAMERAS,
    area: Optional[str] = _AREA,
    target: List[str] = _TARGETS,
) -> None:
    """Record a judge's warrant: exactly what it authorises, where, when, for whom, until when."""
    with governance(ctx) as gov:
        warrant_id = cases.record_warrant(
            gov, principal(gov), case, capability, _scope(start, end, camera, area, target), court=court,
            judge=judge, reference=reference, valid_from=parse_when(valid_from, "--valid-from") or gov.now(),
            valid_until=parse_when(valid_until, "--valid-until"))
    typer.echo(warrant_id)


@app.command("emergency")
def emergency(
    ctx: typer.Context,
    case: str = typer.Argument(...),
    capability: Capability = typer.Option(...),
    justification: str = typer.Option(..., help="The emergency (life at risk, ...)."),
    start: str = typer.Option(..., "--from"),
    end: str = typer.Option(..., "--to"),
    camera: List[str] = _CAMERAS,
    area: Optional[str] = _AREA,
    target: List[str] = _TARGETS,
) -> None:
    """Urgent procedure (a supervisor): usable now, a judge must ratify within 24 h or its results are purged."""
    with governance(ctx) as gov:
        warrant_id = cases.declare_emergency(gov, principal(gov), case, capability,
                                             _scope(start, end, camera, area, target), justification)
    typer.echo(warrant_id)
    console.print("[yellow]ratify within 24 h:[/] sereno cases ratify " + warrant_id + " --court ... --judge ...")


@app.command("ratify")
def ratify(
    ctx: typer.Context,
    warrant_id: str = typer.Argument(...),
    court: str = typer.Option(...),
    judge: str = typer.Option(...),
    reference: str = typer.Option(...),
    valid_until: str = typer.Option(...),
) -> None:
    """Record the judge's ratification of an emergency use."""
    with governance(ctx) as gov:
        cases.ratify_emergency(gov, principal(gov), warrant_id, court=court, judge=judge, reference=reference,
                               valid_until=parse_when(valid_until, "--valid-until"))
    console.print(f"emergency {warrant_id} ratified")


@app.command("warrants")
def warrants(ctx: typer.Context, case: Optional[str] = typer.Argument(None),
             json_out: bool = typer.Option(False, "--json")) -> None:
    """Warrants and emergency uses (of one case, or all)."""
    with governance(ctx) as gov:
        principal(gov)
        rows = [{"id": w.id, "case_id": w.case_id, "capability": w.capability, "status": w.status,
                 "emergency": w.emergency, "court": w.court, "reference": w.reference,
                 "valid_until": w.valid_until} for w in cases.warrants(gov, case)]
    if json_out:
        print_json(rows)
        return
    for w in rows:
        console.print(f"{w['id']}  {w['capability']:<22} {w['status']:<22} {w['court']} {w['reference']}")


@app.command("approve")
def approve(
    ctx: typer.Context,
    request: int = typer.Argument(..., help="The ledger entry number of the refused wide search."),
    reason: str = typer.Option(..., help="Why this wide search is justified."),
) -> None:
    """Approve a colleague's wide search (a supervisor; 24 h; the exact scope only)."""
    with governance(ctx) as gov:
        approval_id = cases.approve(gov, principal(gov), request, reason)
    console.print(f"approved ({approval_id}); the requester can now repeat the same search")


@app.command("hold")
def hold(
    ctx: typer.Context,
    case: str = typer.Argument(...),
    reason: str = typer.Option(...),
    sighting: Optional[str] = typer.Option(None, help="Hold one sighting."),
    camera: Optional[str] = typer.Option(None, help="Hold what this camera saw in the window (default: all)."),
    start: Optional[str] = typer.Option(None, "--from"),
    end: Optional[str] = typer.Option(None, "--to"),
    until: Optional[str] = typer.Option(None, help="When the hold ends (beyond a year needs a warrant)."),
) -> None:
    """Place a legal hold: the purge will not delete what it covers."""
    with governance(ctx) as gov:
        hold_id = cases.place_hold(gov, principal(gov), case, reason, sighting_id=sighting, camera_id=camera,
                                   start=parse_when(start, "--from"), end=parse_when(end, "--to"),
                                   until=parse_when(until, "--until"))
    typer.echo(hold_id)


@app.command("release")
def release(ctx: typer.Context, hold_id: str = typer.Argument(...), reason: str = typer.Option(...)) -> None:
    """Release a legal hold (a supervisor)."""
    with governance(ctx) as gov:
        cases.release_hold(gov, principal(gov), hold_id, reason)
    console.print(f"hold {hold_id} released")


@app.command("holds")
def holds(ctx: typer.Context) -> None:
    """Holds in force."""
    with governance(ctx) as gov:
        principal(gov)
        for h in cases.active_holds(gov):
            what = h.sighting_id or f"{h.camera_id or 'all cameras'} {h.start:%Y-%m-%d %H:%M}–{h.end:%Y-%m-%d %H:%M}"
            console.print(f"{h.id}  case {h.case_id}  {what}  until {h.until or 'released by a supervisor'}")
