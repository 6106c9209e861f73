"""``/api/session``: log in (password + authenticator code), who am I, log out."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from sereno.api.auth import COOKIE, Authenticated, ServicesDep, who
from sereno.api.schemas import LoginBody
from sereno.governance import identity

router = APIRouter(prefix="/api/session", tags=["session"])


@router.post("")
def log_in(body: LoginBody, request: Request, svc: ServicesDep) -> JSONResponse:
    """Check the password and the 6-digit code; set the HttpOnly session cookie. Five failures in a row lock the
    account for 15 minutes; every attempt is in the ledger."""
    token = identity.login(svc.gov, body.username.strip(), body.password, body.code, body.device_id or None)
    principal = identity.resolve(svc.gov, token)
    response = JSONResponse(who(svc, principal))
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https", max_age=int(identity.SESSION_TTL.total_seconds()))
    return response


@router.get("")
def whoami(principal: Authenticated, svc: ServicesDep) -> dict[str, object]:
    return who(svc, principal)


@router.delete("", status_code=204)
def log_out(principal: Authenticated, request: Request, svc: ServicesDep) -> Response:
    identity.logout(svc.gov, request.state.token)
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
