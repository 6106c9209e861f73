"""European plates outside the formats the synthetic training layouts draw: read with region ``eu``.

    SERENO_MODELS_DIR=~/.cache/sereno/models taskset -c 0 .venv/bin/python benchmarks/eu_formats.py [--per 100]

The synthetic European layouts (``sereno.training.synth``) draw German, French, Italian, Spanish, British, Dutch,
Belgian, Polish and Portuguese plates. A photo from Europe also shows Czech, Romanian, Swedish, Austrian, Swiss,
Bulgarian, Croatian, Irish plates, and older series of the countries above. This renders ``--per`` plates of each
such series on the generic European layout (blue band with the country's code, except Swiss plates), with the
training set's camera effects, and reads them through the installed reader (``PlateReader.read_crop``, region
``eu``). Prints exact reads per series; asserts nothing. The series and their patterns are public knowledge of
each country's plates, not read off any labelled set.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from sereno.config import load_settings  # noqa: E402
from sereno.training.synth import LAYOUTS_BY_NAME, synth_plate  # noqa: E402
from sereno.vision.plate_reader import PlateReader  # noqa: E402

SEED = 20261206
# series: (country code in the band, patterns as drawn; @ letter, # digit)
SERIES = {
    "CZ": ("CZ", ("#@# ####", "#@@ ####")),
    "SK": ("SK", ("@@-###@@",)),
    "AT": ("A", ("@@ ###@@", "@ ####@", "@@ ##@@@")),
    "CH": ("CH", ("@@ ######", "@@ #####", "@@ ####")),
    "SE / FI / LT": ("S", ("@@@ ###", "@@@ ##@", "@@@-###")),
    "HU": ("H", ("@@@-###", "@@ @@-###")),
    "RO": ("RO", ("@ ### @@@", "@ ## @@@", "@@ ## @@@")),
    "BG / HR / RS": ("BG", ("@@ #### @@", "@ #### @@", "@@ ###-@@")),
    "GR": ("GR", ("@@@-####",)),
    "DK / NO": ("DK", ("@@ ## ###",)),
    "IE": ("IRL", ("##-@-#####", "###-@-####", "###-@@-###", "##-@@-####")),
    "ES, old": ("E", ("@-####-@@", "@@-####-@@")),
    "FR, old": ("F", ("#### @@ ##", "### @@@ ##")),
    "UK, prefix": ("GB", ("@### @@@",)),
    "NL, new": ("NL", ("@@@-##-@", "@-##-@@@", "#-@@-###", "###-@@-#")),
    "PT / LV, old": ("P", ("##-##-@@", "@@-##-##")),
}


def series_layout(code: str, patterns: tuple[str, ...]):
    return dataclasses.replace(LAYOUTS_BY_NAME["eu"], name=f"eu-{code.lower()}", patterns=patterns,
                               countries=(code,), band_chance=0.0 if code == "CH" else 1.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per", type=int, default=100, help="plates rendered per series")
    args = parser.parse_args()
    reader = PlateReader(load_settings(Path(tempfile.mkdtemp(prefix="sereno-bench-"))), region="eu", threads=1)
    rng = np.random.default_rng(SEED)
    total = exact = 0
    print(f"{'series':14} {'exact':>6} of {args.per}   (region eu, read_crop)")
    for name, (code, patterns) in SERIES.items():
        layout = series_layout(code, patterns)
        plates = [synth_plate(rng, layout) for _ in range(args.per)]
        right = sum(1 for p in plates if (read := reader.read_crop(p.image_bgr)) is not None and read.text == p.text)
        print(f"{name:14} {right:6d}", flush=True)
        total, exact = total + len(plates), exact + right
    print(f"{'all':14} {exact:6d} of {total} ({100 * exact / total:.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
