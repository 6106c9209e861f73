"""The public transparency report: figures from the ledger and the store for one period, as Markdown, HTML or PDF.

Only aggregates leave here: no plate, no name, no exact camera position (cameras are counted per district, a
~5 km grid cell). Headings are bilingual (es-MX / English).
"""

from __future__ import annotations

import base64
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Sequence

from sqlalchemy import func, inspect, select

from sereno.domain import Camera
from sereno.governance.context import Governance
from sereno.governance.gate import require
from sereno.governance.ledger import stamp
from sereno.governance.model import Action, GovernanceError, Principal
from sereno.governance.oversight import SEARCH_ACTIONS
from sereno.governance.purposes import offense_label
from sereno.governance.retention import retention_table
from sereno.governance.tables import SharingRow, WarrantRow

DISTRICT_DEGREES = 0.05


@dataclass(frozen=True)
class Period:
    label: str
    start: datetime
    end: datetime  # exclusive


def parse_period(text: str) -> Period:
    """``2026-Q4``, ``2026-11`` or ``2026``."""
    quarter = re.fullmatch(r"(\d{4})-Q([1-4])", text.strip(), re.IGNORECASE)
    month = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    year = re.fullmatch(r"(\d{4})", text.strip())
    if quarter:
        y, q = int(quarter[1]), int(quarter[2])
        start_month, span = 3 * (q - 1) + 1, 3
    elif month and 1 <= int(month[2]) <= 12:
        y, start_month, span = int(month[1]), int(month[2]), 1
    elif year:
        y, start_month, span = int(year[1]), 1, 12
    else:
        raise GovernanceError(f"period {text!r} not understood: use 2026-Q4, 2026-11 or 2026")
    end_index = y * 12 + start_month - 1 + span
    return Period(text.strip().upper(), datetime(y, start_month, 1, tzinfo=timezone.utc),
                  datetime(end_index // 12, end_index % 12 + 1, 1, tzinfo=timezone.utc))


def district(camera: Camera) -> str:
    lat = round(camera.lat / DISTRICT_DEGREES) * DISTRICT_DEGREES
    lon = round(camera.lon / DISTRICT_DEGREES) * DISTRICT_DEGREES
    return f"{abs(lat):.2f}{'N' if lat >= 0 else 'S'} {abs(lon):.2f}{'E' if lon >= 0 else 'W'}"


@dataclass
class Figures:
    period: Period
    generated_at: str
    cameras_by_district: dict[str, int] = field(default_factory=dict)
    sightings: int | None = None
    searches_by_offense: dict[str, int] = field(default_factory=dict)
    searches_by_agency: dict[str, int] = field(default_factory=dict)
    alerts: dict[str, int] = field(default_factory=dict)
    warrants_by_capability: dict[str, int] = field(default_factory=dict)
    emergencies: dict[str, int] = field(default_factory=dict)
    sharing: list[str] = field(default_factory=list)
    retention: dict[str, dict[str, int | None]] = field(default_factory=dict)
    purged: dict[str, int] = field(default_factory=dict)
    refused_by_reason: dict[str, int] = field(default_factory=dict)
    camera_alarms: dict[str, int] = field(default_factory=dict)  # tampered / down / restored, counted


def figures_from_entries(figures: Figures, entries: Iterable[dict]) -> None:
    """Fill the ledger-derived figures (pure)."""
    by_offense, by_agency, refused, purged, alarms = Counter(), Counter(), Counter(), Counter(), Counter()
    for e in entries:
        d = e["details"]
        if e["kind"] == "decision" and e["outcome"] == "allowed" and e["action"] in SEARCH_ACTIONS:
            by_offense[offense_label(d.get("offense") or "unknown", "es")] += 1
            by_agency[e["agency"] or "?"] += 1
        elif e["kind"] == "decision" and e["outcome"] == "refused":
            refused[d.get("code", "?") + (f": {d['category']}" if d.get("category") else "")] += 1
        elif e["kind"] == "camera" and (e["action"] or "").startswith("camera."):
            alarms[e["action"].removeprefix("camera.")] += 1
        elif e["action"] == "retention.purge":
            for key in ("sightings", "unverified_alerts", "media_files", "video_files", "emergency_files"):
                purged[key] += d.get(key, 0)
    figures.searches_by_offense = dict(by_offense.most_common())
    figures.searches_by_agency = dict(by_agency.most_common())
    figures.refused_by_reason = dict(refused.most_common())
    figures.purged = dict(purged)
    figures.camera_alarms = dict(alarms.most_common())


def gather(gov: Governance, actor: Principal, period: Period, cameras: Sequence[Camera] = ()) -> Figures:
    require(gov, actor, Action.PUBLISH_REPORT, period=period.label)
    figures = Figures(period=period, generated_at=stamp(gov.now()))
    figures.cameras_by_district = dict(Counter(district(c) for c in cameras if c.enabled).most_common())
    figures_from_entries(figures, gov.ledger.entries(since=stamp(period.start), until=stamp(period.end)))
    tables = set(inspect(gov.engine).get_table_names())
    with gov.sessions() as session:
        if {"sightings", "alerts"} <= tables:
            from sereno.store.tables import AlertRow, SightingRow

            figures.sightings = session.scalar(select(func.count()).select_from(SightingRow).where(
                SightingRow.observed_at >= period.start, SightingRow.observed_at < period.end))
            figures.alerts = dict(session.execute(select(AlertRow.status, func.count()).where(
                AlertRow.created_at >= period.start, AlertRow.created_at < period.end)
                .group_by(AlertRow.status)).all())
        warrants = list(session.scalars(select(WarrantRow).where(
            WarrantRow.recorded_at >= period.start, WarrantRow.recorded_at < period.end)))
        figures.warrants_by_capability = dict(Counter(w.capability for w in warrants if not w.emergency))
        emergencies = [w for w in warrants if w.emergency]
        figures.emergencies = {"declared": len(emergencies),
                               "ratified": sum(w.ratified_at is not None for w in emergencies),
                               "lapsed": sum(w.status == "lapsed" for w in emergencies)}
        figures.sharing = sorted(f"{s.owner_agency} -> {s.partner_agency}" for s in session.scalars(
            select(SharingRow).where(SharingRow.revoked_at.is_(None), SharingRow.starts_at < period.end)))
    figures.retention = retention_table(gov)
    return figures


# --- rendering ----------------------------------------------------------------------------------------------------

def _charts(figures: Figures) -> dict[str, bytes]:
    """PNG bar charts for the figures a reader would rather look at (only those with data)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    wanted = {
        "searches-by-offense": ("Búsquedas por delito / Searches by offense", figures.searches_by_offense),
        "alerts": ("Alertas / Hotlist alerts", figures.alerts),
        "refused": ("Solicitudes rechazadas / Refused requests", figures.refused_by_reason),
    }
    charts = {}
    for name, (title, data) in wanted.items():
        if not data:
            continue
        fig, ax = plt.subplots(figsize=(7, 0.45 * len(data) + 1.4))
        labels, values = list(data), list(data.values())
        ax.barh(labels[::-1], values[::-1], color="#35618f")
        ax.set_title(title)
        ax.set_xlabel("n")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110)
        plt.close(fig)
        charts[name] = buffer.getvalue()
    return charts


def _sections(figures: Figures) -> list[tuple[str, list[tuple[str, str]]]]:
    """(heading, rows) in reading order; the same content for every format."""
    def rows(data: dict) -> list[tuple[str, str]]:
        return [(str(k), str(v)) for k, v in data.items()] or [("-", "0")]

    retention_rows = [(f"{agency} / {cls}", "forever / siempre" if days is None else f"{days} d")
                      for agency, classes in figures.retention.items() for cls, days in classes.items()]
    return [
        ("Cámaras por distrito / Cameras by district", rows(figures.cameras_by_district)),
        ("Avistamientos registrados / Sightings collected",
         [("total", "n/a" if figures.sightings is None else str(figures.sightings))]),
        ("Búsquedas por delito / Searches by offense", rows(figures.searches_by_offense)),
        ("Búsquedas por agencia / Searches by agency", rows(figures.searches_by_agency)),
        ("Alertas: confirmadas y descartadas / Alerts confirmed vs dismissed", rows(figures.alerts)),
        ("Órdenes judiciales por capacidad / Warrants by capability", rows(figures.warrants_by_capability)),
        ("Uso de emergencia / Emergency uses", rows(figures.emergencies)),
        ("Socios con acuerdo de intercambio / Sharing partners", [(s, "") for s in figures.sharing] or [("-", "")]),
        ("Retención vigente / Retention in force", retention_rows),
        ("Purgas / Purged", rows(figures.purged)),
        ("Solicitudes rechazadas por motivo / Refused requests by reason", rows(figures.refused_by_reason)),
        ("Alarmas de cámaras (manipulada, caída, restablecida) / Camera alarms (tampered, down, restored)",
         rows(figures.camera_alarms)),
    ]


def _title(figures: Figures) -> str:
    return f"Informe de transparencia / Transparency report {figures.period.label}"


def render_markdown(figures: Figures, chart_files: dict[str, str]) -> str:
    lines = [f"# {_title(figures)}", "",
             f"Periodo / period: {figures.period.start.date()} – {figures.period.end.date()} (UTC, end exclusive). "
             f"Generado / generated {figures.generated_at}.", ""]
    for heading, rows in _sections(figures):
        lines += [f"## {heading}", "", "| | |", "| --- | ---: |"]
        lines += [f"| {k} | {v} |" for k, v in rows]
        lines.append("")
    lines += [f"![{name}]({path})" for name, path in chart_files.items()]
    return "\n".join(lines) + "\n"


def render_html(figures: Figures, charts: dict[str, bytes]) -> str:
    from html import escape

    parts = [f"<!doctype html><html lang='es'><meta charset='utf-8'><title>{escape(_title(figures))}</title>",
             "<style>body{font-family:sans-serif;max-width:52em;margin:2em auto}td{padding:.2em .8em}"
             "td:last-child{text-align:right}</style>", f"<h1>{escape(_title(figures))}</h1>",
             f"<p>{figures.period.start.date()} – {figures.period.end.date()} (UTC). "
             f"Generado / generated {escape(figures.generated_at)}.</p>"]
    for heading, rows in _sections(figures):
        parts.append(f"<h2>{escape(heading)}</h2><table>")
        parts += [f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in rows]
        parts.append("</table>")
    parts += [f"<img alt='{name}' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"
              for name, png in charts.items()]
    return "\n".join(parts) + "</html>\n"


def render_pdf(figures: Figures, charts: dict[str, bytes], path: Path) -> None:
    """Text pages then one page per chart, with matplotlib's PdfPages (no network, no extra packages)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    lines = [_title(figures), f"{figures.period.start.date()} – {figures.period.end.date()} (UTC)", ""]
    for heading, rows in _sections(figures):
        lines += [heading] + [f"    {k}: {v}" for k, v in rows] + [""]
    per_page = 52
    with PdfPages(path) as pdf:
        for start in range(0, len(lines), per_page):
            fig = plt.figure(figsize=(8.27, 11.69))
            fig.text(0.06, 0.96, "\n".join(lines[start:start + per_page]), va="top", family="DejaVu Sans",
                     fontsize=9)
            pdf.savefig(fig)
            plt.close(fig)
        for png in charts.values():
            fig = plt.figure(figsize=(8.27, 11.69))
            ax = fig.add_axes([0.05, 0.3, 0.9, 0.6])
            ax.imshow(mpimg.imread(io.BytesIO(png), format="png"))
            ax.axis("off")
            pdf.savefig(fig)
            plt.close(fig)


def write_report(figures: Figures, fmt: str, output: Path) -> Path:
    """Write the report; Markdown puts its chart PNGs beside the file."""
    charts = _charts(figures)
    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "md":
        chart_files = {}
        for name, png in charts.items():
            chart_path = output.with_name(f"{output.stem}-{name}.png")
            chart_path.write_bytes(png)
            chart_files[name] = chart_path.name
        output.write_text(render_markdown(figures, chart_files), encoding="utf-8")
    elif fmt == "html":
        output.write_text(render_html(figures, charts), encoding="utf-8")
    elif fmt == "pdf":
        render_pdf(figures, charts, output)
    else:
        raise GovernanceError(f"format {fmt!r} not supported: use md, html or pdf")
    return output
