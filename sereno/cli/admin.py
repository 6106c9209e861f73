"""``sereno admin``: agencies, accounts, devices, sharing agreements, retention. Administrators manage accounts but
cannot read personal data; every change here is written to the ledger."""

from __future__ import annotations

from typing import Optional

import pyotp
import typer

from sereno.cli.common import console, fail, parse_when, print_json
from sereno.cli.gov_common import configured_cameras, governance, principal
from sereno.governance import identity, retention
from sereno.governance.model import AgencyLevel, Role

app = typer.Typer(no_args_is_help=True)

_PASSWORD = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True,
                         help="At least 12 characters (asked for when not given).")


def _show_totp(username: str, secret: str) -> None:
    uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name="Sereno")
    console.print(f"Second factor for [bold]{username}[/]: add this secret to an authenticator app (shown once):")
    typer.echo(f"  {secret}\n  {uri}")


@app.command("init")
def init(
    ctx: typer.Context,
    agency: str = typer.Option(..., help="Short id of the first agency, e.g. tijuana-municipal."),
    agency_name: str = typer.Option(..., help="Its full name."),
    level: AgencyLevel = typer.Option(AgencyLevel.MUNICIPAL, help="municipal, state or federal."),
    username: str = typer.Option("admin", help="The first administrator's username."),
    timezone: str = typer.Option("America/Tijuana", help="The agency's time zone (shifts are local)."),
    password: str = _PASSWORD,
) -> None:
    """Create the first agency and its administrator (only on an installation without users)."""
    with governance(ctx) as gov:
        secret = identity.bootstrap(gov, agency, agency_name, level, username, password, timezone)
    _show_totp(username, secret)
    console.print(f"Next: [bold]sereno login --username {username}[/]")


@app.command("agency-add")
def agency_add(
    ctx: typer.Context,
    agency_id: str = typer.Argument(..., help="Short id, e.g. bc-state-police."),
    name: str = typer.Option(..., help="Full name."),
    level: AgencyLevel = typer.Option(..., help="municipal, state or federal."),
    timezone: str = typer.Option("America/Tijuana"),
) -> None:
    """Add an agency (its first administrator is then created with user-add --agency)."""
    with governance(ctx) as gov:
        identity.create_agency(gov, principal(gov), agency_id, name, level, timezone)
    console.print(f"agency {agency_id} added")


@app.command("agencies")
def agencies(ctx: typer.Context, json_out: bool = typer.Option(False, "--json")) -> None:
    """List agencies."""
    with governance(ctx) as gov:
        rows = [{"id": a.id, "name": a.name, "level": a.level, "timezone": a.timezone}
                for a in identity.agencies(gov)]
    if json_out:
        print_json(rows)
        return
    for row in rows:
        console.print(f"{row['id']:<24} {row['level']:<10} {row['name']}")


@app.command("user-add")
def user_add(
    ctx: typer.Context,
    username: str = typer.Argument(...),
    role: Role = typer.Option(..., help="operator, investigator, supervisor, auditor or administrator."),
    agency: Optional[str] = typer.Option(None, help="Default: your agency."),
    name: str = typer.Option("", help="Display name."),
    shift: Optional[str] = typer.Option(None, help="Working hours in the agency's time, e.g. 07:00-15:00 "
                                                   "(searches outside them are shown to auditors)."),
) -> None:
    """Create an account. Prints a one-time enrolment code to hand to the person (valid 72 h)."""
    shift_pair = None
    if shift:
        parts = shift.split("-")
        if len(parts) != 2 or not all(len(p) == 5 and p[2] == ":" for p in parts):
            fail(f"--shift {shift!r}", hint="use HH:MM-HH:MM, e.g. 07:00-15:00")
        shift_pair = (parts[0], parts[1])
    with governance(ctx) as gov:
        code = identity.create_user(gov, principal(gov), username, role, agency, name, shift_pair)
    console.print(f"account {username} ({role.value}) created. Enrolment code (give it to {username} only):")
    typer.echo(code)
    then = f"; then a supervisor runs [bold]sereno admin activate {username}[/]"
    console.print("They run: [bold]sereno admin enroll CODE[/]"
                  + (then if role in identity.READS_PERSONAL_DATA else ""))


@app.command("enroll")
def enroll(ctx: typer.Context, code: str = typer.Argument(..., help="The enrolment code."),
           password: str = _PASSWORD) -> None:
    """Set your own password with your enrolment code and receive your second-factor secret."""
    with governance(ctx) as gov:
        username, secret = identity.enroll(gov, code, password)
    _show_totp(username, secret)


@app.command("activate")
def activate(ctx: typer.Context, username: str = typer.Argument(...)) -> None:
    """Activate an enrolled account that reads personal data (a supervisor of its agency)."""
    with governance(ctx) as gov:
        identity.activate_user(gov, principal(gov), username)
    console.print(f"{username} is active")


@app.command("disable")
def disable(ctx: typer.Context, username: str = typer.Argument(...)) -> None:
    """Disable an account and end its sessions at once."""
    with governance(ctx) as gov:
        identity.disable_user(gov, principal(gov), username)
    console.print(f"{username} disabled; its sessions ended")


@app.command("users")
def users(ctx: typer.Context, json_out: bool = typer.Option(False, "--json")) -> None:
    """List the accounts of your agency."""
    with governance(ctx) as gov:
        me = principal(gov)
        rows = [{"username": u.username, "role": u.role, "status": u.status, "agency": u.agency_id,
                 "shift": f"{u.shift_start}-{u.shift_end}" if u.shift_start else None}
                for u in identity.users(gov, me.agency_id)]
    if json_out:
        print_json(rows)
        return
    for row in rows:
        console.print(f"{row['username']:<20} {row['role']:<14} {row['status']:<20} {row['shift'] or ''}")


@app.command("device-add")
def device_add(ctx: typer.Context, label: str = typer.Argument(..., help="e.g. 'tablet patrol 12'")) -> None:
    """Register a device (tablet); log in on it with `sereno login --device ID`."""
    with governance(ctx) as gov:
        device_id = identity.register_device(gov, principal(gov), label)
    typer.echo(device_id)


@app.command("device-revoke")
def device_revoke(ctx: typer.Context, device_id: str = typer.Argument(...)) -> None:
    """Revoke a lost or stolen device: every session on it ends at once."""
    with governance(ctx) as gov:
        ended = identity.revoke_device(gov, principal(gov), device_id)
    console.print(f"device {device_id} revoked; {ended} session(s) ended")


@app.command("devices")
def devices(ctx: typer.Context) -> None:
    """List your agency's devices."""
    with governance(ctx) as gov:
        for d in identity.devices(gov, principal(gov).agency_id):
            state = f"revoked {d.revoked_at:%Y-%m-%d %H:%M}" if d.revoked_at else "active"
            console.print(f"{d.id}  {d.label:<30} {state}")


@app.command("share")
def share(
    ctx: typer.Context,
    partner: str = typer.Argument(..., help="The agency that may read your agency's data."),
    basis: str = typer.Option(..., help="The signed agreement this rests on (reference, date)."),
    until: Optional[str] = typer.Option(None, help="End of the agreement (ISO date/time)."),
) -> None:
    """Share your agency's personal data with a partner agency (off by default; recorded)."""
    with governance(ctx) as gov:
        agreement = identity.share(gov, principal(gov), partner, basis, parse_when(until, "--until"))
    typer.echo(agreement)


@app.command("unshare")
def unshare(ctx: typer.Context, agreement_id: str = typer.Argument(...)) -> None:
    """End a sharing agreement at once."""
    with governance(ctx) as gov:
        identity.revoke_sharing(gov, principal(gov), agreement_id)
    console.print(f"sharing agreement {agreement_id} ended")


@app.command("sharing")
def sharing(ctx: typer.Context) -> None:
    """List sharing agreements."""
    with governance(ctx) as gov:
        for s in identity.sharing_agreements(gov):
            state = "ended" if s.revoked_at else "active"
            console.print(f"{s.id}  {s.owner_agency} -> {s.partner_agency}  {state}  ({s.basis})")


@app.command("retention")
def set_retention(
    ctx: typer.Context,
    data_class: str = typer.Argument(..., help="sightings, video or unverified_alerts."),
    days: int = typer.Argument(...),
) -> None:
    """Set how long your agency keeps a data class."""
    with governance(ctx) as gov:
        retention.set_retention(gov, principal(gov), data_class, days)
    console.print(f"{data_class}: {days} days")


@app.command("retention-show")
def retention_show(ctx: typer.Context) -> None:
    """Retention in force, per agency (* = defaults)."""
    with governance(ctx) as gov:
        print_json(retention.retention_table(gov))


@app.command("purge")
def purge(ctx: typer.Context) -> None:
    """Delete what has expired (rows and media files), never what a case holds; counts go to the ledger."""
    cameras = configured_cameras(ctx)
    with governance(ctx) as gov:
        counts = retention.purge(gov, principal(gov), {c.id: c.agency for c in cameras})
    print_json(counts)
