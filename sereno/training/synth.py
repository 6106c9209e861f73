"""Synthetic licence plates for training the plate recogniser: layouts per region, rendered with Pillow, then made to
look like camera crops (perspective, blur, night/IR, glare, dirt, JPEG, low resolution, occlusion, crop jitter).

Pattern syntax: ``@`` a letter, ``#`` a digit, ``-`` a drawn dash, ``·`` a drawn dot, ``°`` the two round seals of a
German plate, ``' '`` a gap, ``/`` the line break of a two-line plate. Only ``@`` and ``#`` are plate characters: the
label is those, top line first.

Fonts come from Debian packages (fonts-dejavu-core, fonts-liberation, fonts-urw-base35, fonts-noto-mono,
fonts-opendin, fonts-bebas-neue, fonts-roboto-unhinted) or from a folder named by SERENO_FONTS_DIR; layouts pick among
the families that are present.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from sereno.vision.plate_reader import CROP_MARGIN_X, CROP_MARGIN_Y

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
# A Brazilian Mercosur plate's 5th character (pattern symbol "&") is the old plate's second digit as a letter,
# 0 -> A ... 9 -> J: the conversion Brazil adopted in 2018, which new plates follow too (the rule lets other letters
# be added when the series run out)
MERCOSUR_BR_LETTERS = "ABCDEFGHIJ"
# The letters of the series Mexico issues to private cars and trucks: no I, O or Q, which look like 1 and 0
# (NOM-001-SCT-2-2016, as es.wikipedia's "Matrículas automovilísticas de México" sums it up). Nothing is known of
# the taxi, public-service and motorcycle series: those layouts draw every letter.
MX_SERIES_LETTERS = "".join(c for c in LETTERS if c not in "IOQ")
# European countries that leave letters out of their series, most for looking like digits or other letters (public
# descriptions of each system): Spain (since 2000) consonants only, without Ñ and Q; France (SIV) no I, O, U; Italy
# no I, O, Q, U; the UK (since 2001) no I, Q (its Z-less memory tags are not modelled); the Netherlands (since
# sidecode 4) consonants only, without C, M, Q, W, Y on cars.
ES_SERIES_LETTERS = "".join(c for c in LETTERS if c not in "AEIOUQ")
FR_SERIES_LETTERS = "".join(c for c in LETTERS if c not in "IOU")
IT_SERIES_LETTERS = "".join(c for c in LETTERS if c not in "IOQU")
UK_SERIES_LETTERS = "".join(c for c in LETTERS if c not in "IQ")
NL_SERIES_LETTERS = "".join(c for c in LETTERS if c not in "AEIOUCMQWY")
FONT_DIRS = (Path("/usr/share/fonts"),)

# Font families by role; each entry is a file name looked up under the font folders.
PLATE_FONTS = (
    "NimbusSansNarrow-Bold.otf", "NimbusSansNarrow-Regular.otf", "LiberationSansNarrow-Bold.ttf",
    "LiberationSansNarrow-Regular.ttf", "DejaVuSansCondensed-Bold.ttf", "DejaVuSansCondensed.ttf",
    "NimbusSans-Bold.otf", "LiberationSans-Bold.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono-Bold.ttf",
    "LiberationMono-Bold.ttf", "NimbusMonoPS-Bold.otf", "NotoSansMono-Bold.ttf", "URWGothic-Demi.otf",
    "URWGothic-Book.otf", "NimbusSans-Regular.otf",
    # Closer to real plate typefaces: DIN 1451 (German and many European plates), condensed gothics (US, Mercosur).
    "OSP-DIN.ttf", "BebasNeue-Regular.otf", "RobotoCondensed-Bold.ttf", "RobotoCondensed-Regular.ttf",
)
DIN_FONTS = ("OSP-DIN.ttf", "NimbusSansNarrow-Bold.otf", "LiberationSansNarrow-Bold.ttf")
MONO_FONTS = ("DejaVuSansMono-Bold.ttf", "LiberationMono-Bold.ttf", "NotoSansMono-Bold.ttf", "NimbusMonoPS-Bold.otf")
CAPTION_FONTS = (
    "DejaVuSerif-Bold.ttf", "LiberationSerif-Bold.ttf", "LiberationSerif-Italic.ttf", "NimbusRoman-BoldItalic.otf",
    "DejaVuSans-Bold.ttf", "LiberationSans-Regular.ttf", "Z003-MediumItalic.otf", "URWBookman-Demi.otf",
    "NimbusSans-Italic.otf", "C059-Bold.otf",
)
# Every font file the renderer may use: what a machine without Debian's fonts needs (tools/device_train.sh).
ALL_FONTS = tuple(dict.fromkeys(PLATE_FONTS + DIN_FONTS + MONO_FONTS + CAPTION_FONTS))

MX_STATES = (
    "BAJA CALIFORNIA", "SONORA", "CHIHUAHUA", "COAHUILA", "NUEVO LEON", "TAMAULIPAS", "CIUDAD DE MEXICO",
    "ESTADO DE MEXICO", "JALISCO", "SINALOA", "DURANGO", "BAJA CALIFORNIA SUR", "PUEBLA", "VERACRUZ", "MICHOACAN",
    "GUANAJUATO", "QUERETARO", "YUCATAN", "OAXACA", "AGUASCALIENTES",
)
MX_FOOTERS = ("MEXICO", "FRONTERA NORTE", "TRANSPORTE PRIVADO", "SERVICIO PARTICULAR", "HECHO EN MEXICO",
              "TIERRA DE GENTE GRANDE", "GOBIERNO DEL ESTADO", "MÉXICO")
US_STATES = (
    "TEXAS", "CALIFORNIA", "ARIZONA", "NEW MEXICO", "NEVADA", "ALASKA", "COLORADO", "DELAWARE", "HAWAII", "IDAHO",
    "INDIANA", "MAINE", "Massachusetts", "Missouri", "NORTH CAROLINA", "NEW YORK", "PENNSYLVANIA", "OREGON",
    "Florida", "Illinois", "West Virginia", "Arkansas", "Vermont", "WYOMING", "UTAH", "OHIO", "GEORGIA", "Michigan",
)
US_SLOGANS = (
    "THE LONE STAR STATE", "Grand Canyon State", "LAND OF ENCHANTMENT", "The Spirit of America", "Land of Lincoln",
    "Wild, Wonderful", "Famous Potatoes", "Sunshine State", "Green Mountain State", "EMPIRE STATE", "ALOHA STATE",
    "Great Faces. Great Places.", "dmv.ca.gov", "First in Flight", "Keystone State", "Lobster", "visitPA.com",
)
EU_COUNTRIES = ("D", "F", "E", "I", "NL", "B", "P", "A", "PL", "CZ", "S", "IRL")
FR_DEPARTMENTS = ("75", "13", "69", "59", "33", "31", "06", "67", "2A", "974")
FR_LOGO_COLOURS = ((200, 30, 40), (250, 250, 250), (30, 120, 60), (240, 200, 20))  # RGB
IT_PROVINCES = ("RM", "MI", "TO", "NA", "FI", "BO", "PA", "GE")
BR_CITIES = ("SP - SAO PAULO", "RJ - RIO DE JANEIRO", "MG - BELO HORIZONTE", "PR - CURITIBA", "RS - PORTO ALEGRE",
             "SC - FLORIANOPOLIS", "BA - SALVADOR", "GO - GOIANIA")


@dataclass(frozen=True)
class Layout:
    name: str
    region: str  # "mx", "us", "eu", "br", "ar"
    patterns: tuple[str, ...]
    aspect: float  # plate width / height
    backgrounds: tuple[tuple[int, int, int], ...]  # RGB
    inks: tuple[tuple[int, int, int], ...]
    headers: tuple[str, ...] = ()
    footers: tuple[str, ...] = ()
    band: str | None = None  # "eu" (blue band on the left), "mercosur" (blue band on top)
    fonts: tuple[str, ...] = PLATE_FONTS
    scenic: float = 0.0  # probability of a painted background (US state graphics)
    countries: tuple[str, ...] = EU_COUNTRIES  # country codes printed in an "eu" band
    band_chance: float = 1.0  # probability that the band is there (UK plates often have none)
    right_band: str | None = None  # "fr" (region logo, department), "it" (year, province), "pt" (yellow, year)
    weight: float = 1.0  # how often training draws this layout (pick_layout)
    letters: str = LETTERS  # what a pattern's ``@`` draws

    @property
    def two_line(self) -> bool:
        return all("/" in p for p in self.patterns)


WHITE, BLACK = (245, 245, 240), (20, 20, 25)
NAVY, DARK_BLUE, RED, GREEN, MAROON = (25, 35, 110), (20, 50, 150), (180, 25, 30), (20, 110, 60), (110, 20, 40)
YELLOW, GREY = (240, 205, 40), (165, 165, 160)

LAYOUTS: tuple[Layout, ...] = (
    # Mexico (NOM-001-SCT-2-2016 and older state series): the state name on top, a slogan or MEXICO below.
    Layout("mx-private", "mx", ("@@@-##-##", "@@@-###-@", "@##-@@@", "@@-###-##", "##-##-@@@", "@@@-###-#"),
           2.0, (WHITE, (235, 235, 225), (225, 232, 240)), (BLACK, NAVY, MAROON, GREEN, (60, 60, 60)),
           MX_STATES, MX_FOOTERS, scenic=0.6, letters=MX_SERIES_LETTERS),
    Layout("mx-taxi", "mx", ("@-####-@", "@##-###", "###-###-@", "@-#####"), 2.0,
           (WHITE, (250, 240, 200)), (BLACK, RED, (0, 120, 70)), MX_STATES,
           ("TAXI", "SERVICIO PUBLICO", "TRANSPORTE PUBLICO", "SITIO"), scenic=0.3),
    Layout("mx-public", "mx", ("###-@@-#", "##-@@@-##", "####-@@", "@@-####"), 2.0,
           (WHITE, (230, 240, 230)), (BLACK, GREEN, RED),
           MX_STATES, ("SERVICIO PUBLICO FEDERAL", "TRANSPORTE PUBLICO", "CARGA", "AUTOTRANSPORTE FEDERAL")),
    Layout("mx-moto", "mx", ("@@/###", "##/@@@", "@#/###@", "###/@@"), 1.45,
           (WHITE, (235, 235, 225)), (BLACK, NAVY, MAROON), MX_STATES, ("MOTOCICLETA", "MEXICO")),
    # United States: many state styles, vanity plates, stickers, slogans.
    Layout("us-standard", "us", ("###-@@@", "@@@-####", "#@@@###", "@@@ ###", "###·@@@", "@@# ####", "####@@",
                                 "@@@@###", "#@@ ###", "@@ #####", "###@###", "@## @@@"),
           2.0, (WHITE, (250, 248, 235), YELLOW, DARK_BLUE, (235, 240, 250), (210, 225, 240)),
           (NAVY, RED, BLACK, GREEN, MAROON, (250, 250, 250), YELLOW), US_STATES, US_SLOGANS, scenic=0.6),
    Layout("us-vanity", "us", ("@@@@", "@@@@@", "@@@@@@", "@@@@@@@", "@@@#@@@", "@#@@@", "#@@@@#", "@@@@ @@@",
                               "#####", "@@@@@@@@"),
           2.0, (WHITE, (250, 248, 235), YELLOW, DARK_BLUE), (NAVY, RED, BLACK, GREEN, (250, 250, 250)),
           US_STATES, US_SLOGANS, scenic=0.5),
    Layout("us-moto", "us", ("##/@@@", "@@/####", "@@@/##", "#@/###"), 1.7, (WHITE, YELLOW, (250, 248, 235)),
           (NAVY, BLACK, RED), US_STATES, ("MOTORCYCLE", "MC") + US_SLOGANS),
    # Europe: blue country band on the left; per country, what a reader must see past (German seals, the French and
    # Italian right bands). Together they are drawn about 1.6 times as often as one layout of another region.
    Layout("eu", "eu", ("@@-@@-###", "##-@@@-#", "@-@@-####", "@@ ###@@"), 4.7, (WHITE, YELLOW), (BLACK,), band="eu",
           weight=0.25),
    Layout("eu-de", "eu", ("@ °@@ ####", "@@ °@ ###", "@@@ °@@ ##", "@ °@ ####", "@@ °@@ ###"), 4.7, (WHITE,),
           (BLACK,), band="eu", fonts=DIN_FONTS, countries=("D",), weight=0.25),
    Layout("eu-fr", "eu", ("@@-###-@@",), 4.7, (WHITE,), (BLACK,), band="eu", countries=("F",), right_band="fr",
           weight=0.2, letters=FR_SERIES_LETTERS),
    Layout("eu-it", "eu", ("@@ ###@@",), 4.7, (WHITE,), (BLACK,), band="eu", countries=("I",), right_band="it",
           weight=0.15, letters=IT_SERIES_LETTERS),
    Layout("eu-es", "eu", ("#### @@@",), 4.7, (WHITE,), (BLACK,), band="eu", countries=("E",), weight=0.15,
           letters=ES_SERIES_LETTERS),
    Layout("eu-uk", "eu", ("@@## @@@",), 4.7, (WHITE, YELLOW), (BLACK,), band="eu", countries=("UK", "GB"),
           band_chance=0.4, fonts=DIN_FONTS + PLATE_FONTS[:4], weight=0.2, letters=UK_SERIES_LETTERS),
    Layout("eu-nl", "eu", ("##-@@@-#", "#-@@@-##", "@@-###-@", "@-###-@@"), 4.7, (YELLOW,), (BLACK,), band="eu",
           countries=("NL",), fonts=DIN_FONTS, weight=0.1, letters=NL_SERIES_LETTERS),
    Layout("eu-be", "eu", ("#-@@@-###",), 4.7, (WHITE,), (RED,), band="eu", countries=("B",), weight=0.1),
    Layout("eu-pl", "eu", ("@@ #####", "@@@ ####", "@@ ###@@"), 4.7, (WHITE,), (BLACK,), band="eu",
           countries=("PL",), weight=0.1),
    Layout("eu-pt", "eu", ("@@-##-@@", "##-@@-##"), 4.7, (WHITE,), (BLACK,), band="eu", countries=("P",),
           right_band="pt", weight=0.1),
    # Brazil: old grey plates (city on top) and Mercosur (blue band on top).
    Layout("br-old", "br", ("@@@-####", "@@@·####"), 3.1, (GREY, (200, 200, 195), (150, 40, 35)),
           (BLACK, (240, 240, 240)), BR_CITIES),
    Layout("br-mercosur", "br", ("@@@#&##",), 3.1, (WHITE,), (BLACK,), band="mercosur",
           fonts=MONO_FONTS + PLATE_FONTS[:6]),
    Layout("br-moto", "br", ("@@@/####", "@@@/#&##"), 1.2, (GREY, WHITE), (BLACK,), BR_CITIES),
    # Argentina: old black plates (@@@ ###) and Mercosur (@@ ### @@).
    Layout("ar-old", "ar", ("@@@ ###", "@@@-###"), 3.2, (BLACK, (30, 30, 35)), (WHITE, (230, 230, 230)),
           ("ARGENTINA", "REPUBLICA ARGENTINA")),
    Layout("ar-mercosur", "ar", ("@@ ### @@", "@@###@@"), 3.1, (WHITE,), (BLACK,), band="mercosur",
           fonts=MONO_FONTS + PLATE_FONTS[:6]),
    Layout("ar-moto", "ar", ("###/@@@", "@###/@@@"), 1.3, (BLACK, WHITE), (WHITE, BLACK), ("ARGENTINA",)),
)
LAYOUTS_BY_NAME = {layout.name: layout for layout in LAYOUTS}


@dataclass(frozen=True)
class SynthPlate:
    image_bgr: np.ndarray  # the augmented crop, uint8 BGR
    text: str  # label: plate characters only, top line first
    layout: str
    lines: tuple[str, ...]  # the lines as drawn, separators included


# ---------------------------------------------------------------- text -------------------------------------------


def fill_pattern(pattern: str, rng: np.random.Generator, letters: str = LETTERS) -> str:
    """A random plate for a pattern, separators kept: ``fill_pattern('@@@-###', rng) -> 'KXT-204'``. ``@`` one of
    ``letters``, ``#`` a digit, ``&`` a letter A-J (``MERCOSUR_BR_LETTERS``)."""
    out = []
    for symbol in pattern:
        if symbol == "@":
            out.append(letters[rng.integers(len(letters))])
        elif symbol == "&":
            out.append(MERCOSUR_BR_LETTERS[rng.integers(len(MERCOSUR_BR_LETTERS))])
        elif symbol == "#":
            out.append(DIGITS[rng.integers(len(DIGITS))])
        else:
            out.append(symbol)
    return "".join(out)


def plate_number(layout: Layout, rng: np.random.Generator) -> str:
    """A random plate number as ``layout`` draws it: one of its patterns filled in, separators kept."""
    return fill_pattern(layout.patterns[rng.integers(len(layout.patterns))], rng, layout.letters)


def label_of(drawn: str) -> str:
    """The plate characters of a drawn plate: separators, gaps and line breaks removed."""
    return "".join(c for c in drawn if c.isalnum() and c.isascii())


# ---------------------------------------------------------------- fonts ------------------------------------------


def font_dirs() -> tuple[Path, ...]:
    extra = os.environ.get("SERENO_FONTS_DIR")
    return ((Path(extra),) if extra else ()) + FONT_DIRS


@lru_cache(maxsize=None)
def font_index() -> dict[str, Path]:
    """File name -> path of every font file under the font folders."""
    index: dict[str, Path] = {}
    for folder in font_dirs():
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.suffix.lower() in (".ttf", ".otf"):
                    index.setdefault(path.name, path)
    return index


def available_fonts(names: tuple[str, ...]) -> tuple[Path, ...]:
    found = tuple(font_index()[n] for n in names if n in font_index())
    if not found:
        raise FileNotFoundError(
            f"none of the fonts {', '.join(names[:4])}... found under {', '.join(map(str, font_dirs()))}: "
            "install fonts-dejavu-core fonts-liberation fonts-urw-base35 (scripts/setup.sh) or set SERENO_FONTS_DIR")
    return found


@lru_cache(maxsize=256)
def load_font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def text_image(text: str, font_path: Path, size: int = 96, spacing: float = 0.0) -> np.ndarray:
    """White-on-black mask of ``text`` tightly cropped (uint8, HxW). ``spacing`` adds a fraction of the size between
    characters (plates space characters wider than type)."""
    font = load_font(font_path, size)
    gap = int(size * spacing)
    widths = [max(1, int(font.getlength("O" if c == "°" else c))) for c in text]
    width = sum(widths) + gap * max(0, len(text) - 1) + size
    canvas = Image.new("L", (width, int(size * 1.6)), 0)
    draw = ImageDraw.Draw(canvas)
    x = size // 2
    for char, char_width in zip(text, widths):
        if char == "·":  # a centred dot, drawn as a disc (fonts place the middle dot inconsistently)
            r = max(2, size // 12)
            cy = int(size * 0.75)
            draw.ellipse((x + char_width // 2 - r, cy - r, x + char_width // 2 + r, cy + r), fill=255)
        elif char == "°":  # a German plate's two round seals, one above the other: rings round a smaller mark
            r, cx = size // 5, x + char_width // 2
            for cy in (size // 2 - r, size // 2 + int(1.5 * r)):
                draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=255, width=max(2, r // 4))
                draw.ellipse((cx - r // 3, cy - r // 3, cx + r // 3, cy + r // 3), fill=255)
        else:
            draw.text((x, size // 4), char, font=font, fill=255)
        x += char_width + gap
    mask = np.asarray(canvas)
    x, y, w, h = cv2.boundingRect((mask > 20).astype(np.uint8))
    if w == 0 or h == 0:
        return np.zeros((4, 4), dtype=np.uint8)
    return mask[y: y + h, x: x + w]


# ---------------------------------------------------------------- plate rendering --------------------------------


def vary_strokes(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Thicker or thinner strokes and a slight slant: plate typefaces differ from the installed fonts in both."""
    size = int(rng.integers(1, 6))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    choice = rng.random()
    if choice < 0.3:
        mask = cv2.dilate(mask, kernel)
    elif choice < 0.55:
        mask = cv2.erode(mask, kernel)
    if rng.random() < 0.3:
        h, w = mask.shape
        shear = rng.uniform(-0.18, 0.18)
        matrix = np.float32([[1, shear, max(0.0, -shear * h)], [0, 1, 0]])
        mask = cv2.warpAffine(mask, matrix, (w + int(abs(shear) * h) + 1, h))
    return mask


def _paste_mask(plate: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int], ink, keep_aspect: bool = False):
    """Alpha-blend ``ink`` through ``mask`` resized into ``box`` (x1, y1, x2, y2) of ``plate`` (in place)."""
    x1, y1, x2, y2 = box
    w, h = max(1, x2 - x1), max(1, y2 - y1)
    if keep_aspect:
        scale = min(w / mask.shape[1], h / mask.shape[0])
        w, h = max(1, int(mask.shape[1] * scale)), max(1, int(mask.shape[0] * scale))
        x1, y1 = x1 + (x2 - x1 - w) // 2, y1 + (y2 - y1 - h) // 2
    x1, y1 = max(0, x1), max(0, y1)
    w, h = min(w, plate.shape[1] - x1), min(h, plate.shape[0] - y1)
    if w < 1 or h < 1:
        return
    alpha = cv2.resize(mask, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)[..., None] / 255.0
    region = plate[y1:y1 + h, x1:x1 + w].astype(np.float32)
    plate[y1:y1 + h, x1:x1 + w] = (region * (1 - alpha) + np.array(ink, np.float32) * alpha).astype(np.uint8)


def _colour_jitter(colour, rng: np.random.Generator, amount: int = 18) -> tuple[int, int, int]:
    return tuple(int(np.clip(c + rng.integers(-amount, amount + 1), 0, 255)) for c in colour)


def _scenic_background(plate: np.ndarray, rng: np.random.Generator) -> None:
    """Paint state-plate graphics: soft colour bands, hills, a sky gradient (in place)."""
    h, w = plate.shape[:2]
    for _ in range(rng.integers(1, 4)):
        colour = rng.integers(60, 256, size=3)
        if rng.random() < 0.5:  # hills / waves along the bottom or top
            xs = np.arange(w)
            base = rng.uniform(0.5, 0.95) * h
            curve = base + rng.uniform(3, h * 0.15) * np.sin(xs / w * rng.uniform(2, 9) + rng.uniform(0, 6))
            pts = np.concatenate([np.stack([xs, curve], 1), [[w - 1, h - 1], [0, h - 1]]]).astype(np.int32)
            overlay = plate.copy()
            cv2.fillPoly(overlay, [pts], tuple(int(c) for c in colour))
            alpha = rng.uniform(0.25, 0.7)
            cv2.addWeighted(overlay, alpha, plate, 1 - alpha, 0, dst=plate)
        else:  # a faint emblem or blob behind the characters
            centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            overlay = plate.copy()
            cv2.circle(overlay, centre, int(rng.integers(h // 6, h // 2)), tuple(int(c) for c in colour), -1)
            alpha = rng.uniform(0.15, 0.45)
            cv2.addWeighted(overlay, alpha, plate, 1 - alpha, 0, dst=plate)


def _sticker(plate: np.ndarray, rng: np.random.Generator, fonts: tuple[Path, ...], box) -> None:
    """A registration sticker with small digits (month/year): text that is not the plate."""
    x1, y1, x2, y2 = box
    cv2.rectangle(plate, (x1, y1), (x2, y2), tuple(int(c) for c in rng.integers(0, 256, 3)), -1)
    small = fill_pattern(["##", "@@@", "##-##", "#"][rng.integers(4)], rng)
    _paste_mask(plate, text_image(small, fonts[rng.integers(len(fonts))], 48), (x1 + 2, y1 + 2, x2 - 2, y2 - 2),
                (250, 250, 250) if rng.random() < 0.5 else (10, 10, 10), keep_aspect=True)


def _right_band(plate: np.ndarray, band_left: int, kind: str, font: Path, rng: np.random.Generator) -> None:
    """The band on a plate's right edge and its small print, which is not part of the plate number: a French
    region logo over the department, an Italian year over the province, a Portuguese yellow band with the year."""
    height, width = plate.shape[:2]
    colour = (240, 200, 20) if kind == "pt" else (20, 50, 160)
    cv2.rectangle(plate, (band_left, 0), (width, height), colour, -1)
    inner = (band_left + 2, width - 2)
    if kind == "fr":
        top = FR_LOGO_COLOURS[rng.integers(len(FR_LOGO_COLOURS))]
        cv2.rectangle(plate, (inner[0] + 1, int(height * 0.12)), (inner[1] - 1, int(height * 0.5)), top, -1)
        small = (FR_DEPARTMENTS[rng.integers(len(FR_DEPARTMENTS))],)
    elif kind == "it":
        cv2.circle(plate, ((inner[0] + inner[1]) // 2, int(height * 0.3)), (inner[1] - inner[0]) // 3, (240, 200, 20),
                   -1)
        small = (IT_PROVINCES[rng.integers(len(IT_PROVINCES))],)
    else:
        small = (f"{rng.integers(0, 100):02d}", f"{rng.integers(1, 13):02d}")
    ink = BLACK if kind == "pt" else WHITE
    rows = [(0.55, 0.9)] if len(small) == 1 else [(0.15, 0.45), (0.55, 0.85)]
    for text, (y1, y2) in zip(small, rows):
        _paste_mask(plate, text_image(text, font), (inner[0], int(height * y1), inner[1], int(height * y2)), ink,
                    keep_aspect=True)


def render_plate(layout: Layout, drawn: str, rng: np.random.Generator, height: int = 120) -> np.ndarray:
    """The flat, frontal plate (RGB uint8) with ``drawn`` as its characters and the layout's distracting text."""
    width = int(height * layout.aspect)
    background = _colour_jitter(layout.backgrounds[rng.integers(len(layout.backgrounds))], rng)
    ink = layout.inks[rng.integers(len(layout.inks))]
    if sum(abs(a - b) for a, b in zip(ink, background)) < 150:  # keep the characters legible
        ink = BLACK if sum(background) > 380 else WHITE
    ink = _colour_jitter(ink, rng)
    plate = np.empty((height, width, 3), np.uint8)
    plate[:] = background
    if rng.random() < 0.5:  # light gradient / wear
        shade = np.linspace(rng.uniform(-25, 0), rng.uniform(0, 25), height if rng.random() < 0.5 else width)
        shade = shade[:, None, None] if len(shade) == height else shade[None, :, None]
        plate[:] = np.clip(plate.astype(np.float32) + shade, 0, 255).astype(np.uint8)
    if rng.random() < layout.scenic:
        _scenic_background(plate, rng)
    caption_fonts = available_fonts(CAPTION_FONTS)
    plate_fonts = available_fonts(layout.fonts)
    font = plate_fonts[rng.integers(len(plate_fonts))]

    left, top, right, bottom = int(width * 0.05), int(height * 0.06), int(width * 0.95), int(height * 0.94)
    if layout.band == "eu" and rng.random() < layout.band_chance:
        band_right = int(width * rng.uniform(0.08, 0.11))
        cv2.rectangle(plate, (0, 0), (band_right, height), (20, 50, 160), -1)
        for angle in np.linspace(0, 2 * np.pi, 12, endpoint=False):  # ring of stars
            cx = band_right / 2 + np.cos(angle) * band_right * 0.28
            cy = height * 0.3 + np.sin(angle) * band_right * 0.28
            cv2.circle(plate, (int(cx), int(cy)), max(1, height // 40), (240, 200, 20), -1)
        country = layout.countries[rng.integers(len(layout.countries))]
        _paste_mask(plate, text_image(country, caption_fonts[0]), (2, int(height * 0.6), band_right - 2,
                                                                   int(height * 0.9)), WHITE, keep_aspect=True)
        left = band_right + int(width * 0.02)
    elif layout.band == "mercosur":
        band_bottom = int(height * rng.uniform(0.2, 0.26))
        cv2.rectangle(plate, (0, 0), (width, band_bottom), (20, 60, 170), -1)
        name = "BRASIL" if layout.region == "br" else "REPUBLICA ARGENTINA"
        _paste_mask(plate, text_image(name, available_fonts(("DejaVuSans-Bold.ttf", *CAPTION_FONTS))[0]), (int(width * 0.25), 3, int(width * 0.75),
                                                               band_bottom - 3), WHITE, keep_aspect=True)
        top = band_bottom + int(height * 0.04)
    elif layout.headers and rng.random() < 0.9:
        header = layout.headers[rng.integers(len(layout.headers))]
        header_h = int(height * rng.uniform(0.13, 0.22))
        _paste_mask(plate, text_image(header, caption_fonts[rng.integers(len(caption_fonts))]),
                    (int(width * 0.15), top, int(width * 0.85), top + header_h), _colour_jitter(ink, rng, 60),
                    keep_aspect=True)
        top += header_h + int(height * 0.03)
    if layout.right_band:
        band_left = int(width * rng.uniform(0.89, 0.92))
        _right_band(plate, band_left, layout.right_band, caption_fonts[0], rng)
        right = band_left - int(width * 0.02)
    if layout.footers and rng.random() < 0.8:
        footer = layout.footers[rng.integers(len(layout.footers))]
        footer_h = int(height * rng.uniform(0.1, 0.17))
        _paste_mask(plate, text_image(footer, caption_fonts[rng.integers(len(caption_fonts))]),
                    (int(width * 0.2), bottom - footer_h, int(width * 0.8), bottom), _colour_jitter(ink, rng, 60),
                    keep_aspect=True)
        bottom -= footer_h + int(height * 0.03)

    spacing = rng.uniform(0.0, 0.18)
    lines = drawn.split("/")
    if len(lines) == 1:
        mask = text_image(drawn, font, spacing=spacing)
        fill = rng.uniform(0.72, 0.97)
        text_w = int((right - left) * fill)
        text_h = bottom - top
        if layout.region == "us" and rng.random() < 0.35:  # a registration sticker in a corner, clear of the number
            _sticker(plate, rng, caption_fonts, (int(width * 0.84), int(height * 0.06), int(width * 0.97),
                                                 int(height * 0.3)))
            right = int(width * 0.82)
            text_w = int((right - left) * fill)
        x1 = left + int(rng.uniform(0, 1) * ((right - left) - text_w))
        _paste_mask(plate, vary_strokes(mask, rng), (x1, top, x1 + text_w, top + text_h), ink)
    else:  # two lines: the top one usually smaller
        top_share = rng.uniform(0.35, 0.5)
        split = top + int((bottom - top) * top_share)
        gap = int(height * 0.03)
        for line, (y1, y2, fill) in zip(lines, ((top, split - gap, rng.uniform(0.4, 0.7)),
                                               (split + gap, bottom, rng.uniform(0.75, 0.95)))):
            mask = vary_strokes(text_image(line, font, spacing=spacing), rng)
            text_w = int((right - left) * fill)
            x1 = left + ((right - left) - text_w) // 2
            _paste_mask(plate, mask, (x1, y1, x1 + text_w, y2), ink)
    if rng.random() < 0.7:  # border
        cv2.rectangle(plate, (2, 2), (width - 3, height - 3), _colour_jitter(ink, rng, 40),
                      int(rng.integers(1, max(2, height // 25))))
    if rng.random() < 0.5:  # bolt holes
        for cx in (int(width * 0.22), int(width * 0.78)):
            cv2.circle(plate, (cx, int(height * 0.09)), max(2, height // 30), (90, 90, 90), -1)
    return plate


# ---------------------------------------------------------------- camera-like augmentation -----------------------


def _random_backdrop(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Car paint, bumper and road: smooth random colour with noise."""
    grey = rng.integers(0, 256)
    small = (0.6 * grey + 0.4 * rng.integers(0, 256, size=(3, 4, 3))).astype(np.uint8)  # mostly unsaturated
    backdrop = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    noise = cv2.resize(rng.integers(-12, 13, size=(height // 4 + 1, width // 4 + 1, 1)).astype(np.int16),
                       (width, height), interpolation=cv2.INTER_NEAREST)
    return np.clip(backdrop.astype(np.int16) + noise[..., None], 0, 255).astype(np.uint8)


CAR_PAINTS = ((235, 235, 235), (190, 192, 196), (120, 122, 128), (25, 25, 28), (150, 20, 25), (25, 45, 110),
              (60, 70, 60), (200, 190, 170), (90, 40, 30))
CAR_WORDS = ("TOYOTA", "HONDA", "FORD", "NISSAN", "CHEVROLET", "DODGE", "KIA", "MAZDA", "JEEP", "RAM", "GMC",
             "HYBRID", "4X4", "SPORT", "LIMITED", "AUTO SALES", "MOTORS", "AUTOPLEX", "EL PASO", "TIJUANA", "555-0199",
             "SE", "LX", "V6", "XLT", "1500", "CRV", "RAV4", "SENTRA")
TAIL_LIGHT = (200, 30, 35)


def vehicle_backdrop(height: int, width: int, plate_box: tuple[int, int, int, int],
                     rng: np.random.Generator) -> np.ndarray:
    """The rear or front of a car around a plate at ``plate_box`` (x1, y1, x2, y2): body paint with a gradient, a
    plate recess, a bumper band, trim lines, tail lights, badges and dealer-frame text (text that is not the plate,
    which a loose detector box takes in). RGB uint8."""
    x1, y1, x2, y2 = plate_box
    ph, pw = y2 - y1, x2 - x1
    paint = np.array(_colour_jitter(CAR_PAINTS[rng.integers(len(CAR_PAINTS))], rng, 20), np.float32)
    shade = np.linspace(rng.uniform(0.75, 1.1), rng.uniform(0.75, 1.1), height, dtype=np.float32)[:, None, None]
    scene = np.clip(np.broadcast_to(paint, (height, width, 3)) * shade, 0, 255).astype(np.uint8)
    if rng.random() < 0.7:  # bumper: a darker or plastic band above or below the plate
        top = int(y2 + rng.uniform(-0.6, 1.2) * ph) if rng.random() < 0.7 else int(y1 - rng.uniform(0.6, 1.6) * ph)
        colour = _colour_jitter((40, 40, 42) if rng.random() < 0.6 else tuple(int(c) for c in paint * 0.8), rng, 15)
        cv2.rectangle(scene, (0, top), (width, top + int(rng.uniform(0.5, 2.0) * ph)), colour, -1)
    for _ in range(rng.integers(0, 4)):  # trim, chrome and panel lines
        y = int(rng.uniform(0, height))
        cv2.line(scene, (0, y), (width, y + int(rng.integers(-3, 4))),
                 _colour_jitter((200, 200, 205) if rng.random() < 0.5 else (20, 20, 20), rng, 30),
                 int(rng.integers(1, max(2, ph // 8))))
    if rng.random() < 0.6:  # the plate recess or holder
        grow = rng.uniform(0.05, 0.35, size=4) * np.array([pw, ph, pw, ph])
        colour = _colour_jitter((30, 30, 32), rng, 20) if rng.random() < 0.5 else tuple(int(c) for c in paint * 0.7)
        cv2.rectangle(scene, (int(x1 - grow[0]), int(y1 - grow[1])), (int(x2 + grow[2]), int(y2 + grow[3])),
                      colour, -1)
    if rng.random() < 0.4:  # tail lights at the sides
        for cx in (int(x1 - rng.uniform(0.8, 2.5) * pw), int(x2 + rng.uniform(0.8, 2.5) * pw)):
            cv2.rectangle(scene, (cx - pw // 3, int(y1 - ph * rng.uniform(0.5, 2))), (cx + pw // 3, y1 + ph),
                          _colour_jitter(TAIL_LIGHT, rng, 30), -1)
    fonts = available_fonts(CAPTION_FONTS + PLATE_FONTS[:4])
    for _ in range(rng.integers(0, 3)):  # badges and dealer-frame text near the plate
        word = CAR_WORDS[rng.integers(len(CAR_WORDS))]
        th = int(ph * rng.uniform(0.12, 0.4))
        tw = int(th * len(word) * rng.uniform(0.5, 0.8))
        above = rng.random() < 0.5
        ty = int(y1 - th - rng.uniform(0.02, 0.6) * ph) if above else int(y2 + rng.uniform(0.02, 0.5) * ph)
        tx = int(x1 + rng.uniform(-0.3, 1.0) * pw - tw / 2)
        ink = (235, 235, 235) if paint.mean() < 110 else (25, 25, 25)
        if rng.random() < 0.4:
            ink = (200, 200, 205)  # chrome
        _paste_mask(scene, text_image(word, fonts[rng.integers(len(fonts))], 48), (tx, ty, tx + tw, ty + th),
                    _colour_jitter(ink, rng, 20), keep_aspect=True)
    noise = cv2.resize(rng.integers(-10, 11, size=(height // 4 + 1, width // 4 + 1, 1)).astype(np.int16),
                       (width, height), interpolation=cv2.INTER_NEAREST)
    return np.clip(scene.astype(np.int16) + noise[..., None], 0, 255).astype(np.uint8)


# Loose, detector-like boxes: how far a plate detector's box reaches past the plate, as a fraction of the plate's
# width (left, right) and height (top, bottom), before the reader's own margin (plate_reader.crop_with_margin).
# PlateDetector on synthetic cars (sereno.training.detector_like): sides 0..9%, top 0..27%, bottom 1..39% (5th-95th
# percentile); real photos' boxes are looser (~1.7x the plate's height), hence up to 50%.
LOOSE_MARGIN_X = (-0.04, 0.12)
LOOSE_MARGIN_Y = (-0.05, 0.5)
READER_MARGIN = (CROP_MARGIN_X, CROP_MARGIN_Y)


def place_in_scene(plate: np.ndarray, rng: np.random.Generator, tilt: float = 1.0, loose: bool = False) -> np.ndarray:
    """Warp the plate with a random perspective onto a backdrop and crop it like a detector box (margin jitter,
    sometimes shaving the border a little). ``loose``: a car around the plate and the loose box of a plate detector
    plus the reader's margin. Returns RGB uint8."""
    h, w = plate.shape[:2]
    pad = int(max(max(h, w) * 0.35, 1.5 * h if loose else 0))
    box = (pad, pad, pad + w, pad + h)
    scene = (vehicle_backdrop(h + 2 * pad, w + 2 * pad, box, rng) if loose
             else _random_backdrop(h + 2 * pad, w + 2 * pad, rng))
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = rng.uniform(-1, 1, size=(4, 2)) * np.float32([w, h]) * 0.06 * tilt
    angle = np.deg2rad(rng.normal(0, 4) * tilt)
    centre = np.float32([w / 2, h / 2])
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    dst = ((src - centre) @ rotation.T + centre + jitter + pad).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(plate, matrix, (scene.shape[1], scene.shape[0]), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    inside = cv2.warpPerspective(np.full((h, w), 255, np.uint8), matrix, (scene.shape[1], scene.shape[0]))
    scene = np.where(inside[..., None] > 127, warped, scene)
    x1, y1 = dst.min(axis=0)
    x2, y2 = dst.max(axis=0)
    bw, bh = x2 - x1, y2 - y1
    if loose:  # the detector's box: the plate's grown by `extra`; then the reader's margin, a share of that box
        extra = np.concatenate([rng.uniform(*LOOSE_MARGIN_X, size=2), rng.uniform(*LOOSE_MARGIN_Y, size=2)])
        loose_w, loose_h = bw * (1 + extra[:2].sum()), bh * (1 + extra[2:].sum())
        margins = extra[[0, 2, 1, 3]] * np.float32([bw, bh, bw, bh]) + np.float32(
            [loose_w * READER_MARGIN[0], loose_h * READER_MARGIN[1]] * 2)
    else:
        margins = rng.uniform(-0.02, 0.12, size=4) * np.float32([bw, bh, bw, bh])
    left, top = int(max(0, x1 - margins[0])), int(max(0, y1 - margins[1]))
    right, bottom = int(min(scene.shape[1], x2 + margins[2])), int(min(scene.shape[0], y2 + margins[3]))
    return scene[top:bottom, left:right]


def degrade(image: np.ndarray, rng: np.random.Generator, strength: float = 1.0) -> np.ndarray:
    """Camera effects on an RGB/BGR uint8 crop: scale, blur, lighting, night/IR, glare, dirt, occlusion, noise,
    JPEG. ``strength`` scales how likely each effect is (real crops get a milder dose)."""
    out = image.astype(np.float32)
    h, w = out.shape[:2]

    def chance(p: float) -> bool:
        return rng.random() < p * strength

    if chance(0.35):  # dirt / grime
        for _ in range(rng.integers(1, 6)):
            centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            blob = np.zeros((h, w), np.float32)
            cv2.ellipse(blob, centre, (int(rng.integers(2, w // 5 + 3)), int(rng.integers(2, h // 4 + 3))),
                        float(rng.uniform(0, 180)), 0, 360, 1.0, -1)
            blob = cv2.GaussianBlur(blob, (0, 0), max(1.0, h / 30))
            out = out * (1 - blob[..., None] * rng.uniform(0.15, 0.5)) + blob[..., None] * rng.uniform(20, 60)
    if chance(0.25):  # shadow across part of the plate
        x = np.arange(w)[None, :] * rng.uniform(-1, 1) + np.arange(h)[:, None] * rng.uniform(-1, 1)
        edge = rng.uniform(x.min(), x.max())
        out *= np.where(x > edge, rng.uniform(0.45, 0.85), 1.0)[..., None]
    if chance(0.25):  # glare: a bright soft blob
        glare = np.zeros((h, w), np.float32)
        cv2.circle(glare, (int(rng.integers(0, w)), int(rng.integers(0, h))), int(rng.integers(h // 6 + 1, h)), 1.0,
                   -1)
        glare = cv2.GaussianBlur(glare, (0, 0), max(2.0, h / 6))
        out += glare[..., None] * rng.uniform(40, 120)
    if chance(0.15):  # partial occlusion at an edge (tow hitch, frame, another car's corner)
        ow, oh = int(w * rng.uniform(0.05, 0.15)), int(h * rng.uniform(0.2, 0.6))
        x0 = 0 if rng.random() < 0.5 else w - ow
        y0 = 0 if rng.random() < 0.5 else h - oh
        out[y0:y0 + oh, x0:x0 + ow] = rng.uniform(0, 255, size=3)
    # lighting: contrast, brightness, gamma, colour cast
    out = (out - 128) * rng.uniform(1 - 0.4 * strength, 1 + 0.3 * strength) + 128 + rng.normal(0, 20 * strength)
    out *= rng.uniform(1 - 0.12 * strength, 1 + 0.12 * strength, size=3)
    out = np.clip(out, 0, 255)
    if chance(0.2):  # night / infrared: grey, retro-reflective plate bright, surroundings dark
        gray = out.mean(axis=2, keepdims=True)
        out = np.repeat(np.clip((gray - rng.uniform(40, 110)) * rng.uniform(1.4, 2.5), 0, 255), 3, axis=2)
        if rng.random() < 0.3:
            out = 255 - out  # some IR cameras invert contrast
    out = np.clip(255 * (out / 255) ** rng.uniform(1 - 0.4 * strength, 1 + 0.6 * strength), 0, 255)
    blurred = chance(0.4)
    if blurred:  # low resolution: shrink then enlarge
        target_h = int(rng.uniform(18, 48))
        scale = min(1.0, target_h / h)
        small = cv2.resize(out, (max(8, int(w * scale)), max(6, int(h * scale))), interpolation=cv2.INTER_AREA)
        out = cv2.resize(small, (w, h), interpolation=[cv2.INTER_LINEAR, cv2.INTER_CUBIC, cv2.INTER_NEAREST][
            rng.integers(3)])
    if not blurred and chance(0.3):  # focus blur
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.5, 1.4) * max(1.0, h / 64))
    elif not blurred and chance(0.15):  # motion blur
        length = int(rng.integers(3, max(4, w // 18)))
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2, :] = 1.0 / length
        rotation = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), float(rng.uniform(-30, 30)), 1.0)
        kernel = cv2.warpAffine(kernel, rotation, (length, length))
        out = cv2.filter2D(out, -1, kernel / max(kernel.sum(), 1e-6))
    if chance(0.5):  # sensor noise
        out += rng.normal(0, rng.uniform(2, 14), size=out.shape)
    out = np.clip(out, 0, 255).astype(np.uint8)
    if chance(0.15):
        out = np.repeat(cv2.cvtColor(out, cv2.COLOR_BGR2GRAY)[..., None], 3, axis=2)
    if chance(0.6):  # JPEG artefacts
        ok, encoded = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(15, 90))])
        if ok:
            out = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    return out


def synth_plate(rng: np.random.Generator, layout: Layout | str | None = None, region_weights: dict | None = None,
                clean: bool = False, strength: float = 0.8, loose: bool = False) -> SynthPlate:
    """One synthetic plate crop. ``layout`` by object or name; None picks one (``region_weights`` per region,
    default: every layout alike). ``clean`` skips the camera effects (perspective and crop jitter stay mild).
    ``loose``: cropped as the plate detector's box plus the reader's margin, with the car around the plate."""
    if layout is None:
        layout = pick_layout(rng, region_weights)
    elif isinstance(layout, str):
        if layout not in LAYOUTS_BY_NAME:
            raise ValueError(f"unknown plate layout {layout!r}: choose one of {', '.join(LAYOUTS_BY_NAME)}")
        layout = LAYOUTS_BY_NAME[layout]
    drawn = plate_number(layout, rng)
    plate = render_plate(layout, drawn, rng, height=int(rng.integers(60, 90)))
    crop = place_in_scene(plate, rng, tilt=0.3 if clean else 1.0, loose=loose)
    # the crop's final size, as a detector at a distance would give it
    target_h = int(rng.integers(40, 120)) if clean else int(rng.integers(26, 100))
    scale = target_h / crop.shape[0]
    crop = cv2.resize(crop, (max(8, int(crop.shape[1] * scale)), target_h), interpolation=cv2.INTER_AREA)
    crop_bgr = cv2.cvtColor(crop, cv2.COLOR_RGB2BGR)
    if not clean:
        crop_bgr = degrade(crop_bgr, rng, strength)
    return SynthPlate(crop_bgr, label_of(drawn), layout.name, tuple(drawn.split("/")))


def pick_layout(rng: np.random.Generator, region_weights: dict | None = None) -> Layout:
    weights = np.array([(region_weights or {}).get(layout.region, 1.0) * layout.weight for layout in LAYOUTS],
                       np.float64)
    if weights.sum() <= 0:
        raise ValueError(f"region weights {region_weights} select no layout")
    return LAYOUTS[rng.choice(len(LAYOUTS), p=weights / weights.sum())]
