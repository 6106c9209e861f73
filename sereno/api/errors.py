"""One error shape for every failure: ``{"error": code, "message": text, "ledger_seq": n}`` (the last only when
the gate recorded the refusal). Messages say what is wrong and how to fix it, like the CLI's."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from sereno.governance import GovernanceError, NotAuthenticated, Refused
from sereno.intel.alerts import AlertError
from sereno.intel.governed import NotFound
from sereno.intel.hotlists import HotlistError
from sereno.intel.search import SearchError
from sereno.store.media import MediaError
from sereno.video.cameras_file import CameraFileError

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, ledger_seq: int | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.ledger_seq = status, code, message, ledger_seq


def error_response(status: int, code: str, message: str, ledger_seq: int | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": code, "message": message}
    if ledger_seq is not None:
        body["ledger_seq"] = ledger_seq
    return JSONResponse(body, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for problem in exc.errors():
        where = ".".join(str(p) for p in problem.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{where or 'request'}: {problem.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    """Map our exceptions (and FastAPI's own) to the one error shape."""

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.ledger_seq)

    @app.exception_handler(Refused)
    async def refused(_: Request, exc: Refused) -> JSONResponse:
        decision = exc.decision
        return error_response(403, decision.code, decision.message, decision.ledger_seq)

    @app.exception_handler(NotAuthenticated)
    async def not_authenticated(_: Request, exc: NotAuthenticated) -> JSONResponse:
        return error_response(401, "not_authenticated", str(exc).replace("run `sereno login`", "log in"))

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return error_response(404, "not_found", str(exc))

    for bad_input in (GovernanceError, SearchError, AlertError, HotlistError, MediaError):
        app.add_exception_handler(bad_input, _bad_request)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_request", _validation_message(exc))

    @app.exception_handler(CameraFileError)
    async def bad_camera_list(_: Request, exc: CameraFileError) -> JSONResponse:
        return error_response(500, "configuration", f"{exc} (the camera list of this installation; an "
                                                    "administrator fixes the file)")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("request failed", exc_info=exc, extra={"path": request.url.path})
        return error_response(500, "internal", "the server failed on this request; it is in the server's log")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, f"http_{exc.status_code}")
        message = str(exc.detail)
        if exc.status_code in (404, 405) and message in ("Not Found", "Method Not Allowed"):
            message = f"{request.method} {request.url.path} is not part of the API; see /api/docs"
        return error_response(exc.status_code, code, message, headers=getattr(exc, "headers", None))


async def _bad_request(_: Request, exc: Exception) -> JSONResponse:
    # AlertNotFound is both an AlertError and a LookupError: an unknown id is a 404, not bad input.
    status, code = (404, "not_found") if isinstance(exc, LookupError) else (400, "invalid_request")
    return error_response(status, code, str(exc))
