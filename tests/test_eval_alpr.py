"""``sereno eval alpr``: scoring plate reading on labelled folders in both layouts."""

from __future__ import annotations

import csv
import json
import shutil

import av
import cv2
import pytest
from typer.testing import CliRunner

from sereno.cli import app
from sereno.domain import Detection
from sereno.geometry import iou
from sereno.vision.evaluation import (
    CROPS, END_TO_END, UNREADABLE, DatasetError, char_accuracy, evaluate, load_samples,
)
from sereno.vision.plate_reader import PlateReader
from tests.realdata import shared_file


def crops_folder(tmp_path, count: int = 6):
    """A crops-layout folder whose labels point at real crops, plus one broken image and one broken label line."""
    source = shared_file("alpr/br-crops")
    with (source / "labels.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))[:count]
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg")
    with (tmp_path / "labels.csv").open("w", newline="") as handle:
        handle.write("file,plate\n")
        for row in rows:
            handle.write(f"{source / row['file']},{row['plate']}\n")
        handle.write("broken.jpg,ABC1234\n")
        handle.write(",NOFILE1\n")
    return tmp_path, [r["plate"] for r in rows]


def test_scores_a_crops_folder_and_reports_bad_files(tmp_path, settings):
    folder, plates = crops_folder(tmp_path)
    report = evaluate(folder, PlateReader(settings, region="br"))
    assert report.layout == CROPS
    assert report.images == report.plates == len(plates)
    assert report.plates_detected is None
    assert 0.5 <= report.exact <= 1.0 and report.exact <= report.char_accuracy <= 1.0
    assert report.ms_per_image > 0
    assert len(report.errors) == round((1 - report.exact) * len(plates))
    problems = {bad["file"]: bad["problem"] for bad in report.bad_files}
    assert problems["broken.jpg"] == UNREADABLE
    assert any(name.startswith("labels.csv:") for name in problems)


class TruthBoxDetector:
    """Finds exactly the labelled box of each photo, shifted a little, plus a car: isolates the reader from the
    detector so the scoring itself is tested."""

    def __init__(self, labels):
        self.boxes = {}
        for label in labels:
            name, x, y, w, h = label.read_text().split("\t")[:5]
            image = cv2.imread(str(label.with_name(name)))
            x1, y1 = float(x) + 2, float(y) + 1
            self.boxes[image.tobytes()] = (x1, y1, x1 + float(w), y1 + float(h))

    def detect(self, image):
        return [Detection(self.boxes[image.tobytes()], 0.9, "plate"), Detection((0, 0, 5, 5), 0.9, "car")]


def test_scores_end_to_end_photos_with_detection_rate(tmp_path, settings):
    source = shared_file("alpr/openalpr-us-endtoend")
    for number, label in enumerate(sorted(source.glob("*.txt"))[:4]):
        shutil.copy(label, tmp_path)
        image = tmp_path / label.with_suffix({0: ".JPG", 1: ".webp"}.get(number, ".jpg")).name  # as cameras, phones
        if image.suffix == ".webp":  # lossless, so that its pixels are the JPEG's                         # name them
            cv2.imwrite(str(image), cv2.imread(str(label.with_suffix(".jpg"))), [cv2.IMWRITE_WEBP_QUALITY, 101])
        else:
            image.symlink_to(label.with_suffix(".jpg"))
    (tmp_path / "nolabel-box.txt").write_text("nolabel-box.jpg\tx\ty\n")
    (tmp_path / "nolabel-box.jpg").symlink_to(label.with_suffix(".jpg"))
    detector = TruthBoxDetector(sorted(source.glob("*.txt"))[:4])
    report = evaluate(tmp_path, PlateReader(settings, region="us"), detector)
    assert report.layout == END_TO_END
    assert report.images == 4 and report.plates == 4
    assert report.plates_detected == 1.0
    assert report.exact >= 0.5
    assert any(bad["file"].startswith("nolabel-box.txt") for bad in report.bad_files)


def test_real_detector_end_to_end(tmp_path, settings):
    detectors = pytest.importorskip("sereno.vision.detectors", reason="the plate detector module is not installed")
    from sereno.vision.models import ModelMissing

    source = shared_file("alpr/openalpr-us-endtoend")
    for label in sorted(source.glob("*.txt"))[:5]:
        shutil.copy(label, tmp_path)
        (tmp_path / label.with_suffix(".jpg").name).symlink_to(label.with_suffix(".jpg"))
    try:
        detector = detectors.PhotoPlateDetector(settings)  # what `sereno eval alpr` runs
    except ModelMissing as exc:
        pytest.skip(f"plate detector model not installed: {exc}")
    report = evaluate(tmp_path, PlateReader(settings, region="us"), detector)
    # Detection quality is the detector's own tests' business; here: the scoring holds together with a real one.
    assert report.images == report.plates == 5 and report.ms_per_image > 0
    assert 0.0 <= report.exact <= report.plates_detected <= 1.0
    assert all(e["read"] == "" for e in report.errors if not e["detected"])
    assert len(report.errors) == round((1 - report.exact) * 5)


def test_photos_that_are_only_a_plate_are_read_end_to_end(tmp_path, settings):
    """Real Brazilian crops given as photos, each labelled with the whole image as its plate's box: the detector
    alone misses nearly all of them (it learnt plates in street scenes); the zoom-out pass and the whole-photo
    reading find and read most."""
    detectors = pytest.importorskip("sereno.vision.detectors", reason="the plate detector module is not installed")
    from sereno.vision.models import ModelMissing

    source = shared_file("alpr/br-crops")
    with (source / "labels.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))[::150][:6]
    for row in rows:
        name = f"{row['plate']}.jpg"
        image = cv2.imread(str(source / row["file"]))
        (tmp_path / name).symlink_to(source / row["file"])
        height, width = image.shape[:2]
        (tmp_path / f"{row['plate']}.txt").write_text(f"{name}\t0\t0\t{width}\t{height}\t{row['plate']}\n")
    try:
        detector = detectors.PhotoPlateDetector(settings)
    except ModelMissing as exc:
        pytest.skip(f"plate detector model not installed: {exc}")
    report = evaluate(tmp_path, PlateReader(settings, region="br"), detector)
    assert report.plates == 6
    assert report.plates_detected >= 5 / 6 and report.exact >= 4 / 6


def test_a_crops_folder_of_whole_photos_is_read_through_the_detector(tmp_path, settings):
    """Labelled sets often give a photo and its plate's text, no box. Frames of the demo clip (a real car, its UK
    plate LS15EBC) listed in labels.csv: read as crops, none is read; an unsure image is searched by the detector,
    and the plate it finds is read."""
    detectors = pytest.importorskip("sereno.vision.detectors", reason="the plate detector module is not installed")
    from sereno.vision.models import ModelMissing

    frames = []
    with av.open(str(shared_file("video/car-approach-plate-LS15EBC.mp4"))) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index in (60, 80, 100):
                frames.append(frame.to_ndarray(format="bgr24"))
            if index == 100:
                break
    with (tmp_path / "labels.csv").open("w", newline="") as handle:
        handle.write("file,plate\n")
        for number, frame in enumerate(frames):
            cv2.imwrite(str(tmp_path / f"frame{number}.jpg"), frame)
            handle.write(f"frame{number}.jpg,LS15EBC\n")
    try:
        detector = detectors.PhotoPlateDetector(settings)
    except ModelMissing as exc:
        pytest.skip(f"plate detector model not installed: {exc}")
    reader = PlateReader(settings, region="eu")
    assert evaluate(tmp_path, reader).exact == 0.0  # a whole frame read as one crop
    report = evaluate(tmp_path, reader, detector)
    assert report.plates == 3 and report.exact >= 2 / 3


def test_cli_json_has_the_agreed_keys(tmp_path):
    (tmp_path / "crops").mkdir()
    folder, _ = crops_folder(tmp_path / "crops")
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), "eval", "alpr", str(folder),
                                      "--region", "br", "--json", "--limit", "3"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert {"images", "plates_detected", "exact", "char_accuracy", "ms_per_image", "errors"} <= payload.keys()
    assert payload["images"] == 3 and payload["reader"] in {"pp-ocrv4", "plate-ocr"}
    # crops: the detector looks only into images that do not read as crops; the figures say which one it was
    assert (payload["plate_detector"] is None) == (payload["vehicles"] is None)


def test_a_crops_folder_is_read_without_the_detector_models_with_a_warning(tmp_path, monkeypatch):
    (tmp_path / "crops").mkdir()
    folder, _ = crops_folder(tmp_path / "crops")
    monkeypatch.setenv("SERENO_MODELS_DIR", str(tmp_path / "no-models"))
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), "eval", "alpr", str(folder),
                                      "--region", "br", "--json", "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert "every image is read as a plate crop" in result.stderr
    payload = json.loads(result.stdout)
    assert payload["images"] == 3 and payload["plate_detector"] is None and payload["vehicles"] is None
    assert all({"file", "truth", "read"} <= e.keys() for e in payload["errors"])


def test_cli_end_to_end_says_which_plate_detector_made_the_boxes(tmp_path, monkeypatch):
    source = shared_file("alpr/openalpr-us-endtoend")
    folder = tmp_path / "photos"
    folder.mkdir()
    for label in sorted(source.glob("*.txt"))[:2]:
        shutil.copy(label, folder)
        (folder / label.with_suffix(".jpg").name).symlink_to(label.with_suffix(".jpg"))
    monkeypatch.setenv("SERENO_PLATE_DETECTOR_PRECISION", "int8")
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), "eval", "alpr", str(folder),
                                      "--region", "us", "--json"])
    if result.exit_code != 0 and "sereno models install" in result.output:
        pytest.skip("detector models not installed (the int8 setting places plates with the float model)")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["plate_detector"] == "int8" and payload["plates"] == 2 and payload["plates_detected"] is not None
    assert payload["vehicles"] is True  # the object detector's vehicles are looked inside by default
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), "eval", "alpr", str(folder),
                                      "--region", "us", "--json", "--no-vehicles"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["vehicles"] is False


def test_cli_refuses_bad_input_with_a_hint(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "eval", "alpr", str(tmp_path), "--region", "xx"])
    assert result.exit_code == 1 and "use one of auto" in result.output
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "eval", "alpr", str(tmp_path)])
    assert result.exit_code == 1 and "labels.csv" in result.output
    (tmp_path / "labels.csv").write_text("file,owner\na.jpg,someone\n")
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "eval", "alpr", str(tmp_path)])
    assert result.exit_code == 1 and "no plate column" in result.output


def test_a_labels_file_written_by_a_spreadsheet_is_understood(tmp_path):
    source = shared_file("alpr/br-crops")
    with (source / "labels.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))[:3]
    # Excel in Spanish or Portuguese: byte-order mark, semicolons, its own column names, a plate with a dash
    lines = ["Filename;Plate Number"] + [f"{source / r['file']};{r['plate'][:3]}-{r['plate'][3:]}" for r in rows]
    (tmp_path / "labels.csv").write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    layout, samples, problems = load_samples(tmp_path)
    assert layout == CROPS and problems == []
    assert [s.plates[0].text for s in samples] == [r["plate"] for r in rows]
    assert all(s.image.is_file() for s in samples)


def test_a_windows_spreadsheet_labels_file_is_understood(tmp_path):
    """Excel's plain CSV on Windows: Windows-1252, a ``sep=;`` first line, folders written with backslashes, a
    comma-separated plate left unquoted (reported, not guessed), the plate column called what it is in the UK."""
    crop = sorted(shared_file("alpr/br-crops").glob("images/*.jpg"))[0]
    (tmp_path / "fotos").mkdir()
    (tmp_path / "fotos" / "cámara1.jpg").symlink_to(crop)
    text = "sep=;\nImage;Licence plate\nfotos\\cámara1.jpg;ABC-1234\nfotos\\cámara1.jpg;ABC;1234\n"
    (tmp_path / "labels.csv").write_bytes(text.encode("cp1252"))
    _, samples, problems = load_samples(tmp_path)
    assert [(s.image, s.plates[0].text) for s in samples] == [(tmp_path / "fotos" / "cámara1.jpg", "ABC1234")]
    assert samples[0].image.is_file()
    assert [p["file"] for p in problems] == ["labels.csv:4"] and "quote" in problems[0]["problem"]


def test_a_row_with_one_value_too_many_is_reported_and_the_rest_is_read(tmp_path):
    # semicolons, Windows line ends, a blank line, and a plate written with the delimiter in it
    (tmp_path / "labels.csv").write_bytes(b"file;plate\r\n\r\na.jpg;ABC;123\r\nb.jpg;DEF1234\r\n")
    _, samples, problems = load_samples(tmp_path)
    assert [(s.image.name, s.plates[0].text) for s in samples] == [("b.jpg", "DEF1234")]
    assert [p["file"] for p in problems] == ["labels.csv:3"] and "more values" in problems[0]["problem"]


def test_a_labels_file_without_a_plate_column_says_what_it_found_and_what_to_name_it(tmp_path):
    (tmp_path / "labels.csv").write_text("file,owner,number\na.jpg,someone,1\n")
    with pytest.raises(DatasetError, match=r"no plate column in its header line \(file,owner,number\); "
                                           r"name it one of: plate"):
        load_samples(tmp_path)


def test_an_end_to_end_label_may_write_the_plate_with_spaces(tmp_path):
    (tmp_path / "photo.jpg").symlink_to(sorted(shared_file("alpr/openalpr-us-endtoend").glob("*.jpg"))[0])
    (tmp_path / "photo.txt").write_text("photo.jpg 10 20 100 30 AB 123 CD\nphoto.jpg 10 20 100 30\n"
                                        "photo.jpg\t10\t20\t100\t30\tXY 987\tFR\n")
    _, samples, problems = load_samples(tmp_path)
    assert [p.text for p in samples[0].plates] == ["AB123CD", "XY987"]  # a tab-separated line's extra column is not
    assert problems == [{"file": "photo.txt:2", "problem": "expected: file x y w h PLATE"}]  # part of the plate


def test_layout_errors_and_metrics():
    with pytest.raises(DatasetError, match="not a folder"):
        load_samples(shared_file("alpr") / "missing")
    assert char_accuracy("ABC123", "ABC123") == 1.0
    assert char_accuracy("ABC123", "ABC12") == pytest.approx(5 / 6)
    assert char_accuracy("ABC123", "") == 0.0
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(1 / 3)
    assert iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0
