"""Oversight anomalies and the transparency report, from a ledger filled through the real gate."""

from __future__ import annotations

import zipfile
from datetime import timedelta

import pytest

from sereno.config import load_settings
from sereno.domain import Camera
from sereno.governance import Action, Purpose, Refused, Scope, authorize
from sereno.governance.cases import WarrantScope, add_note, declare_emergency, open_case
from sereno.governance.model import Capability, GovernanceError
from sereno.governance.oversight import oversight
from sereno.governance.report import gather, parse_period, write_report
from sereno.governance.retention import purge

from tests.governance_world import World, build_world

REASON = "robo de vehículo, placa vista por un testigo"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    built = build_world(load_settings(tmp_path_factory.mktemp("oversight") / "data"))
    gov, inv, now = built.gov, built.people["investigator"], built.clock()
    scope = Scope(plates=("XYZ9876",), start=now - timedelta(days=1), end=now)
    for number in ("TIJ-2026-0003", "TIJ-2026-0004"):
        built.cases[number] = open_case(gov, inv, number, "robbery")
    for number in ("TIJ-2026-0001", "TIJ-2026-0003", "TIJ-2026-0004"):  # one plate across three cases
        authorize(gov, inv, Action.SEARCH_PLATE, Purpose(number, REASON), scope)
    add_note(gov, inv, "TIJ-2026-0001", "entrevista con el testigo, declaración firmada")
    authorize(gov, inv, Action.SEARCH_PLATE, Purpose("TIJ-2026-0001", "seguir a la periodista del semanario"), scope)
    built.clock.advance(hours=10)  # 20:00 in Tijuana: outside the investigator's 07:00-15:00 shift
    authorize(gov, inv, Action.SEARCH_PLATE, Purpose("TIJ-2026-0001", REASON), scope)
    declare_emergency(gov, built.people["supervisor"], "TIJ-2026-0002", Capability.FACE_SEARCH,
                      WarrantScope(start=now - timedelta(hours=3), end=now, cameras=("cam-1",)),
                      "menor desaparecido, riesgo inminente")
    built.clock.advance(hours=30)
    purge(gov)
    yield built
    gov.close()


def test_oversight_finds_the_anomalies(world: World) -> None:
    searches, found = oversight(world.gov, world.people["auditor"])
    assert len(searches) == 4 and all(s["user"] == "inv" for s in searches)
    assert [r["plate"] for r in found.repeated_plates] == ["XYZ9876"]
    assert set(found.repeated_plates[0]["cases"]) == {"TIJ-2026-0001", "TIJ-2026-0003", "TIJ-2026-0004"}
    assert {c["case"] for c in found.idle_cases} == {"TIJ-2026-0003", "TIJ-2026-0004"}
    assert len(found.outside_shift) == 1
    assert [r["category"] for r in found.refused if r["code"] == "forbidden_purpose"] == ["journalism"]
    assert len(found.unratified_emergencies) == 1
    assert [b["username"] for b in found.bootstrap_activations] == ["sup", "bc-sup"]


def test_only_auditors_see_oversight(world: World) -> None:
    for role in ("administrator", "investigator", "supervisor"):
        with pytest.raises(Refused):
            oversight(world.gov, world.people[role])


def test_periods() -> None:
    q4 = parse_period("2026-Q4")
    assert (q4.start.month, q4.end.year, q4.end.month) == (10, 2027, 1)
    assert parse_period("2026-11").end.month == 12 and parse_period("2026").end.year == 2027
    with pytest.raises(GovernanceError):
        parse_period("Q4 2026")


@pytest.mark.parametrize("fmt", ["md", "html", "pdf"])
def test_transparency_report(world: World, tmp_path, fmt: str) -> None:  # noqa: ANN001
    cameras = [Camera(id="cam-1", name="Agua Caliente", lat=32.5149, lon=-117.0382, analysis_url="x"),
               Camera(id="cam-2", name="Otay", lat=32.5301, lon=-116.9700, analysis_url="x")]
    figures = gather(world.gov, world.people["auditor"], parse_period("2026-Q4"), cameras)
    assert figures.searches_by_offense == {"robo de vehículo": 2, "robo": 2}
    assert figures.refused_by_reason["forbidden_purpose: journalism"] == 1
    assert figures.emergencies == {"declared": 1, "ratified": 0, "lapsed": 1}
    assert sum(figures.cameras_by_district.values()) == 2
    assert "32.5149" not in str(figures.cameras_by_district)  # exact positions never published
    path = write_report(figures, fmt, tmp_path / f"report.{fmt}")
    data = path.read_bytes()
    if fmt == "pdf":
        assert data.startswith(b"%PDF") and len(data) > 5000
    else:
        text = data.decode()
        assert "Transparency report 2026-Q4" in text and "robo de vehículo" in text and "XYZ9876" not in text
    if fmt == "md":
        assert (tmp_path / "report-searches-by-offense.png").read_bytes().startswith(b"\x89PNG")
    with pytest.raises(Refused):
        gather(world.gov, world.people["administrator"], parse_period("2026-Q4"))


def test_report_never_carries_plates_or_reasons(world: World, tmp_path) -> None:  # noqa: ANN001
    figures = gather(world.gov, world.people["auditor"], parse_period("2026-11"))
    html = write_report(figures, "html", tmp_path / "r.html").read_text()
    assert "XYZ9876" not in html and "periodista" not in html and "testigo" not in html


def test_export_contains_the_oversight_trail(world: World, tmp_path) -> None:  # noqa: ANN001
    bundle = world.gov.ledger.export(tmp_path / "audit.zip", world.people["auditor"])
    with zipfile.ZipFile(bundle) as z:
        assert b"warrant.lapsed" in z.read("ledger.jsonl")
