"""Accounts: two-person activation, password + TOTP, expiring sessions stored as hashes, revocable devices."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import text

from sereno.config import load_settings
from sereno.governance import Refused, Role
from sereno.governance import identity
from sereno.governance.identity import NotAuthenticated
from sereno.governance.model import GovernanceError

from tests.governance_world import PASSWORD, World, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    built = build_world(load_settings(tmp_path_factory.mktemp("identity") / "data"))
    yield built
    built.gov.close()


def test_wrong_password_or_code_is_refused_and_recorded(world: World) -> None:
    code = pyotp.TOTP(world.secrets["inv"]).at(world.clock())
    with pytest.raises(NotAuthenticated):
        identity.login(world.gov, "inv", "not the password at all", code)
    with pytest.raises(NotAuthenticated):
        identity.login(world.gov, "inv", PASSWORD, "000000" if code != "000000" else "111111")
    with pytest.raises(NotAuthenticated):
        identity.login(world.gov, "nobody", PASSWORD, code)
    refused = [e for e in world.gov.ledger.entries() if e["action"] == "login" and e["outcome"] == "refused"]
    assert [e["details"]["username"] for e in refused[-3:]] == ["inv", "inv", "nobody"]


def test_only_a_hash_of_the_token_is_stored(world: World) -> None:
    token = world.login("inv")
    with world.gov.engine.connect() as conn:
        stored = [r[0] for r in conn.execute(text("SELECT token_hash FROM gov_sessions"))]
    assert token not in stored and all(len(h) == 64 for h in stored)
    assert identity.resolve(world.gov, token).username == "inv"


def test_sessions_expire(world: World) -> None:
    token = world.login("op")
    world.clock.advance(hours=8, seconds=1)
    with pytest.raises(NotAuthenticated, match="expired"):
        identity.resolve(world.gov, token)


def test_logout_ends_the_session(world: World) -> None:
    token = world.login("op")
    identity.logout(world.gov, token)
    with pytest.raises(NotAuthenticated):
        identity.resolve(world.gov, token)


def test_revoking_a_stolen_tablet_ends_its_sessions_at_once(world: World) -> None:
    admin = identity.resolve(world.gov, world.login("admin"))
    tablet = identity.register_device(world.gov, admin, "tableta patrulla 12")
    token = world.login("inv", device_id=tablet)
    assert identity.resolve(world.gov, token).device_id == tablet
    assert identity.revoke_device(world.gov, admin, tablet) == 1
    with pytest.raises(NotAuthenticated):
        identity.resolve(world.gov, token)
    with pytest.raises(NotAuthenticated, match="device"):
        world.login("inv", device_id=tablet)


def test_accounts_reading_personal_data_need_a_supervisors_activation(world: World) -> None:
    admin = identity.resolve(world.gov, world.login("admin"))
    code = identity.create_user(world.gov, admin, "nuevo", Role.INVESTIGATOR)
    _, secret = identity.enroll(world.gov, code, PASSWORD)
    with pytest.raises(NotAuthenticated, match="awaiting activation"):
        identity.login(world.gov, "nuevo", PASSWORD, pyotp.TOTP(secret).at(world.clock()))
    with pytest.raises(Refused):  # the administrator cannot activate it: there is an active supervisor
        identity.activate_user(world.gov, admin, "nuevo")
    with pytest.raises(GovernanceError):  # the enrolment code works once
        identity.enroll(world.gov, code, PASSWORD)
    identity.activate_user(world.gov, world.people["supervisor"], "nuevo")
    assert identity.login(world.gov, "nuevo", PASSWORD, pyotp.TOTP(secret).at(world.clock()))


def test_other_agencies_supervisor_cannot_activate(world: World) -> None:
    admin = identity.resolve(world.gov, world.login("admin"))
    code = identity.create_user(world.gov, admin, "otro", Role.OPERATOR)
    identity.enroll(world.gov, code, PASSWORD)
    with pytest.raises(GovernanceError, match="own supervisors"):
        identity.activate_user(world.gov, world.people["state-supervisor"], "otro")


def test_administrator_manages_only_its_agency(world: World) -> None:
    state_admin = world.people["state-administrator"]
    with pytest.raises(GovernanceError):
        identity.create_user(world.gov, state_admin, "intruso", Role.INVESTIGATOR, agency_id="tij-municipal")
    with pytest.raises(GovernanceError):
        identity.disable_user(world.gov, state_admin, "inv")
    with pytest.raises(Refused):  # a supervisor is not an account manager
        identity.create_user(world.gov, world.people["supervisor"], "x", Role.OPERATOR)


def test_disabled_user_loses_sessions(world: World) -> None:
    admin = identity.resolve(world.gov, world.login("admin"))
    code = identity.create_user(world.gov, admin, "temporal", Role.AUDITOR)
    _, secret = identity.enroll(world.gov, code, PASSWORD)
    token = identity.login(world.gov, "temporal", PASSWORD, pyotp.TOTP(secret).at(world.clock()))
    identity.disable_user(world.gov, admin, "temporal")
    with pytest.raises(NotAuthenticated):
        identity.resolve(world.gov, token)


def test_short_passwords_and_second_bootstrap_are_refused(world: World) -> None:
    with pytest.raises(GovernanceError, match="12"):
        identity.enroll(world.gov, "whatever", "short")
    with pytest.raises(GovernanceError, match="already has users"):
        identity.bootstrap(world.gov, "x", "X", identity.AgencyLevel.FEDERAL, "root", PASSWORD)


def test_account_changes_are_in_the_ledger(world: World) -> None:
    actions = {e["action"] for e in world.gov.ledger.entries() if e["kind"] == "account"}
    assert {"bootstrap", "user.create", "user.enroll", "user.activate", "login", "agency.create"} <= actions
    assert world.gov.ledger.verify().ok


def test_a_code_works_once(world: World) -> None:
    world.clock.advance(seconds=30)
    code = pyotp.TOTP(world.secrets["aud"]).at(world.clock())
    assert identity.login(world.gov, "aud", PASSWORD, code)
    with pytest.raises(NotAuthenticated, match="already used"):
        identity.login(world.gov, "aud", PASSWORD, code)


def test_repeated_failures_lock_the_account(world: World) -> None:
    for _ in range(identity.MAX_FAILED_LOGINS):
        with pytest.raises(NotAuthenticated, match="wrong"):
            identity.login(world.gov, "sup2", "guessing the password", "123456")
    with pytest.raises(NotAuthenticated, match="locked"):
        world.login("sup2")  # even the right password and code
    world.clock.advance(minutes=16)
    assert world.login("sup2")


def test_second_factor_secrets_are_encrypted_at_rest(world: World) -> None:
    with world.gov.engine.connect() as conn:
        stored = [r[0] for r in conn.execute(text("SELECT totp_secret FROM gov_users"))]
    assert stored and not set(stored) & set(world.secrets.values())
    keys = world.gov.settings.data_dir / "keys" / "secrets.key"
    assert keys.stat().st_mode & 0o777 == 0o600
