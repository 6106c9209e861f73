"""The gate: every role x every action, purposes, cases, cross-agency sharing, wide searches, warrants, emergencies,
and governed_read recording before data leaves."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from sereno.config import load_settings
from sereno.governance import Action, Purpose, Refused, Role, Scope, authorize, governed_read
from sereno.governance import cases, identity, retention
from sereno.governance.cases import WarrantScope
from sereno.governance.model import Area, Capability, GovernanceError

from tests.governance_world import MUNICIPAL, STATE, World, build_world

OP, INV, SUP, AUD, ADM = "operator", "investigator", "supervisor", "auditor", "administrator"

# Written out by hand (not derived from the code) so that a change to the rules fails here until it is meant.
EXPECTED: dict[Action, set[str]] = {
    Action.SEARCH_PLATE: {INV, SUP},
    Action.SEARCH_AREA: {INV, SUP},
    Action.SEARCH_ROUTE: {INV, SUP},
    Action.VIEW_SIGHTING: {INV, SUP},
    Action.VIEW_VIDEO: {INV, SUP},
    Action.VIEW_LIVE: {OP, INV, SUP},
    Action.VIEW_ALERTS: {OP, INV, SUP},
    Action.DECIDE_ALERT: {OP, INV, SUP},
    Action.MANAGE_HOTLIST: {SUP},
    Action.FACE_SEARCH: {INV, SUP},
    Action.FACE_WATCHLIST: {SUP},
    Action.EXPORT_EVIDENCE: {INV, SUP},
    Action.VIEW_CAMERA_LOCATIONS: {OP, INV, SUP, AUD},
    Action.ACCEPT_CAMERA_VIEW: {SUP},
    Action.MANAGE_CASES: {INV, SUP},
    Action.RECORD_WARRANT: {INV, SUP},
    Action.DECLARE_EMERGENCY: {SUP},
    Action.PLACE_HOLD: {INV, SUP},
    Action.RELEASE_HOLD: {SUP},
    Action.APPROVE_WIDE_SEARCH: {SUP},
    Action.ACTIVATE_ACCOUNT: {SUP},
    Action.READ_LEDGER: {AUD},
    Action.EXPORT_LEDGER: {AUD},
    Action.PUBLISH_REPORT: {AUD, SUP},
    Action.MANAGE_ACCOUNTS: {ADM},
    Action.MANAGE_SHARING: {ADM},
    Action.CONFIGURE: {ADM},
    Action.RUN_PURGE: {ADM},
}
REASON = "Robo de vehículo con violencia; un testigo vio la placa"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    built = build_world(load_settings(tmp_path_factory.mktemp("gate") / "data"))
    now = built.clock()
    for capability in (Capability.FACE_SEARCH, Capability.FACE_WATCHLIST):
        cases.record_warrant(built.gov, built.people[INV], "TIJ-2026-0001", capability,
                             WarrantScope(start=now - timedelta(days=1), end=now + timedelta(days=1),
                                          cameras=("cam-1",), targets=("suspect-1",)),
                             court="Juzgado de Control Tijuana", judge="Juez A. Pérez", reference="CT-123/2026",
                             valid_from=now - timedelta(hours=1), valid_until=now + timedelta(days=7))
    yield built
    built.gov.close()


def _narrow(world: World, **changes: object) -> Scope:
    now = world.clock()
    values = dict(plates=("ABC1234",), cameras=("cam-1",), start=now - timedelta(hours=2), end=now,
                  targets=("suspect-1",))
    values.update(changes)
    return Scope(**values)


def _purpose(world: World, reason: str = REASON, case: str = "TIJ-2026-0001") -> Purpose:
    return Purpose(case_id=world.cases.get(case, case), reason=reason)


def test_matrix_lists_every_action() -> None:
    assert set(EXPECTED) == set(Action)


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
@pytest.mark.parametrize("role", [OP, INV, SUP, AUD, ADM])
def test_role_action_matrix(world: World, role: str, action: Action) -> None:
    decision = authorize(world.gov, world.people[role], action, _purpose(world), _narrow(world))
    assert decision.allowed == (role in EXPECTED[action]), decision.message
    if not decision.allowed:
        assert decision.code == "role"
    entry = list(world.gov.ledger.entries())[-1]
    assert entry["seq"] == decision.ledger_seq and entry["outcome"] == ("allowed" if decision.allowed else "refused")


@pytest.mark.parametrize("reason, category", [
    ("Seguir a la periodista que publicó sobre el cártel", "journalism"),
    ("ubicar a los organizadores de la MANIFESTACIÓN del domingo", "protest"),
    ("Check the immigration status of the driver", "immigration_status"),
    ("vigilar a los feligreses de la iglesia de la colonia", "religion"),
    ("ver con quién anda mi ex-esposa últimamente", "personal_matters"),
    ("campaña política del candidato opositor", "political_activity"),
    ("track the protest organizers near the border", "protest"),
    ("un cliente privado quiere saber dónde estaciona", "commercial_or_bribe"),
])
def test_forbidden_purposes_are_refused_and_recorded(world: World, reason: str, category: str) -> None:
    decision = authorize(world.gov, world.people[INV], Action.SEARCH_PLATE, _purpose(world, reason), _narrow(world))
    assert not decision.allowed and decision.code == "forbidden_purpose"
    entry = list(world.gov.ledger.entries())[-1]
    assert entry["outcome"] == "refused" and entry["details"]["category"] == category
    assert entry["details"]["reason"] == reason


@pytest.mark.parametrize("reason", [
    "Robo de vehículo con violencia en la colonia Libertad",
    "hit and run at the San Ysidro crossing, white pickup",
    "Secuestro: el vehículo dio marcha atrás y huyó hacia Tecate",
    "Club deportivo reportó robo de camioneta",
])
def test_ordinary_reasons_pass(world: World, reason: str) -> None:
    assert authorize(world.gov, world.people[INV], Action.SEARCH_PLATE, _purpose(world, reason),
                     _narrow(world)).allowed


def test_case_must_exist_be_open_and_belong_to_the_agency(world: World) -> None:
    inv, scope = world.people[INV], _narrow(world)
    assert authorize(world.gov, inv, Action.SEARCH_PLATE, Purpose(None, REASON), scope).code == "no_case"
    assert authorize(world.gov, inv, Action.SEARCH_PLATE, _purpose(world, case="NO-SUCH"), scope).code == "no_case"
    assert authorize(world.gov, inv, Action.SEARCH_PLATE, _purpose(world, "too short"), scope).code == "no_reason"
    assert authorize(world.gov, inv, Action.SEARCH_PLATE, _purpose(world, case="BC-2026-0001"),
                     scope).code == "case_agency"
    # a case number works as well as its id
    assert authorize(world.gov, inv, Action.SEARCH_PLATE, Purpose("TIJ-2026-0002", REASON), scope).allowed


def test_closed_case_refuses_searches(tmp_path) -> None:
    world = build_world(load_settings(tmp_path / "data"))
    cases.close_case(world.gov, world.people[SUP], "TIJ-2026-0002", "caso resuelto, vehículo recuperado")
    decision = authorize(world.gov, world.people[INV], Action.SEARCH_PLATE, _purpose(world, case="TIJ-2026-0002"),
                         _narrow(world))
    assert decision.code == "case_closed"
    world.gov.close()


def test_cross_agency_needs_a_sharing_agreement(tmp_path) -> None:
    world = build_world(load_settings(tmp_path / "data"))
    gov, inv = world.gov, world.people[INV]
    wants_state = _narrow(world, owners=(STATE,))
    refused = authorize(gov, inv, Action.SEARCH_PLATE, _purpose(world), wants_state)
    assert not refused.allowed and refused.code == "no_sharing"
    own_only = authorize(gov, inv, Action.SEARCH_PLATE, _purpose(world), _narrow(world))
    assert own_only.owners == (MUNICIPAL,)

    agreement = identity.share(gov, world.people["state-administrator"], MUNICIPAL,
                               basis="Convenio de colaboración BC-TIJ 2026/14")
    allowed = authorize(gov, inv, Action.SEARCH_PLATE, _purpose(world), wants_state)
    assert allowed.allowed and allowed.owners == (STATE,)
    assert set(authorize(gov, inv, Action.SEARCH_PLATE, _purpose(world), _narrow(world)).owners) == {MUNICIPAL, STATE}
    # sharing is one way: the state does not see municipal data
    assert authorize(gov, world.people["state-investigator"], Action.SEARCH_PLATE,
                     _purpose(world, case="BC-2026-0001"), _narrow(world, owners=(MUNICIPAL,))).code == "no_sharing"

    identity.revoke_sharing(gov, world.people["state-administrator"], agreement)
    assert authorize(gov, inv, Action.SEARCH_PLATE, _purpose(world), wants_state).code == "no_sharing"
    gov.close()


def test_cross_agency_warrant_opens_one_case_to_another_agency(world: World) -> None:
    now = world.clock()
    scope = _narrow(world, owners=(STATE,))
    assert authorize(world.gov, world.people[INV], Action.SEARCH_PLATE, _purpose(world, case="TIJ-2026-0002"),
                     scope).code == "no_sharing"
    cases.record_warrant(world.gov, world.people[INV], "TIJ-2026-0002", Capability.CROSS_AGENCY_SHARING,
                         WarrantScope(start=now - timedelta(days=3), end=now, cameras=("cam-1",), targets=(STATE,)),
                         court="Juzgado de Control", judge="Juez B", reference="CT-77/2026",
                         valid_from=now - timedelta(minutes=1), valid_until=now + timedelta(days=2))
    assert authorize(world.gov, world.people[INV], Action.SEARCH_PLATE, _purpose(world, case="TIJ-2026-0002"),
                     scope).allowed


@pytest.mark.parametrize("wide", [
    {"plates": tuple(f"ABC{i:04d}" for i in range(6))},
    {"plates": ("A*",)},
    {"area": Area(32.40, -117.10, 32.55, -116.90), "plates": ()},
    {"start": None, "end": None, "plates": ()},
])
def test_wide_searches_need_another_supervisors_approval(tmp_path, wide: dict) -> None:
    world = build_world(load_settings(tmp_path / "data"))
    gov, inv = world.gov, world.people[INV]
    action = Action.SEARCH_PLATE if wide.get("plates") else Action.SEARCH_AREA
    scope = _narrow(world, **wide)
    refused = authorize(gov, inv, action, _purpose(world), scope)
    assert refused.code == "needs_approval"
    with pytest.raises(Refused):  # an investigator cannot approve
        cases.approve(gov, inv, refused.ledger_seq, "urgente, vehículo con persona secuestrada")
    cases.approve(gov, world.people["supervisor2"], refused.ledger_seq, "justificado por la orden del juez")
    assert authorize(gov, inv, action, _purpose(world), scope).allowed
    other_scope = _narrow(world, **{**wide, "cameras": ("cam-1", "cam-2")})
    assert authorize(gov, inv, action, _purpose(world), other_scope).code == "needs_approval"
    world.clock.advance(hours=25)
    assert authorize(gov, inv, action, _purpose(world), _narrow(world, **wide)).code == "needs_approval"
    gov.close()


def test_supervisor_cannot_approve_own_wide_search(world: World) -> None:
    sup = world.people[SUP]
    refused = authorize(world.gov, sup, Action.SEARCH_PLATE, _purpose(world), _narrow(world, plates=("A*",)))
    with pytest.raises(GovernanceError, match="own"):
        cases.approve(world.gov, sup, refused.ledger_seq, "quiero aprobar mi propia búsqueda")


@pytest.mark.parametrize("change, gap", [
    ({"cameras": ("cam-2",)}, "cameras not named"),
    ({"targets": ("someone-else",)}, "targets not named"),
    ({"targets": ()}, "names no target"),
    ({"start": None, "end": None}, "no time window"),
])
def test_face_search_needs_a_warrant_covering_the_exact_request(world: World, change: dict, gap: str) -> None:
    assert authorize(world.gov, world.people[INV], Action.FACE_SEARCH, _purpose(world), _narrow(world)).allowed
    decision = authorize(world.gov, world.people[INV], Action.FACE_SEARCH, _purpose(world),
                         _narrow(world, **change))
    assert decision.code in ("needs_warrant", "needs_approval") and not decision.allowed
    if decision.code == "needs_warrant":
        assert gap in decision.message


def test_face_search_refused_without_warrant_and_after_expiry(tmp_path) -> None:
    world = build_world(load_settings(tmp_path / "data"))
    gov, inv, now = world.gov, world.people[INV], world.clock()
    assert authorize(gov, inv, Action.FACE_SEARCH, _purpose(world), _narrow(world)).code == "needs_warrant"
    cases.record_warrant(gov, inv, "TIJ-2026-0001", Capability.FACE_SEARCH,
                         WarrantScope(start=now - timedelta(days=1), end=now, cameras=("cam-1",),
                                      targets=("suspect-1",)),
                         court="Juzgado", judge="Juez C", reference="CT-9/2026", valid_from=now,
                         valid_until=now + timedelta(hours=4))
    assert authorize(gov, inv, Action.FACE_SEARCH, _purpose(world), _narrow(world)).allowed
    world.clock.advance(hours=5)
    assert authorize(gov, inv, Action.FACE_SEARCH, _purpose(world),
                     _narrow(world, start=now - timedelta(hours=3), end=now)).code == "needs_warrant"
    gov.close()


def test_emergency_use_lapses_after_24h_unless_ratified(tmp_path) -> None:
    world = build_world(load_settings(tmp_path / "data"))
    gov, sup, inv, now = world.gov, world.people[SUP], world.people[INV], world.clock()
    scope = WarrantScope(start=now - timedelta(hours=6), end=now, cameras=("cam-1",), targets=("child-1",))
    lapsing = cases.declare_emergency(gov, sup, "TIJ-2026-0002", Capability.FACE_SEARCH, scope,
                                      "menor secuestrado, vida en riesgo inmediato")
    ratified = cases.declare_emergency(gov, sup, "TIJ-2026-0001", Capability.FACE_SEARCH, scope,
                                       "persona armada huyendo con rehén")
    request = _narrow(world, start=now - timedelta(hours=2), end=now, targets=("child-1",))
    first = authorize(gov, inv, Action.FACE_SEARCH, _purpose(world, case="TIJ-2026-0002"), request)
    assert first.allowed and first.warrant_id == lapsing
    assert list(gov.ledger.entries())[-1]["details"]["emergency"] is True

    result = gov.settings.media_path / "faces" / "result-1.jpg"
    result.parent.mkdir(parents=True)
    result.write_bytes(b"\xff\xd8 face crop")
    cases.register_emergency_result(gov, lapsing, "faces/result-1.jpg")

    world.clock.advance(hours=2)
    cases.ratify_emergency(gov, sup, ratified, court="Juzgado de Control", judge="Juez D",
                           reference="CT-R-1/2026", valid_until=now + timedelta(days=10))
    world.clock.advance(hours=23)
    assert authorize(gov, inv, Action.FACE_SEARCH, _purpose(world, case="TIJ-2026-0002"),
                     request).code == "needs_warrant"
    assert authorize(gov, inv, Action.FACE_SEARCH, _purpose(world, case="TIJ-2026-0001"), request).allowed
    with pytest.raises(GovernanceError, match="lapsed|ratified"):
        cases.ratify_emergency(gov, sup, lapsing, court="x", judge="y", reference="z",
                               valid_until=now + timedelta(days=1))

    counts = retention.purge(gov)
    assert counts.emergencies_lapsed == 1 and counts.emergency_files == 1 and not result.exists()
    flagged = [e for e in gov.ledger.entries() if e["action"] == "warrant.lapsed"]
    assert len(flagged) == 1 and flagged[0]["details"]["warrant_id"] == lapsing
    gov.close()


def test_governed_read_records_before_data_leaves(world: World) -> None:
    db_file = world.gov.settings.data_dir / "sereno.db"
    seen_by_outsider = {}

    def fetch(decision):  # noqa: ANN001, ANN202
        with sqlite3.connect(db_file) as other:  # another connection sees the committed decision
            row = other.execute("SELECT seq, action, outcome FROM ledger_entries ORDER BY seq DESC LIMIT 1").fetchone()
        seen_by_outsider["row"] = row
        return [{"plate": "ABC1234", "owner": owner} for owner in decision.owners]

    result = governed_read(world.gov, world.people[INV], Action.SEARCH_PLATE, _purpose(world), _narrow(world), fetch)
    assert result == [{"plate": "ABC1234", "owner": MUNICIPAL}]
    assert seen_by_outsider["row"][1:] == ("search.plate", "allowed")
    last = list(world.gov.ledger.entries())[-1]
    assert last["kind"] == "access" and last["details"] == {"decision_seq": seen_by_outsider["row"][0], "items": 1}


def test_governed_read_refusal_never_runs_the_query(world: World) -> None:
    def fetch(decision):  # noqa: ANN001, ANN202
        raise AssertionError("fetch must not run")

    with pytest.raises(Refused) as refused:
        governed_read(world.gov, world.people[ADM], Action.SEARCH_PLATE, _purpose(world), _narrow(world), fetch)
    assert refused.value.decision.code == "role"
    assert list(world.gov.ledger.entries())[-1]["seq"] == refused.value.decision.ledger_seq


def test_every_role_exists_in_the_world(world: World) -> None:
    assert {world.people[r].role for r in (OP, INV, SUP, AUD, ADM)} == set(Role)


def test_decision_owners_select_the_cameras_a_search_may_read(tmp_path) -> None:
    from sereno.domain import Camera
    from sereno.governance.ownership import installation_agency, readable_cameras

    world = build_world(load_settings(tmp_path / "data"))
    cameras = [Camera("own", "Otay", 32.53, -116.97, "rtsp://a"),
               Camera("state", "Garita", 32.54, -117.03, "rtsp://b", agency=STATE)]
    default = installation_agency(world.gov)
    assert default == MUNICIPAL
    decision = authorize(world.gov, world.people[INV], Action.SEARCH_PLATE, _purpose(world), _narrow(world))
    assert readable_cameras(cameras, decision.owners, default) == ("own",)
    identity.share(world.gov, world.people["state-administrator"], MUNICIPAL, basis="Convenio BC-TIJ 2026/14")
    decision = authorize(world.gov, world.people[INV], Action.SEARCH_PLATE, _purpose(world), _narrow(world))
    assert readable_cameras(cameras, decision.owners, default) == ("own", "state")
    world.gov.close()
