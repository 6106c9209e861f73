"""Agencies, users, enrolment, sessions, devices and sharing agreements.

Accounts follow a two-person rule: an administrator creates an account and hands over a one-time enrolment code;
the person sets their own password and receives their own TOTP secret (the administrator never knows either); an
account that can read personal data stays inactive until a supervisor of its agency activates it.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update

from sereno.domain import new_id
from sereno.governance.context import Governance
from sereno.governance.gate import require
from sereno.governance.ledger import Kind
from sereno.governance.model import SYSTEM, Action, AgencyLevel, GovernanceError, Principal, Role
from sereno.governance.tables import AgencyRow, DeviceRow, SessionRow, SharingRow, UserRow

log = logging.getLogger(__name__)

SESSION_TTL = timedelta(hours=8)
ENROLL_TTL = timedelta(hours=72)
MAX_FAILED_LOGINS = 5  # in a row; then the account is locked for LOCKOUT
LOCKOUT = timedelta(minutes=15)
TOTP_STEP_SECONDS = 30
READS_PERSONAL_DATA = {Role.OPERATOR, Role.INVESTIGATOR, Role.SUPERVISOR}
_hasher = PasswordHasher()


class NotAuthenticated(Exception):
    """No valid session; the message says how to log in."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _enrolment_code() -> str:
    """80 random bits as 16 base32 letters: easy to read out, never starts with "-" (a CLI option)."""
    return base64.b32encode(secrets.token_bytes(10)).decode()


def _seal(gov: Governance, totp_secret: str) -> str:
    return gov.secret_box.encrypt(totp_secret.encode()).decode()


def totp_step(sealed_secret: str | None, code: str, now: datetime, gov: Governance) -> int | None:
    """The 30 s step whose code this is (now, or one step either side for clock drift), or None."""
    if not sealed_secret:
        return None
    totp = pyotp.TOTP(gov.secret_box.decrypt(sealed_secret.encode()).decode())
    for offset in (0, -1, 1):
        moment = now + timedelta(seconds=offset * TOTP_STEP_SECONDS)
        if secrets.compare_digest(totp.at(moment), code.strip()):
            return int(moment.timestamp()) // TOTP_STEP_SECONDS
    return None


def _check_password(password: str) -> None:
    if len(password) < 12:
        raise GovernanceError("the password must have at least 12 characters")


def _account_event(gov: Governance, actor: Principal, what: str, **details: object) -> None:
    gov.ledger.append(Kind.ACCOUNT, actor, action=what, outcome="done", details=dict(details))


# --- agencies and the first administrator -------------------------------------------------------------------------

def bootstrap(gov: Governance, agency_id: str, agency_name: str, level: AgencyLevel, username: str,
              password: str, timezone: str = "America/Tijuana") -> str:
    """The first agency and its administrator, on an installation with no users. Returns the TOTP secret."""
    _check_password(password)
    now = gov.now()
    secret = pyotp.random_base32()
    with gov.sessions.begin() as session:
        if session.scalar(select(func.count()).select_from(UserRow)):
            raise GovernanceError("this installation already has users; log in as an administrator instead")
        session.add(AgencyRow(id=agency_id, name=agency_name, level=level.value, timezone=timezone, created_at=now))
        session.add(UserRow(id=new_id(), username=username, agency_id=agency_id, role=Role.ADMINISTRATOR.value,
                            status="active", password_hash=_hasher.hash(password), totp_secret=_seal(gov, secret),
                            created_at=now, created_by="bootstrap"))
    _account_event(gov, SYSTEM, "bootstrap", agency=agency_id, username=username, role=Role.ADMINISTRATOR.value)
    return secret


def create_agency(gov: Governance, actor: Principal, agency_id: str, name: str, level: AgencyLevel,
                  timezone: str = "America/Tijuana") -> None:
    require(gov, actor, Action.MANAGE_ACCOUNTS, target_agency=agency_id)
    with gov.sessions.begin() as session:
        if session.get(AgencyRow, agency_id):
            raise GovernanceError(f"agency {agency_id!r} already exists")
        session.add(AgencyRow(id=agency_id, name=name, level=level.value, timezone=timezone, created_at=gov.now()))
    _account_event(gov, actor, "agency.create", agency=agency_id, name=name, level=level.value)


def agencies(gov: Governance) -> list[AgencyRow]:
    with gov.sessions() as session:
        return list(session.scalars(select(AgencyRow).order_by(AgencyRow.id)))


# --- users --------------------------------------------------------------------------------------------------------

def _user(session, username: str) -> UserRow:  # noqa: ANN001
    row = session.scalar(select(UserRow).where(UserRow.username == username))
    if row is None:
        raise GovernanceError(f"no user {username!r}; list them with `sereno admin users`")
    return row


def create_user(gov: Governance, actor: Principal, username: str, role: Role, agency_id: str | None = None,
                display_name: str = "", shift: tuple[str, str] | None = None) -> str:
    """Create an account and return its one-time enrolment code (valid 72 h).

    An administrator creates accounts in their own agency, or the first administrator of an agency with none.
    """
    agency_id = agency_id or actor.agency_id
    require(gov, actor, Action.MANAGE_ACCOUNTS, target_agency=agency_id, username=username, role=role.value)
    code = _enrolment_code()
    now = gov.now()
    with gov.sessions.begin() as session:
        if session.get(AgencyRow, agency_id) is None:
            raise GovernanceError(f"no agency {agency_id!r}; create it with `sereno admin agency add`")
        if agency_id != actor.agency_id:
            has_users = session.scalar(select(func.count()).select_from(UserRow)
                                       .where(UserRow.agency_id == agency_id))
            if has_users or role != Role.ADMINISTRATOR:
                raise GovernanceError(f"you administer {actor.agency_id}; accounts of {agency_id} are created by "
                                      "its own administrator")
        if session.scalar(select(UserRow).where(UserRow.username == username)):
            raise GovernanceError(f"username {username!r} is taken")
        session.add(UserRow(id=new_id(), username=username, display_name=display_name, agency_id=agency_id,
                            role=role.value, status="enrolling", enroll_code_hash=_digest(code),
                            enroll_expires_at=now + ENROLL_TTL, shift_start=shift[0] if shift else None,
                            shift_end=shift[1] if shift else None, created_at=now, created_by=actor.username))
    _account_event(gov, actor, "user.create", username=username, role=role.value, agency=agency_id)
    return code


def enroll(gov: Governance, code: str, password: str) -> tuple[str, str]:
    """The person sets their password with the enrolment code. Returns (username, TOTP secret)."""
    _check_password(password)
    now = gov.now()
    secret = pyotp.random_base32()
    with gov.sessions.begin() as session:
        row = session.scalar(select(UserRow).where(UserRow.enroll_code_hash == _digest(code.strip().upper())))
        if row is None or row.enroll_expires_at is None or row.enroll_expires_at < now:
            raise GovernanceError("enrolment code unknown or expired; ask your administrator for a new account code")
        row.password_hash = _hasher.hash(password)
        row.totp_secret = _seal(gov, secret)
        row.enroll_code_hash = None
        row.enroll_expires_at = None
        row.status = "awaiting_activation" if Role(row.role) in READS_PERSONAL_DATA else "active"
        username, status = row.username, row.status
    _account_event(gov, SYSTEM, "user.enroll", username=username, status=status)
    return username, secret


def activate_user(gov: Governance, actor: Principal, username: str) -> None:
    """A supervisor of the same agency activates an account that reads personal data. Where the agency has no
    active supervisor yet, its administrator may activate the first one (recorded as a bootstrap activation)."""
    with gov.sessions() as session:
        target = _user(session, username)
        supervisors = session.scalar(select(func.count()).select_from(UserRow).where(
            UserRow.agency_id == target.agency_id, UserRow.role == Role.SUPERVISOR.value, UserRow.status == "active"))
    bootstrap_activation = (actor.role == Role.ADMINISTRATOR and target.role == Role.SUPERVISOR.value
                            and not supervisors and actor.agency_id == target.agency_id)
    if not bootstrap_activation:
        require(gov, actor, Action.ACTIVATE_ACCOUNT, username=username)
    if target.agency_id != actor.agency_id:
        raise GovernanceError(f"{username} belongs to {target.agency_id}; only its own supervisors activate it")
    if target.status != "awaiting_activation":
        raise GovernanceError(f"{username} is {target.status}, not awaiting activation")
    with gov.sessions.begin() as session:
        row = _user(session, username)
        row.status = "active"
        row.activated_by = actor.username
    _account_event(gov, actor, "user.activate", username=username, bootstrap=bootstrap_activation)


def disable_user(gov: Governance, actor: Principal, username: str) -> None:
    """Disable an account and end its sessions at once."""
    require(gov, actor, Action.MANAGE_ACCOUNTS, username=username)
    now = gov.now()
    with gov.sessions.begin() as session:
        row = _user(session, username)
        if row.agency_id != actor.agency_id:
            raise GovernanceError(f"{username} belongs to {row.agency_id}")
        row.status = "disabled"
        session.execute(update(SessionRow).where(SessionRow.user_id == row.id, SessionRow.revoked_at.is_(None))
                        .values(revoked_at=now))
    _account_event(gov, actor, "user.disable", username=username)


def users(gov: Governance, agency_id: str | None = None) -> list[UserRow]:
    with gov.sessions() as session:
        query = select(UserRow).order_by(UserRow.username)
        if agency_id:
            query = query.where(UserRow.agency_id == agency_id)
        return list(session.scalars(query))


# --- sessions -----------------------------------------------------------------------------------------------------

def login(gov: Governance, username: str, password: str, totp_code: str, device_id: str | None = None,
          ttl: timedelta = SESSION_TTL) -> str:
    """Check password and second factor; return a session token (only its hash is stored).

    Each authenticator code works once; five failures in a row lock the account for 15 minutes."""
    now = gov.now()
    with gov.sessions() as session:
        row = session.scalar(select(UserRow).where(UserRow.username == username))
        device = session.get(DeviceRow, device_id) if device_id else None
    try:
        password_ok = row is not None and row.password_hash is not None and _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        password_ok = False
    step = totp_step(row.totp_secret, totp_code, now, gov) if password_ok else None
    problem = None
    if row is not None and row.locked_until is not None and row.locked_until > now:
        problem = f"account locked after repeated failures until {row.locked_until:%H:%M} UTC"
    elif step is None:
        problem = "wrong username, password or code"
    elif row.totp_last_step is not None and step <= row.totp_last_step:
        problem = "this code was already used; wait for the next one"
    elif row.status != "active":
        problem = f"account is {row.status.replace('_', ' ')}"
    elif device_id and (device is None or device.revoked_at is not None or device.agency_id != row.agency_id):
        problem = "this device is unknown or revoked"
    with gov.sessions.begin() as session:
        user = session.get(UserRow, row.id, with_for_update=True) if row is not None else None
        if problem is None and user.totp_last_step is not None and step <= user.totp_last_step:
            problem = "this code was already used; wait for the next one"  # a concurrent login took it
        token = None
        if user is not None and problem is None:
            token = secrets.token_urlsafe(32)
            user.failed_logins, user.totp_last_step = 0, step
            session.add(SessionRow(id=new_id(), user_id=user.id, token_hash=_digest(token), device_id=device_id,
                                   created_at=now, expires_at=now + ttl))
        elif user is not None and not (user.locked_until and user.locked_until > now):
            user.failed_logins = (user.failed_logins or 0) + 1
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.failed_logins, user.locked_until = 0, now + LOCKOUT
    if token is None:
        gov.ledger.append(Kind.ACCOUNT, None, action="login", outcome="refused",
                          details={"username": username, "device_id": device_id, "why": problem})
        raise NotAuthenticated(problem)
    gov.ledger.append(Kind.ACCOUNT, Principal(row.id, row.username, row.agency_id, Role(row.role)), action="login",
                      outcome="allowed", details={"device_id": device_id, "expires_in_s": int(ttl.total_seconds())})
    return token


def resolve(gov: Governance, token: str | None) -> Principal:
    """The principal behind a session token, or NotAuthenticated (expired, revoked, device revoked, disabled)."""
    if not token:
        raise NotAuthenticated("not logged in: run `sereno login` (or set SERENO_TOKEN)")
    now = gov.now()
    with gov.sessions() as session:
        found = session.execute(select(SessionRow, UserRow).join(UserRow, UserRow.id == SessionRow.user_id)
                                .where(SessionRow.token_hash == _digest(token))).first()
        if found is None:
            raise NotAuthenticated("unknown session: run `sereno login` again")
        sess, user = found
        device = session.get(DeviceRow, sess.device_id) if sess.device_id else None
    if sess.revoked_at is not None or sess.expires_at <= now:
        raise NotAuthenticated("session expired or ended: run `sereno login` again")
    if user.status != "active":
        raise NotAuthenticated(f"account is {user.status}")
    if device is not None and device.revoked_at is not None:
        raise NotAuthenticated("this device was revoked")
    return Principal(user_id=user.id, username=user.username, agency_id=user.agency_id, role=Role(user.role),
                     session_id=sess.id, device_id=sess.device_id)


def logout(gov: Governance, token: str) -> None:
    with gov.sessions.begin() as session:
        session.execute(update(SessionRow).where(SessionRow.token_hash == _digest(token),
                                                 SessionRow.revoked_at.is_(None)).values(revoked_at=gov.now()))


# --- devices ------------------------------------------------------------------------------------------------------

def register_device(gov: Governance, actor: Principal, label: str) -> str:
    require(gov, actor, Action.MANAGE_ACCOUNTS, device_label=label)
    device_id = new_id()
    with gov.sessions.begin() as session:
        session.add(DeviceRow(id=device_id, agency_id=actor.agency_id, label=label, registered_at=gov.now()))
    _account_event(gov, actor, "device.register", device_id=device_id, label=label)
    return device_id


def revoke_device(gov: Governance, actor: Principal, device_id: str) -> int:
    """Revoke a device (a lost or stolen tablet) and every session on it, at once. Returns sessions ended."""
    require(gov, actor, Action.MANAGE_ACCOUNTS, device_id=device_id)
    now = gov.now()
    with gov.sessions.begin() as session:
        device = session.get(DeviceRow, device_id)
        if device is None or device.agency_id != actor.agency_id:
            raise GovernanceError(f"no device {device_id!r} in your agency; list them with `sereno admin devices`")
        device.revoked_at = now
        ended = session.execute(update(SessionRow).where(SessionRow.device_id == device_id,
                                                         SessionRow.revoked_at.is_(None))
                                .values(revoked_at=now)).rowcount
    _account_event(gov, actor, "device.revoke", device_id=device_id, sessions_ended=ended)
    return ended


def devices(gov: Governance, agency_id: str | None) -> list[DeviceRow]:
    with gov.sessions() as session:
        return list(session.scalars(select(DeviceRow).where(DeviceRow.agency_id == agency_id)
                                    .order_by(DeviceRow.registered_at)))


# --- sharing agreements -------------------------------------------------------------------------------------------

def share(gov: Governance, actor: Principal, partner_agency: str, basis: str,
          ends_at: datetime | None = None) -> str:
    """The actor's agency lets ``partner_agency`` read its personal data (under the partner's own gate)."""
    require(gov, actor, Action.MANAGE_SHARING, partner=partner_agency)
    if len(basis.strip()) < 10:
        raise GovernanceError("name the signed agreement this sharing rests on (--basis, 10+ characters)")
    agreement_id = new_id()
    with gov.sessions.begin() as session:
        if session.get(AgencyRow, partner_agency) is None:
            raise GovernanceError(f"no agency {partner_agency!r}")
        session.add(SharingRow(id=agreement_id, owner_agency=actor.agency_id, partner_agency=partner_agency,
                               basis=basis, starts_at=gov.now(), ends_at=ends_at))
    gov.ledger.append(Kind.CONFIG, actor, action="sharing.create", outcome="done",
                      details={"id": agreement_id, "owner": actor.agency_id, "partner": partner_agency,
                               "basis": basis, "ends_at": ends_at.isoformat() if ends_at else None})
    return agreement_id


def revoke_sharing(gov: Governance, actor: Principal, agreement_id: str) -> None:
    require(gov, actor, Action.MANAGE_SHARING, agreement=agreement_id)
    with gov.sessions.begin() as session:
        row = session.get(SharingRow, agreement_id)
        if row is None or row.owner_agency != actor.agency_id:
            raise GovernanceError(f"no sharing agreement {agreement_id!r} owned by your agency")
        row.revoked_at = gov.now()
    gov.ledger.append(Kind.CONFIG, actor, action="sharing.revoke", outcome="done", details={"id": agreement_id})


def sharing_agreements(gov: Governance) -> list[SharingRow]:
    with gov.sessions() as session:
        return list(session.scalars(select(SharingRow).order_by(SharingRow.starts_at)))
