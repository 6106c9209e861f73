"""Sereno's own plate recogniser: the committed ONNX model read through the runtime, on real validation crops (split
by plate, never seen in training) and on synthetic two-line plates."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sereno.training.datasets import load_crop_set
from sereno.training.synth import LAYOUTS, synth_plate
from sereno.vision.plate_ocr import (
    ALPHABET, PAD, SLOTS, PlateOCR, ctc_gaps, ctc_to_slots, decode_slots, preprocess,
)
from tests.realdata import shared_file

# Floors below the figures measured on the validation split (docs/plate-ocr.md: us 94.7%, br 93.1%, ar 80.6%).
EXACT_FLOORS = {"us": 0.88, "br": 0.88, "ar": 0.70}


@pytest.fixture(scope="module")
def ocr() -> PlateOCR:
    if not PlateOCR.is_available():
        pytest.skip("plate OCR model not committed: sereno/vision/models/plate_ocr.onnx")
    return PlateOCR(threads=1)


def exact_rate(ocr: PlateOCR, crops) -> float:
    probs = ocr.char_probs_batch([c.image for c in crops])
    return sum(decode_slots(p)[0] == c.text for p, c in zip(probs, crops)) / len(crops)


@pytest.mark.parametrize("crop_set", ["us", "br", "ar"])
def test_reads_real_validation_crops(ocr: PlateOCR, crop_set: str) -> None:
    alpr = shared_file(f"alpr/{crop_set}-crops").parent
    crops = load_crop_set(alpr, crop_set, "val")
    assert len(crops) > 25
    assert exact_rate(ocr, crops) >= EXACT_FLOORS[crop_set]


def test_char_probs_are_a_softmax_per_slot_with_pad_last(ocr: PlateOCR) -> None:
    plate = synth_plate(np.random.default_rng(3), "mx-private", clean=True)
    probs = ocr.char_probs(plate.image_bgr)
    assert probs.shape == (SLOTS, len(ALPHABET))
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-3)
    assert ALPHABET[-1] == PAD == "_"
    text, confidence = decode_slots(probs)
    assert text == plate.text  # pads after the last character are dropped
    assert 0.0 < confidence <= 1.0


def test_reads_two_line_plates(ocr: PlateOCR) -> None:
    rng = np.random.default_rng(11)
    two_line = [layout for layout in LAYOUTS if layout.two_line]
    plates = [synth_plate(rng, layout, clean=True) for layout in two_line for _ in range(15)]
    assert all(len(p.lines) == 2 for p in plates)
    reads = [ocr.read_text(p.image_bgr)[0] for p in plates]
    # measured 83% (50 of 60) on these clean renders; a read is the top line followed by the bottom line
    assert sum(r == p.text for r, p in zip(reads, plates)) / len(plates) >= 0.75


def test_accepts_grayscale_and_bgra_crops(ocr: PlateOCR) -> None:
    bgr = synth_plate(np.random.default_rng(5), "br-mercosur", clean=True).image_bgr
    gray = bgr.mean(axis=2).astype(np.uint8)
    bgra = np.dstack([bgr, np.full(bgr.shape[:2], 255, np.uint8)])
    assert ocr.read_text(gray)[0] == ocr.read_text(bgra)[0] == ocr.read_text(bgr)[0]


def test_bad_input_says_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="plate crop"):
        preprocess(np.zeros((0, 10, 3), np.uint8))


def test_missing_model_file_tells_how_to_rebuild(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="train_plate_ocr"):
        PlateOCR(tmp_path / "absent.onnx")


def test_ctc_collapse_merges_repeats_and_splits_at_blanks() -> None:
    blank = len(ALPHABET) - 1
    steps = [ALPHABET.index(c) if c != "_" else blank for c in "__AA_A_0011__"]
    probs = np.full((len(steps), len(ALPHABET)), 0.01, np.float32)
    probs[np.arange(len(steps)), steps] = 0.9
    slots = ctc_to_slots(probs / probs.sum(axis=1, keepdims=True))
    assert slots.shape == (SLOTS, len(ALPHABET))
    assert decode_slots(slots)[0] == "AA01"


def test_ctc_gaps_show_what_the_blank_hid_between_characters() -> None:
    """Between two characters the blank won every step, but one step still gave a C some weight: that is the gap's
    row. The A run's echo on the step after it is not taken for a second A."""
    blank = len(ALPHABET) - 1
    steps = np.full((6, len(ALPHABET)), 0.001, np.float32)
    for step, (symbol, p) in enumerate(zip("_A__B_", (0.9, 0.9, 0.5, 0.6, 0.9, 0.9))):
        steps[step, blank if symbol == "_" else ALPHABET.index(symbol)] = p
    steps[2, ALPHABET.index("A")] = 0.4  # the A fading out
    steps[3, ALPHABET.index("C")] = 0.3  # something under the blank
    gaps = ctc_gaps(steps)
    assert gaps.shape == (3, len(ALPHABET))  # before A, between A and B, after B
    assert ALPHABET[gaps[1].argmax()] == "C" and gaps[1].max() == pytest.approx(0.3)
    assert gaps[1, blank] == 0 and gaps[1, ALPHABET.index("A")] == 0 and gaps[1, ALPHABET.index("B")] == 0
    assert gaps[0].max() == pytest.approx(0.001) and gaps[0, ALPHABET.index("A")] == 0


def rebuilt_committed_network():
    """The committed ONNX model rebuilt as a ``PlateCTCNet`` (BatchNorms not yet calibrated), a batch of random
    inputs, and what the ONNX file computes on them."""
    torch = pytest.importorskip("torch")
    from sereno.training.model import PlateCTCNet
    from sereno.training.onnx_weights import load_onnx_weights
    from sereno.training.train import onnx_columns
    from sereno.vision.onnx import make_session
    from sereno.vision.plate_ocr import DEFAULT_MODEL

    if not DEFAULT_MODEL.exists():
        pytest.skip("plate OCR model not committed")
    x = torch.rand(8, 1, 64, 160, generator=torch.Generator().manual_seed(0))
    expected = make_session(DEFAULT_MODEL, 1, "onnxruntime").run(None, {"image": x.numpy()})[0]  # float32, as torch
    net = PlateCTCNet(columns=onnx_columns(DEFAULT_MODEL))
    load_onnx_weights(net, DEFAULT_MODEL)
    return net, x, expected


def computes(net, x, expected) -> bool:
    """True when ``net`` (dropout switched off) gives ``expected`` within 1e-4, in evaluation and training mode."""
    import torch

    from sereno.training.model import WithSoftmax

    for module in net.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    same = []
    for training in (False, True):
        net.train(training)
        same.append(np.abs(WithSoftmax(net)(x).detach().numpy() - expected).max() < 1e-4)
    return all(same)


def test_onnx_weights_rebuild_the_committed_network_exactly() -> None:
    """Fine-tuning starts from the committed ONNX file (no torch checkpoint is kept): the rebuilt network computes
    what the file computes, in evaluation and (dropout aside) in training mode once its BatchNorms are calibrated."""
    from sereno.training.onnx_weights import calibrate_batchnorm

    net, x, expected = rebuilt_committed_network()
    calibrate_batchnorm(net, x)
    assert computes(net, x, expected)


def test_training_command_fine_tunes_from_the_committed_model_and_exports(tmp_path) -> None:
    """The CPU training command end to end at toy size: renders (loose detector-like crops included), trains, exports
    an ONNX file the runtime reads, writes its metadata. With a negligible learning rate the fine-tuned copy must
    read the held-out US crops about as well as the committed model (a broken weight import reads none)."""
    pytest.importorskip("torch")
    from sereno.training.train import main
    from sereno.vision.plate_ocr import DEFAULT_MODEL

    if not DEFAULT_MODEL.exists():
        pytest.skip("plate OCR model not committed")
    alpr = shared_file("alpr/us-crops").parent
    out = tmp_path / "plate_ocr.onnx"
    assert main(["--init", str(DEFAULT_MODEL), "--bank", "64", "--rounds", "1", "--epochs", "1", "--batch", "32",
                 "--lr", "1e-8",
                 "--workers", "1", "--threads", "1", "--synth-val", "10", "--data", str(alpr), "--out",
                 str(out)]) == 0
    meta = json.loads(out.with_suffix(".json").read_text())
    # a fine-tune skips the clean warm-up of a training from scratch
    assert meta["training"]["steps"] == 2 and meta["training"]["loose_fraction"] > 0
    assert "us-small" in meta["validation"]["sets"]
    assert meta["validation"]["sets"]["us"]["exact"] >= EXACT_FLOORS["us"]
    assert exact_rate(PlateOCR(out, threads=1), load_crop_set(alpr, "us", "val")) >= EXACT_FLOORS["us"]


def test_averaging_command_writes_the_mean_model_and_refuses_other_networks(tmp_path, capsys) -> None:
    """`--average` (how the committed model was made from three fine-tunes): the mean of a model with itself computes
    what the model does, its metadata names the members; a different network is refused with a message."""
    pytest.importorskip("torch")
    from sereno.training.train import main
    from sereno.vision.onnx import make_session
    from sereno.vision.plate_ocr import DEFAULT_MODEL

    if not DEFAULT_MODEL.exists():
        pytest.skip("plate OCR model not committed")
    alpr = shared_file("alpr/us-crops").parent
    out = tmp_path / "averaged.onnx"
    assert main(["--average", str(DEFAULT_MODEL), str(DEFAULT_MODEL), "--synth-val", "10", "--data", str(alpr),
                 "--out", str(out)]) == 0
    x = np.random.default_rng(0).random((4, 1, 64, 160), dtype=np.float32)
    run = {path: make_session(path, 1, "onnxruntime").run(None, {"image": x})[0] for path in (DEFAULT_MODEL, out)}
    assert np.abs(run[out] - run[DEFAULT_MODEL]).max() < 1e-5
    meta = json.loads(out.with_suffix(".json").read_text())
    assert [m["file"] for m in meta["average_of"]] == ["plate_ocr.onnx"] * 2
    assert meta["validation"]["sets"]["us"]["exact"] >= EXACT_FLOORS["us"]

    detector = DEFAULT_MODEL.parent / "plate_yolov8n_int8.onnx"
    refused = tmp_path / "refused.onnx"
    assert main(["--average", str(DEFAULT_MODEL), str(detector), "--data", str(alpr), "--out", str(refused)]) == 2
    assert "not the same network" in capsys.readouterr().err and not refused.exists()


def test_training_from_scratch_warms_up_on_clean_plates_then_trains_on_the_mix(tmp_path) -> None:
    """The default command trains from scratch: a warm-up on clean synthetic plates (CTC leaves its all-blank phase
    sooner on them), then rounds of the camera-effect mix; the export is a 2 x 20 column CTC model the runtime reads.
    Toy size: what is checked is the schedule and the export, not accuracy (the model card has the full run)."""
    pytest.importorskip("torch")
    from sereno.training.train import main, onnx_columns

    alpr = shared_file("alpr/us-crops").parent
    out = tmp_path / "plate_ocr.onnx"
    assert main(["--warmup", "64", "--warmup-epochs", "2", "--bank", "64", "--rounds", "1", "--epochs", "1",
                 "--batch", "32", "--workers", "1", "--threads", "1", "--synth-val", "10", "--data", str(alpr),
                 "--out", str(out)]) == 0
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["training"]["steps"] == 2 * 2 + 2
    assert meta["training"]["warmup"] == 64 and meta["training"]["columns"] == 20
    assert onnx_columns(out) == 20
    crop = load_crop_set(alpr, "us", "val")[0].image
    assert PlateOCR(out, threads=1).char_probs(crop).shape == (SLOTS, len(ALPHABET))


def test_a_wider_network_trains_exports_and_is_fine_tuned_at_its_own_width(tmp_path) -> None:
    """``--width`` (a larger recogniser for a longer training): the export is read by the runtime, and a fine-tune
    from that ONNX file rebuilds the wider network without being told (toy size: shapes and schedule only)."""
    pytest.importorskip("torch")
    from sereno.training.model import PlateCTCNet
    from sereno.training.train import main

    alpr = shared_file("alpr/us-crops").parent
    wide, tuned = tmp_path / "wide.onnx", tmp_path / "tuned.onnx"
    common = ["--bank", "32", "--rounds", "1", "--epochs", "1", "--batch", "32", "--workers", "1", "--threads", "1",
              "--synth-val", "4", "--data", str(alpr)]
    assert main(["--width", "1.5", "--warmup", "0", *common, "--out", str(wide)]) == 0
    assert main(["--init", str(wide), "--lr", "1e-8", *common, "--out", str(tuned)]) == 0
    for path in (wide, tuned):
        assert json.loads(path.with_suffix(".json").read_text())["training"]["width"] == 1.5
        crop = load_crop_set(alpr, "us", "val")[0].image
        assert PlateOCR(path, threads=1).char_probs(crop).shape == (SLOTS, len(ALPHABET))
    parameters = sum(p.numel() for p in PlateCTCNet(width=1.5).parameters())
    assert parameters > 2 * sum(p.numel() for p in PlateCTCNet().parameters())
    assert tuned.stat().st_size > 0.95 * 4 * parameters  # float32 weights of the wide network


def test_widening_the_committed_network_keeps_what_it_computes() -> None:
    """Net2Wider (sereno/training/widen.py): the committed model grown to width 1.5 computes what it computed, in
    evaluation and in training mode, yet the copies of a channel are not exact copies (else they could never learn
    different things)."""
    import torch

    from sereno.training.model import PlateCTCNet
    from sereno.training.onnx_weights import calibrate_batchnorm
    from sereno.training.train import onnx_columns
    from sereno.training.widen import widen
    from sereno.vision.plate_ocr import DEFAULT_MODEL

    narrow, x, expected = rebuilt_committed_network()
    wide = PlateCTCNet(columns=onnx_columns(DEFAULT_MODEL), width=1.5)
    widen(narrow, wide, seed=0)
    calibrate_batchnorm(wide, x)
    assert computes(wide, x, expected)
    reads = [m for m in wide.modules() if isinstance(m, torch.nn.Conv2d)][1].weight  # (48, 48 inputs, 3, 3)
    # with even shares a copy and its original would be read with the same weights
    assert not any(torch.allclose(reads[:, a], reads[:, b]) for a in range(48) for b in range(a + 1, 48))


def test_a_fine_tune_widens_the_committed_model_when_asked_and_refuses_to_narrow_it(tmp_path, capsys) -> None:
    """``--init plate_ocr.onnx --width 1.5``: the fine-tune starts from the widened copy, so with a negligible
    learning rate it still reads the held-out US crops like the committed model; a narrower width is refused."""
    pytest.importorskip("torch")
    from sereno.training.train import main
    from sereno.training.onnx_weights import onnx_width
    from sereno.vision.plate_ocr import DEFAULT_MODEL

    if not DEFAULT_MODEL.exists():
        pytest.skip("plate OCR model not committed")
    alpr = shared_file("alpr/us-crops").parent
    out = tmp_path / "wide.onnx"
    common = ["--init", str(DEFAULT_MODEL), "--bank", "32", "--rounds", "1", "--epochs", "1", "--batch", "32",
              "--lr", "1e-8", "--workers", "1", "--threads", "1", "--synth-val", "4", "--data", str(alpr)]
    assert main([*common, "--width", "1.5", "--out", str(out)]) == 0
    assert onnx_width(out) == 1.5
    assert json.loads(out.with_suffix(".json").read_text())["training"]["width"] == 1.5
    assert exact_rate(PlateOCR(out, threads=1), load_crop_set(alpr, "us", "val")) >= EXACT_FLOORS["us"]
    narrowed = tmp_path / "narrow.onnx"
    assert main([*common, "--width", "0.75", "--out", str(narrowed)]) == 2
    assert "only be widened" in capsys.readouterr().err and not narrowed.exists()
