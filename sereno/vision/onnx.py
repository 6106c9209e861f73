"""ONNX Runtime sessions, configured once for the whole project.

Execution providers come from ``SERENO_ONNX_PROVIDERS`` (comma-separated, in order of preference, e.g.
``CUDAExecutionProvider,CPUExecutionProvider``); the default is CPU only. A provider that this onnxruntime build
lacks is an error naming the ones it has, rather than a silent fall-back to CPU.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import onnxruntime

log = logging.getLogger(__name__)

PROVIDERS_ENV = "SERENO_ONNX_PROVIDERS"
DEFAULT_PROVIDERS = ("CPUExecutionProvider",)


class OnnxSetupError(Exception):
    """A model file or the provider configuration cannot be used; the message says how to fix it."""


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


def make_session(model_path: Path, threads: int = 1) -> onnxruntime.InferenceSession:
    """An inference session on ``model_path`` with ``threads`` intra-op threads and sequential execution.

    One session per worker thread; few threads per session scale better across cameras than one wide session.
    """
    if threads < 1:
        raise OnnxSetupError(f"onnx threads must be at least 1, got {threads} (setting onnx_threads)")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    chosen = providers()
    try:
        session = onnxruntime.InferenceSession(str(model_path), options, providers=chosen)
    except Exception as exc:  # onnxruntime raises its own exception types (Fail, InvalidProtobuf, NoSuchFile, ...)
        raise OnnxSetupError(
            f"cannot load the ONNX model {model_path}: {exc}. Reinstall it: sereno models install --force"
        ) from exc
    log.debug("onnx session", extra={"model": model_path.name, "threads": threads, "providers": ",".join(chosen)})
    return session
