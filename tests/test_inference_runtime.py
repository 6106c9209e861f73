"""The two inference runtimes (setting ``inference_runtime``): OpenVINO must find and read what ONNX Runtime finds
and reads, on real video frames and real plate crops (../shared/data), with the installed models."""

from __future__ import annotations

import av
import numpy as np
import pytest

from sereno.config import ConfigError, load_settings
from sereno.vision.detectors import ObjectDetector, PlateDetector
from sereno.vision.models import ModelMissing
from sereno.vision import onnx
from sereno.vision.onnx import OnnxSetupError, OpenVinoSession, make_session, resolve_runtime
from sereno.vision.plate_reader import PlateReader, make_recogniser
from sereno.vision.yolo import iou_matrix
from tests.realdata import shared_file
from tests.test_plate_reader import labelled_crops

RUNTIMES = ("onnxruntime", "openvino")


def test_an_unknown_runtime_is_a_clear_error(tmp_path, monkeypatch):
    with pytest.raises(OnnxSetupError, match="auto, onnxruntime, openvino"):
        resolve_runtime("tensorflow")
    monkeypatch.setenv("SERENO_INFERENCE_RUNTIME", "tensorflow")
    with pytest.raises(ConfigError, match="inference_runtime"):
        load_settings(tmp_path)


@pytest.mark.parametrize(("bf16", "providers", "chosen"), [
    (True, "", "openvino"),  # a CPU with native bfloat16 (AMX, AVX-512 BF16)
    (False, "", "onnxruntime"),  # any other CPU
    (True, "CPUExecutionProvider", "openvino"),
])
def test_auto_takes_openvino_only_where_it_computes_in_bfloat16(monkeypatch, bf16, providers, chosen):
    """The CPU probe is stood in for: one machine cannot be both kinds of CPU."""
    monkeypatch.setattr(onnx, "openvino_computes_bf16", lambda: bf16)
    monkeypatch.setenv(onnx.PROVIDERS_ENV, providers)
    assert resolve_runtime("auto") == chosen
    assert resolve_runtime("onnxruntime") == "onnxruntime"


@pytest.mark.parametrize(("flags", "native"), [
    ("avx512f avx512_vnni amx_bf16 amx_tile amx_int8", True),  # Intel Sapphire Rapids (AMX)
    ("avx512f avx512_bf16 avx512_vnni avx512_vbmi2", True),  # AMD Zen 4 (AVX-512 BF16, no AMX)
    ("avx2 fma avx512f avx512_vnni", False),  # Intel Cascade Lake: AVX-512 without bfloat16
    ("avx2 fma", False),
])
def test_the_cpu_flags_tell_native_bfloat16(flags, native):
    cpuinfo = f"processor\t: 0\nmodel name\t: some CPU\nflags\t\t: fpu sse2 {flags}\n\nprocessor\t: 1\n"
    assert onnx.has_native_bf16(cpuinfo) is native


def test_only_the_flags_line_counts():
    assert not onnx.has_native_bf16("model name\t: avx512_bf16 in a name, not a flag\nflags\t\t: fpu avx2\n")
    assert not onnx.has_native_bf16("vmx flags\t: avx512_bf16 amx_bf16\nflags\t\t: fpu avx2\n")


def test_the_cpu_probe_never_hides_a_cpu_where_openvino_computes_in_bfloat16():
    """The flags probe spares loading OpenVINO where it would say no; it must not say no where OpenVINO computes in
    bfloat16 by default (it did on an AMD Zen 4, which has AVX-512 BF16 and no AMX). Where the flags say yes,
    OpenVINO itself is still asked."""
    openvino = pytest.importorskip("openvino")
    if not onnx.CPU_FLAGS.exists():
        pytest.skip("no /proc/cpuinfo on this system")
    native = onnx.has_native_bf16(onnx.CPU_FLAGS.read_text(encoding="utf-8", errors="replace"))
    onnx.openvino_computes_bf16.cache_clear()  # the product's answer on this machine, not one cached under a stand-in
    if openvino.Core().get_property("CPU", "INFERENCE_PRECISION_HINT") == openvino.Type.bf16:
        assert native
        assert onnx.openvino_computes_bf16()
    else:
        assert not onnx.openvino_computes_bf16()


def test_auto_leaves_a_gpu_provider_to_onnxruntime(monkeypatch):
    """A GPU asked for through SERENO_ONNX_PROVIDERS is ONNX Runtime's; no CUDA build here, so the provider list is
    stood in for (like the CPU probe above: hardware this machine does not have)."""
    monkeypatch.setattr(onnx, "openvino_computes_bf16", lambda: True)
    monkeypatch.setattr(onnx, "providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    assert resolve_runtime("auto") == "onnxruntime"


def test_openvino_asked_for_without_the_package_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(onnx, "_openvino_core", lambda: None)
    with pytest.raises(OnnxSetupError, match="pip install openvino"):
        resolve_runtime("openvino")


def test_a_damaged_model_under_openvino_is_a_clear_error(tmp_path):
    pytest.importorskip("openvino", reason="the openvino package is not installed")
    damaged = tmp_path / "damaged.onnx"
    damaged.write_bytes(b"not an onnx file")
    with pytest.raises(OnnxSetupError, match="damaged.onnx with openvino.*sereno models install"):
        make_session(damaged, 1, "openvino")


@pytest.fixture(scope="module")
def frames():
    with av.open(str(shared_file("video/car-approach-plate-LS15EBC.mp4"))) as container:
        decoded = [f.to_ndarray(format="bgr24") for i, f in zip(range(121), container.decode(video=0))]
    return decoded[40::40]


def settings_for(tmp_path, name: str):
    if name == "openvino":
        pytest.importorskip("openvino", reason="the openvino package is not installed")
    return load_settings(tmp_path / name, inference_runtime=name)


def test_openvino_finds_the_plates_and_vehicles_onnxruntime_finds(tmp_path, frames):
    try:
        plates = {name: PlateDetector(settings_for(tmp_path, name), threads=1) for name in RUNTIMES}
        objects = {name: ObjectDetector(settings_for(tmp_path, name), threads=1) for name in RUNTIMES}
    except ModelMissing as exc:
        pytest.skip(f"detector models not installed: {exc}")
    assert isinstance(plates["openvino"].model.session, OpenVinoSession)
    assert plates["openvino"].model.names == plates["onnxruntime"].model.names  # metadata read by both
    for frame in frames:
        vehicles = {name: objects[name].detect(frame) for name in RUNTIMES}
        # plates looked for inside the vehicles too: the region passes OpenVINO pads to multiples of 128
        found_plates = {name: plates[name].detect(frame, vehicles=vehicles[name]) for name in RUNTIMES}
        for found in (vehicles, found_plates):
            exact, other = found["onnxruntime"], found["openvino"]
            assert len(other) == len(exact) >= 1
            overlap = iou_matrix(np.array([d.box for d in exact]), np.array([d.box for d in other]))
            # the same things; not always the same box to the pixel: where two passes find a plate, the better
            # score's box is kept, and bfloat16 scores can tip that choice (tightness: benchmarks/detector_like_*)
            assert (overlap.max(axis=1) > 0.7).all(), (exact, other)
            assert sorted(d.label for d in exact) == sorted(d.label for d in other)
    assert objects["openvino"].model._by_shape  # the COCO graph was re-targeted to the frame, not padded square


@pytest.mark.parametrize("region", ["us", "br"])
def test_openvino_reads_the_real_crops_onnxruntime_reads(tmp_path, region):
    """bfloat16 (OpenVINO on an AMX CPU) may move a doubtful crop; the readings must agree almost everywhere."""
    crops = labelled_crops(region, count=60)
    readers = {name: PlateReader(settings_for(tmp_path, name), region=region, threads=1) for name in RUNTIMES}
    reads = {name: [reader.read_crop(image) for image, _ in crops] for name, reader in readers.items()}
    texts = {name: [r.text if r else None for r in found] for name, found in reads.items()}
    agree = sum(a == b for a, b in zip(texts["onnxruntime"], texts["openvino"], strict=True))
    assert agree >= len(crops) - 2, list(zip(texts["onnxruntime"], texts["openvino"], strict=True))
    exact = {name: sum(t == plate for t, (_, plate) in zip(found, crops, strict=True)) for name, found in texts.items()}
    assert exact["openvino"] >= exact["onnxruntime"] - 1, exact


def test_the_pp_ocr_vocabulary_comes_from_the_model_under_either_runtime():
    pytest.importorskip("openvino", reason="the openvino package is not installed")
    folds = [make_recogniser("pp-ocrv4", 1, name).fold for name in RUNTIMES]
    assert folds[0].shape == folds[1].shape and np.array_equal(folds[0], folds[1])
