"""What the governance commands share: open the Governance, find the logged-in principal, turn refusals and bad
input into clean messages, parse times (the search commands' parser) and areas."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from typing import Callable, Iterator, Sequence, TypeVar

import typer

from sereno.cli.common import fail, settings
from sereno.domain import Camera
from sereno.governance import (
    Action, Decision, Governance, GovernanceError, NotAuthenticated, Purpose, Refused, Scope, governed_read,
)
from sereno.governance.model import Area, Principal
from sereno.governance.session_file import current_principal


@contextmanager
def governance(ctx: typer.Context) -> Iterator[Governance]:
    gov = Governance.open(settings(ctx))
    try:
        yield gov
    except Refused as exc:
        fail(f"refused: {exc.decision.message}", hint=f"recorded as ledger entry #{exc.decision.ledger_seq}")
    except NotAuthenticated as exc:
        fail(str(exc), hint="sereno login --username NAME")
    except GovernanceError as exc:
        fail(str(exc))
    finally:
        gov.close()


def principal(gov: Governance) -> Principal:
    return current_principal(gov)


def parse_time(text: str | None, option: str) -> datetime | None:
    """ISO 8601 (no zone = UTC) or a time ago (30m, 6h, 7d): the search commands' parser, imported late so that
    sereno.cli.search can itself use this module."""
    from sereno.cli.search import parse_when

    return parse_when(text, option)


def parse_area(text: str | None) -> Area | None:
    if text is None:
        return None
    try:
        min_lat, min_lon, max_lat, max_lon = (float(v) for v in text.split(","))
    except ValueError:
        fail(f"--area: {text!r} is not four numbers", hint="--area MIN_LAT,MIN_LON,MAX_LAT,MAX_LON")
    if min_lat >= max_lat or min_lon >= max_lon:
        fail("--area: the minimum must be below the maximum", hint="--area MIN_LAT,MIN_LON,MAX_LAT,MAX_LON")
    return Area(min_lat, min_lon, max_lat, max_lon)


def configured_cameras(ctx: typer.Context) -> Sequence[Camera]:
    """The camera list (cameras.yaml): owners for retention, districts for the report."""
    from sereno.video.cameras_file import CameraFileError, load_cameras

    try:
        return load_cameras(settings(ctx).cameras_path)
    except CameraFileError as exc:
        fail(str(exc))


T = TypeVar("T")

CASE_OPTION = typer.Option(None, "--case", help="The open case this read is for (case number).")
REASON_OPTION = typer.Option(None, "--reason", help="Why you need this, in your words (recorded; 10+ characters).")


def governed_cli_read(ctx: typer.Context, action: Action, case: str | None, reason: str | None, scope: Scope,
                      fetch: Callable[[Decision], T], **extra: object) -> T:
    """For commands that show personal data: the logged-in user, the gate, the ledger, then ``fetch(decision)``.
    A refusal ends the command with the reason and its ledger entry number."""
    with governance(ctx) as gov:
        return governed_read(gov, principal(gov), action, Purpose(case_id=case, reason=reason or ""), scope, fetch,
                             **extra)
