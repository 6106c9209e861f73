"""What the governance commands share: open the Governance, find the logged-in principal, the Reader that every
command showing personal data reads through (sereno.intel.governed), turn refusals and bad input into clean
messages, and parse areas."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Sequence

import typer

from sereno.cli.common import fail, open_store, settings
from sereno.domain import Camera
from sereno.governance import Governance, GovernanceError, NotAuthenticated, Refused
from sereno.governance.model import Area, Principal
from sereno.governance.session_file import current_principal
from sereno.intel.alerts import AlertError
from sereno.intel.governed import NotFound, Reader
from sereno.intel.hotlists import HotlistError
from sereno.intel.search import SearchError
from sereno.store import StoreError
from sereno.store.media import MediaError



@contextmanager
def governance(ctx: typer.Context) -> Iterator[Governance]:
    try:
        gov = Governance.open(settings(ctx))
    except StoreError as exc:
        fail(str(exc))
    try:
        yield gov
    except Refused as exc:
        message = exc.decision.message
        fail(message if message.startswith("refused") else f"refused: {message}",
             hint=f"recorded as ledger entry #{exc.decision.ledger_seq}")
    except NotAuthenticated as exc:
        fail(str(exc), hint="sereno login --username NAME")
    except GovernanceError as exc:
        fail(str(exc))
    finally:
        gov.close()


def principal(gov: Governance) -> Principal:
    return current_principal(gov)


@contextmanager
def reader(ctx: typer.Context) -> Iterator[Reader]:
    """The logged-in person's Reader (gate, store, camera list). Bad input (a malformed plate, an unknown alert id)
    ends the command with its message; refusals as in ``governance``."""
    cameras = tuple(configured_cameras(ctx))
    with governance(ctx) as gov, open_store(settings(ctx)) as store:
        try:
            yield Reader(gov, store, principal(gov), cameras)
        except (SearchError, AlertError, HotlistError, NotFound, MediaError) as exc:
            fail(str(exc))


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
    """The camera list (cameras.yaml): owners for reads and retention, districts for the report."""
    from sereno.video.cameras_file import CameraFileError, load_cameras

    try:
        return load_cameras(settings(ctx).cameras_path)
    except CameraFileError as exc:
        fail(str(exc), hint=f"edit {settings(ctx).cameras_path} (see examples/cameras.yaml)")



CASE_OPTION = typer.Option(..., "--case", help="The open case this read is for (case number).")
REASON_OPTION = typer.Option(..., "--reason", help="Why you need this, in your words (recorded; 10+ characters).")
