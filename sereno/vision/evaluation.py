"""Plate-reading accuracy on a labelled folder, in either of two layouts.

- openalpr end-to-end: ``X.jpg`` beside ``X.txt`` holding ``file<TAB>x<TAB>y<TAB>w<TAB>h<TAB>PLATE`` lines (one per
  labelled plate). The plate detector finds boxes; a truth plate counts as detected when a box overlaps it with
  IoU >= 0.3, and the reader reads that box. In an image where the detector finds no plate, the reader reads the
  whole image (``read_whole``: a photo that is only a plate); it counts as a box when it fits a plate format. An
  undetected plate counts as a wrong read.
- crops: ``labels.csv`` with columns ``file,plate``; the reader reads each crop. Such a folder may also hold whole
  photos of one plate each (labelled with the text only): with a detector, an image whose reading as a crop is
  unsure is also searched for plates, and the surest reading wins (``read_one_plate``).

Scores are per labelled plate; ``ms_per_image`` is detection + reading time per image (file decoding excluded).
Unreadable files are reported and skipped, never fatal.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from sereno.domain import Box, Detection, PlateRead
from sereno.geometry import area, iou
from sereno.plates import normalize_plate
from sereno.vision.plate_formats import FORMATS
from sereno.vision.plate_reader import unsure

log = logging.getLogger(__name__)

IOU_DETECTED = 0.3
UNREADABLE = "not a readable image (missing, damaged, or not JPEG, PNG, BMP, WebP or TIFF)"
CROPS = "crops"
END_TO_END = "openalpr-endtoend"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
PHOTO_PLATE_SHARE = 0.25  # a plate found covering less of a crops-folder image than this: the image is a photo
SHORTEST_PLATE = min(len(f.pattern) for formats in FORMATS.values() for f in formats)


class DatasetError(ValueError):
    """The folder is in neither layout; the message says what was expected."""


class Reader(Protocol):
    def read(self, image_bgr: np.ndarray, box: Box) -> PlateRead | None: ...

    def read_crop(self, crop_bgr: np.ndarray) -> PlateRead | None: ...

    def read_whole(self, image_bgr: np.ndarray) -> PlateRead | None: ...


class Detector(Protocol):
    def detect(self, image_bgr: np.ndarray) -> list[Detection]: ...


@dataclass(frozen=True, slots=True)
class LabelledPlate:
    text: str
    box: Box | None = None  # (x1, y1, x2, y2); None in the crops layout


@dataclass(frozen=True, slots=True)
class Sample:
    image: Path
    plates: tuple[LabelledPlate, ...]


@dataclass(slots=True)
class Report:
    layout: str
    images: int = 0
    plates: int = 0
    plates_detected: float | None = None  # end-to-end only
    exact: float = 0.0
    exact_ignoring_o0: float = 0.0  # many US states print O and 0 with one glyph; labels still pick one
    char_accuracy: float = 0.0
    ms_per_image: float = 0.0
    errors: list[dict] = field(default_factory=list)  # file, truth, read
    bad_files: list[dict] = field(default_factory=list)  # file, problem


def char_accuracy(truth: str, read: str) -> float:
    """1 - Levenshtein distance / the longer length (1.0 for identical strings, 0.0 for nothing in common)."""
    if not truth and not read:
        return 1.0
    prev = list(range(len(read) + 1))
    for i, t in enumerate(truth, 1):
        cur = [i]
        for j, r in enumerate(read, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (t != r)))
        prev = cur
    return 1.0 - prev[-1] / max(len(truth), len(read))


def _images_by_name(folder: Path) -> dict[str, Path]:
    """The folder's images by name without suffix, whatever the case of the suffix (cameras write ``IMG_0042.JPG``);
    where one name has several, the suffix first in ``IMAGE_SUFFIXES``."""
    images: dict[str, Path] = {}
    for path in sorted(folder.iterdir(), key=lambda p: (_suffix_rank(p), p.name)):
        if _suffix_rank(path) < len(IMAGE_SUFFIXES) and path.is_file():
            images.setdefault(path.stem, path)
    return images


def _suffix_rank(path: Path) -> int:
    suffix = path.suffix.lower()
    return IMAGE_SUFFIXES.index(suffix) if suffix in IMAGE_SUFFIXES else len(IMAGE_SUFFIXES)


def detect_layout(folder: Path) -> str:
    if (folder / "labels.csv").is_file():
        return CROPS
    images = _images_by_name(folder)
    if any(label.stem in images for label in folder.glob("*.txt")):
        return END_TO_END
    raise DatasetError(
        f"{folder}: neither labels.csv (crops layout: file,plate) nor X.jpg + X.txt pairs (openalpr end-to-end "
        "layout: file x y w h PLATE, tab-separated) found"
    )


# Column names labelled sets use for the image and the plate (compared in lower case, spaces as underscores), in
# order of preference: a generic name counts only when no plate-specific one is there.
FILE_COLUMNS = ("file", "filename", "file_name", "image", "image_name", "image_path", "img", "path")
PLATE_COLUMNS = ("plate", "plate_number", "plate_text", "plate_no", "license_plate", "licence_plate", "number_plate",
                 "registration", "lp", "text", "label")


def _column_key(name: str) -> str:
    return name.strip().lower().replace(" ", "_")


def _column(header: list[str], names: tuple[str, ...], what: str, found: str) -> str:
    keys = {_column_key(h): h for h in header}
    for name in names:
        if name in keys:
            return keys[name]
    raise DatasetError(f"labels.csv: no {what} column in its header line ({found}); name it one of: "
                       f"{', '.join(names)}")


def _labels_text(path: Path) -> str:
    """The labels file as text: UTF-8 with or without a byte-order mark, UTF-16 (a spreadsheet's "Unicode text"),
    else Windows-1252 (a spreadsheet's plain CSV on Windows)."""
    data = path.read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data[:64]:  # UTF-16 without a byte-order mark: every ASCII character has a zero byte beside it
        return data.decode("utf-16-le" if data[1:2] == b"\x00" else "utf-16-be", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        log.info("labels file read as Windows-1252", extra={"file": str(path)})
        return data.decode("cp1252", errors="replace")


def _header_columns(line: str, delimiter: str) -> tuple[int, int]:
    """How well ``line`` reads as a header split at ``delimiter``: known column names found, then columns."""
    names = {_column_key(h) for h in next(csv.reader([line], delimiter=delimiter), [])}
    return (bool(names & set(FILE_COLUMNS)) + bool(names & set(PLATE_COLUMNS)), len(names))


def _label_rows(text: str) -> tuple[csv.DictReader, int]:
    """The rows of a labels file, and how many lines come before its header. The delimiter (``,``, ``;`` or tab) is
    the one that splits the header into known column names, or what a spreadsheet's ``sep=;`` line says; a data row
    with one too many is then a row to report, not a reason to misread the file."""
    lines = io.StringIO(text, newline="").readlines()  # broken where csv breaks lines: \n, \r\n, \r
    first = lines[0].rstrip("\r\n") if lines else ""
    sep_line = len(first) == 5 and first.lower().startswith("sep=")
    skipped = int(sep_line)
    while skipped < len(lines) and not lines[skipped].strip():  # blank lines above the header
        skipped += 1
    header = lines[skipped] if skipped < len(lines) else ""
    delimiter = first[4] if sep_line else max(",;\t", key=lambda d: _header_columns(header, d))
    return csv.DictReader(lines[skipped:], delimiter=delimiter), skipped


def crop_samples(folder: Path, problems: list[dict]) -> list[Sample]:
    """``labels.csv``: one image and its plate per row. Written by a spreadsheet as well: a byte-order mark, another
    encoding, ``;`` or tab between columns, the usual names for the two columns, Windows folder separators."""
    rows, skipped = _label_rows(_labels_text(folder / "labels.csv"))
    header = rows.fieldnames or []
    found = rows.reader.dialect.delimiter.join(header) or "empty"
    file_column = _column(header, FILE_COLUMNS, "image file", found)
    plate_column = _column(header, PLATE_COLUMNS, "plate", found)
    samples = []
    for row in rows:
        # the row's first line: csv counts lines to its last one, a quoted value may hold line breaks
        line = skipped + rows.line_num - sum(v.count("\n") for v in row.values() if isinstance(v, str))
        name = (row.get(file_column) or "").strip()
        plate = normalize_plate(row.get(plate_column) or "")
        where = f"labels.csv:{line}"
        if not name or not plate:
            problems.append({"file": where, "problem": f"needs both {file_column} and {plate_column}"})
        elif any(value.strip() for value in row.get(None) or ()):
            problems.append({"file": where, "problem": "more values than the header line has columns: quote a "
                             "file name or plate that holds the delimiter"})
        else:
            if "\\" in name and not (folder / name).exists():
                name = name.replace("\\", "/")
            samples.append(Sample(folder / name, (LabelledPlate(plate),)))
    return samples


def end_to_end_samples(folder: Path, problems: list[dict]) -> list[Sample]:
    samples = []
    images = _images_by_name(folder)
    for label_file in sorted(folder.glob("*.txt")):
        image = images.get(label_file.stem)
        if image is None:
            problems.append({"file": label_file.name, "problem": "no image with the same name"})
            continue
        plates = []
        for number, line in enumerate(label_file.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            tabs = "\t" in line
            fields = line.split("\t") if tabs else line.split()
            try:
                x, y, w, h = (float(v) for v in fields[1:5])
                # separated by spaces, a plate written with spaces ("AB 123 CD") spreads over the fields that follow
                plate = normalize_plate(fields[5] if tabs else "".join(fields[5:]))
                if not plate:
                    raise ValueError("no plate")
                plates.append(LabelledPlate(plate, (x, y, x + w, y + h)))
            except (ValueError, IndexError):
                problems.append({"file": f"{label_file.name}:{number}", "problem": "expected: file x y w h PLATE"})
        if plates:
            samples.append(Sample(image, tuple(plates)))
    return samples


def load_samples(folder: Path, limit: int | None = None) -> tuple[str, list[Sample], list[dict]]:
    """The layout, the samples (at most ``limit`` images) and the label problems found while loading."""
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a folder")
    layout = detect_layout(folder)
    problems: list[dict] = []
    samples = crop_samples(folder, problems) if layout == CROPS else end_to_end_samples(folder, problems)
    return layout, samples[:limit] if limit else samples, problems


def _read_end_to_end(image: np.ndarray, plate: LabelledPlate, detections: list[Detection], reader: Reader):
    """(detected, read) for one labelled plate: the reader reads the detection overlapping it most."""
    assert plate.box is not None
    best = max(detections, key=lambda d: iou(d.box, plate.box), default=None)
    if best is None or iou(best.box, plate.box) < IOU_DETECTED:
        return False, None
    return True, reader.read(image, best.box)


def read_one_plate(image: np.ndarray, reader: Reader, detector: Detector | None) -> PlateRead | None:
    """A crops-layout image: a plate crop, or a whole photo of one plate. Read as a crop; when that reading is
    unsure (``plate_reader.unsure``) and there is a detector, the image is searched for plates: those covering less
    than ``PHOTO_PLATE_SHARE`` of it (so the image is a photo, not a crop) are read too, and the reading that fits a
    plate format with the highest confidence wins (a photo read as one crop fits none). A crop's own plate covers
    most of it: there the crop's reading stays, as readings of the detector's box lost plates on real crops."""
    read = reader.read_crop(image)
    if detector is None or not unsure(read):
        return read
    image_area = image.shape[0] * image.shape[1]
    found = [reader.read(image, d.box) for d in detector.detect(image)
             if d.label == "plate" and area(d.box) < PHOTO_PLATE_SHARE * image_area]
    # A reading that fits no format competes only when it is as long as the shortest plate: a sticker's one letter
    # can be surer than a whole plate (requiring a format instead lost 11 of the drawn-car frames' plates).
    plausible = [r for r in found if r is not None and (r.region is not None or len(r.text) >= SHORTEST_PLATE)]
    return max((r for r in (read, *plausible) if r is not None), key=lambda r: (r.region is not None, r.confidence),
               default=None)


def read_photo(
    image: np.ndarray, plates: tuple[LabelledPlate, ...], reader: Reader, detector: Detector
) -> list[tuple[LabelledPlate, bool, PlateRead | None]]:
    """(plate, detected, read) for each labelled plate of a photo: the detector's boxes read, or the whole image
    when the detector finds no plate."""
    detections = [d for d in detector.detect(image) if d.label == "plate"]
    if detections:
        return [(plate, *_read_end_to_end(image, plate, detections, reader)) for plate in plates]
    whole = reader.read_whole(image)  # its box is the whole image
    return [(plate, True, whole) if whole and whole.box and plate.box and iou(whole.box, plate.box) >= IOU_DETECTED
            else (plate, False, None) for plate in plates]


def run_samples(
    samples: list[Sample], layout: str, reader: Reader, detector: Detector | None = None
) -> Iterator[tuple[Sample, list[tuple[LabelledPlate, bool, PlateRead | None]] | str, float]]:
    """Per sample: its (plate, detected, read) results or the problem that stopped it, and the seconds spent."""
    for sample in samples:
        image = cv2.imread(str(sample.image), cv2.IMREAD_COLOR)
        if image is None:
            yield sample, UNREADABLE, 0.0
            continue
        start = time.perf_counter()
        if layout == CROPS:
            results = [(sample.plates[0], True, read_one_plate(image, reader, detector))]
        else:
            if detector is None:
                raise ValueError("the openalpr end-to-end layout needs a plate detector")
            results = read_photo(image, sample.plates, reader, detector)
        yield sample, results, time.perf_counter() - start


def evaluate(
    folder: Path,
    reader: Reader,
    detector: Detector | None = None,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Score ``reader`` (and ``detector`` in the end-to-end layout) on a labelled folder."""
    layout, samples, problems = load_samples(folder, limit)
    report = Report(layout=layout, bad_files=problems)
    detected = exact = exact_o0 = 0
    char_total = seconds = 0.0
    for done, (sample, results, spent) in enumerate(run_samples(samples, layout, reader, detector), 1):
        if progress:
            progress(done, len(samples))
        if isinstance(results, str):
            report.bad_files.append({"file": sample.image.name, "problem": results})
            log.warning("skipped a bad file", extra={"file": str(sample.image), "problem": results})
            continue
        report.images += 1
        seconds += spent
        for plate, was_detected, read in results:
            text = read.text if read else ""
            report.plates += 1
            detected += was_detected
            exact += text == plate.text
            exact_o0 += text.replace("O", "0") == plate.text.replace("O", "0")
            char_total += char_accuracy(plate.text, text)
            if text != plate.text:
                report.errors.append({"file": sample.image.name, "truth": plate.text, "read": text,
                                      "detected": was_detected})
    if report.plates:
        report.exact = round(exact / report.plates, 4)
        report.exact_ignoring_o0 = round(exact_o0 / report.plates, 4)
        report.char_accuracy = round(char_total / report.plates, 4)
        if layout == END_TO_END:
            report.plates_detected = round(detected / report.plates, 4)
    if report.images:
        report.ms_per_image = round(1000 * seconds / report.images, 1)
    return report
