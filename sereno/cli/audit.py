"""``sereno audit``: verify the ledger (here or from an export), export it for outside auditors, and the oversight
views (who searched what, for which case, and the anomalies)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from sereno.cli.common import console, fail, print_json
from sereno.cli.gov_common import governance, principal
from sereno.governance import verify as verifier
from sereno.governance.gate import require
from sereno.governance.model import Action
from sereno.governance.oversight import oversight

app = typer.Typer(no_args_is_help=True)


def _report(report: verifier.Report) -> None:
    if report.ok:
        console.print(f"[green]OK[/]: {report.entries} entries and {report.checkpoints} signed checkpoints verify")
        return
    fail(f"ledger BROKEN at {report.problem}",
         hint=f"{report.entries} entries verified before it; keep this database as evidence and tell the auditors")


@app.command("verify")
def verify(
    ctx: typer.Context,
    from_export: Optional[Path] = typer.Option(None, "--from-export", exists=True, dir_okay=False,
                                               help="Verify an export bundle instead of this installation's ledger."),
    public_key: Optional[Path] = typer.Option(None, "--public-key", exists=True, dir_okay=False,
                                              help="The ledger public key you trust (PEM)."),
    against: Optional[Path] = typer.Option(None, "--against", exists=True, dir_okay=False,
                                           help="An earlier export: every entry in it must still be here unchanged."),
) -> None:
    """Recompute every hash, link, signature and Merkle checkpoint; name the first broken entry."""
    if from_export is not None:
        _report(verifier.verify_bundle(from_export, public_key.read_bytes() if public_key else None))
        return
    with governance(ctx) as gov:
        if public_key is not None and verifier.key_id(verifier.load_public_key(public_key.read_bytes())) != gov.key.id:
            fail("the ledger key of this installation is not the key you trust",
                 hint="the signing key was replaced: treat the ledger as tampered")
        report = gov.ledger.verify()
        if report.ok and against is not None:
            earlier, _, _ = verifier.read_bundle(against)
            problem = verifier.compare_with_earlier(gov.ledger.entries(), earlier)
            report = verifier.Report(report.entries, report.checkpoints, problem)
    _report(report)


@app.command("export")
def export(ctx: typer.Context, output: Path = typer.Argument(..., help="Bundle to write, e.g. ledger-2026-11.zip.")
           ) -> None:
    """Write a self-contained bundle an auditor verifies elsewhere with the public key alone (an auditor)."""
    with governance(ctx) as gov:
        require(gov, principal(gov), Action.EXPORT_LEDGER, destination=output.name)
        gov.ledger.export(output, principal(gov))
    console.print(f"wrote {output}; verify anywhere: unzip it, then python verify_ledger.py {output.name} "
                  "--public-key sereno-ledger.pub.pem")


@app.command("public-key")
def public_key(ctx: typer.Context, output: Optional[Path] = typer.Option(None, "--output", "-o")) -> None:
    """Print (or write) the ledger's public key, for auditors to keep."""
    with governance(ctx) as gov:
        pem = gov.key.public_pem()
    if output:
        output.write_bytes(pem)
        console.print(f"wrote {output} (key id {verifier.key_id(verifier.load_public_key(pem))})")
    else:
        typer.echo(pem.decode(), nl=False)


@app.command("checkpoint")
def checkpoint(ctx: typer.Context) -> None:
    """Sign a Merkle checkpoint over the whole ledger now (an auditor)."""
    with governance(ctx) as gov:
        require(gov, principal(gov), Action.READ_LEDGER, what="checkpoint")
        cp = gov.ledger.checkpoint()
    console.print(f"checkpoint of {cp['tree_size']} entries, root {cp['root']}" if cp else "already checkpointed")


@app.command("log")
def log(
    ctx: typer.Context,
    since: Optional[str] = typer.Option(None, help="ISO time (UTC), inclusive."),
    until: Optional[str] = typer.Option(None, help="ISO time (UTC), exclusive."),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Who read personal data, when, for which case and why (an auditor)."""
    with governance(ctx) as gov:
        rows, _ = oversight(gov, principal(gov), since, until)
    if json_out:
        print_json(rows)
        return
    for r in rows:
        console.print(f"#{r['seq']:<6} {r['at'][:19]} {r['user']:<14} {r['action']:<14} case {r['case']}: "
                      f"{r['reason']} {' '.join(r['plates'])}")


@app.command("anomalies")
def anomalies(
    ctx: typer.Context,
    since: Optional[str] = typer.Option(None),
    until: Optional[str] = typer.Option(None),
    json_out: bool = typer.Option(False, "--json"),
) -> None:
    """Searches outside shift, one plate across unrelated cases, cases that only search, refusals, emergencies
    not ratified (an auditor)."""
    with governance(ctx) as gov:
        _, found = oversight(gov, principal(gov), since, until)
    if json_out:
        print_json(found)
        return
    for name, items in vars(found).items():
        console.print(f"[bold]{name.replace('_', ' ')}[/]: {len(items)}")
        for item in items:
            console.print(f"  {item}")
