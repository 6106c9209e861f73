"""Train the fixed-slot plate recogniser, export it to ONNX and report validation figures.

    python tools/train_plate_ocr.py                       # CPU defaults: a short run (see docs/plate-ocr.md)
    python tools/train_plate_ocr.py --device cuda --bank 100000 --epochs 18 --batch 512   # the committed model
    python tools/train_plate_ocr.py --evaluate-only      # figures of the committed model
    python tools/train_plate_ocr.py --evaluate-only --detector-like   # and on the plate detector's boxes

The figures are measured on the exported ONNX file through the runtime (sereno.vision.plate_ocr.PlateOCR), so they
describe exactly what ships.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sereno.training.datasets import (CROP_SETS, SMALL_VIEW_SEED, Crop, load_crop_set, render_bank, small_view,
                                      synthetic_validation)
from sereno.vision.evaluation import char_accuracy
from sereno.vision.plate_ocr import (ALPHABET, CTC_OUTPUT, DEFAULT_MODEL, INPUT_HEIGHT, INPUT_WIDTH, SLOTS,
                                     SLOTS_OUTPUT, PlateOCR, decode_slots)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = Path(os.environ.get("SERENO_SHARED_DATA", REPO.parent / "shared" / "data")) / "alpr"
SYNTH_VALIDATION_SEED = 20261123
DETECTOR_LIKE_SEED = 777  # synthetic plates of the detector-like sets
DETECTOR_LIKE_FRAMES_SEED = 9000  # their frames (cars, positions)
# A model's own figures (model card, --evaluate-only) are ONNX Runtime's float32, whatever the CPU: OpenVINO's
# bfloat16 (AMX, AVX-512 BF16 CPUs) moves a crop now and then (docs/detection.md, "Inference runtime").
TRAINING_RUNTIME = "onnxruntime"


@dataclass
class SetScore:
    name: str
    count: int
    exact: float
    char_accuracy: float
    errors: list[tuple[str, str, str]]  # source, truth, read


def score(ocr: PlateOCR, name: str, crops: list[Crop], batch: int = 64) -> SetScore:
    reads = []
    for start in range(0, len(crops), batch):
        probs = ocr.char_probs_batch([c.image for c in crops[start:start + batch]])
        reads.extend(decode_slots(p)[0] for p in probs)
    exact = sum(r == c.text for r, c in zip(reads, crops))
    chars = sum(char_accuracy(c.text, r) for r, c in zip(reads, crops))
    errors = [(c.source, c.text, r) for r, c in zip(reads, crops) if r != c.text]
    n = max(1, len(crops))
    return SetScore(name, len(crops), exact / n, chars / n, errors)


def ms_per_crop(model_path: Path, crops: list[Crop], repeats: int = 3) -> float:
    """Recognition time per crop, one crop at a time, one thread (preprocessing included, decoding of the image
    file excluded)."""
    ocr = PlateOCR(model_path, threads=1, runtime_name=TRAINING_RUNTIME)
    sample = [c.image for c in crops[:100]]
    for image in sample[:10]:
        ocr.char_probs(image)
    start = time.perf_counter()
    for _ in range(repeats):
        for image in sample:
            ocr.char_probs(image)
    return (time.perf_counter() - start) * 1000 / (repeats * max(1, len(sample)))


def validation_sets(data: Path, synth_count: int) -> dict[str, list[Crop]]:
    sets = {name: load_crop_set(data, name, "val") for name in CROP_SETS}
    sets |= {f"{name}-small": small_view(sets[name], SMALL_VIEW_SEED) for name in CROP_SETS}
    sets["mx-synth"] = synthetic_validation(synth_count, SYNTH_VALIDATION_SEED, "mx")
    sets["eu-synth"] = synthetic_validation(synth_count, SYNTH_VALIDATION_SEED, "eu")
    return sets


def detector_like_sets(data: Path) -> dict[str, list[Crop]]:
    """The validation plates (real held-out crops, flat synthetic plates) on synthetic cars, cropped from the real
    plate detector's boxes with the reader's margin (sereno.training.detector_like). Needs the detector model."""
    from sereno.config import load_settings
    from sereno.training.detector_like import detector_like
    from sereno.vision.detectors import PlateDetector

    detector = PlateDetector(load_settings(inference_runtime=TRAINING_RUNTIME), threads=1)
    return {f"det-{name}": detector_like(found, detector, seed)[0]
            for name, (found, seed) in detector_like_plates(data).items()}


def detector_like_plates(data: Path) -> dict[str, tuple[list[Crop], int]]:
    """The plates of the detector-like sets, each set with the seed of its frames: the real crops' validation splits,
    300 flat synthetic Mexican plates and 200 of the other regions."""
    from sereno.training.detector_like import flat_synthetic_plates

    plates = {name: load_crop_set(data, name, "val") for name in CROP_SETS}
    plates["mx-synth"] = flat_synthetic_plates(300, DETECTOR_LIKE_SEED, ("mx",))
    plates["other-synth"] = flat_synthetic_plates(200, DETECTOR_LIKE_SEED + 1, ("us", "eu", "br", "ar"))
    return {name: (found, DETECTOR_LIKE_FRAMES_SEED + i) for i, (name, found) in enumerate(plates.items())}


def evaluate(model_path: Path, data: Path, synth_count: int, with_detector: bool = False) -> dict:
    ocr = PlateOCR(model_path, threads=1, runtime_name=TRAINING_RUNTIME)
    sets = validation_sets(data, synth_count) | (detector_like_sets(data) if with_detector else {})
    scores = [score(ocr, name, crops) for name, crops in sets.items()]
    print(f"{'set':16} {'crops':>6} {'exact':>8} {'char acc':>9}")
    for s in scores:
        print(f"{s.name:16} {s.count:6d} {s.exact:8.2%} {s.char_accuracy:9.2%}")
    latency = ms_per_crop(model_path, sets["us"] or sets["mx-synth"])
    digest = hashlib.sha256(model_path.read_bytes()).hexdigest()
    size = model_path.stat().st_size
    print(f"ms per crop (onnxruntime, 1 thread): {latency:.2f}   size: {size / 1e6:.2f} MB   sha256: {digest}")
    for s in scores:
        for source, truth, read in s.errors[:15]:
            print(f"  miss {s.name}: {source} truth={truth} read={read}")
    return {
        "sets": {s.name: {"crops": s.count, "exact": round(s.exact, 4), "char_accuracy": round(s.char_accuracy, 4)}
                 for s in scores},
        "ms_per_crop_1_thread": round(latency, 3),
        "size_bytes": size,
        "sha256": digest,
    }


def export_onnx(net, path: Path) -> None:
    import torch

    from sereno.training.model import WithSoftmax

    path.parent.mkdir(parents=True, exist_ok=True)
    model = WithSoftmax(net).cpu().eval()
    example = torch.rand(1, 1, INPUT_HEIGHT, INPUT_WIDTH)
    tmp = path.with_suffix(".onnx.tmp")
    output = CTC_OUTPUT if net.__class__.__name__ == "PlateCTCNet" else SLOTS_OUTPUT
    torch.onnx.export(model, (example,), str(tmp), opset_version=17, input_names=["image"], output_names=[output],
                      dynamic_axes={"image": {0: "batch"}, output: {0: "batch"}}, dynamo=False)
    tmp.replace(path)


def onnx_columns(path: Path) -> int:
    """The columns per row of an exported CTC model (its output steps / 2), so that fine-tuning builds the same
    network."""
    ocr = PlateOCR(path, runtime_name=TRAINING_RUNTIME)
    steps = ocr.session.run(None, {ocr.input_name: np.zeros((1, 1, INPUT_HEIGHT, INPUT_WIDTH), np.float32)})[0]
    return steps.shape[1] // 2


def train(args: argparse.Namespace) -> dict:
    import torch
    from torch import nn

    from sereno.training.model import make_net
    from sereno.training.onnx_weights import calibrate_batchnorm, load_onnx_weights, onnx_width

    torch.manual_seed(args.seed)
    device = torch.device(args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cpu" and args.threads:
        torch.set_num_threads(args.threads)
    real = [crop for name in CROP_SETS for crop in load_crop_set(args.data, name, "train")]
    from_onnx = args.init is not None and args.init.suffix == ".onnx"
    columns = onnx_columns(args.init) if from_onnx and args.head == "ctc" else args.columns
    file_width = onnx_width(args.init) if from_onnx and args.head == "ctc" else None
    width = args.width or file_width or 1.0
    warmup = args.warmup if args.init is None else 0  # a fine-tune has nothing to warm up
    total_steps = (args.warmup_epochs * -(-warmup // args.batch)
                   + args.rounds * args.epochs * -(-args.bank // args.batch))
    print(f"real training crops: {len(real)} ({', '.join(CROP_SETS)}); device {device}; warm-up on {warmup} clean "
          f"synthetic plates x {args.warmup_epochs} epochs, then {args.rounds} round(s) of {args.bank} rendered "
          f"samples x {args.epochs} epochs; batch {args.batch}; {total_steps} steps; {args.workers} rendering "
          "processes", flush=True)
    net = make_net(args.head, columns, width)
    if from_onnx and file_width not in (None, width):  # grow the file's network to --width, same function
        from sereno.training.widen import widen

        narrow = make_net(args.head, columns, file_width)
        load_onnx_weights(narrow, args.init)
        widen(narrow, net)  # the same copies whatever --seed: fine-tunes of one widened model can be averaged
    elif from_onnx:
        load_onnx_weights(net, args.init)
    elif args.init:
        net.load_state_dict(torch.load(args.init, map_location="cpu"))
    net = net.to(device)
    optimizer = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=total_steps, pct_start=0.1)
    slot_loss = nn.CrossEntropyLoss(label_smoothing=0.05)
    ctc_loss = nn.CTCLoss(blank=len(ALPHABET) - 1, zero_infinity=True)

    def loss_fn(logits, y):
        if args.head == "slots":
            return slot_loss(logits.float().reshape(-1, len(ALPHABET)), y.reshape(-1))
        log_probs = logits.float().log_softmax(-1).transpose(0, 1)  # (T, batch, classes)
        lengths = (y != len(ALPHABET) - 1).sum(dim=1)
        steps = torch.full((y.shape[0],), log_probs.shape[0], dtype=torch.long, device=y.device)
        return ctc_loss(log_probs, y, steps, lengths)

    started = time.perf_counter()
    render_seconds = 0.0
    # CTC from scratch first learns to emit blanks only; clean plates get it past that phase sooner (docs/plate-ocr.md)
    phases = ([("warm-up", warmup, args.warmup_epochs, True)] if warmup else []) + [
        (f"round {i + 1}", args.bank, args.epochs, False) for i in range(args.rounds)]
    for phase_index, (phase, count, epochs, clean) in enumerate(phases):
        t0 = time.perf_counter()
        images, labels = render_bank(count, real, args.real_fraction, args.seed * 1000 + phase_index, args.workers,
                                     loose_fraction=args.loose_fraction, clean=clean)
        render_seconds += time.perf_counter() - t0
        print(f"{phase}: rendered {len(images)} samples in {time.perf_counter() - t0:.0f} s", flush=True)
        bank_x = torch.from_numpy(images).to(device)
        bank_y = torch.from_numpy(labels).to(device)
        if from_onnx and phase_index == 0:
            calibrate_batchnorm(net, bank_x[:args.batch].unsqueeze(1).float() / 255.0)
        net.train()
        for epoch in range(1, epochs + 1):
            order = torch.randperm(len(bank_x), device=device)
            total, exact_sum = 0.0, 0.0
            for start in range(0, len(order), args.batch):
                index = order[start:start + args.batch]
                x = jitter_tone(bank_x[index].unsqueeze(1).float() / 255.0)
                y = bank_y[index]
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
                    logits = net(x)
                loss = loss_fn(logits, y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
                total += loss.item() * len(index)
                if args.head == "slots":
                    exact_sum += (logits.argmax(-1) == y).all(dim=1).float().sum().item()
            exact = f"train exact {exact_sum / len(order):.3f}  " if args.head == "slots" else ""
            print(f"{phase} epoch {epoch:3d}  loss {total / len(order):.4f}  {exact}"
                  f"{time.perf_counter() - started:6.0f} s", flush=True)
    training_seconds = time.perf_counter() - started
    export_onnx(net, args.out)
    if args.checkpoint:
        torch.save(net.state_dict(), args.checkpoint)
    return {"training_seconds": round(training_seconds, 1), "rendering_seconds": round(render_seconds, 1),
            "steps": total_steps, "columns": columns, "width": width, "device": str(device),
            "device_name": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
            "torch": torch.__version__}


def jitter_tone(x):
    """Per-sample brightness, contrast and noise on a (B, 1, H, W) batch, so that epochs over one rendered bank do not
    repeat the same pixels."""
    import torch

    b = x.shape[0]
    contrast = torch.empty(b, 1, 1, 1, device=x.device).uniform_(0.7, 1.3)
    brightness = torch.empty(b, 1, 1, 1, device=x.device).uniform_(-0.12, 0.12)
    noise = torch.randn_like(x) * torch.empty(b, 1, 1, 1, device=x.device).uniform_(0, 0.04)
    return ((x - 0.5) * contrast + 0.5 + brightness + noise).clamp(0, 1)


def write_card_metadata(path: Path, args: argparse.Namespace, training: dict, metrics: dict) -> None:
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()
                if k not in ("out", "data", "checkpoint", "fonts", "evaluate_only", "init")}
    if args.init:  # fine-tuned: which weights it started from
        settings["init"] = f"{args.init.name} sha256 {hashlib.sha256(args.init.read_bytes()).hexdigest()}"
    _write_card(path, {"training": {**settings, **training}}, metrics)


def _write_card(path: Path, provenance: dict, metrics: dict) -> None:
    """The model card's metadata beside the model file: the input contract, how it was made, its figures."""
    meta = {"alphabet": ALPHABET, "slots": SLOTS, "input": [1, INPUT_HEIGHT, INPUT_WIDTH], "input_range": "0..1 gray",
            **provenance, "validation": metrics,
            "split": "sha256(plate)[:4] % 100 < 20 -> validation (sereno.training.datasets.split_of)"}
    path.write_text(json.dumps(meta, indent=2) + "\n")


def write_average_metadata(path: Path, members: list[Path], metrics: dict) -> None:
    """The averaged model's card metadata: each member's file, SHA-256 and own metadata (how it was trained)."""
    def member(file: Path) -> dict:
        beside = file.with_suffix(".json")
        return {"file": file.name, "sha256": hashlib.sha256(file.read_bytes()).hexdigest(),
                **({"metadata": json.loads(beside.read_text())} if beside.exists() else {})}

    _write_card(path, {"average_of": [member(m) for m in members]}, metrics)


def narrowed_width(args: argparse.Namespace) -> str | None:
    """Why ``--width`` cannot apply to the ``--init`` ONNX file (a trained network can only be widened), or None."""
    if args.width is None or args.init is None or args.init.suffix != ".onnx" or args.head != "ctc":
        return None
    from sereno.training.onnx_weights import onnx_width  # imports torch: only when asked

    file_width = onnx_width(args.init)
    if args.width >= file_width:
        return None
    return (f"--width {args.width:g} is narrower than {args.init}'s {file_width:g}: a trained network can only be "
            "widened; leave --width out to keep its width")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train Sereno's plate recogniser and export it to ONNX.")
    parser.add_argument("--bank", type=int, default=16000, help="augmented samples rendered per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds: render a fresh bank, then train on it")
    parser.add_argument("--epochs", type=int, default=2, help="epochs over each round's bank")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--head", choices=("slots", "ctc"), default="ctc",
                        help="fixed character slots, or a CTC sequence (both give per-slot probabilities at run time)")
    parser.add_argument("--columns", type=int, choices=(20, 40), default=20,
                        help="CTC columns per row (a fine-tune from an .onnx file keeps that file's)")
    parser.add_argument("--width", type=float, default=None,
                        help="CTC network channels, times the committed model's (default 1; 1.5: 0.96 M parameters, "
                             "about twice the recognition time). A fine-tune from an .onnx file keeps that file's "
                             "width, or, given a larger one, starts from a widened copy that computes the same "
                             "(Net2Net; sereno/training/widen.py)")
    parser.add_argument("--warmup", type=int, default=8000,
                        help="clean synthetic plates trained on first, from scratch only (0: none)")
    parser.add_argument("--warmup-epochs", type=int, default=4)
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--real-fraction", type=float, default=0.35, help="share of real crops in each batch")
    parser.add_argument("--loose-fraction", type=float, default=0.4,
                        help="share of samples cropped like the plate detector's loose box, with a car around")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="rendering processes")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with us-crops/, br-crops/, ar-crops/")
    parser.add_argument("--fonts", type=Path, default=None, help="extra font folder (sets SERENO_FONTS_DIR)")
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--checkpoint", type=Path, default=None, help="also save the torch weights here")
    parser.add_argument("--init", type=Path, default=None,
                        help="start from these weights (fine-tuning): a torch state dict, or an exported .onnx file")
    parser.add_argument("--synth-val", type=int, default=1000,
                        help="synthetic validation plates per region (Mexican, European)")
    parser.add_argument("--average", type=Path, nargs="+", default=None, metavar="ONNX",
                        help="instead of training, write the average of these exported models (fine-tunes of one "
                             "model, same architecture) to --out and evaluate it")
    parser.add_argument("--evaluate-only", action="store_true", help="only print the figures of --out")
    parser.add_argument("--detector-like", action="store_true",
                        help="also score crops cut from the real plate detector's boxes (needs `sereno models "
                             "install`; about 5 minutes on one core)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.fonts:
        os.environ["SERENO_FONTS_DIR"] = str(args.fonts)
    if not args.data.is_dir():
        print(f"error: crop folder {args.data} not found: pass --data DIR holding us-crops/, br-crops/, ar-crops/",
              file=sys.stderr)
        return 2
    if args.evaluate_only:
        if not args.out.exists():
            print(f"error: no model at {args.out}: train one first", file=sys.stderr)
            return 2
        evaluate(args.out, args.data, args.synth_val, args.detector_like)
        return 0
    if args.average:
        from sereno.training.onnx_weights import average_onnx  # imports torch: only when asked

        missing = [str(m) for m in args.average if not m.is_file()]
        if missing:
            print(f"error: no model file at {', '.join(missing)}", file=sys.stderr)
            return 2
        try:
            average_onnx(args.average, args.out)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        metrics = evaluate(args.out, args.data, args.synth_val, args.detector_like)
        write_average_metadata(args.out.with_suffix(".json"), args.average, metrics)
        print(json.dumps(metrics))
        return 0
    if narrowing := narrowed_width(args):
        print(f"error: {narrowing}", file=sys.stderr)
        return 2
    training = train(args)
    metrics = evaluate(args.out, args.data, args.synth_val, args.detector_like)
    write_card_metadata(args.out.with_suffix(".json"), args, training, metrics)
    print(json.dumps({"training": training, **metrics}))
    return 0
