"""Synthetic plates for training: every layout renders text that fits its pattern, deterministically, with the
separators and line breaks kept out of the label; the real-crop split keeps each plate on one side."""

from __future__ import annotations

import re

import numpy as np
import pytest

from sereno.training.datasets import CROP_SETS, encode_label, load_crop_set, split_of
from sereno.training.synth import LAYOUTS, fill_pattern, label_of, synth_plate
from sereno.vision.plate_ocr import ALPHABET, SLOTS
from tests.realdata import shared_file


def pattern_regex(pattern: str) -> re.Pattern:
    return re.compile("".join("[A-Z]" if c == "@" else "[0-9]" if c == "#" else "" for c in pattern) + "$")


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


def test_every_region_is_rendered() -> None:
    assert {layout.region for layout in LAYOUTS} == {"mx", "us", "eu", "br", "ar"}


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
