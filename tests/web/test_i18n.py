"""The pages' texts: Spanish (es-MX) and English carry the same keys, and every key the scripts ask for exists.

A missing key shows up on screen as its raw name (``alerts.confirm``), so this catches it before a person does.
"""

from __future__ import annotations

import json
import re

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
