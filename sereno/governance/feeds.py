"""Feed grants: a patrol officer's tablet sees a camera live only while a supervisor's grant for it runs.

At the monitoring centre live video needs the ``view.live`` role (operator, investigator, supervisor). A session
bound to a device (a tablet in a patrol car) needs more: the officer asks for one camera, for a few minutes, saying
why; a supervisor of the same agency (not the requester) approves or denies; the grant starts at approval and ends
by itself. Requests and decisions go through the gate, so both are in the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from sereno.domain import new_id
from sereno.governance.context import Governance
from sereno.governance.gate import require
from sereno.governance.ledger import Kind
from sereno.governance.lookups import shared_with
from sereno.governance.model import Action, Decision, GovernanceError, Principal, Purpose, Refused, Role, Scope
from sereno.governance.policy import RULES
from sereno.governance.purposes import MIN_REASON_CHARS
from sereno.store.base import Base
from sereno.store.types import UtcDateTime

MAX_FEED_MINUTES = 60


class FeedGrantRow(Base):
    """Created by Alembic revision 0003_feed_grants."""

    __tablename__ = "gov_feed_grants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    camera_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(ForeignKey("gov_users.id"))
    username: Mapped[str] = mapped_column(String(64))
    agency_id: Mapped[str] = mapped_column(ForeignKey("gov_agencies.id"))
    device_id: Mapped[str] = mapped_column(ForeignKey("gov_devices.id"))
    minutes: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # pending, approved, denied
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decision_reason: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_gov_feed_grants_lookup", "user_id", "device_id", "camera_id"),)


@dataclass(frozen=True, slots=True)
class FeedGrant:
    id: str
    camera_id: str
    user_id: str
    username: str
    agency_id: str
    device_id: str
    minutes: int
    reason: str
    status: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    expires_at: datetime | None

    def running(self, now: datetime) -> bool:
        return self.status == "approved" and self.expires_at is not None and now < self.expires_at


def _grant(row: FeedGrantRow) -> FeedGrant:
    return FeedGrant(id=row.id, camera_id=row.camera_id, user_id=row.user_id, username=row.username,
                     agency_id=row.agency_id, device_id=row.device_id, minutes=row.minutes, reason=row.reason,
                     status=row.status, requested_at=row.requested_at, decided_by=row.decided_by,
                     decided_at=row.decided_at, expires_at=row.expires_at)


def request_feed(gov: Governance, actor: Principal, camera_id: str, minutes: int, reason: str) -> FeedGrant:
    """A tablet session asks to watch ``camera_id`` live for ``minutes``; waits for a supervisor."""
    if actor.device_id is None:
        raise GovernanceError("feed requests are for sessions on a registered device (a tablet); at the centre "
                              "live video needs no grant")
    if not 1 <= minutes <= MAX_FEED_MINUTES:
        raise GovernanceError(f"ask for 1 to {MAX_FEED_MINUTES} minutes of live video (got {minutes})")
    if len(reason.strip()) < MIN_REASON_CHARS:
        raise GovernanceError(f"say why you need this camera, in at least {MIN_REASON_CHARS} characters")
    grant_id = new_id()
    require(gov, actor, Action.VIEW_LIVE, Purpose(case_id=None, reason=reason), Scope(cameras=(camera_id,)),
            feed_request=grant_id, minutes=minutes)
    with gov.sessions.begin() as session:
        row = FeedGrantRow(id=grant_id, camera_id=camera_id, user_id=actor.user_id, username=actor.username,
                           agency_id=actor.agency_id, device_id=actor.device_id, minutes=minutes,
                           reason=reason.strip(), status="pending", requested_at=gov.now())
        session.add(row)
        session.flush()
        return _grant(row)


def decide_feed(gov: Governance, actor: Principal, grant_id: str, approve: bool, reason: str) -> FeedGrant:
    """A supervisor of the requester's agency, other than the requester, approves (the grant runs from now for
    the minutes asked) or denies."""
    with gov.sessions() as session:
        row = session.get(FeedGrantRow, grant_id)
    if row is None:
        raise GovernanceError(f"no feed request {grant_id!r}")
    require(gov, actor, Action.APPROVE_WIDE_SEARCH, Purpose(case_id=None, reason=reason),
            Scope(cameras=(row.camera_id,)), feed_grant=grant_id, approve=approve, requester=row.username,
            minutes=row.minutes)
    if row.agency_id != actor.agency_id:
        raise GovernanceError(f"the request comes from {row.agency_id}; its own supervisors decide it")
    if row.user_id == actor.user_id:
        raise GovernanceError("a supervisor cannot approve their own feed request; ask another supervisor")
    now = gov.now()
    with gov.sessions.begin() as session:
        row = session.get(FeedGrantRow, grant_id, with_for_update=True)
        if row.status != "pending":
            raise GovernanceError(f"feed request {grant_id} was already {row.status} by {row.decided_by}")
        row.status = "approved" if approve else "denied"
        row.decided_by, row.decided_at, row.decision_reason = actor.username, now, reason.strip()
        row.expires_at = now + timedelta(minutes=row.minutes) if approve else None
        session.flush()
        return _grant(row)


def feed_requests(gov: Governance, actor: Principal, limit: int = 100) -> list[FeedGrant]:
    """Newest first: a supervisor sees their agency's requests, anyone else their own."""
    query = select(FeedGrantRow).order_by(FeedGrantRow.requested_at.desc()).limit(limit)
    if actor.role == Role.SUPERVISOR:
        query = query.where(FeedGrantRow.agency_id == actor.agency_id)
    else:
        query = query.where(FeedGrantRow.user_id == actor.user_id)
    with gov.sessions() as session:
        return [_grant(r) for r in session.scalars(query)]


def running_grant(gov: Governance, actor: Principal, camera_id: str) -> FeedGrant | None:
    """The approved, unexpired grant that lets this user's device watch ``camera_id`` now (None without one)."""
    if actor.device_id is None:
        return None
    now = gov.now()
    with gov.sessions() as session:
        rows = session.scalars(select(FeedGrantRow).where(
            FeedGrantRow.user_id == actor.user_id, FeedGrantRow.device_id == actor.device_id,
            FeedGrantRow.camera_id == camera_id, FeedGrantRow.status == "approved",
            FeedGrantRow.expires_at > now).order_by(FeedGrantRow.expires_at.desc()).limit(1))
        found = [_grant(r) for r in rows]
    return found[0] if found else None


def authorize_live(gov: Governance, actor: Principal, camera_id: str,
                   owner: str | None) -> tuple[Decision, FeedGrant | None]:
    """May ``actor`` watch ``camera_id`` (owned by agency ``owner``) live now? Beyond the role (the gate's
    ``view.live`` rule): the owner agency is the actor's own or shares with it, and a device session holds a
    running grant for the camera. Returns the recorded decision and that grant (its end ends the stream); raises
    Refused, recorded like the gate's own refusals (auditors see them among the refused requests)."""
    scope = Scope(cameras=(camera_id,), owners=(owner,) if owner else ())
    grant = running_grant(gov, actor, camera_id)
    problem = None
    if actor.role in RULES[Action.VIEW_LIVE].roles:  # a wrong role is the gate's own refusal, below
        with gov.sessions() as session:
            readable = shared_with(session, actor.agency_id, gov.now()) | {actor.agency_id}
        if owner is not None and owner not in readable:
            problem = ("no_sharing", f"camera {camera_id} belongs to {owner}, which shares nothing with your agency")
        elif actor.device_id is not None and grant is None:
            problem = ("needs_feed_grant", f"on a tablet, camera {camera_id} is shown live only under a running "
                                           "grant: request the feed and wait for a supervisor's approval")
    if problem is not None:
        code, message = problem
        seq = gov.ledger.append(Kind.DECISION, actor, action=Action.VIEW_LIVE.value, outcome="refused", details={
            "code": code, "message": message, "scope": scope.as_dict(), "role": actor.role.value,
            "user_id": actor.user_id, "session_id": actor.session_id, "device_id": actor.device_id})
        raise Refused(Decision(allowed=False, code=code, message=message, action=Action.VIEW_LIVE, principal=actor,
                               purpose=None, scope=scope, ledger_seq=seq))
    decision = require(gov, actor, Action.VIEW_LIVE, None, scope, feed_grant=grant.id if grant else None)
    return decision, grant
