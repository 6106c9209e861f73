"""A real RTSP server on loopback for tests: GStreamer's RTSP server from Debian, in a child process.

The GObject bindings belong to Debian's own Python (/usr/bin/python3), not the virtualenv's, so this file is both
the server script (run with /usr/bin/python3) and the pytest side that starts it. The server binds a free port
and prints it; the stream is the file, looped never: one pass, shared between clients.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

DEBIAN_PYTHON = "/usr/bin/python3"
READY_TIMEOUT_S = 20


def serve(video: str) -> None:
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service("0")
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(f"( filesrc location={video} ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 )")
    factory.set_shared(True)
    server.get_mount_points().add_factory("/cam1", factory)
    server.attach(None)
    print(server.get_bound_port(), flush=True)
    GLib.MainLoop().run()


class RtspServer:
    """``with RtspServer(path) as url:`` serves the MP4 (H.264) file at ``rtsp://127.0.0.1:PORT/cam1``."""

    def __init__(self, video: Path) -> None:
        self.video = video
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> str:
        self.process = subprocess.Popen([DEBIAN_PYTHON, __file__, str(self.video)], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.isdigit():
            self.__exit__()
            raise RuntimeError(f"RTSP test server did not start: {line!r}")
        return f"rtsp://127.0.0.1:{line}/cam1"

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def rtsp_url_for(video: Path) -> Iterator[str]:
    """Generator for a pytest fixture; skips when Debian's GStreamer RTSP server is not installed."""
    if not Path(DEBIAN_PYTHON).exists():
        pytest.skip(f"{DEBIAN_PYTHON} (Debian's Python, which has the GStreamer bindings) is not installed")
    probe = subprocess.run([DEBIAN_PYTHON, "-c", "import gi; gi.require_version('GstRtspServer', '1.0'); "
                            "from gi.repository import GstRtspServer"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("GStreamer RTSP server not installed (apt-get install python3-gi gir1.2-gst-rtsp-server-1.0 "
                    "gstreamer1.0-plugins-good gstreamer1.0-plugins-bad)")
    with RtspServer(video) as url:
        yield url


if __name__ == "__main__":
    serve(sys.argv[1])
else:
    import pytest

    from tests.realdata import shared_file

    @pytest.fixture
    def rtsp_ls15ebc() -> Iterator[str]:
        """rtsp:// URL streaming the LS15EBC clip from a real GStreamer RTSP server on loopback."""
        yield from rtsp_url_for(shared_file("video/car-approach-plate-LS15EBC.mp4"))
