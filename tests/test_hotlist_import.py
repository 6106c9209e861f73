"""Hotlists: the three formats, bad lines reported with line numbers, atomic replacement, expiry, the CLI."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from sereno.cli import app
from sereno.config import Settings
from sereno.domain import HotlistEntry
from sereno.intel.hotlists import (
    HotlistError, detect_format, list_hotlists, parse_hotlist, read_hotlist_file, replace_hotlist,
)
from sereno.store import Store
from sereno.store.tables import HotlistEntryRow
from tests.cli_world import cli_world, log_in

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "hotlists"


def test_ncic_fixed_width_extract_reads_plate_state_vehicle_and_reports_bad_lines() -> None:
    parsed = read_hotlist_file(EXAMPLES / "ncic-extract-sample.txt", "ncic")
    assert parsed.format == "ncic"
    assert [(e.plate, e.state, e.reason) for e in parsed.entries] == [
        ("LS15EBC", "BC", "stolen vehicle"), ("ABC1234", "BC", "stolen plate"),
        ("7XYZ123", "CA", "felony vehicle"), ("WKR4821", "SO", "Amber alert")]
    assert parsed.entries[0].description == "2019 NISS VER BLU" and parsed.entries[0].source_line == 1
    assert [(p.line, p.reason.split(" ")[0]) for p in parsed.problems] == [
        (5, "list"), (6, "entry"), (7, "line"), (8, "plate")]
    assert "'Q'" in parsed.problems[0].reason and "YYYYMMDD" in parsed.problems[1].reason


def test_openalpr_csv_normalises_plates_and_rejects_empty_ones() -> None:
    parsed = read_hotlist_file(EXAMPLES / "openalpr-sample.csv", "alpr")
    assert parsed.format == "openalpr"
    assert [(e.plate, e.state) for e in parsed.entries] == [("LS15EBC", "BC"), ("ABC1234", "BC"),
                                                           ("CDG4711", "SON")]
    assert [(p.line, p.reason) for p in parsed.problems] == [(5, "no plate in the first column")]


def test_plain_csv_reads_expiry_and_rejects_bad_dates_and_short_plates() -> None:
    parsed = read_hotlist_file(EXAMPLES / "plain-sample.csv", "plain")
    assert parsed.format == "csv"
    assert [(e.plate, e.expires) for e in parsed.entries] == [
        ("LS15EBC", date(2099, 12, 31)), ("RDZ5832", None), ("MXA1207", date(2020, 1, 31))]
    assert [p.line for p in parsed.problems] == [5, 6]
    assert "not 2 to 10" in parsed.problems[0].reason and "YYYY-MM-DD" in parsed.problems[1].reason


def test_format_detection_and_unreadable_files(tmp_path: Path) -> None:
    assert detect_format(["Plate Number,Description,State/Province"]) == "openalpr"
    assert detect_format(["ABC123,stolen,BC,"]) == "csv"
    with pytest.raises(HotlistError, match="--format"):
        parse_hotlist("just some words\n", "x")
    binary = tmp_path / "list.bin"
    binary.write_bytes(b"\x00\x01\x02garbage")
    with pytest.raises(HotlistError, match="binary"):
        read_hotlist_file(binary, "x")
    with pytest.raises(HotlistError, match="cannot read"):
        read_hotlist_file(tmp_path / "missing.csv", "x")
    with pytest.raises(HotlistError, match="unknown hotlist format"):
        parse_hotlist("A,B\n", "x", fmt="xml")
    latin1 = tmp_path / "robos.csv"
    latin1.write_bytes("plate,reason,state,expires\nMXA1207,robo en Peñasco,SON,\n".encode("latin-1"))
    (entry,) = read_hotlist_file(latin1, "x").entries
    assert entry.reason == "robo en Peñasco"


def test_garbage_lines_never_stop_the_good_ones() -> None:
    text = "ABC123,stolen,BC,\n\x07\x08,,,\n\"unclosed,quote\nDEF456,robbery,SON,2099-01-01,extra,cols\nGHI789,,,\n"
    parsed = parse_hotlist(text, "x", fmt="csv")
    assert [(e.plate, e.source_line) for e in parsed.entries] == [("ABC123", 1), ("GHI789", 5)]
    assert [p.line for p in parsed.problems] == [2, 3, 4]


def _plates(store: Store) -> list[str]:
    with store.session() as s:
        return sorted(s.execute(select(HotlistEntryRow.plate)).scalars())


def test_reimport_replaces_the_list_and_a_failed_import_leaves_the_old_one(settings: Settings) -> None:
    with Store.open(settings) as store:
        with store.session() as s:
            replace_hotlist(s, "stolen", [HotlistEntry("stolen", "AAA111"), HotlistEntry("stolen", "BBB222")], "csv")
        with store.session() as s:
            replace_hotlist(s, "stolen", [HotlistEntry("stolen", "CCC333")], "csv")
        assert _plates(store) == ["CCC333"]
        with pytest.raises(RuntimeError):
            with store.session() as s:
                replace_hotlist(s, "stolen", [HotlistEntry("stolen", "DDD444")], "csv")
                raise RuntimeError("import interrupted after the old entries were deleted")
        assert _plates(store) == ["CCC333"]
        with store.session() as s:
            (summary,) = list_hotlists(s)
        assert (summary.name, summary.entries, summary.active) == ("stolen", 1, 1)


def test_expired_entries_are_counted_inactive(settings: Settings) -> None:
    with Store.open(settings) as store, store.session() as s:
        replace_hotlist(s, "l", [HotlistEntry("l", "OLD111", expires=date(2020, 1, 1)),
                                 HotlistEntry("l", "NEW222", expires=date(2099, 1, 1)), HotlistEntry("l", "ANY333")],
                        "csv")
        (summary,) = list_hotlists(s, today=date(2026, 11, 23))
    assert (summary.entries, summary.active) == (3, 2)


@pytest.fixture
def supervisor_cli(settings: Settings):
    """`sereno` as the logged-in supervisor: hotlists are managed by supervisors."""
    world = cli_world(settings, [])
    log_in(world, settings, "sup")
    runner = CliRunner()

    def sereno(*args: str):  # noqa: ANN202
        return runner.invoke(app, ["--data-dir", str(settings.data_dir), *args])

    sereno.world = world  # type: ignore[attr-defined]
    yield sereno
    world.gov.close()


def test_cli_import_reports_counts_and_bad_lines_then_lists(supervisor_cli) -> None:  # noqa: ANN001
    result = supervisor_cli("hotlist", "import", str(EXAMPLES / "ncic-extract-sample.txt"), "--name", "ncic")
    assert result.exit_code == 0, result.output
    assert "4 entries imported" in result.output and "4 lines rejected" in result.output
    assert "ncic-extract-sample.txt:5" in result.output
    result = supervisor_cli("hotlist", "import", str(EXAMPLES / "plain-sample.csv"), "--name", "plain", "--format",
                            "csv", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["imported"] == 3 and [p["line"] for p in doc["rejected"]] == [5, 6]
    listed = json.loads(supervisor_cli("hotlist", "list", "--json").stdout)
    assert {h["name"]: (h["entries"], h["rejected"]) for h in listed} == {"ncic": (4, 4), "plain": (3, 2)}
    bad = supervisor_cli("hotlist", "import", str(EXAMPLES / "nope.csv"), "--name", "x")
    assert bad.exit_code == 1 and "cannot read" in bad.output
    imports = [e["details"] for e in supervisor_cli.world.gov.ledger.entries(kind="config")
               if e["action"] == "hotlist.import"]
    assert [(d["list_name"], d["entries"], d["rejected"]) for d in imports] == [("ncic", 4, 4), ("plain", 3, 2)]


def test_only_supervisors_import_hotlists(supervisor_cli, settings: Settings) -> None:  # noqa: ANN001
    log_in(supervisor_cli.world, settings, "op")
    refused = supervisor_cli("hotlist", "import", str(EXAMPLES / "plain-sample.csv"), "--name", "plain")
    assert refused.exit_code == 1 and "may not hotlist.manage" in refused.output and "ledger entry #" in refused.output
    assert json.loads(supervisor_cli("hotlist", "list", "--json").stdout) == []  # operators see the lists


def test_a_file_with_no_valid_line_never_empties_an_existing_list(supervisor_cli, settings: Settings,
                                                                    tmp_path: Path) -> None:  # noqa: ANN001
    good, broken = tmp_path / "good.csv", tmp_path / "broken.csv"
    good.write_text("ABC123,stolen,BC,\n")
    broken.write_text("plate,reason,state,expires\n-,x,BC,\n???,y,BC,\n")
    assert supervisor_cli("hotlist", "import", str(good), "--name", "stolen").exit_code == 0
    refused = supervisor_cli("hotlist", "import", str(broken), "--name", "stolen")
    assert refused.exit_code == 1 and "none of its 2 lines is valid" in refused.output
    with Store.open(settings) as store:
        assert _plates(store) == ["ABC123"]
