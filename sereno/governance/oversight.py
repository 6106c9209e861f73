"""Oversight views for auditors, computed from the ledger: who searched what for which case, and the anomalies.

``find_anomalies`` is a pure function over ledger entries, users and cases; ``oversight`` reads them (recording the
auditor's own read first).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import select

from sereno.governance.camera_alarms import ALARM_ACTIONS
from sereno.governance.context import Governance
from sereno.governance.gate import require
from sereno.governance.model import Action, Principal
from sereno.governance.policy import RULES
from sereno.governance.tables import AgencyRow, UserRow, WarrantRow

PERSONAL_ACTIONS = {a.value for a, rule in RULES.items() if rule.personal}
SEARCH_ACTIONS = {a.value for a, rule in RULES.items() if rule.search}
REPEATED_PLATE_CASES = 3  # one plate looked up in this many different cases is flagged
CASE_ACTIVITY = {"case.note", "case.close", "hold.place", "hold.release", "warrant.record", "warrant.emergency",
                 "warrant.ratify", "approval.grant"}


def parse_at(at: str) -> datetime:
    return datetime.fromisoformat(at.replace("Z", "+00:00"))


@dataclass(frozen=True)
class UserShift:
    username: str
    start: time | None
    end: time | None
    zone: str

    def outside(self, moment: datetime) -> bool:
        if self.start is None or self.end is None:
            return False
        local = moment.astimezone(ZoneInfo(self.zone)).time()
        if self.start <= self.end:
            return not (self.start <= local < self.end)
        return self.end <= local < self.start  # a night shift crossing midnight


@dataclass
class Anomalies:
    outside_shift: list[dict[str, Any]] = field(default_factory=list)
    repeated_plates: list[dict[str, Any]] = field(default_factory=list)
    idle_cases: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    unratified_emergencies: list[dict[str, Any]] = field(default_factory=list)
    bootstrap_activations: list[dict[str, Any]] = field(default_factory=list)
    camera_alarms: list[dict[str, Any]] = field(default_factory=list)  # covered, blinded, turned away or down

    def total(self) -> int:
        return sum(len(v) for v in vars(self).values())


def searches(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Who read personal data, when, for which case and why (allowed decisions)."""
    return [
        {"seq": e["seq"], "at": e["at"], "user": e["actor"], "agency": e["agency"], "action": e["action"],
         "case": e["details"].get("case_number"), "offense": e["details"].get("offense"),
         "reason": e["details"].get("reason"), "plates": e["details"].get("scope", {}).get("plates", []),
         "emergency": e["details"].get("emergency", False)}
        for e in entries
        if e["kind"] == "decision" and e["outcome"] == "allowed" and e["action"] in PERSONAL_ACTIONS
    ]


def find_anomalies(entries: Iterable[dict[str, Any]], shifts: dict[str, UserShift],
                   pending_emergencies: Iterable[dict[str, Any]] = ()) -> Anomalies:
    found = Anomalies()
    entries = list(entries)
    plate_cases: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    case_searches: dict[str, list[dict[str, Any]]] = defaultdict(list)
    case_other: set[str] = set()
    for e in entries:
        details = e["details"]
        if e["kind"] == "decision" and e["outcome"] == "refused":
            found.refused.append({"seq": e["seq"], "at": e["at"], "user": e["actor"], "action": e["action"],
                                  "code": details.get("code"), "category": details.get("category"),
                                  "reason": details.get("reason"), "case": details.get("case_number")})
        elif e["kind"] == "decision" and e["action"] in PERSONAL_ACTIONS:
            shift = shifts.get(e["actor"])
            if shift and shift.outside(parse_at(e["at"])):
                found.outside_shift.append({"seq": e["seq"], "at": e["at"], "user": e["actor"],
                                            "action": e["action"], "case": details.get("case_number")})
            if e["action"] in SEARCH_ACTIONS and e["case_id"]:
                case_searches[e["case_id"]].append(e)
                for plate in details.get("scope", {}).get("plates", []):
                    plate_cases[plate][details.get("case_number") or e["case_id"]].add(e["actor"])
        elif e["action"] in CASE_ACTIVITY and e["case_id"]:
            case_other.add(e["case_id"])
        if e["action"] == "warrant.lapsed":
            found.unratified_emergencies.append({"seq": e["seq"], "at": e["at"], "case_id": e["case_id"],
                                                 **{k: details.get(k) for k in ("warrant_id", "capability",
                                                                                "results_purged")}})
        if e["kind"] == "camera" and e["action"] in ALARM_ACTIONS:
            found.camera_alarms.append({"seq": e["seq"], "at": e["at"], "camera": details.get("camera"),
                                        "action": e["action"], "reason": details.get("reason")})
        if e["action"] == "user.activate" and details.get("bootstrap"):
            found.bootstrap_activations.append({"seq": e["seq"], "at": e["at"], "by": e["actor"],
                                                "username": details.get("username")})
    for plate, by_case in sorted(plate_cases.items()):
        if len(by_case) >= REPEATED_PLATE_CASES:
            found.repeated_plates.append({"plate": plate, "cases": sorted(by_case),
                                          "users": sorted(set().union(*by_case.values()))})
    for case_id, done in case_searches.items():
        if case_id not in case_other:
            found.idle_cases.append({"case_id": case_id, "case": done[0]["details"].get("case_number"),
                                     "searches": len(done), "users": sorted({d["actor"] for d in done})})
    found.unratified_emergencies.extend(pending_emergencies)
    return found


def _shifts(gov: Governance) -> dict[str, UserShift]:
    with gov.sessions() as session:
        zones = {a.id: a.timezone for a in session.scalars(select(AgencyRow))}
        users = list(session.scalars(select(UserRow)))
    return {u.username: UserShift(u.username, time.fromisoformat(u.shift_start) if u.shift_start else None,
                                  time.fromisoformat(u.shift_end) if u.shift_end else None,
                                  zones.get(u.agency_id, "UTC")) for u in users}


def _overdue_emergencies(gov: Governance, now: datetime) -> list[dict[str, Any]]:
    """Emergencies still pending after 24 h (the purge job has not lapsed them yet)."""
    from sereno.governance.policy import EMERGENCY_RATIFY_WITHIN

    with gov.sessions() as session:
        rows = session.scalars(select(WarrantRow).where(WarrantRow.status == "pending_ratification"))
        return [{"warrant_id": w.id, "case_id": w.case_id, "capability": w.capability,
                 "declared_at": w.valid_from.isoformat(), "state": "overdue, not yet purged"}
                for w in rows if now > w.valid_from + EMERGENCY_RATIFY_WITHIN]


def oversight(gov: Governance, auditor: Principal, since: str | None = None,
              until: str | None = None) -> tuple[list[dict[str, Any]], Anomalies]:
    """(searches, anomalies) over a period, for an auditor. The auditor's read is itself recorded."""
    require(gov, auditor, Action.READ_LEDGER, since=since, until=until)
    entries = list(gov.ledger.entries(since=since, until=until))
    return searches(entries), find_anomalies(entries, _shifts(gov), _overdue_emergencies(gov, gov.now()))

