"""Reads of personal data through the API: each passes the gate and lands in the ledger; refusals are 403 with the
gate's code and the ledger entry; another agency's cameras stay out without a sharing agreement."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import httpx
import pytest

from sereno.governance import identity
from sereno.governance.verify import verify_bundle
from tests.api.conftest import CASE, CSRF, REASON, Api


def plate_search(client: httpx.Client, pattern: str, reason: str = REASON, **extra: object) -> httpx.Response:
    return client.get("/api/search/plate", params={"pattern": pattern, "case": CASE, "reason": reason, **extra})


def test_a_plate_search_returns_sightings_with_their_evidence_and_is_recorded(api: Api,
                                                                             investigator: httpx.Client) -> None:
    response = plate_search(investigator, "LS15EBC")
    assert response.status_code == 200
    body = response.json()
    [found] = body["sightings"]  # cam-2 belongs to the state police: not theirs to read
    assert found["plate"] == "LS15EBC" and found["camera_id"] == "cam-1" and found["confidence"] == 0.93
    assert set(found) == {"id", "camera_id", "observed_at", "plate", "confidence", "object_class", "lat", "lon",
                          "box", "frames", "crop_url", "snapshot_url", "candidates", "corrections"}
    decision = api.ledger_entry(body["ledger_seq"])
    assert decision["kind"] == "decision" and decision["outcome"] == "allowed" and decision["actor"] == "inv"
    assert decision["details"]["reason"] == REASON and decision["details"]["case_number"] == CASE

    crop = investigator.get(found["crop_url"])  # the URL carries the same case and reason
    assert crop.status_code == 200 and crop.headers["content-type"] == "image/jpeg"
    assert crop.content[:2] == b"\xff\xd8"
    viewed = list(api.world.gov.ledger.entries(kind="decision"))[-1]
    assert viewed["action"] == "view.sighting" and viewed["details"]["sighting_id"] == found["id"]


def test_a_forbidden_purpose_is_refused_with_the_ledger_entry(api: Api, investigator: httpx.Client) -> None:
    response = plate_search(investigator, "LS15EBC", reason="seguir a la periodista que publicó sobre el cártel")
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "forbidden_purpose" and "recorded for the auditors" in body["message"]
    entry = api.ledger_entry(body["ledger_seq"])
    assert entry["outcome"] == "refused" and entry["details"]["code"] == "forbidden_purpose"


def test_searches_need_a_case_and_roles_that_search(api: Api) -> None:
    with api.client("op") as operator:
        refused = plate_search(operator, "LS15EBC")
        assert refused.status_code == 403 and refused.json()["error"] == "role"
    with api.client("inv") as investigator:
        no_case = investigator.get("/api/search/plate", params={"pattern": "LS15EBC", "reason": REASON})
        assert no_case.status_code == 403 and no_case.json()["error"] == "no_case"


def test_another_agencys_cameras_need_a_sharing_agreement(api: Api, investigator: httpx.Client) -> None:
    state_admin = api.world.people["state-administrator"]
    agreement = identity.share(api.world.gov, state_admin, "tij-municipal", "Convenio de colaboración 2026-17")
    try:
        found = plate_search(investigator, "LS15EBC").json()["sightings"]
        assert sorted(s["camera_id"] for s in found) == ["cam-1", "cam-2"]
    finally:
        identity.revoke_sharing(api.world.gov, state_admin, agreement)
    assert [s["camera_id"] for s in plate_search(investigator, "LS15EBC").json()["sightings"]] == ["cam-1"]


def test_area_search_by_circle_and_polygon_and_a_route(api: Api, investigator: httpx.Client) -> None:
    now = api.world.clock()
    window = {"since": (now - timedelta(hours=3)).isoformat(), "until": now.isoformat(), "case": CASE,
              "reason": REASON}
    circle = investigator.post("/api/search/area", headers=CSRF,
                               json={"lat": 32.5422, "lon": -117.0293, "radius_m": 300, **window})
    assert circle.status_code == 200
    assert sorted(s["plate"] for s in circle.json()["sightings"]) == ["ABC1234", "LS15EBC"]
    polygon = [[32.540, -117.032], [32.544, -117.032], [32.544, -117.026], [32.540, -117.026]]
    inside = investigator.post("/api/search/area", headers=CSRF, json={"polygon": polygon, **window})
    assert len(inside.json()["sightings"]) == 2
    elsewhere = [[32.50, -117.00], [32.505, -117.00], [32.505, -116.995]]
    assert investigator.post("/api/search/area", headers=CSRF,
                             json={"polygon": elsewhere, **window}).json()["sightings"] == []
    route = investigator.get("/api/search/route", params={"plate": "LS15EBC", **window})
    assert route.status_code == 200 and route.json()["type"] == "FeatureCollection"


def test_a_wide_search_waits_for_another_supervisors_approval(api: Api, investigator: httpx.Client) -> None:
    now = api.world.clock()
    wide = {"lat": 32.53, "lon": -117.02, "radius_m": 3000, "since": (now - timedelta(hours=3)).isoformat(),
            "until": now.isoformat(), "case": CASE, "reason": REASON}
    refused = investigator.post("/api/search/area", headers=CSRF, json=wide)
    assert refused.status_code == 403 and refused.json()["error"] == "needs_approval"
    with api.client("sup2") as supervisor:
        [waiting] = supervisor.get("/api/approvals").json()
        assert waiting["ledger_seq"] == refused.json()["ledger_seq"] and waiting["user"] == "inv"
        assert waiting["case"] == CASE and "area of" in waiting["wide"][0]
        approved = supervisor.post(f"/api/approvals/{refused.json()['ledger_seq']}", headers=CSRF,
                                   json={"reason": "búsqueda amplia justificada por el robo con violencia"})
        assert approved.status_code == 201, approved.text
        assert supervisor.get("/api/approvals").json() == []
    again = investigator.post("/api/search/area", headers=CSRF, json=wide)
    assert again.status_code == 200, again.text
    assert len(again.json()["sightings"]) == 2


def test_camera_positions_are_hidden_from_roles_that_may_not_see_them(api: Api) -> None:
    with api.client("admin") as admin:
        cameras = {c["id"]: c for c in admin.get("/api/cameras").json()}
    assert cameras["cam-1"]["located"] is False and cameras["cam-1"]["lat"] is None
    with api.client("op") as operator:
        cameras = {c["id"]: c for c in operator.get("/api/cameras").json()}
    assert cameras["cam-1"]["located"] is True and cameras["cam-1"]["lat"] == pytest.approx(32.5422)
    assert cameras["cam-2"]["state"] == "stopped"  # disabled


def test_a_hotlist_import_raises_alerts_that_an_operator_confirms(api: Api) -> None:
    with api.client("sup") as supervisor:
        listed = b"plate,reason,state,expires\nABC1234,robo con violencia,BC,\n-,sin placa,BC,\n"
        upload = supervisor.post("/api/hotlists", headers=CSRF, data={"name": "robados"},
                                 files={"file": ("robados.csv", listed)})
        assert upload.status_code == 200, upload.text
        assert upload.json() == {"imported": 1, "format": "csv", "alerts": 1,
                                 "problems": [{"line": 3, "reason": upload.json()["problems"][0]["reason"]}]}
        assert [h["name"] for h in supervisor.get("/api/hotlists").json()] == ["robados"]
    with api.client("op") as operator:
        [alert] = [a for a in operator.get("/api/alerts").json() if a["list_name"] == "robados"]
        assert alert["status"] == "unverified" and alert["match_kind"] == "exact"
        assert alert["sighting"]["plate"] == "ABC1234"
        assert operator.get(alert["sighting"]["crop_url"]).headers["content-type"] == "image/jpeg"
        refused = operator.post(f"/api/alerts/{alert['id']}/confirm", headers=CSRF, json={"reason": "sí"})
        assert refused.status_code == 403 and refused.json()["error"] == "no_reason"
        confirmed = operator.post(f"/api/alerts/{alert['id']}/confirm", headers=CSRF,
                                  json={"reason": "la placa del recorte coincide con la lista"})
        assert confirmed.status_code == 200
        assert confirmed.json()["status"] == "confirmed" and confirmed.json()["decided_by"] == "op"
        again = operator.post(f"/api/alerts/{alert['id']}/dismiss", headers=CSRF,
                              json={"reason": "cambio de opinión sobre la lectura"})
        assert again.status_code == 400 and "decisions are final" in again.json()["message"]
    decided = [e for e in api.world.gov.ledger.entries(kind="decision") if e["action"] == "alerts.decide"
               and e["outcome"] == "allowed"]
    assert decided[-1]["actor"] == "op" and decided[-1]["details"]["alert_id"] == alert["id"]


def test_cases_and_warrants(api: Api, investigator: httpx.Client) -> None:
    opened = investigator.post("/api/cases", headers=CSRF, json={"number": "TIJ-2026-0100", "offense": "robbery"})
    assert opened.status_code == 201 and opened.json()["lead"] == "inv"
    now = api.world.clock()
    warrant = investigator.post("/api/cases/TIJ-2026-0100/warrants", headers=CSRF, json={
        "capability": "face_search", "court": "Juzgado de Control", "judge": "Juez A. Pérez",
        "reference": "CT-9/2026", "start": (now - timedelta(days=1)).isoformat(), "end": now.isoformat(),
        "valid_from": now.isoformat(), "valid_until": (now + timedelta(days=7)).isoformat(), "cameras": ["cam-1"]})
    assert warrant.status_code == 201
    case = investigator.get("/api/cases/TIJ-2026-0100").json()
    assert case["offense_es"] == "robo" and [w["reference"] for w in case["warrants"]] == ["CT-9/2026"]
    assert "TIJ-2026-0100" in [c["number"] for c in investigator.get("/api/cases").json()]
    unknown = investigator.post("/api/cases", headers=CSRF, json={"number": "X-1", "offense": "jaywalking"})
    assert unknown.status_code == 400 and "unknown offense" in unknown.json()["message"]


def test_auditors_verify_export_and_browse_the_ledger(api: Api) -> None:
    with api.client("aud") as auditor:
        verified = auditor.get("/api/audit/verify").json()
        assert verified["ok"] is True and verified["entries"] > 50
        page = auditor.get("/api/audit/entries", params={"after": 0, "limit": 5}).json()
        assert [e["seq"] for e in page["entries"]] == [1, 2, 3, 4, 5] and page["next_after"] == 5
        exported = auditor.get("/api/audit/export")
        assert exported.status_code == 200 and exported.headers["content-type"] == "application/zip"
        bundle = api.world.gov.settings.data_dir / "download.zip"
        bundle.write_bytes(exported.content)
        assert verify_bundle(bundle, api.world.gov.key.public_pem()).ok
        assert "ledger.jsonl" in zipfile.ZipFile(io.BytesIO(exported.content)).namelist()
        oversight = auditor.get("/api/audit/oversight").json()
        assert any(r["code"] == "forbidden_purpose" for r in oversight["anomalies"]["refused"]) or \
            oversight["total_anomalies"] >= 1
        report = auditor.get("/api/reports/transparency", params={"period": "2026-Q4", "format": "html"})
        assert report.status_code == 200 and "Transparency report 2026-Q4" in report.text
        assert "LS15EBC" not in report.text  # aggregates only
    with api.client("inv") as investigator:
        assert investigator.get("/api/audit/verify").json()["error"] == "role"
