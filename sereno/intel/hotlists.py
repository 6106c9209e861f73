"""Hotlists: parse the known file formats, import a list atomically, list what is loaded.

Formats
- ``ncic``: the FBI NCIC plate-reader extract, fixed width (see ../shared/data/README.md): col 0 list type,
  [19:27] entry date YYYYMMDD, [27:37] plate, [37:39] state, [39:43] plate year, [45:49] vehicle year,
  [49:53] make, [53:56] model, [58:] colour.
- ``openalpr``: CSV with the header ``Plate Number,Description,State/Province``.
- ``csv``: CSV with the columns plate, reason, state, expires (YYYY-MM-DD, optional); a header row is optional.

Parsing is pure and never stops at a bad line: each one is reported with its line number and reason, and the good
lines still import. Re-importing a list replaces it in one transaction, so matching never sees half a list.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from sereno.domain import HotlistEntry, utcnow
from sereno.plates import normalize_plate
from sereno.store.mapping import hotlist_entry_to_row
from sereno.store.tables import HotlistEntryRow, HotlistRow

FORMATS = ("ncic", "openalpr", "csv")
OPENALPR_HEADER = ["plate number", "description", "state/province"]
PLAIN_HEADER = ["plate", "reason", "state", "expires"]
MIN_PLATE, MAX_PLATE = 2, 10

NCIC_LIST_TYPES = {
    "V": "stolen vehicle", "P": "stolen plate", "F": "felony vehicle", "W": "wanted person",
    "A": "Amber alert", "M": "missing person", "S": "supervised release", "G": "gang member",
    "K": "known or suspected terrorist", "D": "protection order", "X": "sex offender",
}


class HotlistError(ValueError):
    """The file cannot be read as a hotlist at all (not one bad line: those are reported and skipped)."""


@dataclass(frozen=True, slots=True)
class LineProblem:
    line: int
    reason: str
    text: str


@dataclass(slots=True)
class ParsedHotlist:
    format: str
    entries: list[HotlistEntry] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class HotlistSummary:
    name: str
    format: str
    source: str
    imported_at: datetime
    entries: int
    active: int
    rejected: int


def detect_format(lines: list[str]) -> str:
    """Guess the format from the first non-empty line."""
    first = next((ln for ln in lines if ln.strip()), "")
    lowered = [c.strip().lower() for c in next(csv.reader([first]), [])]
    if lowered[:3] == OPENALPR_HEADER:
        return "openalpr"
    if "," in first:
        return "csv"
    if len(first) >= 37 and first[0].isalpha() and first[19:27].strip().isdigit():
        return "ncic"
    raise HotlistError("cannot tell the hotlist format from the first line "
                       f"({first[:60]!r}); pass --format ncic, openalpr or csv")


def _plate(raw: str) -> str:
    plate = normalize_plate(raw)
    if not MIN_PLATE <= len(plate) <= MAX_PLATE:
        raise ValueError(f"plate {raw.strip()!r} is not {MIN_PLATE} to {MAX_PLATE} letters or digits")
    return plate


def _expires(raw: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"expires {raw!r} is not a date YYYY-MM-DD") from None


def _ncic_entry(line: str, number: int, list_name: str) -> HotlistEntry:
    if len(line) < 39:
        raise ValueError(f"line is {len(line)} characters; the NCIC layout needs at least 39 (plate at 27-37, "
                         "state at 37-39)")
    kind = line[0].upper()
    if kind not in NCIC_LIST_TYPES:
        raise ValueError(f"list type {line[0]!r} in column 0 is not one of {''.join(sorted(NCIC_LIST_TYPES))}")
    entered = line[19:27].strip()
    if entered:
        try:
            datetime.strptime(entered, "%Y%m%d")
        except ValueError:
            raise ValueError(f"entry date {entered!r} at columns 19-27 is not YYYYMMDD") from None
    vehicle = " ".join(p for p in (line[45:49].strip(), line[49:53].strip(), line[53:56].strip(),
                                   line[58:].strip()) if p)
    return HotlistEntry(list_name=list_name, plate=_plate(line[27:37]), reason=NCIC_LIST_TYPES[kind],
                        state=line[37:39].strip(), description=vehicle, source_line=number)


def _csv_entry(cells: list[str], number: int, list_name: str, fmt: str) -> HotlistEntry:
    cells = [c.strip() for c in cells]
    if fmt == "openalpr":
        if len(cells) < 1 or not cells[0]:
            raise ValueError("no plate in the first column")
        description = cells[1] if len(cells) > 1 else ""
        return HotlistEntry(list_name=list_name, plate=_plate(cells[0]), reason=description,
                            description=description, state=cells[2] if len(cells) > 2 else "",
                            source_line=number)
    if len(cells) > 4:
        raise ValueError(f"{len(cells)} columns; expected plate, reason, state, expires")
    plate, reason, state, expires = (cells + ["", "", "", ""])[:4]
    return HotlistEntry(list_name=list_name, plate=_plate(plate), reason=reason, state=state,
                        expires=_expires(expires), source_line=number)


def parse_hotlist(text: str, list_name: str, fmt: str | None = None) -> ParsedHotlist:
    """Parse a whole file's text. Bad lines go to ``problems`` with their 1-based line numbers."""
    lines = text.splitlines()
    fmt = fmt or detect_format(lines)
    if fmt not in FORMATS:
        raise HotlistError(f"unknown hotlist format {fmt!r}; use one of {', '.join(FORMATS)}")
    result = ParsedHotlist(format=fmt)
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        # One line at a time: an unclosed quote spoils its own line, never the rest of the file.
        cells = next(csv.reader([line]), []) if fmt != "ncic" else []
        if fmt != "ncic" and [c.strip().lower() for c in cells][:3] in (OPENALPR_HEADER, PLAIN_HEADER[:3]):
            continue  # header row
        try:
            entry = (_ncic_entry(line, number, list_name) if fmt == "ncic"
                     else _csv_entry(cells, number, list_name, fmt))
        except ValueError as exc:
            result.problems.append(LineProblem(number, str(exc), line[:120]))
            continue
        result.entries.append(entry)
    return result


def read_hotlist_file(path: Path, list_name: str, fmt: str | None = None) -> ParsedHotlist:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise HotlistError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # NCIC extracts and old spreadsheets are often Latin-1
    if "\x00" in text:
        raise HotlistError(f"{path}: binary data, not a text hotlist")
    try:
        return parse_hotlist(text, list_name, fmt)
    except HotlistError as exc:
        raise HotlistError(f"{path}: {exc}") from exc


def replace_hotlist(session: Session, name: str, entries: list[HotlistEntry], fmt: str, source: str = "",
                    rejected: int = 0) -> int:
    """Replace the list ``name`` with ``entries`` inside the caller's transaction. Returns the entry count."""
    if not name.strip():
        raise HotlistError("a hotlist needs a name (--name)")
    hotlist_id = session.execute(select(HotlistRow.id).where(HotlistRow.name == name)).scalar()
    values = {"source": source, "format": fmt, "imported_at": utcnow(), "entry_count": len(entries),
              "rejected_count": rejected}
    if hotlist_id is None:
        hotlist_id = session.execute(insert(HotlistRow).values(name=name, **values)
                                     .returning(HotlistRow.id)).scalar_one()
    else:
        session.execute(delete(HotlistEntryRow).where(HotlistEntryRow.hotlist_id == hotlist_id))
        session.query(HotlistRow).filter(HotlistRow.id == hotlist_id).update(values)
    if entries:
        session.execute(insert(HotlistEntryRow), [hotlist_entry_to_row(e, hotlist_id) for e in entries])
    return len(entries)


def import_hotlist(session: Session, path: Path, name: str, fmt: str | None = None) -> ParsedHotlist:
    """Read, check and replace the list ``name`` in the caller's transaction. A file without a single valid line
    is refused rather than allowed to empty a list that officers rely on."""
    parsed = read_hotlist_file(path, name, fmt)
    if not parsed.entries and parsed.problems:
        raise HotlistError(f"{path}: none of its {len(parsed.problems)} lines is valid (first: line "
                           f"{parsed.problems[0].line}: {parsed.problems[0].reason}); the list {name!r} was left "
                           "as it was. Check --format.")
    replace_hotlist(session, name, parsed.entries, parsed.format, str(path.resolve()), rejected=len(parsed.problems))
    return parsed


def list_hotlists(session: Session, today: date | None = None) -> list[HotlistSummary]:
    today = today or utcnow().date()
    active = (select(HotlistEntryRow.hotlist_id, func.count().label("n"))
              .where((HotlistEntryRow.expires.is_(None)) | (HotlistEntryRow.expires >= today))
              .group_by(HotlistEntryRow.hotlist_id).subquery())
    rows = session.execute(
        select(HotlistRow, func.coalesce(active.c.n, 0))
        .outerjoin(active, active.c.hotlist_id == HotlistRow.id).order_by(HotlistRow.name))
    return [HotlistSummary(name=h.name, format=h.format, source=h.source, imported_at=h.imported_at,
                           entries=h.entry_count, active=n, rejected=h.rejected_count) for h, n in rows]
