"""One Settings object, read once: defaults < config file < environment variables < command-line flags.

The config file is ``<data dir>/sereno.yaml`` (or the path in ``SERENO_CONFIG``). Every field can be set by an
environment variable ``SERENO_<FIELD>`` (upper case), e.g. ``SERENO_DATABASE_URL``.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class ConfigError(Exception):
    """The configuration cannot be used; the message says which setting and how to fix it."""


def default_data_dir() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "sereno"


InferenceRuntime = Literal["auto", "onnxruntime", "openvino"]  # sereno.vision.onnx.resolve_runtime


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    data_dir: Path
    database_url: str | None = None  # default: SQLite file in the data directory
    media_dir: Path | None = None  # default: <data dir>/media
    cameras_file: Path | None = None  # default: <data dir>/cameras.yaml
    models_dir: Path | None = None  # default: <data dir>/models
    log_level: str = "INFO"
    log_format: str = "console"  # "console" or "json"
    onnx_threads: int = 1  # intra-op threads per model session; one per camera worker scales best
    # "int8": the committed quantized plate detector finds the plates: 20-30% less CPU, more small plates missed
    plate_detector_precision: Literal["float", "int8"] = "float"
    # what runs the models: "auto" takes OpenVINO where the CPU computes in bfloat16 (AMX, AVX-512 BF16), ONNX Runtime
    # elsewhere or when SERENO_ONNX_PROVIDERS names a GPU (docs/detection.md, "Inference runtime")
    inference_runtime: InferenceRuntime = "auto"
    # long side (px) at which the plate detector looks inside each vehicle: finds far cars' plates; 0 looks at the
    # whole frame's resolution (less CPU per camera, far plates missed; docs/detection.md, "Far plates")
    plate_region_input: int = Field(640, ge=0, le=1280)
    analysis_fps: float = 5.0  # default for cameras that do not set their own
    motion_threshold: float = 0.004  # fraction of changed pixels that wakes the detectors
    recording_segment_s: float = 60.0  # length of recorded video segments (cut at the next keyframe)
    tile_url: str | None = None  # map tiles, e.g. a local tile server's https://tiles.example/{z}/{x}/{y}.png
    map_center: tuple[float, float] = (32.5149, -117.0382)  # where the map opens (Tijuana)
    map_zoom: int = 13

    @field_validator("map_center", mode="before")
    @classmethod
    def _lat_lon_text(cls, value: Any) -> Any:
        """SERENO_MAP_CENTER=32.51,-117.04 (an environment variable is text)."""
        return value.split(",") if isinstance(value, str) else value

    @cached_property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'sereno.db'}"

    @cached_property
    def media_path(self) -> Path:
        return self.media_dir or self.data_dir / "media"

    @cached_property
    def cameras_path(self) -> Path:
        return self.cameras_file or self.data_dir / "cameras.yaml"

    @cached_property
    def models_path(self) -> Path:
        return self.models_dir or self.data_dir / "models"


ENV_PREFIX = "SERENO_"


def load_settings(data_dir: Path | str | None = None, **overrides: Any) -> Settings:
    """Build the settings. ``data_dir`` (from ``--data-dir``) wins over ``SERENO_DATA_DIR``."""
    chosen = Path(data_dir or os.environ.get(f"{ENV_PREFIX}DATA_DIR") or default_data_dir()).expanduser()
    config_file = Path(os.environ.get(f"{ENV_PREFIX}CONFIG", chosen / "sereno.yaml"))
    values: dict[str, Any] = {}
    if config_file.exists():
        try:
            loaded = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{config_file}: not valid YAML ({exc}). Fix or remove the file.") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"{config_file}: expected a mapping of setting: value at the top level.")
        values.update(loaded)
    for name in Settings.model_fields:
        env = os.environ.get(ENV_PREFIX + name.upper())
        if env is not None and name != "data_dir":
            values[name] = env
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["data_dir"] = chosen
    try:
        return Settings(**values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"invalid settings ({config_file} or {ENV_PREFIX}* variables): {problems}") from exc
