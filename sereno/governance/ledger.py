"""The append-only ledger: every decision, access, export, deletion, hold, account and configuration change.

Each entry is hash-chained to the one before and signed with the ledger key; every ``CHECKPOINT_EVERY`` entries
(and on demand, and at each export) a signed RFC 6962 Merkle tree head is stored. ``append`` commits before it
returns, so a caller that appends and then hands data out has always recorded it first.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from sereno.governance import verify as verifier
from sereno.governance.keys import LedgerKey
from sereno.governance.model import Principal
from sereno.governance.tables import LedgerCheckpointRow, LedgerEntryRow

log = logging.getLogger(__name__)

CHECKPOINT_EVERY = 256
_APPEND_ATTEMPTS = 20
_PG_LOCK_KEY = 0x5E7E_0001  # pg_advisory_xact_lock key that serialises appends across processes


class Kind:
    """Entry kinds (a plain namespace: the values are what the ledger stores)."""

    DECISION = "decision"
    ACCESS = "access"
    EXPORT = "export"
    DELETION = "deletion"
    HOLD = "hold"
    ACCOUNT = "account"
    CONFIG = "config"
    CASE = "case"
    WARRANT = "warrant"
    EMERGENCY = "emergency"


def stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_to_entry(row: LedgerEntryRow) -> dict[str, Any]:
    return {
        "seq": row.seq, "at": row.at, "actor": row.actor, "agency": row.agency, "kind": row.kind,
        "action": row.action, "outcome": row.outcome, "case_id": row.case_id, "details": json.loads(row.details),
        "prev": row.prev, "hash": row.hash, "sig": row.sig,
    }


def row_to_checkpoint(row: LedgerCheckpointRow) -> dict[str, Any]:
    return {"log_id": row.log_id, "tree_size": row.tree_size, "root": row.root, "at": row.at, "sig": row.sig}


def _take_append_lock(session: Session) -> None:
    """Writers take turns from before reading the last entry to their commit, across threads and processes.
    SQLite: the write lock up front (BEGIN IMMEDIATE; a plain transaction takes it only at the insert, so writers
    read the same last entry and all but one lost the race: under four busy writers one could lose twenty times
    running). PostgreSQL: an advisory lock."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
    elif dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})


class Ledger:
    def __init__(self, engine: Engine, key: LedgerKey, clock: Callable[[], datetime]):
        self.engine = engine
        self.key = key
        self.clock = clock
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    # --- writing -----------------------------------------------------------------------------------------------

    def append(self, kind: str, actor: Principal | None, *, action: str | None = None, outcome: str | None = None,
               case_id: str | None = None, details: dict[str, Any] | None = None) -> int:
        """Write one entry and commit it. Returns its sequence number."""
        body = {
            "at": stamp(self.clock()), "actor": actor.username if actor else "system",
            "agency": actor.agency_id if actor else None, "kind": kind, "action": action, "outcome": outcome,
            "case_id": case_id, "details": json.loads(verifier.canonical(details or {})),
        }
        for attempt in range(_APPEND_ATTEMPTS):
            try:
                with self._sessions.begin() as session:
                    seq = self._append_locked(session, body)
                log.debug("ledger entry", extra={"seq": seq, "kind": kind, "action": action, "outcome": outcome})
                return seq
            except (IntegrityError, OperationalError) as exc:  # another writer took the sequence number
                if attempt == _APPEND_ATTEMPTS - 1:
                    raise
                log.debug("ledger append retry", extra={"attempt": attempt, "error": str(exc)[:200]})
        raise AssertionError("unreachable")

    def _append_locked(self, session: Session, body: dict[str, Any]) -> int:
        _take_append_lock(session)
        last = session.execute(select(LedgerEntryRow.seq, LedgerEntryRow.hash)
                               .order_by(LedgerEntryRow.seq.desc()).limit(1)).first()
        seq, prev = (last.seq + 1, last.hash) if last else (1, verifier.GENESIS)
        entry = {"seq": seq, "prev": prev, **body}
        digest = verifier.entry_hash(entry)
        session.add(LedgerEntryRow(
            seq=seq, at=entry["at"], actor=entry["actor"], agency=entry["agency"], kind=entry["kind"],
            action=entry["action"], outcome=entry["outcome"], case_id=entry["case_id"],
            details=verifier.canonical(entry["details"]).decode(), prev=prev, hash=digest,
            sig=self.key.sign(bytes.fromhex(digest)),
        ))
        session.flush()
        if seq % CHECKPOINT_EVERY == 0:
            self._checkpoint(session)
        return seq

    def checkpoint(self) -> dict[str, Any] | None:
        """Sign the tree head over every entry so far (None when the ledger is empty or already checkpointed)."""
        with self._sessions.begin() as session:
            _take_append_lock(session)
            return self._checkpoint(session)

    def _checkpoint(self, session: Session) -> dict[str, Any] | None:
        last = session.scalar(select(LedgerCheckpointRow).order_by(LedgerCheckpointRow.tree_size.desc()).limit(1))
        frontier = verifier.MerkleFrontier([tuple(n) for n in last.frontier] if last else ())
        new_hashes = session.scalars(select(LedgerEntryRow.hash).where(LedgerEntryRow.seq > frontier.size)
                                     .order_by(LedgerEntryRow.seq))
        for digest in new_hashes:
            frontier.add(digest)
        if frontier.size == 0 or (last is not None and frontier.size == last.tree_size):
            return None
        cp = {"log_id": self.key.id, "tree_size": frontier.size, "root": frontier.root(), "at": stamp(self.clock())}
        cp["sig"] = self.key.sign(verifier.checkpoint_message(cp))
        session.add(LedgerCheckpointRow(**cp, frontier=frontier.export()))
        return cp

    # --- reading -----------------------------------------------------------------------------------------------

    def entries(self, *, kind: str | None = None, since: str | None = None, until: str | None = None
                ) -> Iterator[dict[str, Any]]:
        """Entries in sequence order; ``since``/``until`` compare ISO timestamps as stored."""
        query = select(LedgerEntryRow).order_by(LedgerEntryRow.seq)
        if kind:
            query = query.where(LedgerEntryRow.kind == kind)
        if since:
            query = query.where(LedgerEntryRow.at >= since)
        if until:
            query = query.where(LedgerEntryRow.at < until)
        with self._sessions() as session:
            for row in session.scalars(query.execution_options(yield_per=1000)):
                yield row_to_entry(row)

    def checkpoints(self) -> list[dict[str, Any]]:
        with self._sessions() as session:
            rows = session.scalars(select(LedgerCheckpointRow).order_by(LedgerCheckpointRow.tree_size))
            return [row_to_checkpoint(r) for r in rows]

    def count(self) -> int:
        with self._sessions() as session:
            return session.scalar(select(func.count()).select_from(LedgerEntryRow)) or 0

    def verify(self) -> verifier.Report:
        """Recompute every hash, link, signature and checkpoint from the rows as they are now."""
        return verifier.verify(self.entries(), self.checkpoints(), self.key.public)

    # --- export ------------------------------------------------------------------------------------------------

    def export(self, destination: Path, exported_by: Principal) -> Path:
        """Write a bundle an auditor verifies elsewhere with the public key alone (zip: entries, checkpoints,
        public key, the verifier script). The export itself is recorded (and checkpointed) first."""
        self.append(Kind.EXPORT, exported_by, action="audit.export", outcome="allowed",
                    details={"what": "ledger", "destination": destination.name})
        self.checkpoint()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
            bundle.writestr(verifier.BUNDLE_ENTRIES, "".join(
                json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in self.entries()))
            bundle.writestr(verifier.BUNDLE_CHECKPOINTS, "".join(
                json.dumps(c, sort_keys=True) + "\n" for c in self.checkpoints()))
            bundle.writestr(verifier.BUNDLE_PUBLIC_KEY, self.key.public_pem())
            bundle.writestr("verify_ledger.py", Path(verifier.__file__).read_text(encoding="utf-8"))
            bundle.writestr("README.txt", _BUNDLE_README.format(key_id=self.key.id))
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(destination.name + ".partial")
        partial.write_bytes(buffer.getvalue())
        partial.replace(destination)
        return destination


_BUNDLE_README = """Sereno ledger export (key id {key_id}).

Verify it on any machine with Python 3.11+ and the `cryptography` package, using the public key you obtained
from the agency separately (do not trust the copy inside this bundle alone):

    python verify_ledger.py THIS_FILE.zip --public-key sereno-ledger.pub.pem

ledger.jsonl holds one entry per line; checkpoints.jsonl the signed Merkle tree heads (RFC 6962).
"""
