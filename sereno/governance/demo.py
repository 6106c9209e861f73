"""The demo installation: one municipal agency, one account per role and one open case, created through the real
account API (bootstrap, create_user, enroll, activate, login), so that a new user tries Sereno with the gate on.

Only on an installation without users. The generated passwords and TOTP secrets are written to
``<data dir>/demo-credentials.json`` (mode 0600) so that ``demo_login`` can log in without an authenticator app:
handy for a demo, and exactly what a real installation must never have. So the installation is marked as a demo in
the ledger (a ``config`` entry ``demo.installation``), where auditors see it, and the agency's first supervisor is
activated by its administrator, which oversight flags as a bootstrap activation like on any installation.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

import pyotp
from sqlalchemy import select

from sereno.config import Settings
from sereno.governance import identity
from sereno.governance.cases import open_case
from sereno.governance.context import Governance
from sereno.governance.keys import _write_private
from sereno.governance.ledger import Kind
from sereno.governance.model import AgencyLevel, GovernanceError, Principal, Role
from sereno.governance.tables import UserRow

AGENCY = "demo-municipal"
AGENCY_NAME = "Policía Municipal (demostración)"
CASE_NUMBER = "DEMO-2026-0001"
CASE_OFFENSE = "vehicle_theft"
CASE_DESCRIPTION = "Caso de demostración: vehículo con reporte de robo visto por las cámaras de prueba"
ADMIN = "admin"
# The supervisor comes first: she activates the accounts after her.
PEOPLE = (("supervisora", Role.SUPERVISOR), ("investigador", Role.INVESTIGATOR), ("operador", Role.OPERATOR),
          ("auditora", Role.AUDITOR))
CREDENTIALS_FILE = "demo-credentials.json"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    password: str
    totp_secret: str


@dataclass(frozen=True)
class DemoAccounts:
    agency: str
    case_number: str
    accounts: tuple[DemoAccount, ...]
    path: Path  # the credentials file
    created: bool  # True when this call created the installation

    def get(self, username: str) -> DemoAccount:
        for account in self.accounts:
            if account.username == username:
                return account
        names = ", ".join(a.username for a in self.accounts)
        raise GovernanceError(f"no demo account {username!r}; the demo accounts are {names}")


def credentials_path(settings: Settings) -> Path:
    return settings.data_dir / CREDENTIALS_FILE


def is_demo_installation(settings: Settings) -> bool:
    return credentials_path(settings).exists()


def _password() -> str:
    """80 random bits as four groups of base32 letters and digits: typed easily, never read as a CLI option."""
    text = base64.b32encode(secrets.token_bytes(10)).decode()
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def _load(path: Path, created: bool) -> DemoAccounts:
    doc = json.loads(path.read_text(encoding="utf-8"))
    accounts = tuple(DemoAccount(a["username"], Role(a["role"]), a["password"], a["totp_secret"])
                     for a in doc["accounts"])
    return DemoAccounts(doc["agency"], doc["case"], accounts, path, created)


def _save(path: Path, accounts: list[DemoAccount]) -> None:
    doc = {"installation": "demo", "agency": AGENCY, "case": CASE_NUMBER,
           "warning": "Demo only: a real installation never stores passwords or second-factor secrets.",
           "accounts": [{**asdict(a), "role": a.role.value} for a in accounts]}
    _write_private(path, json.dumps(doc, ensure_ascii=False, indent=2).encode())


def fresh_code(gov: Governance, account: DemoAccount, earliest_first: bool = True) -> str:
    """A TOTP code the login will accept now and that was not used yet. Login accepts the current 30 s step and
    one either side (clock drift) and each step once, so a demo account can log in up to three times a step.
    ``earliest_first=False`` prefers the current step, then the next: a code that stays valid while a person
    types it."""
    with gov.sessions() as session:
        last = session.scalar(select(UserRow.totp_last_step).where(UserRow.username == account.username))
    now = int(gov.now().timestamp()) // identity.TOTP_STEP_SECONDS
    steps = (now - 1, now, now + 1) if earliest_first else (now, now + 1)
    for step in steps:
        if last is None or step > last:
            return pyotp.TOTP(account.totp_secret).at(step * identity.TOTP_STEP_SECONDS)
    raise GovernanceError(f"{account.username} has used every code valid right now (each works once); "
                          f"try again in {identity.TOTP_STEP_SECONDS} s")


def _login(gov: Governance, account: DemoAccount) -> str:
    return identity.login(gov, account.username, account.password, fresh_code(gov, account))


def ensure_demo_installation(gov: Governance, settings: Settings) -> DemoAccounts:
    """The demo installation: created on an installation without users, read back on a demo installation, refused
    on any other (a real installation never gets demo accounts)."""
    path = credentials_path(settings)
    if path.exists():
        return _load(path, created=False)
    if identity.users(gov):
        raise GovernanceError(f"this installation already has users and is not a demo ({path} is absent); use "
                              "`sereno login`, or another data directory (-d) for the demo")
    admin_password = _password()
    admin_secret = identity.bootstrap(gov, AGENCY, AGENCY_NAME, AgencyLevel.MUNICIPAL, ADMIN, admin_password)
    made = [DemoAccount(ADMIN, Role.ADMINISTRATOR, admin_password, admin_secret)]
    tokens: list[str] = []

    def act_as(account: DemoAccount) -> Principal:
        tokens.append(_login(gov, account))
        return identity.resolve(gov, tokens[-1])

    admin = act_as(made[0])
    supervisor: Principal | None = None
    for username, role in PEOPLE:
        password = _password()
        _, secret = identity.enroll(gov, identity.create_user(gov, admin, username, role), password)
        made.append(DemoAccount(username, role, password, secret))
        if role in identity.READS_PERSONAL_DATA:
            identity.activate_user(gov, supervisor or admin, username)
        if role is Role.SUPERVISOR:
            supervisor = act_as(made[-1])
    investigator = act_as(next(a for a in made if a.role is Role.INVESTIGATOR))
    open_case(gov, investigator, CASE_NUMBER, CASE_OFFENSE, CASE_DESCRIPTION)
    _save(path, made)
    gov.ledger.append(Kind.CONFIG, admin, action="demo.installation", outcome="done", details={
        "what": "demo installation: generated passwords and second-factor secrets are stored in "
                f"{CREDENTIALS_FILE}; not for real use",
        "agency": AGENCY, "accounts": {a.username: a.role.value for a in made}, "case": CASE_NUMBER})
    for token in tokens:  # the setup's own sessions end here; people log in with demo_login
        identity.logout(gov, token)
    return _load(path, created=True)


def _stored(settings: Settings, username: str) -> DemoAccount:
    path = credentials_path(settings)
    if not path.exists():
        raise GovernanceError(f"not a demo installation ({path} is absent): create one with `sereno demo` on a new "
                              "data directory, or log in with `sereno login`")
    return _load(path, created=False).get(username)


def demo_login(gov: Governance, settings: Settings, username: str) -> str:
    """A real login (password and a fresh TOTP code) as a demo account; returns the session token."""
    return _login(gov, _stored(settings, username))


def demo_code(gov: Governance, settings: Settings, username: str) -> str:
    """The 6-digit code to type into the login form for a demo account (valid for at least 30 s)."""
    return fresh_code(gov, _stored(settings, username), earliest_first=False)
