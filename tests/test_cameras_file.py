"""The camera list file and `sereno cameras add|list|remove`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sereno.cli import app
from sereno.domain import Camera, CameraKind, CameraState, CameraStatus
from sereno.video.cameras_file import CameraFileError, load_cameras, save_cameras

runner = CliRunner()


def sereno(settings, *args: str):
    return runner.invoke(app, ["--data-dir", str(settings.data_dir), *args])


def test_round_trip_keeps_every_field(tmp_path: Path):
    cameras = [Camera("gate-1", "Garita", 32.54, -117.03, "rtsp://10.0.0.5/sub", heading=180.0, kind=CameraKind.PTZ,
                      recording_url="rtsp://10.0.0.5/main", analysis_fps=4.0, enabled=False, region="mx"),
               Camera("file-cam", "file-cam", 32.5, -117.0, "/srv/clip.mp4")]
    path = tmp_path / "cameras.yaml"
    save_cameras(path, cameras)
    assert load_cameras(path) == cameras


def test_the_example_file_loads():
    cameras = load_cameras(Path(__file__).resolve().parents[1] / "examples" / "cameras.yaml")
    assert [c.id for c in cameras] == ["garita-norte", "blvd-agua-caliente", "archivo-prueba"]


@pytest.mark.parametrize("text, expected", [
    ("cameras: [", "not valid YAML"),
    ("- just a list", "top-level 'cameras:'"),
    ("cameras:\n  - id: a\n    lat: 1\n    lon: 2\n", "entry 1: missing required field 'analysis_url'"),
    ("cameras:\n  - {id: a, lat: 1, lon: 2, analysis_url: x.mp4}\n  - {id: b, lat: north, lon: 2, analysis_url: y}",
     "entry 2 (camera b), field 'lat': expected a number, got 'north'"),
    ("cameras:\n  - {id: a, lat: 1, lon: 2, analysis_url: x.mp4, kind: dome}", "field 'kind': 'dome'"),
    ("cameras:\n  - {id: a, lat: 1, lon: 2, analysis_url: 'ftp://x/y'}", "field 'analysis_url': unsupported scheme"),
    ("cameras:\n  - {id: a, lat: 1, lon: 2, analysis_url: x, colour: red}", "unknown field(s) colour"),
    ("cameras:\n  - {id: a, lat: 1, lon: 2, analysis_url: x}\n  - {id: a, lat: 1, lon: 2, analysis_url: y}",
     "entry 2: camera id 'a' is used twice"),
    ("cameras:\n  - {id: 'a b', lat: 1, lon: 2, analysis_url: x}", "field 'id'"),
    ("cameras:\n  - {id: a, lat: 1, lon: 2, analysis_url: x, region: uk}", "field 'region': 'uk' must be one of"),
])
def test_garbage_names_the_file_the_entry_and_the_field(tmp_path: Path, text: str, expected: str):
    path = tmp_path / "cameras.yaml"
    path.write_text(text)
    with pytest.raises(CameraFileError) as error:
        load_cameras(path)
    assert str(path) in str(error.value) and expected in str(error.value)


def test_cli_add_list_remove(settings):
    added = sereno(settings, "cameras", "add", "gate-1", "--url", "rtsp://user:secret@10.0.0.5/sub", "--lat", "32.54",
                   "--lon", "-117.03", "--heading", "180", "--kind", "ptz", "--name", "Garita")
    assert added.exit_code == 0, added.output
    duplicate = sereno(settings, "cameras", "add", "gate-1", "--url", "x.mp4", "--lat", "1", "--lon", "1")
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    bad = sereno(settings, "cameras", "add", "gate-2", "--url", "x.mp4", "--lat", "91", "--lon", "1")
    assert bad.exit_code == 1 and "field 'lat': 91.0 is outside -90..90" in bad.output

    from sereno.store import Store

    with Store.open(settings) as store:
        store.set_camera_status(CameraStatus("gate-1", CameraState.OFFLINE, "cannot open (Connection refused)"))
    listed = sereno(settings, "cameras", "list", "--json")
    assert listed.exit_code == 0, listed.output
    [entry] = json.loads(listed.stdout)
    assert entry["camera"]["kind"] == "ptz" and entry["camera"]["name"] == "Garita"
    # Nobody is logged in: camera positions are restricted data, so they are left out.
    assert entry["located"] is False and entry["camera"]["lat"] is None and entry["camera"]["heading"] is None
    assert "secret" not in entry["camera"]["analysis_url"]  # credentials never printed
    assert entry["status"]["state"] == "offline" and "Connection refused" in entry["status"]["reason"]
    table = sereno(settings, "cameras", "list")
    assert table.exit_code == 0 and "gate-1" in table.output and "secret" not in table.output

    assert sereno(settings, "cameras", "remove", "gate-1").exit_code == 0
    assert load_cameras(settings.cameras_path) == []
    missing = sereno(settings, "cameras", "remove", "gate-1")
    assert missing.exit_code == 1 and "no camera 'gate-1'" in missing.output


def test_cli_reports_a_broken_camera_file_without_a_traceback(settings):
    settings.data_dir.mkdir(parents=True)
    settings.cameras_path.write_text("cameras:\n  - {id: a, lat: 1}\n")
    result = sereno(settings, "cameras", "list")
    assert result.exit_code == 1 and "entry 1: missing required field 'lon'" in result.output
    assert "Traceback" not in result.output
