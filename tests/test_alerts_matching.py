"""Hotlist matching and the alert workflow: exact and look-alike matches, UNVERIFIED until a person decides."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from sereno.cli import app
from sereno.config import Settings
from sereno.domain import AlertStatus, HotlistEntry, MatchKind
from sereno.intel.alerts import AlertError, decide_alert, list_alerts
from sereno.intel.hotlists import replace_hotlist
from sereno.intel.matching import HotlistIndex, ListedPlate, classify_match
from sereno.intel.neighbours import key_variants
from sereno.plates import PLATE_CHARS, confusion_key, plate_distance
from sereno.store import Store
from tests.cli_world import camera, cli_world, log_in
from tests.test_store_core import make_sighting


@pytest.fixture
def store(settings: Settings):
    with Store.open(settings) as s:
        with s.session() as session:
            replace_hotlist(session, "stolen", [
                HotlistEntry("stolen", "LS15EBC", reason="stolen vehicle"),
                HotlistEntry("stolen", "RDZ5832", reason="con reporte de robo"),
                HotlistEntry("stolen", "OLD1111", reason="recovered", expires=date(2020, 1, 1)),
            ], "csv")
            replace_hotlist(session, "amber", [HotlistEntry("amber", "LS15EBC", reason="Amber alert")], "csv")
        yield s


def test_exact_read_raises_one_unverified_alert_per_list_with_the_evidence(store: Store) -> None:
    sighting = make_sighting("LS15EBC")
    alerts = store.add_sighting(sighting)
    assert {(a.list_name, a.match_kind, a.status) for a in alerts} == {
        ("stolen", MatchKind.EXACT, AlertStatus.UNVERIFIED), ("amber", MatchKind.EXACT, AlertStatus.UNVERIFIED)}
    with store.session() as s:
        listed = list_alerts(s)
    assert {i.alert.id for i in listed} == {a.id for a in alerts}
    assert all(i.sighting.id == sighting.id and i.sighting.plate_crop_path == "crops/LS15EBC.jpg" for i in listed)


def test_a_3_read_as_7_matches_as_a_lookalike_never_as_exact(store: Store) -> None:
    (alert,) = store.add_sighting(make_sighting("RDZ5872"))
    assert alert.match_kind is MatchKind.CONFUSION
    assert (alert.hotlist_plate, alert.read_plate) == ("RDZ5832", "RDZ5872")
    assert alert.distance == pytest.approx(0.5)
    (alert,) = store.add_sighting(make_sighting("RD25832"))  # Z read as 2
    assert alert.match_kind is MatchKind.CONFUSION


def test_unrelated_plates_expired_entries_and_plateless_sightings_raise_nothing(store: Store) -> None:
    assert store.add_sighting(make_sighting("RDZ5839")) == []  # 2 -> 9 is not a look-alike
    assert store.add_sighting(make_sighting("RDZ583")) == []  # a dropped character is not a look-alike
    assert store.add_sighting(make_sighting("OLD1111")) == []  # listed, but the entry expired
    assert store.add_sighting(make_sighting(None)) == []


def test_reimport_takes_effect_on_the_next_sighting(store: Store) -> None:
    assert store.add_sighting(make_sighting("NEW0001")) == []
    with store.session() as s:
        replace_hotlist(s, "stolen", [HotlistEntry("stolen", "NEW0001", reason="stolen vehicle")], "csv")
    assert [a.hotlist_plate for a in store.add_sighting(make_sighting("NEW0001"))] == ["NEW0001"]
    assert [a.list_name for a in store.add_sighting(make_sighting("LS15EBC"))] == ["amber"]


def test_lookalike_key_generation_never_misses_a_match() -> None:
    """Brute force: every plate within the budget must have a generated key (else matching misses it)."""
    rng = random.Random(3)
    lookalikes = [c for c in PLATE_CHARS]
    for _ in range(300):
        read = "".join(rng.choice(PLATE_CHARS) for _ in range(rng.randint(5, 7)))
        listed = list(read)
        for pos in rng.sample(range(len(read)), 2):
            listed[pos] = rng.choice(lookalikes)
        listed_plate = "".join(listed)
        verdict = classify_match(read, listed_plate)
        if verdict is not None:
            assert confusion_key(listed_plate) in key_variants(confusion_key(read), 1.0, confusions_only=True)
        for budget in (1.0, 1.5):
            other = "".join(rng.choice(PLATE_CHARS) for _ in range(len(read) + rng.choice((-1, 0, 1))))
            mutated = read[:3] + other[3:4] + read[4:]
            for candidate in (other, mutated, read[1:], read + "7"):
                if plate_distance(read, candidate) <= budget:
                    assert confusion_key(candidate) in key_variants(confusion_key(read), budget)


def test_index_matching_is_pure_and_closest_first() -> None:
    index = HotlistIndex([ListedPlate("a", "B0S1234", "x", None), ListedPlate("a", "8OS1234", "y", None),
                          ListedPlate("b", "80S1234", "z", None)])
    alerts = index.match([make_sighting("80S1234")], today=date(2026, 11, 23))
    assert [(a.list_name, a.hotlist_plate, a.match_kind) for a in alerts][0] == ("b", "80S1234", MatchKind.EXACT)
    assert {a.hotlist_plate for a in alerts} == {"B0S1234", "8OS1234", "80S1234"}


def test_decisions_need_who_and_why_and_are_final(store: Store) -> None:
    (alert, _) = store.add_sighting(make_sighting("LS15EBC"))
    with store.session() as s:
        with pytest.raises(AlertError, match="--by"):
            decide_alert(s, alert.id, AlertStatus.CONFIRMED, "", "looked")
        with pytest.raises(AlertError, match="too short"):
            decide_alert(s, alert.id[:3], AlertStatus.CONFIRMED, "Ofc. Ruiz", "crop matches")
        decided = decide_alert(s, alert.id[:8], AlertStatus.DISMISSED, "Ofc. Ruiz", "crop shows LS15FBC")
    assert (decided.status, decided.decided_by) == (AlertStatus.DISMISSED, "Ofc. Ruiz")
    with store.session() as s:
        with pytest.raises(AlertError, match="already dismissed"):
            decide_alert(s, alert.id, AlertStatus.CONFIRMED, "Sgt. Soto", "changed my mind")
        (stored,) = [i.alert for i in list_alerts(s, AlertStatus.DISMISSED)]
    assert stored.decision_reason == "crop shows LS15FBC" and stored.decided_at is not None


def test_cli_shows_unverified_prominently_and_records_decisions(settings: Settings, store: Store) -> None:
    world = cli_world(settings, [camera("cam1")])
    log_in(world, settings, "op")
    store.add_sighting(make_sighting("RDZ5872"))
    runner = CliRunner()
    base = ["--data-dir", str(settings.data_dir)]
    shown = runner.invoke(app, base + ["alerts", "list"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "UNVERIFIED" in shown.output and "not grounds for a stop" in shown.output
    assert "LOOK-ALIKE" in shown.output and "RDZ5872" in shown.output
    (doc,) = json.loads(runner.invoke(app, base + ["alerts", "list", "--json"]).stdout)
    assert doc["status"] == "unverified" and doc["verification_required"] is True
    assert doc["match_kind"] == "confusion" and doc["evidence"]["plate_crop"].endswith("crops/RDZ5872.jpg")
    done = runner.invoke(app, base + ["alerts", "confirm", doc["id"][:8], "--reason",
                                      "crop reads RDZ5832, the 3 is clear"])
    assert done.exit_code == 0, done.output
    again = runner.invoke(app, base + ["alerts", "dismiss", doc["id"][:8], "--reason", "changed my mind about it"])
    assert again.exit_code == 1 and "decisions are final" in again.output
    (doc,) = json.loads(runner.invoke(app, base + ["alerts", "list", "--status", "confirmed", "--json"]).stdout)
    assert doc["decided_by"] == "op" and doc["verification_required"] is False  # the logged-in person decided
    looks = [e for e in world.gov.ledger.entries(kind="decision") if e["action"] == "alerts.view"]
    assert looks[0]["details"]["reason"] == "revisión de alertas de listas en turno" and len(looks) == 3
    log_in(world, settings, "admin")
    refused = runner.invoke(app, base + ["alerts", "list"])
    assert refused.exit_code == 1 and "may not alerts.view" in refused.output and "RDZ5872" not in refused.output
    world.gov.close()


def test_importing_a_list_alerts_on_recent_sightings_once(settings: Settings, tmp_path) -> None:
    from sereno.domain import utcnow

    world = cli_world(settings, [camera("cam1")])
    with Store.open(settings) as s:
        passed = s.add_sighting(make_sighting("LS15EBC", at=utcnow()))  # seen before anyone listed it
        assert passed == []
        s.add_sighting(make_sighting("LS15EBC", at=utcnow() - timedelta(days=3)))  # older than the look-back
    listed = tmp_path / "list.csv"
    listed.write_text("LS15EBC,stolen vehicle,BC,\n")
    runner = CliRunner()
    base = ["--data-dir", str(settings.data_dir)]
    log_in(world, settings, "sup")
    out = runner.invoke(app, base + ["hotlist", "import", str(listed), "--name", "stolen", "--json"])
    assert out.exit_code == 0, out.output
    (alert,) = json.loads(out.stdout)["alerts"]
    assert (alert["status"], alert["match_kind"], alert["read_plate"]) == ("unverified", "exact", "LS15EBC")
    again = runner.invoke(app, base + ["hotlist", "import", str(listed), "--name", "stolen", "--json"])
    assert json.loads(again.stdout)["alerts"] == []  # re-importing does not alert twice
    log_in(world, settings, "op")
    assert len(json.loads(runner.invoke(app, base + ["alerts", "list", "--json"]).stdout)) == 1
    world.gov.close()


def test_a_matching_failure_still_saves_the_sighting(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from sereno.intel.search import search_plate

    def broken(*_args, **_kwargs):
        raise RuntimeError("corrupt hotlist index")

    monkeypatch.setattr(HotlistIndex, "match", broken)
    assert store.add_sighting(make_sighting("LS15EBC")) == []
    with store.session() as s:
        assert [x.plate_text for x in search_plate(s, "LS15EBC")] == ["LS15EBC"]
