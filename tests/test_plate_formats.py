"""Format-aware decoding: the best string a regional format allows, with every change recorded."""

from __future__ import annotations

import numpy as np
import pytest

from sereno.plates import PLATE_CHARS
from sereno.vision.plate_formats import (
    FORMATS, REGIONS, UnknownRegion, check_region, decode, decode_scored, matches, probs_from_candidates,
)
from sereno.vision.plate_formats import MIN_CORRECTION_PROB


def probs_for(text: str, p: float = 0.9, alternatives: dict[int, dict[str, float]] | None = None) -> np.ndarray:
    """A recogniser-like matrix: ``p`` on each character of ``text``, the rest spread evenly; ``alternatives``
    overrides whole rows (position -> {char: prob})."""
    matrix = np.full((len(text), len(PLATE_CHARS)), (1 - p) / (len(PLATE_CHARS) - 1))
    for pos, char in enumerate(text):
        matrix[pos, PLATE_CHARS.index(char)] = p
    for pos, row in (alternatives or {}).items():
        rest = (1 - sum(row.values())) / (len(PLATE_CHARS) - len(row))
        matrix[pos] = rest
        for char, prob in row.items():
            matrix[pos, PLATE_CHARS.index(char)] = prob
    return matrix


def test_every_region_has_formats_with_priors_that_fit_in_one():
    assert set(REGIONS) == set(FORMATS)
    for region, formats in FORMATS.items():
        assert formats[0].region == region
        assert 0 < sum(f.prior for f in formats) <= 1.0001, region


def test_pattern_matching():
    assert matches("ABC1234", "@@@####")
    assert matches("ABC123D", "@@@###@")
    assert not matches("AB01234", "@@@####")
    assert not matches("ABC123", "@@@####")
    assert matches("7ZX9Q", "*****")


def test_clean_mexican_plate_reads_as_is():
    read = decode(probs_for("ABC1234"), "mx")
    assert (read.text, read.region, read.pattern, read.corrections) == ("ABC1234", "mx", "@@@####", ())
    assert read.raw_text == "ABC1234"
    assert 0.4 < read.confidence < 0.6  # 0.9 ** 7


def test_letter_o_in_a_digit_slot_is_corrected_and_recorded():
    # The recogniser's first choice at position 4 is the letter O; the Mexican format wants a digit there.
    probs = probs_for("ABC1034", alternatives={4: {"O": 0.6, "0": 0.35}})
    read = decode(probs, "mx")
    assert read.text == "ABC1034"
    assert read.raw_text == "ABC1O34"
    assert len(read.corrections) == 1
    fix = read.corrections[0]
    assert (fix.position, fix.original, fix.corrected) == (4, "O", "0")
    assert "mx:@@@####" in fix.reason and "digit" in fix.reason


def test_confident_look_alike_is_still_corrected_where_the_format_is_certain():
    # Brazil's old series: three letters then four digits. A confident B in a digit slot is an 8.
    read = decode(probs_for("FFPB151", alternatives={3: {"B": 0.97}}), "br")
    assert read.text == "FFP8151"
    assert [(c.original, c.corrected) for c in read.corrections] == [("B", "8")]


def test_unrelated_character_with_no_support_is_not_forced_into_a_format():
    # 'X' where Brazil wants a digit, and no digit has any support: no believable correction, so no format.
    read = decode(probs_for("ABCX234", p=0.999999), "br")
    assert read.region is None and read.text == "ABCX234" and read.corrections == ()


def test_nothing_fits_returns_the_raw_reading_without_region():
    read = decode(probs_for("ABCDEFGHIJK"), "auto")
    assert (read.text, read.region, read.pattern) == ("ABCDEFGHIJK", None, None)


def test_regions_pick_their_own_formats():
    assert decode(probs_for("ABC1D23"), "br").pattern == "@@@#@##"
    assert decode(probs_for("AB123CD"), "ar").pattern == "@@###@@"
    assert decode(probs_for("AB12CDE"), "eu").pattern == "@@##@@@"
    assert decode(probs_for("7ABC123"), "us").pattern == "#@@@###"


@pytest.mark.parametrize("text, pattern", [
    ("1ABC234", "#@@@###"),  # Belgium
    ("AB12CD", "@@##@@"),  # Portugal since 2020
    ("GB123D", "@@###@"),  # a Dutch sidecode
    ("BMW1234", "@@@####"),  # Germany (B MW 1234) or Poland: one pattern
    ("1A23456", "#@#####"),  # Czech Republic
    ("B456ABC", "@###@@@"),  # Romania, or a British prefix plate
    ("ABC123", "@@@###"),  # Sweden, Finland, Hungary, Lithuania
])
def test_european_country_formats(text, pattern):
    read = decode(probs_for(text, p=0.99), "eu")
    assert (read.text, read.region, read.pattern) == (text, "eu", pattern)


def test_european_series_sharing_a_pattern_are_one_format_with_their_shares_added():
    european = FORMATS["eu"]
    assert len({f.pattern for f in european}) == len(european)
    german_or_polish = next(f for f in european if f.pattern == "@@@####")
    assert "PL" in german_or_polish.name and "DE" in german_or_polish.name
    assert german_or_polish.prior > 0.03  # Poland's share and Germany's together


def test_a_sure_character_is_not_turned_into_its_look_alike_for_a_more_common_series():
    # A British prefix plate (M579ADV): a sharp 5 stays a 5 although the current series (AB12CDE) is far more common.
    read = decode(probs_for("M579ADV", p=0.98, alternatives={1: {"5": 0.995}}), "eu")
    assert (read.text, read.pattern, read.corrections) == ("M579ADV", "@###@@@", ())


def test_an_unsure_character_still_gives_way_to_the_format():
    # a 5 at 0.7, no weight on S: only its look-alike support makes the current series' letter
    read = decode(probs_for("MS79ADV", p=0.98, alternatives={1: {"5": 0.7}}), "eu")
    assert (read.text, read.pattern) == ("MS79ADV", "@@##@@@")
    assert [(c.original, c.corrected) for c in read.corrections] == [("5", "S")]


def test_a_sure_i_where_a_digit_belongs_is_still_a_one():
    # I and 1 (like O and 0) are the same stroke in many plate typefaces: certainty does not tell them apart.
    read = decode(probs_for("LSI5EBC", p=0.98, alternatives={2: {"I": 0.9999}}), "eu")
    assert (read.text, read.pattern) == ("LS15EBC", "@@##@@@")


def test_auto_chooses_the_region_whose_format_fits():
    assert decode(probs_for("ABC1D23"), "auto").region == "br"  # Mercosur only exists in Brazil's formats
    assert decode(probs_for("ABC123D"), "auto").region == "mx"


def test_separator_read_as_a_character_is_dropped_and_recorded():
    # "ABC-1234": the dash came out as a weak 'I' between the letters and the digits.
    probs = probs_for("ABCI1234", alternatives={3: {"I": 0.4, "1": 0.2}})
    read = decode(probs, "mx")
    assert read.text == "ABC1234"
    assert any(c.position == 3 and c.corrected == "" and c.original == "I" for c in read.corrections)
    assert len(read.candidates) == len(read.text)


def test_candidates_are_top_k_best_first():
    read = decode(probs_for("ABC1234", alternatives={1: {"B": 0.6, "8": 0.3, "R": 0.05}}), "mx")
    chars = [c.char for c in read.candidates[1]]
    probs = [c.prob for c in read.candidates[1]]
    assert chars == ["B", "8", "R"] and probs == sorted(probs, reverse=True)


def test_candidates_round_trip_to_probabilities():
    read = decode(probs_for("ABC1234"), "mx")
    matrix = probs_from_candidates(read.candidates)
    assert matrix.shape == (7, len(PLATE_CHARS))
    assert np.allclose(matrix.sum(axis=1), 1.0)
    assert decode(matrix, "mx").text == "ABC1234"


def test_bad_input_is_named():
    with pytest.raises(UnknownRegion, match="use one of auto, mx"):
        check_region("narnia")
    with pytest.raises(ValueError, match="probability matrix"):
        decode(np.zeros((3, 10)))
    assert decode(np.zeros((0, len(PLATE_CHARS)))) is None
    assert decode_scored(np.zeros((0, len(PLATE_CHARS)))) is None


def gaps_for(text: str, seen: dict[int, dict[str, float]]) -> np.ndarray:
    """Gap rows for a reading of ``text``: nothing seen between the characters, except ``seen`` (gap -> {char:
    weight}); gap 0 is before the first character."""
    gaps = np.zeros((len(text) + 1, len(PLATE_CHARS)))
    for gap, row in seen.items():
        for char, weight in row.items():
            gaps[gap, PLATE_CHARS.index(char)] = weight
    return gaps


def test_a_character_seen_faintly_is_inserted_where_the_format_needs_one():
    """An Argentine plate whose first character sank under the CTC blank: read IU592 (no Argentine format), with a
    faint D before it. The D is inserted, recorded, and its doubt is in the confidence."""
    probs = probs_for("IU592")
    assert decode(probs, "ar").region is None  # without the gaps: the raw reading
    read = decode(probs, "ar", gaps_for("IU592", {0: {"D": 0.3, "O": 0.05}}))
    assert (read.text, read.pattern, read.raw_text) == ("DIU592", "@@@###", "IU592")
    (inserted,) = read.corrections
    assert (inserted.position, inserted.original, inserted.corrected) == (0, "", "D")
    assert "inserted" in inserted.reason
    assert read.confidence == pytest.approx(0.3 / 0.35 * 0.9 ** 5 * 0.35, rel=1e-3)
    assert len(read.candidates) == 6 and read.candidates[0][0].char == "D"


def test_an_insertion_must_beat_the_reading_as_it_is():
    """ABC123 fits a US format: a faint 4 after it stays out, a clear one goes in (a longer, commoner format)."""
    probs = probs_for("ABC123")
    assert decode(probs, "us", gaps_for("ABC123", {6: {"4": 0.1}})).text == "ABC123"
    assert decode(probs, "us", gaps_for("ABC123", {6: {"4": 0.9}})).text == "ABC1234"
    below = MIN_CORRECTION_PROB / 2  # too faint to be evidence of anything, even where a format needs it
    assert decode(probs_for("IU592"), "ar", gaps_for("IU592", {0: {"D": below}})).region is None


def test_gap_rows_must_match_the_reading():
    with pytest.raises(ValueError, match="gap rows"):
        decode(probs_for("ABC123"), "us", np.zeros((6, len(PLATE_CHARS))))
