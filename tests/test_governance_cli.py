"""The whole accountability flow from the command line, as a new installation would run it: agency, users, case,
warrant, a logged search, a refused one, verification, tampering named, export verified elsewhere, the report."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyotp
import pytest
from typer.testing import CliRunner

from sereno.cli import app
from sereno.config import load_settings
from sereno.governance import Action, Governance, Purpose, Refused, Scope, current_principal, governed_read

PASSWORD = "contraseña muy larga 2026"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SERENO_TOKEN", raising=False)
    data = tmp_path / "data"
    runner = CliRunner()

    def run(*args: str, input: str | None = None, code: int = 0) -> str:  # noqa: A002
        result = runner.invoke(app, ["--data-dir", str(data), *args], input=input)
        assert result.exit_code == code, f"{args}: {result.output}"
        return result.output

    run.data = data  # type: ignore[attr-defined]
    return run


def _secret(output: str) -> str:
    return re.search(r"^\s+([A-Z2-7]{32})\s*$", output, re.MULTILINE).group(1)


def _enrolment_code(output: str) -> str:
    return re.search(r"only\):\s*\n(\S+)", output).group(1)


def _login(cli, username: str, secret: str) -> None:  # noqa: ANN001
    cli("login", "-u", username, "--password", PASSWORD, "--code", pyotp.TOTP(secret).now())


def _new_user(cli, username: str, role: str) -> str:  # noqa: ANN001
    code = _enrolment_code(cli("admin", "user-add", username, "--role", role))
    return _secret(cli("admin", "enroll", code, input=f"{PASSWORD}\n{PASSWORD}\n"))


def test_accountability_flow_from_the_cli(cli, tmp_path: Path) -> None:  # noqa: ANN001
    secrets = {"admin": _secret(cli("admin", "init", "--agency", "tij", "--agency-name", "Policía Municipal",
                                    "--username", "admin", input=f"{PASSWORD}\n{PASSWORD}\n"))}
    _login(cli, "admin", secrets["admin"])
    token_file = cli.data / "session.token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    for username, role in (("sup", "supervisor"), ("inv", "investigator"), ("aud", "auditor")):
        secrets[username] = _new_user(cli, username, role)
    cli("admin", "activate", "sup")  # the agency's first supervisor, activated by its administrator
    _login(cli, "sup", secrets["sup"])
    cli("admin", "activate", "inv")
    assert "refused" in cli("admin", "user-add", "x", "--role", "operator", code=1)  # supervisors manage no accounts

    _login(cli, "inv", secrets["inv"])
    cli("cases", "open", "TIJ-2026-0042", "--offense", "vehicle_theft", "--description", "robo en Otay")
    now = datetime.now(timezone.utc)
    window = ["--from", (now - timedelta(days=2)).isoformat(), "--to", now.isoformat()]
    cli("cases", "warrant-add", "TIJ-2026-0042", "--capability", "face_search", "--court", "Juzgado de Control",
        "--judge", "Juez Pérez", "--reference", "CT-1/2026", *window,
        "--valid-until", (now + timedelta(days=5)).isoformat(), "--camera", "cam-1", "--target", "sospechoso-1")
    assert "TIJ-2026-0042" in cli("cases", "list")

    # A search, as the wired read paths do it: the principal comes from `sereno login`.
    with Governance.open(load_settings(cli.data)) as gov:
        inv = current_principal(gov)
        scope = Scope(plates=("ABC1234",), start=now - timedelta(days=1), end=now)
        rows = governed_read(gov, inv, Action.SEARCH_PLATE, Purpose("TIJ-2026-0042", "vehículo robado en Otay"),
                             scope, lambda decision: ["sighting-1"])
        assert rows == ["sighting-1"]
        with pytest.raises(Refused, match="forbidden purpose"):
            governed_read(gov, inv, Action.SEARCH_PLATE, Purpose("TIJ-2026-0042", "seguir a un periodista"),
                          scope, lambda decision: ["never"])

    assert "OK" in cli("audit", "verify")
    _login(cli, "aud", secrets["aud"])
    log = cli("audit", "log")
    assert "vehículo robado en Otay" in log
    assert "forbidden_purpose" in cli("audit", "anomalies")
    bundle, public_key = tmp_path / "ledger.zip", tmp_path / "auditor.pub.pem"
    cli("audit", "public-key", "-o", str(public_key))
    cli("audit", "export", str(bundle))
    assert "OK" in cli("audit", "verify", "--from-export", str(bundle), "--public-key", str(public_key))
    assert "OK" in cli("audit", "verify", "--against", str(bundle))

    (cli.data / "cameras.yaml").write_text(
        "cameras:\n"
        "  - {id: cam-1, name: Otay, lat: 32.5301, lon: -116.9700, analysis_url: rtsp://10.0.0.5/sub}\n"
        "  - {id: cam-2, name: Garita, lat: 32.5422, lon: -117.0290, analysis_url: rtsp://10.0.0.6/sub}\n")
    period = f"{now.year}-Q{(now.month - 1) // 3 + 1}"
    report = tmp_path / "report.html"
    cli("report", "transparency", "--period", period, "--format", "html", "-o", str(report))
    html = report.read_text()
    assert "robo de vehículo" in html and "32.55N 117.05W" in html and "32.5301" not in html
    assert "not understood" in cli("report", "transparency", "--period", "last year", code=1)

    # An insider edits the database directly; verification names the entry.
    with sqlite3.connect(cli.data / "sereno.db") as db:
        db.execute("DROP TRIGGER ledger_entries_no_update")
        target = db.execute("SELECT seq FROM ledger_entries WHERE action = 'search.plate' AND outcome = 'refused'"
                            ).fetchone()[0]
        db.execute("UPDATE ledger_entries SET outcome = 'allowed' WHERE seq = ?", (target,))
    broken = cli("audit", "verify", code=1)
    assert f"entry #{target}" in broken
    # the bundle taken before stays verifiable, and still says what really happened
    assert "OK" in cli("audit", "verify", "--from-export", str(bundle), "--public-key", str(public_key))


def test_commands_need_a_login(cli) -> None:  # noqa: ANN001
    cli("admin", "init", "--agency", "tij", "--agency-name", "Municipal", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert "not logged in" in cli("cases", "list", code=1)
    assert "login refused" in cli("login", "-u", "admin", "--password", PASSWORD, "--code", "000000", code=1)
