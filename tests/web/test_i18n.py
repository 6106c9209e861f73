"""The pages' texts: Spanish (es-MX) and English carry the same keys, and every key the scripts ask for exists.

A missing key shows up on screen as its raw name (``alerts.confirm``), so this catches it before a person does.
Dates typed in the pages follow the chosen language, not the browser's locale (a browser test).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from sereno.store.tables import SightingRow
from sereno.web import STATIC_DIR

LANGUAGES = ("es-MX", "en")
LITERAL_KEY = re.compile(r"""\bt(?:Or)?\(\s*"([\w-]+\.[\w-]+)"\s*[,)]""")
CHOSEN_KEYS = re.compile(r'\bt\([^"\n]*?\?\s*"([\w-]+\.[\w-]+)"\s*:\s*"([\w-]+\.[\w-]+)"')  # t(a ? "k1" : "k2")
DYNAMIC_PREFIX = re.compile(r"""\bt(?:Or)?\(\s*"([\w-]+\.[\w-]*)"\s*\+""")


def texts(language: str) -> dict[str, str]:
    return json.loads((STATIC_DIR / "i18n" / f"{language}.json").read_text(encoding="utf-8"))


def scripts() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((STATIC_DIR / "js").rglob("*.js")))


def test_both_languages_have_the_same_keys() -> None:
    spanish, english = texts("es-MX"), texts("en")
    assert sorted(set(spanish) - set(english)) == []
    assert sorted(set(english) - set(spanish)) == []


def test_every_literal_key_in_the_scripts_exists() -> None:
    source = scripts()
    wanted = set(LITERAL_KEY.findall(source)) | {key for pair in CHOSEN_KEYS.findall(source) for key in pair}
    assert "sound.mute" in wanted
    assert len(wanted) > 100  # the pattern still finds the calls
    for language in LANGUAGES:
        known = set(texts(language))
        known |= {key.removesuffix("_other") for key in known if key.endswith("_other")}  # plural forms
        assert sorted(wanted - known) == [], language


def test_plural_texts_come_in_pairs() -> None:
    for language in LANGUAGES:
        keys = set(texts(language))
        ones = {k.removesuffix("_one") for k in keys if k.endswith("_one")}
        others = {k.removesuffix("_other") for k in keys if k.endswith("_other")}
        assert ones == others, language


def test_every_dynamic_key_family_has_texts() -> None:
    """``t("state." + state)``: each prefix has at least one text (the members are checked where they are known)."""
    prefixes = set(DYNAMIC_PREFIX.findall(scripts()))
    assert {"state.", "role.", "nav.", "offense."} <= prefixes
    for language in LANGUAGES:
        keys = texts(language)
        assert [p for p in prefixes if not any(k.startswith(p) for k in keys)] == [], language


def test_enumerations_the_server_sends_are_translated() -> None:
    from sereno.domain import CameraState
    from sereno.governance.model import Capability, Role
    from sereno.governance.purposes import OFFENSES

    members = ([f"state.{s.value}" for s in CameraState] + [f"role.{r.value}" for r in Role]
               + [f"capability.{c.value}" for c in Capability] + [f"offense.{code}" for code in OFFENSES])
    for language in LANGUAGES:
        assert sorted(set(members) - set(texts(language))) == [], language


TIJUANA = ZoneInfo("America/Tijuana")  # the browser tests' time zone (tests/web/conftest.py)


@pytest.mark.slow
def test_time_fields_follow_the_chosen_language_not_the_browsers_locale(open_page, site) -> None:
    from playwright.sync_api import expect

    from tests.web.site import ROUTE_PLATE
    from tests.web.test_wall_search import state_purpose

    page = open_page("investigador", locale="en-US")
    assert page.evaluate("navigator.language") == "en-US"
    page.goto("/#/search/plate")
    since, until = page.locator("#plate-since"), page.locator("#plate-until")
    expect(since).to_have_attribute("placeholder", "dd/mm/aaaa HH:mm")
    expect(until).to_have_value(re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$"))
    shown = datetime.strptime(until.input_value(), "%d/%m/%Y %H:%M").replace(tzinfo=TIJUANA)
    assert abs(shown - datetime.now(TIJUANA)) < timedelta(minutes=2)  # now, day first, 24-hour clock

    # A day the month does not have is refused before anything is asked of the API, saying how to write it.
    since.fill("31/02/2026 10:00")
    page.fill("#plate-pattern", ROUTE_PLATE)
    page.click("#plate-search")
    expect(page.locator("#plate-since-error")).to_have_text(
        re.compile(r"^Desde: escriba la fecha y la hora como dd/mm/aaaa HH:mm, por ejemplo \d{2}/\d{2}/\d{4} "))
    expect(page.locator("#purpose-case")).to_have_count(0)

    # From a typed Spanish date between the route car's first and second stops: the search finds the later two.
    with site.app.state.services.store.session() as session:
        seen = sorted(session.scalars(select(SightingRow.observed_at).where(SightingRow.plate_text == ROUTE_PLATE)))
    typed = (seen[0] + (seen[1] - seen[0]) / 2).astimezone(TIJUANA).replace(second=0, microsecond=0)
    since.fill(typed.strftime("%d/%m/%Y %H:%M"))
    expect(page.locator("#plate-since-error")).to_be_hidden()
    with page.expect_request("**/api/search/plate?*") as searched:
        page.click("#plate-search")
        state_purpose(page, "vehículo visto en el robo del expediente")
    sent = parse_qs(urlparse(searched.value.url).query)["since"][0]
    assert datetime.fromisoformat(sent.replace("Z", "+00:00")) == typed.astimezone(timezone.utc)
    expect(page.locator("#results .sighting-card")).to_have_count(len(seen) - 1)
    expect(page.locator("#results .sighting-card time").first).to_have_text(
        re.compile(r"^\d{1,2} [a-z]{3}\.? \d{4}, \d{2}:\d{2}:\d{2}$"))  # "23 nov 2026, 15:53:23": 24-hour clock

    page.select_option("#lang", "en")
    expect(since).to_have_attribute("placeholder", "mm/dd/yyyy hh:mm AM")
    expect(until).to_have_value(re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2} [AP]M$"))
    assert datetime.strptime(until.input_value(), "%m/%d/%Y %I:%M %p").replace(tzinfo=TIJUANA) - shown \
        < timedelta(minutes=2)
    assert page.errors == []
