"""A small installation for the governance tests, built through the real API (enrolment, activation, login):
a municipal agency with one user per role, a state agency with an investigator, open cases, a controllable clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pyotp

from sereno.config import Settings
from sereno.governance import Governance, Principal
from sereno.governance import identity
from sereno.governance.cases import open_case
from sereno.governance.model import AgencyLevel, Role

PASSWORD = "una contraseña larga 2026"
START = datetime(2026, 11, 10, 18, 0, tzinfo=timezone.utc)  # 10:00 in Tijuana
MUNICIPAL, STATE = "tij-municipal", "bc-state"


class Clock:
    def __init__(self, now: datetime = START):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class World:
    gov: Governance
    clock: Clock
    people: dict[str, Principal] = field(default_factory=dict)  # role name (and "state-investigator") -> principal
    secrets: dict[str, str] = field(default_factory=dict)  # username -> TOTP secret
    cases: dict[str, str] = field(default_factory=dict)  # case number -> case id

    def login(self, username: str, device_id: str | None = None) -> str:
        self.clock.advance(seconds=30)  # an authenticator code works once: each login takes the next one
        code = pyotp.TOTP(self.secrets[username]).at(self.clock())
        return identity.login(self.gov, username, PASSWORD, code, device_id)


def _person(world: World, admin: Principal, activator: Principal | None, username: str, role: Role,
            shift: tuple[str, str] | None = None) -> Principal:
    code = identity.create_user(world.gov, admin, username, role, shift=shift)
    _, world.secrets[username] = identity.enroll(world.gov, code, PASSWORD)
    if role in identity.READS_PERSONAL_DATA:
        identity.activate_user(world.gov, activator or admin, username)
    return identity.resolve(world.gov, world.login(username))


def build_world(settings: Settings) -> World:
    clock = Clock()
    gov = Governance.open(settings, clock=clock)
    world = World(gov=gov, clock=clock)
    world.secrets["admin"] = identity.bootstrap(gov, MUNICIPAL, "Policía Municipal de Tijuana",
                                                AgencyLevel.MUNICIPAL, "admin", PASSWORD)
    admin = identity.resolve(gov, world.login("admin"))
    supervisor = _person(world, admin, None, "sup", Role.SUPERVISOR)  # first supervisor: bootstrap activation
    world.people.update({
        "administrator": admin,
        "supervisor": supervisor,
        "investigator": _person(world, admin, supervisor, "inv", Role.INVESTIGATOR, shift=("07:00", "15:00")),
        "operator": _person(world, admin, supervisor, "op", Role.OPERATOR),
        "auditor": _person(world, admin, supervisor, "aud", Role.AUDITOR),
        "supervisor2": _person(world, admin, supervisor, "sup2", Role.SUPERVISOR),
    })
    identity.create_agency(gov, admin, STATE, "Policía Estatal de Baja California", AgencyLevel.STATE)
    state_code = identity.create_user(gov, admin, "bc-admin", Role.ADMINISTRATOR, agency_id=STATE)
    _, world.secrets["bc-admin"] = identity.enroll(gov, state_code, PASSWORD)
    state_admin = identity.resolve(gov, world.login("bc-admin"))
    state_sup = _person(world, state_admin, None, "bc-sup", Role.SUPERVISOR)
    world.people.update({
        "state-administrator": state_admin,
        "state-supervisor": state_sup,
        "state-investigator": _person(world, state_admin, state_sup, "bc-inv", Role.INVESTIGATOR),
    })
    world.cases["TIJ-2026-0001"] = open_case(gov, world.people["investigator"], "TIJ-2026-0001", "vehicle_theft")
    world.cases["TIJ-2026-0002"] = open_case(gov, world.people["investigator"], "TIJ-2026-0002", "kidnapping")
    world.cases["BC-2026-0001"] = open_case(gov, world.people["state-investigator"], "BC-2026-0001", "homicide")
    return world
