"""The demo installation: accounts for every role and an open case made through the real account API, real logins
with the stored credentials, marked as a demo in the ledger, and never created on an installation that has users."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from sereno.cli import app
from sereno.config import Settings
from sereno.governance import Governance, GovernanceError, Purpose, Refused, identity
from sereno.governance.demo import (
    CASE_NUMBER, credentials_path, demo_code, demo_login, ensure_demo_installation, is_demo_installation,
)
from sereno.governance.model import AgencyLevel, Role
from sereno.governance.oversight import find_anomalies
from sereno.intel import governed
from sereno.intel.search import SearchFilter
from sereno.store import Store

ROLES = {"admin": Role.ADMINISTRATOR, "supervisora": Role.SUPERVISOR, "investigador": Role.INVESTIGATOR,
         "operador": Role.OPERATOR, "auditora": Role.AUDITOR}


@pytest.fixture
def gov(settings: Settings):
    with Governance.open(settings) as g:
        yield g


def test_a_new_installation_gets_one_working_account_per_role_and_a_case(gov, settings: Settings) -> None:
    accounts = ensure_demo_installation(gov, settings)
    assert accounts.created and is_demo_installation(settings)
    assert {a.username: a.role for a in accounts.accounts} == ROLES
    assert credentials_path(settings).stat().st_mode & 0o777 == 0o600
    stored = json.loads(credentials_path(settings).read_text())
    assert {a["username"] for a in stored["accounts"]} == set(ROLES) and stored["case"] == CASE_NUMBER
    assert {u.username: u.status for u in identity.users(gov)} == {name: "active" for name in ROLES}
    for username, role in ROLES.items():  # real logins: password + a fresh code, checked by identity.login
        assert identity.resolve(gov, demo_login(gov, settings, username)).role is role
    assert identity.resolve(gov, demo_login(gov, settings, "investigador")).role is Role.INVESTIGATOR  # again

    entries = list(gov.ledger.entries())
    (marker,) = [e for e in entries if e["action"] == "demo.installation"]
    assert marker["kind"] == "config" and "demo installation" in marker["details"]["what"]
    assert [a["username"] for a in find_anomalies(entries, {}).bootstrap_activations] == ["supervisora"]
    assert gov.ledger.verify().ok


def test_the_demo_case_is_searchable_and_the_gate_still_refuses(gov, settings: Settings) -> None:  # noqa: ANN001
    ensure_demo_installation(gov, settings)
    with Store.open(settings) as store:
        investigator = identity.resolve(gov, demo_login(gov, settings, "investigador"))
        reader = governed.Reader(gov, store, investigator, ())
        result = governed.find_plate(reader, Purpose(CASE_NUMBER, "vehículo robado del caso de prueba"), "LS15EBC",
                                     SearchFilter())
        assert result.sightings == [] and result.decision.allowed
        with pytest.raises(Refused, match="forbidden purpose"):
            governed.find_plate(reader, Purpose(CASE_NUMBER, "seguir a un periodista"), "LS15EBC", SearchFilter())


def test_it_is_idempotent_and_never_touches_a_real_installation(gov, settings: Settings, tmp_path) -> None:
    first = ensure_demo_installation(gov, settings)
    again = ensure_demo_installation(gov, settings)
    assert not again.created and again.accounts == first.accounts
    assert len(identity.users(gov)) == len(ROLES)

    from sereno.config import load_settings

    real = load_settings(tmp_path / "real")
    with Governance.open(real) as other:
        identity.bootstrap(other, "tij", "Policía Municipal de Tijuana", AgencyLevel.MUNICIPAL, "admin",
                           "una contraseña larga 2026")
        with pytest.raises(GovernanceError, match="already has users and is not a demo"):
            ensure_demo_installation(other, real)
        with pytest.raises(GovernanceError, match="not a demo installation"):
            demo_login(other, real, "admin")
    assert not is_demo_installation(real)


def test_codes_work_once_so_a_used_one_is_never_handed_out(gov, settings: Settings) -> None:  # noqa: ANN001
    ensure_demo_installation(gov, settings)
    code = demo_code(gov, settings, "operador")
    assert re.fullmatch(r"\d{6}", code)
    account = next(a for a in ensure_demo_installation(gov, settings).accounts if a.username == "operador")
    identity.login(gov, "operador", account.password, code)  # as the web form would
    with pytest.raises(identity.NotAuthenticated, match="already used"):
        identity.login(gov, "operador", account.password, code)
    assert demo_code(gov, settings, "operador") != code
    with pytest.raises(GovernanceError, match="no demo account 'nadie'"):
        demo_login(gov, settings, "nadie")


def test_cli_demo_login_and_code(settings: Settings) -> None:
    runner = CliRunner()
    base = ["--data-dir", str(settings.data_dir), "demo"]
    with Governance.open(settings) as g:
        ensure_demo_installation(g, settings)
    logged = runner.invoke(app, base + ["login", "investigador"])
    assert logged.exit_code == 0, logged.output
    assert (settings.data_dir / "session.token").stat().st_mode & 0o777 == 0o600
    status = runner.invoke(app, ["--data-dir", str(settings.data_dir), "login", "--status"])
    assert "investigador (investigator, demo-municipal)" in status.output
    code = runner.invoke(app, base + ["code", "auditora"])
    assert code.exit_code == 0 and re.fullmatch(r"\d{6}\n", code.stdout)
    unknown = runner.invoke(app, base + ["login", "nadie"])
    assert unknown.exit_code == 1 and "no demo account 'nadie'" in unknown.output
