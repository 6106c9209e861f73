"""The camera list (``cameras.yaml``): load, validate, save.

Format::

    cameras:
      - id: gate-north
        name: Garita norte
        lat: 32.5422
        lon: -117.0290
        heading: 180          # optional, degrees clockwise from north
        kind: fixed           # fixed | ptz
        analysis_url: rtsp://10.0.0.5:554/sub
        recording_url: rtsp://10.0.0.5:554/main   # optional
        analysis_fps: 5       # optional
        enabled: true         # optional

Every error names the file, the entry and the field, and says how to fix it.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import yaml

from sereno.domain import Camera, CameraKind
from sereno.plates import AUTO, PLATE_REGIONS, UnknownRegion, check_region

CAMERA_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
URL_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "file://")
FIELDS = ("id", "name", "lat", "lon", "heading", "kind", "analysis_url", "recording_url", "analysis_fps", "agency",
          "enabled", "region")


class CameraFileError(ValueError):
    """The camera list or one of its entries cannot be used."""


def _number(value: Any, where: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CameraFileError(f"{where}: expected a number, got {value!r}")
    if not low <= float(value) <= high:
        raise CameraFileError(f"{where}: {value} is outside {low}..{high}")
    return float(value)


def check_source_url(url: Any, where: str) -> str:
    """A source is an rtsp/http(s) URL or a path to a local file."""
    if not isinstance(url, str) or not url.strip():
        raise CameraFileError(f"{where}: expected an rtsp://, http(s):// URL or a file path, got {url!r}")
    url = url.strip()
    if "://" in url and not url.lower().startswith(URL_SCHEMES):
        raise CameraFileError(f"{where}: unsupported scheme in {url!r}; use one of {', '.join(URL_SCHEMES)}")
    return url


def camera_from_mapping(entry: Any, where: str) -> Camera:
    """Validate one entry; ``where`` (e.g. ``cameras.yaml, entry 3``) prefixes every message."""
    if not isinstance(entry, dict):
        raise CameraFileError(f"{where}: expected a mapping of field: value, got {type(entry).__name__}")
    unknown = sorted(set(entry) - set(FIELDS))
    if unknown:
        raise CameraFileError(f"{where}: unknown field(s) {', '.join(map(str, unknown))}; known: {', '.join(FIELDS)}")
    for required in ("id", "lat", "lon", "analysis_url"):
        if entry.get(required) is None:
            raise CameraFileError(f"{where}: missing required field {required!r}")
    camera_id = str(entry["id"])
    if not CAMERA_ID.match(camera_id):
        raise CameraFileError(f"{where}, field 'id': {camera_id!r} must be 1-64 letters, digits, '.', '_' or '-'")
    where = f"{where} (camera {camera_id})"
    kind = str(entry.get("kind", CameraKind.FIXED.value)).lower()
    if kind not in {k.value for k in CameraKind}:
        raise CameraFileError(f"{where}, field 'kind': {kind!r} must be 'fixed' or 'ptz'")
    heading = entry.get("heading")
    recording = entry.get("recording_url")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise CameraFileError(f"{where}, field 'enabled': expected true or false, got {enabled!r}")
    try:
        region = check_region(str(entry.get("region") or AUTO))
    except UnknownRegion:
        raise CameraFileError(f"{where}, field 'region': {entry['region']!r} must be one of "
                              f"{', '.join((AUTO, *PLATE_REGIONS))}") from None
    return Camera(
        id=camera_id,
        name=str(entry.get("name") or camera_id),
        lat=_number(entry["lat"], f"{where}, field 'lat'", -90, 90),
        lon=_number(entry["lon"], f"{where}, field 'lon'", -180, 180),
        analysis_url=check_source_url(entry["analysis_url"], f"{where}, field 'analysis_url'"),
        heading=None if heading is None else _number(heading, f"{where}, field 'heading'", 0, 360),
        kind=CameraKind(kind),
        recording_url=None if recording is None else check_source_url(recording, f"{where}, field 'recording_url'"),
        analysis_fps=_number(entry.get("analysis_fps", 5.0), f"{where}, field 'analysis_fps'", 0.1, 60),
        agency=None if entry.get("agency") is None else str(entry["agency"]),
        enabled=enabled,
        region=region,
    )


def load_cameras(path: Path) -> list[Camera]:
    """The cameras in ``path``; an absent file is an empty list."""
    if not path.exists():
        return []
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CameraFileError(f"{path}: not valid YAML ({exc}). Fix the file or remove it and add cameras again.") \
            from exc
    if document is None:
        return []
    if not isinstance(document, dict) or not isinstance(document.get("cameras", []), list):
        raise CameraFileError(f"{path}: expected a top-level 'cameras:' list (see examples/cameras.yaml)")
    cameras: list[Camera] = []
    seen: set[str] = set()
    for number, entry in enumerate(document.get("cameras") or [], start=1):
        camera = camera_from_mapping(entry, f"{path}, entry {number}")
        if camera.id in seen:
            raise CameraFileError(f"{path}, entry {number}: camera id {camera.id!r} is used twice; ids must be unique")
        seen.add(camera.id)
        cameras.append(camera)
    return cameras


def camera_to_mapping(camera: Camera) -> dict[str, Any]:
    """The YAML entry for a camera, leaving out optional fields at their defaults."""
    values = asdict(camera)
    values["kind"] = camera.kind.value
    defaults = {"heading": None, "recording_url": None, "agency": None, "enabled": True, "region": "auto"}
    return {k: v for k, v in values.items() if not (k in defaults and v == defaults[k])}


def save_cameras(path: Path, cameras: Sequence[Camera]) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a camera list."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump({"cameras": [camera_to_mapping(c) for c in cameras]}, sort_keys=False, allow_unicode=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
