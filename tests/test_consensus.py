"""Multi-frame consensus: many frame reads of one vehicle become one read."""

from __future__ import annotations

import csv
from dataclasses import replace

import cv2
import pytest

from sereno.domain import CharCandidate, PlateRead
from sereno.pipeline.consensus import MIN_PLATE_CONFIDENCE, merge_reads, track_plate
from sereno.vision.plate_reader import PlateReader
from tests.realdata import shared_file


def read_of(text: str, confidence: float, region: str | None = "mx", frames: int = 1) -> PlateRead:
    per_char = confidence ** (1 / len(text))
    return PlateRead(text=text, confidence=confidence, raw_text=text, region=region, frames=frames,
                     candidates=tuple((CharCandidate(c, per_char),) for c in text), box=(0, 0, 10, 5))


@pytest.fixture(scope="module")
def camera_reads(tmp_path_factory):
    """Reads of one real plate (us-crops FUW999) shrunk to the given heights and blurred, as a camera sees it."""
    from sereno.config import load_settings

    folder = shared_file("alpr/us-crops")
    with (folder / "labels.csv").open(newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["plate"] == "FUW999")
    crop = cv2.imread(str(folder / row["file"]))
    reader = PlateReader(load_settings(tmp_path_factory.mktemp("data")), region="us")

    def reads(heights: tuple[int, ...]) -> list[PlateRead]:
        out = []
        for height in heights:
            scaled = cv2.resize(crop, (round(crop.shape[1] * height / crop.shape[0]), height),
                                interpolation=cv2.INTER_AREA)
            read = reader.read_crop(cv2.GaussianBlur(scaled, (3, 3), 0))
            if read is not None:
                out.append(read)
        return out

    return row["plate"], reads


@pytest.fixture(scope="module")
def frame_reads(camera_reads) -> tuple[str, list[PlateRead]]:
    """Real reads of one real plate across frames: far (small, blurred) to near."""
    truth, reads = camera_reads
    return truth, reads((30, 40, 55, 80, 157))


def test_real_frame_reads_merge_to_the_plate(frame_reads):
    truth, reads = frame_reads
    assert len(reads) >= 3
    merged = merge_reads(reads)
    assert merged.text == truth
    assert merged.frames == len(reads)
    assert 0 < merged.confidence <= 1
    assert len(merged.candidates) == len(merged.text)


def test_a_misread_frame_is_outvoted(frame_reads):
    truth, reads = frame_reads
    misread = replace(reads[-1], text=truth[:-1] + "8", candidates=reads[-1].candidates[:-1] + (
        (CharCandidate("8", 0.95),),))
    assert merge_reads([*reads, misread]).text == truth


def test_confidence_weights_the_vote():
    merged = merge_reads([read_of("ABC1234", 0.9), read_of("ABC1284", 0.3), read_of("ABC1284", 0.3)])
    assert merged.text == "ABC1234"  # 0.9 outweighs 0.3 + 0.3
    merged = merge_reads([read_of("ABC1234", 0.3), read_of("ABC1284", 0.9), read_of("ABC1284", 0.9)])
    assert merged.text == "ABC1284"


def test_reads_of_another_length_do_not_shift_positions():
    merged = merge_reads([read_of("ABC1234", 0.8), read_of("ABC1234", 0.7), read_of("ABC12345", 0.95, region=None)])
    assert merged.text == "ABC1234"
    assert merged.frames == 3


def test_corrections_are_made_on_the_pooled_evidence():
    # Two frames read a letter O where the Mexican format needs a digit: the merge corrects it and says so.
    reads = [read_of("ABC1O34", 0.6, region="mx"), read_of("ABC1O34", 0.5, region="mx")]
    merged = merge_reads(reads)
    assert merged.text == "ABC1034" and merged.region == "mx"
    assert [(c.position, c.original, c.corrected) for c in merged.corrections] == [(4, "O", "0")]


def test_a_previous_merge_counts_with_its_frames():
    merged = merge_reads([read_of("ABC1234", 0.5, frames=5), read_of("ABC1284", 0.6), read_of("ABC1284", 0.6)])
    assert merged.text == "ABC1234"
    assert merged.frames == 7


def test_a_track_keeps_its_plate_only_when_the_consensus_is_confident(frame_reads, camera_reads):
    truth, _ = frame_reads
    assert track_plate(frame_reads[1]).text == truth
    _, reads = camera_reads
    far = reads((8, 8, 9, 9))  # a plate a few pixels high: nothing is read, or a guess
    assert all(r.text != truth for r in far) and track_plate(far) is None
    assert not far or merge_reads(far).confidence < MIN_PLATE_CONFIDENCE
    assert track_plate([]) is None
    # The demo clip's UK plate, read under the EU formats with one recorded correction, merges at about 0.38.
    assert track_plate([read_of("LS15EBC", 0.38, region="eu")]) is not None


def test_single_and_empty_inputs():
    one = read_of("XYZ987", 0.8, region="us")
    assert merge_reads([one]) is one
    with pytest.raises(ValueError, match="at least one"):
        merge_reads([])
    with pytest.raises(ValueError, match="at least one"):
        merge_reads([PlateRead(text="", confidence=0.0)])


def test_demo_clip_reads_as_its_plate_over_frames(tmp_path):
    """Real video through PyAV, the real plate detector and reader: the UK plate LS15EBC, read with the EU formats.
    Single frames read its 1 as I; the format knows a digit goes there, and the merge says so in a Correction."""
    av = pytest.importorskip("av")
    detectors = pytest.importorskip("sereno.vision.detectors", reason="the plate detector module is not installed")
    from sereno.config import load_settings
    from sereno.vision.models import ModelMissing

    clip = shared_file("video/car-approach-plate-LS15EBC.mp4")
    settings = load_settings(tmp_path / "data")
    try:
        detector = detectors.PlateDetector(settings)
    except ModelMissing as exc:
        pytest.skip(f"plate detector model not installed: {exc}")
    reader = PlateReader(settings, region="eu")
    reads = []
    with av.open(str(clip)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index % 10 == 0:
                image = frame.to_ndarray(format="bgr24")
                plates = sorted(detector.detect(image), key=lambda d: d.score, reverse=True)[:1]
                reads += [r for r in (reader.read(image, d.box) for d in plates) if r is not None]
    assert len(reads) >= 10
    merged = merge_reads(reads)
    assert (merged.text, merged.region, merged.pattern) == ("LS15EBC", "eu", "@@##@@@")
    assert merged.frames == len(reads)
    assert all(c.corrected == "1" for c in merged.corrections)
