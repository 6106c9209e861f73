"""``sereno login``: password + second factor -> a session token kept in ``<data dir>/session.token`` (mode 0600),
or exported as SERENO_TOKEN. Commands that read personal data act as this session."""

from __future__ import annotations

from typing import Optional

import typer

from sereno.cli.common import console, fail, settings
from sereno.cli.gov_common import governance
from sereno.governance import identity
from sereno.governance.session_file import forget_token, load_token, save_token

app = typer.Typer(no_args_is_help=False, invoke_without_command=True)


@app.callback(invoke_without_command=True)
def login(
    ctx: typer.Context,
    username: Optional[str] = typer.Option(None, "--username", "-u", help="Your username."),
    device: Optional[str] = typer.Option(None, help="The registered device (tablet) id you log in on."),
    password: Optional[str] = typer.Option(None, hide_input=True, help="Asked for when not given."),
    code: Optional[str] = typer.Option(None, help="The 6-digit code from your authenticator app."),
    status: bool = typer.Option(False, "--status", help="Show who is logged in."),
    end: bool = typer.Option(False, "--logout", help="End the current session."),
    print_token: bool = typer.Option(False, "--print-token", help="Print the token (for SERENO_TOKEN) instead "
                                                                  "of storing it."),
) -> None:
    """Log in (password and authenticator code), show the session, or log out."""
    with governance(ctx) as gov:
        if status or end:
            token = load_token(settings(ctx))
            who = identity.resolve(gov, token)
            if end:
                identity.logout(gov, token)
                forget_token(settings(ctx))
                console.print(f"{who.username} logged out")
            else:
                console.print(f"{who.username} ({who.role.value}, {who.agency_id})")
            return
        if not username:
            fail("give --username", hint="sereno login --username NAME")
        password = password or typer.prompt("Password", hide_input=True)
        code = code or typer.prompt("Authenticator code")
        try:
            token = identity.login(gov, username, password, code, device)
        except identity.NotAuthenticated as exc:
            fail(f"login refused: {exc}")
    if print_token:
        typer.echo(token)
        return
    path = save_token(settings(ctx), token)
    console.print(f"logged in as {username}; session stored in {path} (expires in "
                  f"{int(identity.SESSION_TTL.total_seconds() // 3600)} h)")
