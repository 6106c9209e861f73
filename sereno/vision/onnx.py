"""Model sessions, configured once for the whole project: ONNX files run by ONNX Runtime or by OpenVINO.

The runtime is the ``inference_runtime`` setting (``SERENO_INFERENCE_RUNTIME``): ``onnxruntime``, ``openvino``
or ``auto`` (the default). ``auto`` takes OpenVINO where it is installed and computes in bfloat16 by default, that
is on CPUs with native bfloat16 instructions (Intel AMX; AVX-512 BF16 on AMD Zen 4 and later), where a still photo
costs 1.6-2.2 times less and as many plates are read on the validation sets (docs/detection.md, "Inference
runtime"), unless ``SERENO_ONNX_PROVIDERS`` asks ONNX Runtime for another execution provider (a GPU); ONNX Runtime
everywhere else: OpenVINO's float32 was measured no faster than ONNX Runtime's, or a few percent.

ONNX Runtime's execution providers come from ``SERENO_ONNX_PROVIDERS`` (comma-separated, in order of preference,
e.g. ``CUDAExecutionProvider,CPUExecutionProvider``); the default is CPU only. A provider that this onnxruntime
build lacks is an error naming the ones it has, rather than a silent fall-back to CPU.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Protocol, get_args

import numpy as np
import onnxruntime

from sereno.config import InferenceRuntime

log = logging.getLogger(__name__)

PROVIDERS_ENV = "SERENO_ONNX_PROVIDERS"
DEFAULT_PROVIDERS = ("CPUExecutionProvider",)
RUNTIMES = get_args(InferenceRuntime)
CPU_FLAGS = Path("/proc/cpuinfo")
# the CPU flags of native bfloat16 arithmetic, where OpenVINO computes in bfloat16 by default: Intel AMX, and
# AVX-512 BF16 (AMD Zen 4 and later, Intel Cooper Lake)
BF16_FLAGS = ("amx_bf16", "avx512_bf16")


class OnnxSetupError(Exception):
    """A model file or the runtime configuration cannot be used; the message says how to fix it."""


class Session(Protocol):
    """What the project uses of a session: ONNX Runtime's ``InferenceSession`` API, which ``OpenVinoSession``
    offers too."""

    def get_inputs(self) -> Sequence[Any]: ...
    def get_outputs(self) -> Sequence[Any]: ...
    def get_modelmeta(self) -> Any: ...
    def run(self, output_names: Sequence[str] | None, input_feed: Mapping[str, np.ndarray]) -> list[np.ndarray]: ...


def providers() -> list[str]:
    """The execution providers to use, from ``SERENO_ONNX_PROVIDERS`` or the CPU default."""
    wanted = [p.strip() for p in os.environ.get(PROVIDERS_ENV, "").split(",") if p.strip()] or list(DEFAULT_PROVIDERS)
    available = onnxruntime.get_available_providers()
    missing = [p for p in wanted if p not in available]
    if missing:
        raise OnnxSetupError(
            f"{PROVIDERS_ENV} asks for {', '.join(missing)}, which this onnxruntime build does not have "
            f"(available: {', '.join(available)}). Fix the variable or install the matching onnxruntime package."
        )
    return wanted


@functools.cache
def _openvino_core() -> Any | None:
    try:
        import openvino
    except ImportError:
        return None
    return openvino.Core()


@functools.cache
def openvino_computes_bf16() -> bool:
    """True when OpenVINO is installed and its CPU device computes in bfloat16 by default (native bfloat16: Intel
    AMX, AVX-512 BF16). On Linux a CPU without them is told by its flags, without loading OpenVINO (~60 MB). A broken
    OpenVINO is a warning, not an error: ONNX Runtime still runs the models."""
    if CPU_FLAGS.exists() and not has_native_bf16(CPU_FLAGS.read_text(encoding="utf-8", errors="replace")):
        return False
    try:
        core = _openvino_core()
        if core is None:
            return False
        import openvino

        return core.get_property("CPU", "INFERENCE_PRECISION_HINT") == openvino.Type.bf16
    except Exception as exc:  # OpenVINO raises RuntimeError and its own types for a missing or broken CPU plugin
        log.warning("OpenVINO cannot be used, ONNX Runtime runs the models: %s", exc)
        return False


def has_native_bf16(cpuinfo: str) -> bool:
    """Whether ``/proc/cpuinfo``'s text lists a flag of native bfloat16 arithmetic (``BF16_FLAGS``)."""
    flags = {flag for line in cpuinfo.splitlines() if line.partition(":")[0].strip() == "flags"
             for flag in line.partition(":")[2].split()}
    return any(flag in flags for flag in BF16_FLAGS)


def resolve_runtime(wanted: str = "auto") -> str:
    """``onnxruntime`` or ``openvino``: the runtime ``wanted`` (the ``inference_runtime`` setting), ``auto``
    resolved."""
    if wanted not in RUNTIMES:
        raise OnnxSetupError(f"inference runtime {wanted!r}: use one of {', '.join(RUNTIMES)} "
                             "(setting inference_runtime)")
    if wanted == "auto":
        gpu_asked = [p for p in providers() if p not in DEFAULT_PROVIDERS]
        return "openvino" if not gpu_asked and openvino_computes_bf16() else "onnxruntime"
    if wanted == "openvino" and _openvino_core() is None:
        raise OnnxSetupError("the inference runtime is openvino but the openvino package is not installed: "
                             "pip install openvino, or set inference_runtime: onnxruntime")
    return wanted


def make_session(model_path: Path, threads: int = 1, runtime_name: str = "auto") -> Session:
    """A session on ``model_path`` with ``threads`` threads, run by ``resolve_runtime(runtime_name)``.

    One session per worker thread; few threads per session scale better across cameras than one wide session.
    """
    if threads < 1:
        raise OnnxSetupError(f"onnx threads must be at least 1, got {threads} (setting onnx_threads)")
    chosen = resolve_runtime(runtime_name)
    try:
        if chosen == "openvino":
            session: Session = OpenVinoSession(model_path, threads)
        else:
            session = _onnxruntime_session(model_path, threads)
    except OnnxSetupError:
        raise
    except Exception as exc:  # each runtime raises its own exception types (Fail, InvalidProtobuf, RuntimeError...)
        raise OnnxSetupError(
            f"cannot load the ONNX model {model_path} with {chosen}: {' '.join(str(exc).split())}. "
            "Reinstall it: sereno models install --force"
        ) from exc
    _announce(chosen)
    log.debug("model session", extra={"model": model_path.name, "threads": threads, "runtime": chosen})
    return session


@functools.cache
def _announce(chosen: str) -> None:
    """Say once per process which runtime runs the models (the figures of a run depend on it)."""
    bfloat16 = chosen == "openvino" and openvino_computes_bf16()
    log.info("inference runtime", extra={"runtime": chosen, "bfloat16": bfloat16})


def _onnxruntime_session(model_path: Path, threads: int) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    return onnxruntime.InferenceSession(str(model_path), options, providers=providers())


class OpenVinoSession:
    """An ONNX file compiled by OpenVINO for the CPU, behind the part of ``InferenceSession``'s API we use.

    Dynamic input dimensions stay dynamic: a detector sees many crop and region shapes, and compiling each one
    costs more than it saves. OpenVINO still keeps a compiled copy of the network per input shape it has run
    (about 9 MB for a YOLOv8n, ~50 ms to make), so the plate detector pads the vehicle regions, the one input whose
    shape varies from frame to frame, to multiples of ``SHAPE_STEP`` instead of the network's stride (32): at most
    (``plate_region_input`` / 128) squared region shapes, 25 at the default 640, instead of 400
    (``YoloSession.region_step``; docs/detection.md, "Inference runtime"). PP-OCRv4's recogniser (the ``pp-ocrv4``
    fallback reader only) still takes every width. The model's metadata (class names, vocabulary) is the ONNX
    file's ``metadata_props``, which OpenVINO keeps under ``framework``.
    """

    SHAPE_STEP = 128

    def __init__(self, model_path: Path, threads: int) -> None:
        core = _openvino_core()
        if core is None:
            raise OnnxSetupError("the openvino package is not installed: pip install openvino")
        model = core.read_model(str(model_path))
        self._request = core.compile_model(model, "CPU", openvino_config(threads)).create_infer_request()
        self._inputs = [SimpleNamespace(name=port.any_name, shape=_dims(port.partial_shape)) for port in model.inputs]
        self._outputs = [SimpleNamespace(name=port.any_name, shape=_dims(port.partial_shape))
                         for port in model.outputs]
        metadata = model.get_rt_info()["framework"] if model.has_rt_info("framework") else {}
        self._metadata = SimpleNamespace(custom_metadata_map={key: value.astype(str) for key, value in
                                                              metadata.items()})

    def get_inputs(self) -> list[SimpleNamespace]:
        return self._inputs

    def get_outputs(self) -> list[SimpleNamespace]:
        return self._outputs

    def get_modelmeta(self) -> SimpleNamespace:
        return self._metadata

    def run(self, output_names: Sequence[str] | None, input_feed: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        """Every output, in the model's order (the project always asks for all: ``output_names`` None)."""
        if output_names is not None:
            raise ValueError("OpenVinoSession.run returns every output: pass None")
        # inputs read in place (the call returns before the caller can change them); outputs copied, since the
        # request's own buffers are reused by the next run
        feed = {name: np.ascontiguousarray(array) for name, array in input_feed.items()}
        results = self._request.infer(feed, share_inputs=True, share_outputs=False)
        return [results[index] for index in range(len(self._outputs))]


def openvino_config(threads: int) -> dict[str, Any]:
    """How a session compiles its model: one thread pool per session, not pinned (a camera worker's session shares
    the cores with the others), at OpenVINO's default precision (bfloat16 where the CPU has it natively)."""
    return {"INFERENCE_NUM_THREADS": threads, "NUM_STREAMS": 1, "PERFORMANCE_HINT": "LATENCY",
            "ENABLE_CPU_PINNING": False}


def _dims(shape: Any) -> list[int | None]:
    """ONNX Runtime's way of writing a shape: an int per static dimension, None for a dynamic one."""
    return [dim.get_length() if dim.is_static else None for dim in shape]
