"""The app under uvicorn in a thread on a free loopback port, for the web benchmarks (as `sereno serve` runs it)."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn


def serve(app) -> tuple[str, uvicorn.Server]:  # noqa: ANN001
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server
