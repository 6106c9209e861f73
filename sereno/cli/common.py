"""What every CLI command shares: the settings, the store, times given on the command line, a console, JSON output
and clean failures."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, is_dataclass
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console

from sereno.config import Settings

if TYPE_CHECKING:  # the store (SQLAlchemy, Alembic) is imported only by the commands that open it
    from sereno.store import Store

console = Console()
err_console = Console(stderr=True)


def settings(ctx: typer.Context) -> Settings:
    """The Settings loaded by the root callback (``--data-dir`` etc.)."""
    root = ctx.find_root()
    return root.obj["settings"]


def to_jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: to_jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    return value


def print_json(value: Any) -> None:
    """Machine-readable output on stdout, nothing else mixed in."""
    typer.echo(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2))


def fail(message: str, hint: str | None = None, code: int = 1) -> NoReturn:
    """Stop the command with a clear message (and how to fix it) instead of a traceback."""
    err_console.print(f"[bold red]error:[/] {message}")
    if hint:
        err_console.print(f"[yellow]hint:[/] {hint}")
    raise typer.Exit(code)


def open_store(cfg: Settings) -> "Store":
    """The store of the chosen data directory, or a clean failure naming the database and the reason."""
    from sereno.store import Store, StoreError

    try:
        return Store.open(cfg)
    except StoreError as exc:
        fail(str(exc))


_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_when(text: str | None, option: str) -> datetime | None:
    """ISO 8601 (no zone = UTC) or a time ago: 30m, 6h, 7d."""
    if text is None:
        return None
    rel = _RELATIVE.match(text.strip().lower())
    if rel:
        return datetime.now(timezone.utc) - timedelta(**{_UNITS[rel.group(2)]: float(rel.group(1))})
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option} {text!r} is not a time", hint="use ISO 8601 like 2026-11-20T21:00 (UTC unless it has "
             "an offset such as -08:00) or a time ago like 30m, 6h, 7d")
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)
