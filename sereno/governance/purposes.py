"""Forbidden purposes and the offense catalogue, in Spanish and English. Pure functions, no I/O.

A reason is refused when it names a forbidden purpose: following people for their politics, protests, journalism,
religion, immigration status, identity, or for personal or commercial ends. Matching folds accents and case, so
"manifestación", "MANIFESTACION" and "manifestacion" are the same word.
"""

from __future__ import annotations

import re
import unicodedata

# category -> word stems (regular expressions anchored at a word start). Kept short and specific: a false refusal
# costs an investigator a rephrase; a missed abuse costs someone their safety.
FORBIDDEN_PURPOSES: dict[str, tuple[str, ...]] = {
    "political_activity": (
        r"politic", r"partido politico", r"partido (pan|pri|prd|morena|pt|pvem|mc)\b", r"candidat", r"eleccion",
        r"electoral", r"election", r"campana politica", r"political campaign", r"votante", r"voter", r"opositor",
        r"opposition", r"sindical", r"sindicato", r"labor union", r"trade union",
    ),
    "protest": (
        r"protest", r"manifestacion", r"manifestante", r"marchistas?", r"marcha (de|por|contra|del) ", r"mitin",
        r"rally", r"demonstration", r"demonstrator", r"activist", r"planton", r"bloqueo carretero",
    ),
    "journalism": (
        r"periodis", r"journalis", r"reporter", r"reportero", r"prensa\b", r"\bpress\b", r"news ?paper",
        r"medio de comunicacion", r"medios de comunicacion", r"informante de prensa", r"fuente periodistica",
    ),
    "religion": (
        r"religio", r"iglesia", r"church", r"mezquita", r"mosque", r"templo", r"temple", r"sinagoga", r"synagogue",
        r"feligres", r"congregation", r"worship", r"culto religioso",
    ),
    "immigration_status": (
        r"migratori", r"immigration", r"inmigra", r"migrante", r"migrant", r"indocumentad", r"undocumented",
        r"deporta", r"sin papeles", r"illegal alien", r"estatus migratorio", r"citizenship status",
    ),
    "identity_or_beliefs": (
        r"orientacion sexual", r"sexual orientation", r"\bgay", r"lesbian", r"\blgbt", r"transgener",
        r"etnia", r"ethnic", r"\braza\b", r"racial", r"indigena",
    ),
    "personal_matters": (
        r"ex[ -]?esposa", r"ex[ -]?esposo", r"ex[ -]?wife", r"ex[ -]?husband", r"ex[ -]?pareja", r"ex[ -]?novia",
        r"ex[ -]?novio",
        r"girlfriend", r"boyfriend", r"\bnovia\b", r"\bnovio\b", r"mi esposa", r"mi esposo", r"my wife",
        r"my husband", r"mi vecino", r"my neighbou?r", r"asunto personal", r"asuntos personales",
        r"motivos personales", r"personal matter", r"personal reason", r"personal business", r"curiosidad",
        r"curiosity", r"just checking", r"venganza", r"revenge", r"celos", r"jealous", r"infidelidad",
        r"cheating", r"stalk", r"acosar",
    ),
    "commercial_or_bribe": (
        r"vender", r"\bsell", r"\bventa de (datos|informacion)", r"soborno", r"bribe", r"mordida",
        r"cliente privado", r"private client", r"cobranza", r"debt collect", r"repo agent", r"aseguradora privada",
    ),
}

_PATTERNS = {
    category: re.compile("|".join(rf"(?:(?<![a-z0-9]){stem})" for stem in stems))
    for category, stems in FORBIDDEN_PURPOSES.items()
}


def fold(text: str) -> str:
    """Lower case, accents removed, runs of whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", plain.lower()).strip()


def forbidden_purpose(reason: str) -> tuple[str, str] | None:
    """The (category, matched words) a reason falls under, or None when it names no forbidden purpose."""
    folded = fold(reason)
    for category, pattern in _PATTERNS.items():
        found = pattern.search(folded)
        if found:
            return category, found.group(0)
    return None


MIN_REASON_CHARS = 10

# A fixed catalogue (code -> Spanish, English). Cases must use one of these codes.
OFFENSES: dict[str, tuple[str, str]] = {
    "homicide": ("homicidio", "homicide"),
    "kidnapping": ("secuestro", "kidnapping"),
    "missing_person": ("persona desaparecida", "missing person"),
    "human_trafficking": ("trata de personas", "human trafficking"),
    "sexual_assault": ("agresión sexual", "sexual assault"),
    "assault": ("lesiones", "assault"),
    "armed_robbery": ("robo con violencia", "armed robbery"),
    "vehicle_theft": ("robo de vehículo", "vehicle theft"),
    "carjacking": ("robo de vehículo con violencia", "carjacking"),
    "robbery": ("robo", "robbery"),
    "extortion": ("extorsión", "extortion"),
    "hit_and_run": ("atropello con fuga", "hit and run"),
    "drug_trafficking": ("narcotráfico", "drug trafficking"),
    "arms_trafficking": ("tráfico de armas", "arms trafficking"),
    "fuel_theft": ("robo de combustible", "fuel theft"),
    "amber_alert": ("alerta Amber", "Amber alert"),
}


def offense_label(code: str, language: str = "es") -> str:
    spanish, english = OFFENSES.get(code, (code, code))
    return spanish if language.startswith("es") else english
