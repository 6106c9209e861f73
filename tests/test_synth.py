"""Synthetic plates for training: every layout renders text that fits its pattern, deterministically, with the
separators and line breaks kept out of the label; the real-crop split keeps each plate on one side."""

from __future__ import annotations

import re
import string

import numpy as np
import pytest

from sereno.training.datasets import (CROP_SETS, SMALL_VIEW_WIDTH, augment_real, encode_label, load_crop_set,
                                      small_view, split_of)
from sereno.training.detector_like import PLATE_WIDTH, extent_of, frame_with_plate
from sereno.training.synth import (LAYOUTS, LAYOUTS_BY_NAME, LOOSE_MARGIN_Y, READER_MARGIN, fill_pattern, label_of,
                                   pick_layout, place_in_scene, plate_number, synth_plate, vehicle_backdrop)
from sereno.vision.plate_ocr import ALPHABET, SLOTS
from tests.realdata import shared_file


def pattern_regex(pattern: str) -> re.Pattern:
    slots = {"@": "[A-Z]", "#": "[0-9]", "&": "[A-J]"}
    return re.compile("".join(slots.get(c, "") for c in pattern) + "$")


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda layout: layout.name)
def test_each_layout_renders_a_plate_that_fits_one_of_its_patterns(layout) -> None:
    rng = np.random.default_rng(0)
    for _ in range(4):
        plate = synth_plate(rng, layout)
        assert plate.layout == layout.name
        assert any(pattern_regex(p).match(plate.text) for p in layout.patterns), (plate.text, layout.patterns)
        assert 2 <= len(plate.text) <= SLOTS
        assert len(plate.lines) == (2 if layout.two_line else 1)
        assert label_of("".join(plate.lines)) == plate.text
        image = plate.image_bgr
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
        assert image.shape[0] >= 20 and image.shape[1] > image.shape[0] * 0.8


def test_mexican_layouts_come_first_and_cover_the_known_patterns() -> None:
    mexican = [layout for layout in LAYOUTS if layout.region == "mx"]
    assert LAYOUTS[0].region == "mx"
    shapes = {label_of(p.replace("@", "A").replace("#", "1")).replace("A", "@").replace("1", "#")
              for layout in mexican for p in layout.patterns}
    assert {"@@@####", "@@@###@", "@##@@@", "@@#####", "####@@"} <= shapes
    assert {"mx-private", "mx-taxi", "mx-public", "mx-moto"} <= {layout.name for layout in mexican}


def test_brazilian_mercosur_plates_carry_a_converted_digit_in_their_fifth_place() -> None:
    """0 -> A ... 9 -> J: a Mercosur plate never shows O, S or Z there, which the reader would confuse with 0, 5, 2."""
    rng = np.random.default_rng(0)
    layouts = [layout for layout in LAYOUTS if layout.name in ("br-mercosur", "br-moto")]
    texts = [synth_plate(rng, layout).text for layout in layouts for _ in range(200)]
    mercosur = [text for text in texts if text[4].isalpha()]
    assert len(mercosur) > 200
    assert {text[4] for text in mercosur} == set("ABCDEFGHIJ")


def test_rendered_plates_draw_the_letters_of_their_layout() -> None:
    """Mexican private cars and trucks are issued series without I, O and Q (NOM-001-SCT-2-2016)."""
    rng = np.random.default_rng(0)
    private = "".join(synth_plate(rng, "mx-private").text for _ in range(150))
    assert set(filter(str.isalpha, private)) == set(string.ascii_uppercase) - set("IOQ")


@pytest.mark.parametrize(("layout", "left_out"), [
    ("mx-private", "IOQ"), ("mx-taxi", ""),  # nothing is known of the Mexican taxi series: every letter
    ("eu-es", "AEIOUQ"), ("eu-fr", "IOU"), ("eu-it", "IOQU"), ("eu-uk", "IQ"), ("eu-nl", "AEIOUCMQWY"), ("eu-de", ""),
])
def test_series_leave_out_the_letters_their_country_does_not_issue(layout: str, left_out: str) -> None:
    rng = np.random.default_rng(0)
    drawn = "".join(plate_number(LAYOUTS_BY_NAME[layout], rng) for _ in range(400))
    assert set(filter(str.isalpha, drawn)) == set(string.ascii_uppercase) - set(left_out)


def test_every_region_is_rendered() -> None:
    assert {layout.region for layout in LAYOUTS} == {"mx", "us", "eu", "br", "ar"}


def test_european_countries_share_the_draws_of_about_one_and_a_half_layouts() -> None:
    # Ten European layouts (German seals, French and Italian right bands, ...) must not crowd out the other regions.
    rng = np.random.default_rng(0)
    regions = [pick_layout(rng).region for _ in range(20000)]
    eu, mx = regions.count("eu"), regions.count("mx")
    assert {layout.name for layout in LAYOUTS if layout.region == "eu"} >= {"eu-de", "eu-fr", "eu-it", "eu-uk"}
    assert 0.3 < eu / mx < 0.5  # 1.6 layouts' worth against Mexico's 4


def test_german_seals_are_drawn_but_not_labelled() -> None:
    drawn = fill_pattern("@@ °@ ###", np.random.default_rng(2))
    assert "°" in drawn and re.fullmatch(r"[A-Z]{3}[0-9]{3}", label_of(drawn))


def test_same_seed_same_plate() -> None:
    a = synth_plate(np.random.default_rng(42))
    b = synth_plate(np.random.default_rng(42))
    assert a.text == b.text and a.layout == b.layout and np.array_equal(a.image_bgr, b.image_bgr)


def test_fill_pattern_keeps_separators_and_label_drops_them() -> None:
    drawn = fill_pattern("@@@-##/#·@", np.random.default_rng(1))
    assert re.fullmatch(r"[A-Z]{3}-[0-9]{2}/[0-9]·[A-Z]", drawn)
    assert re.fullmatch(r"[A-Z]{3}[0-9]{3}[A-Z]", label_of(drawn))


def test_unknown_layout_names_the_choices() -> None:
    with pytest.raises(ValueError, match="mx-private"):
        synth_plate(np.random.default_rng(0), "mx-unknown")


def test_labels_encode_to_slots_padded_with_the_last_symbol() -> None:
    assert encode_label("AB1").tolist() == [ALPHABET.index("A"), ALPHABET.index("B"), 1] + [len(ALPHABET) - 1] * 7
    with pytest.raises(ValueError, match="longer"):
        encode_label("A" * (SLOTS + 1))


def test_split_is_by_plate_and_about_a_fifth() -> None:
    plates = [f"ABC{i:04d}" for i in range(2000)]
    share = sum(split_of(p) == "val" for p in plates) / len(plates)
    assert 0.17 < share < 0.23
    assert all(split_of(p) == split_of(p) for p in plates[:50])


@pytest.mark.parametrize("crop_set", CROP_SETS)
def test_no_real_plate_is_on_both_sides(crop_set: str) -> None:
    alpr = shared_file(f"alpr/{crop_set}-crops").parent
    train = {c.text for c in load_crop_set(alpr, crop_set, "train")}
    val = {c.text for c in load_crop_set(alpr, crop_set, "val")}
    assert train and val and not train & val


def crop_height_ratios(loose: bool, count: int = 24) -> np.ndarray:
    """Crop height / plate height of a flat 60 x 120 plate cropped by place_in_scene without tilt."""
    plate = np.full((60, 120, 3), 255, np.uint8)
    rng = np.random.default_rng(5)
    return np.array([place_in_scene(plate, rng, tilt=0.0, loose=loose).shape[0] / 60 for _ in range(count)])


def test_loose_crops_take_in_what_a_detector_box_takes_in() -> None:
    """Detector-like crops reach well past the plate (up to the measured loose extent plus the reader's margin);
    the plate-sized crops of the rest of training stay close to it."""
    tight, loose = crop_height_ratios(False), crop_height_ratios(True)
    assert 0.95 <= tight.min() and tight.max() <= 1.25
    assert np.median(loose) > np.median(tight) + 0.1 and loose.max() > 1.5
    assert loose.max() <= (1 + 2 * LOOSE_MARGIN_Y[1]) * (1 + 2 * READER_MARGIN[1]) + 0.05
    assert loose.min() >= (1 + 2 * LOOSE_MARGIN_Y[0]) * (1 + 2 * READER_MARGIN[1]) - 0.05


def test_vehicle_backdrop_is_deterministic_and_leaves_room_for_the_plate() -> None:
    a = vehicle_backdrop(200, 400, (140, 80, 260, 140), np.random.default_rng(7))
    b = vehicle_backdrop(200, 400, (140, 80, 260, 140), np.random.default_rng(7))
    assert a.shape == (200, 400, 3) and a.dtype == np.uint8 and np.array_equal(a, b)


def test_loose_synthetic_and_real_samples_render() -> None:
    rng = np.random.default_rng(11)
    plate = synth_plate(rng, "mx-private", loose=True)
    assert plate.image_bgr.ndim == 3 and plate.image_bgr.shape[0] >= 20
    real = np.full((40, 100, 3), 200, np.uint8)
    assert augment_real(real, rng, loose=True).shape[0] > 40 * 0.9


def test_small_view_of_held_out_crops_is_repeatable_small_and_compressed() -> None:
    crops = load_crop_set(shared_file("alpr/us-crops").parent, "us", "val")[:20]
    first, again = small_view(crops, 7), small_view(crops, 7)
    assert [c.text for c in first] == [c.text for c in crops]
    assert all(np.array_equal(a.image, b.image) for a, b in zip(first, again))
    assert all(SMALL_VIEW_WIDTH[0] <= c.image.shape[1] <= SMALL_VIEW_WIDTH[1] for c in first)
    assert any(not np.array_equal(a.image, b.image) for a, b in zip(first, small_view(crops, 8)))


def test_detector_box_extent_is_measured_against_the_plate() -> None:
    extent = extent_of((90.0, 40.0, 230.0, 120.0), (100, 60, 200, 100))
    assert (extent.left, extent.right, extent.top, extent.bottom) == pytest.approx((0.1, 0.3, 0.5, 0.5))
    assert extent.iou == pytest.approx(4000 / 11200)


def test_frame_holds_the_plate_at_its_box() -> None:
    plate = np.zeros((50, 100, 3), np.uint8)
    plate[:, :, 2] = 250  # pure red: no car paint or text is
    frame, (x1, y1, x2, y2) = frame_with_plate(plate, np.random.default_rng(2))
    assert frame.shape == (720, 1280, 3) and PLATE_WIDTH[0] <= x2 - x1 <= PLATE_WIDTH[1]
    inside = frame[y1 + 3:y2 - 3, x1 + 3:x2 - 3].reshape(-1, 3).astype(int)
    assert np.median(inside[:, 2]) > 200 and np.median(inside[:, 0]) < 60


def test_real_detector_finds_held_out_plates_on_synthetic_cars(tmp_path) -> None:
    """The detector-like validation set: real held-out crops pasted on synthetic cars, found by the real plate
    detector, cropped as the reader crops; the boxes reach past the plates as detector boxes do."""
    detectors = pytest.importorskip("sereno.vision.detectors", reason="the plate detector module is not installed")
    from sereno.config import load_settings
    from sereno.training.detector_like import detector_like
    from sereno.vision.models import ModelMissing

    try:
        detector = detectors.PlateDetector(load_settings(tmp_path / "data"), threads=1)
    except ModelMissing as exc:
        pytest.skip(f"plate detector model not installed: {exc}")
    plates = load_crop_set(shared_file("alpr/us-crops").parent, "us", "val")[:6]
    crops, extents, missed = detector_like(plates, detector, seed=3)
    assert missed <= 1 and len(crops) + missed == len(plates)
    assert all(e.iou >= 0.3 for e in extents)
    assert all(c.image.shape[0] > 20 and c.text in {p.text for p in plates} for c in crops)
