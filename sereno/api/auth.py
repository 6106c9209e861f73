"""Who is calling: a session cookie (the pages) or ``Authorization: Bearer TOKEN`` (devices and scripts), both
resolved by sereno.governance.identity. Cookie sessions must send ``X-Sereno: 1`` on requests that change state:
a cross-site form cannot add a header, so another site cannot act with the officer's cookie (CSRF)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select

from sereno.api.errors import ApiError
from sereno.api.schemas import iso
from sereno.api.services import Services
from sereno.governance import NotAuthenticated, Principal
from sereno.governance.identity import resolve
from sereno.governance.tables import AgencyRow, SessionRow, UserRow
from sereno.intel.governed import Reader

COOKIE = "sereno_session"
CSRF_HEADER = "X-Sereno"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def services(request: Request) -> Services:
    return request.app.state.services


def session_token(request: Request) -> tuple[str | None, bool]:
    """(token, from the cookie?). A bearer token wins over a cookie."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None, False
    return request.cookies.get(COOKIE), True


def principal_of(svc: Services, token: str | None) -> Principal:
    """The principal behind a session token (pages, devices, the live video socket); NotAuthenticated otherwise."""
    if not token:
        raise NotAuthenticated("not logged in: log in first (POST /api/session, or a bearer token)")
    return resolve(svc.gov, token)


def authenticated(request: Request) -> Principal:
    """The principal behind the request, or 401; 403 for a cookie request that changes state without the header."""
    token, from_cookie = session_token(request)
    if token and from_cookie and request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) != "1":
        raise ApiError(403, "csrf", f"requests that change something must carry the header {CSRF_HEADER}: 1")
    principal = principal_of(services(request), token)
    request.state.token = token
    return principal


Authenticated = Annotated[Principal, Depends(authenticated)]
ServicesDep = Annotated[Services, Depends(services)]


def reader(principal: Authenticated, svc: ServicesDep) -> Reader:
    return svc.reader(principal)


ReaderDep = Annotated[Reader, Depends(reader)]


def who(svc: Services, principal: Principal) -> dict[str, object]:
    """The answer of ``GET /api/session``."""
    with svc.gov.sessions() as session:
        user = session.get(UserRow, principal.user_id)
        agency = session.get(AgencyRow, principal.agency_id) if principal.agency_id else None
        expires = session.scalar(select(SessionRow.expires_at).where(SessionRow.id == principal.session_id))
    return {"username": principal.username, "role": principal.role.value, "agency": principal.agency_id,
            "agency_name": agency.name if agency else None, "name": (user.display_name if user else "") or
            principal.username, "device_id": principal.device_id, "expires_at": iso(expires), "demo": svc.demo}
