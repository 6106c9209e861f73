"""Logging in and out, cookies and bearer tokens, the CSRF header, and nothing of the API without a session."""

from __future__ import annotations

import httpx

from sereno.governance.identity import login
from tests.api.conftest import CSRF, Api
from tests.governance_world import PASSWORD

PUBLIC = {("POST", "/api/session"), ("GET", "/api/config")}


def test_login_sets_an_httponly_strict_cookie_and_logout_ends_the_session(api: Api) -> None:
    with api.client() as client:
        assert client.get("/api/session").status_code == 401
        response = client.post("/api/session", headers=CSRF, json=api.credentials("op"))
        assert response.status_code == 200
        assert response.json() | {"expires_at": None} == {
            "username": "op", "role": "operator", "agency": "tij-municipal", "agency_name":
            "Policía Municipal de Tijuana", "name": "op", "device_id": None, "expires_at": None, "demo": False}
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("sereno_session=") and "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert "Path=/" in cookie
        assert client.get("/api/session").json()["username"] == "op"
        assert client.get("/api/cameras").headers["cache-control"] == "no-store"  # nothing cached on a device

        refused = client.delete("/api/session")  # a cookie session changing state without the header
        assert refused.status_code == 403 and refused.json()["error"] == "csrf"
        assert client.delete("/api/session", headers=CSRF).status_code == 204
        assert client.get("/api/session").status_code == 401


def test_a_stolen_cookie_is_useless_after_logout(api: Api) -> None:
    client = api.client("op")
    token = client.cookies["sereno_session"]
    client.delete("/api/session", headers=CSRF)
    thief = httpx.Client(base_url=api.url, cookies={"sereno_session": token})
    answer = thief.get("/api/alerts")
    assert answer.status_code == 401 and answer.json()["error"] == "not_authenticated"


def test_a_wrong_code_is_refused_and_recorded(api: Api) -> None:
    with api.client() as client:
        credentials = api.credentials("op") | {"code": "000000"}
        response = client.post("/api/session", headers=CSRF, json=credentials)
        assert response.status_code == 401
        assert response.json() == {"error": "not_authenticated", "message": "wrong username, password or code"}
        assert "sereno_session" not in response.headers.get("set-cookie", "")
    last = list(api.world.gov.ledger.entries(kind="account"))[-1]
    assert last["action"] == "login" and last["outcome"] == "refused" and last["details"]["username"] == "op"


def test_every_api_route_but_login_and_config_needs_a_session(api: Api) -> None:
    routes = [(method.upper(), path) for path, methods in api.app.openapi()["paths"].items() for method in methods]
    assert len(routes) > 30
    with api.client() as client:
        for method, path in routes:
            if (method, path) in PUBLIC:
                continue
            url = path.replace("{", "").replace("}", "")  # any id: the session is checked first
            response = client.request(method, url, headers=CSRF)
            assert response.status_code == 401, f"{method} {path} answered {response.status_code} without a session"
            assert response.json()["error"] == "not_authenticated"


def test_a_bearer_token_works_without_the_csrf_header(api: Api) -> None:
    credentials = api.credentials("sup")
    token = login(api.world.gov, "sup", PASSWORD, credentials["code"])
    device = httpx.Client(base_url=api.url, headers={"Authorization": f"Bearer {token}"})
    assert device.get("/api/session").json()["role"] == "supervisor"
    answer = device.post("/api/approvals/999999", json={"reason": "revisión de una búsqueda amplia"})
    assert answer.status_code == 400 and "not a wide search" in answer.json()["message"]  # past auth and CSRF
    assert device.get("/api/session", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
