"""``create_app``: the FastAPI application, its routers, the web pages, and the life of the shared services."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from sereno import __version__
from sereno.api.errors import install_error_handlers
from sereno.api.services import Services
from sereno.config import Settings
from sereno.domain import Camera
from sereno.pipeline.analysis import FrameAnalyser

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

WEB = Path(__file__).resolve().parents[1] / "web" / "static"
ROUTERS = ("session", "cameras", "events", "search", "sightings", "alerts", "hotlists", "cases", "audit",
           "reports", "feeds", "recordings", "live_video")


def create_app(settings: Settings, *, workers: bool = False,
               analyser_factory: Callable[[Camera], FrameAnalyser] | None = None,
               clock: Callable[[], datetime] | None = None) -> FastAPI:
    """The API and the pages. ``workers``: also run the enabled cameras in this process (``sereno serve`` on the
    embedded default), analysed by ``analyser_factory`` (default: the real models). ``clock``: the governance
    clock (tests move it to expire grants and sessions)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = Services.open(settings, clock)
        app.state.services = services
        if workers:
            from sereno.pipeline.analysis import VisionAnalyser

            factory = analyser_factory or (lambda camera: VisionAnalyser(settings, region=camera.region))
            started = services.start_workers(factory)
            log.info("camera workers started", extra={"cameras": started})
        try:
            yield
        finally:
            services.close()

    app = FastAPI(title="Sereno", version=__version__, lifespan=lifespan, openapi_url="/api/openapi.json",
                  docs_url="/api/docs", redoc_url=None,
                  description="The accountable real-time crime center's API. Every read of personal data passes "
                              "the governance gate and is written to the ledger. See docs/web-api.md.")
    install_error_handlers(app)
    for name in ROUTERS:
        app.include_router(importlib.import_module(f"sereno.api.routes.{name}").router)

    app.add_middleware(NoStore)
    app.mount("/static", StaticFiles(directory=WEB, check_dir=False), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB / "index.html", headers={"Cache-Control": "no-cache"})

    return app


class NoStore:
    """Nothing the API answers is kept in a device's cache (a stolen tablet shows nothing it once saw). Plain ASGI,
    so that streams pass through untouched."""

    def __init__(self, app: "ASGIApp") -> None:
        self.app = app

    async def __call__(self, scope: "Scope", receive: "Receive", send: "Send") -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: "Message") -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_no_store)
