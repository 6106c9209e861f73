"""The ledger: hash chain, signatures, Merkle checkpoints, tamper detection in SQLite and PostgreSQL, exports that
verify elsewhere with the public key alone."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from sereno.config import load_settings
from sereno.governance import Governance
from sereno.governance import ledger as ledger_mod
from sereno.governance import verify as verifier
from sereno.governance.keys import PRIVATE_NAME, PUBLIC_NAME
from sereno.governance.model import SYSTEM
from sereno.governance.tables import DROP_APPEND_ONLY_SQL

PG_URL = os.environ.get("SERENO_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
ENTRIES = 10


def _rfc6962_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 section 2.1, written as the recursion the RFC gives."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + _rfc6962_root(leaves[:k]) + _rfc6962_root(leaves[k:])).digest()


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 7, 8, 9, 13, 64, 100])
def test_merkle_root_is_rfc6962(n: int) -> None:
    hashes = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(n)]
    assert verifier.merkle_root(hashes) == _rfc6962_root([bytes.fromhex(h) for h in hashes]).hex()


def _pg_database() -> tuple[str, str]:
    psycopg = pytest.importorskip("psycopg")
    name = f"sereno_gov_test_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {exc}")
    base = PG_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return name, f"{base}/{name}"


def _drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def gov(request, tmp_path: Path):
    pg_name = None
    if request.param == "postgresql":
        pg_name, url = _pg_database()
        settings = load_settings(tmp_path / "data", database_url=url)
    else:
        settings = load_settings(tmp_path / "data")
    governance = Governance.open(settings)
    for i in range(ENTRIES):
        governance.ledger.append("access", SYSTEM, action="search.plate", outcome="allowed",
                                 details={"i": i, "plate": f"ABC{i:04d}", "reason": "robo de vehículo ñandú"})
    yield governance
    governance.close()
    if pg_name:
        _drop_pg_database(pg_name)


def _tamper(gov: Governance, *statements: str, **params: object) -> None:
    """What an insider with database rights does: drop the append-only triggers, then change rows."""
    with gov.engine.begin() as conn:
        for statement in DROP_APPEND_ONLY_SQL[gov.engine.dialect.name]:
            conn.execute(text(statement))
        for statement in statements:
            conn.execute(text(statement), params)


def _row(gov: Governance, seq: int) -> dict:
    with gov.engine.connect() as conn:
        return dict(conn.execute(text("SELECT * FROM ledger_entries WHERE seq = :s"), {"s": seq}).mappings().one())


def test_untouched_ledger_verifies(gov: Governance) -> None:
    report = gov.ledger.verify()
    assert report.ok, report.problem
    assert report.entries == ENTRIES


def test_database_refuses_update_and_delete(gov: Governance) -> None:
    for statement in ("UPDATE ledger_entries SET actor = 'x' WHERE seq = 3",
                      "DELETE FROM ledger_entries WHERE seq = 3"):
        with pytest.raises(DatabaseError, match="append-only"):
            with gov.engine.begin() as conn:
                conn.execute(text(statement))
    assert gov.ledger.verify().ok


def test_edited_entry_is_named(gov: Governance) -> None:
    _tamper(gov, "UPDATE ledger_entries SET details = :d WHERE seq = 5", d='{"i":4,"plate":"XYZ9999"}')
    problem = gov.ledger.verify().problem
    assert problem is not None and problem.seq == 5 and "edited" in problem.what


def test_edited_actor_is_named(gov: Governance) -> None:
    _tamper(gov, "UPDATE ledger_entries SET actor = 'someone-else' WHERE seq = 7")
    assert gov.ledger.verify().problem.seq == 7


def test_deleted_entry_is_named(gov: Governance) -> None:
    _tamper(gov, "DELETE FROM ledger_entries WHERE seq = 4")
    problem = gov.ledger.verify().problem
    assert problem.seq == 4 and "deleted" in problem.what


def _forged_row(gov: Governance, seq: int, prev: str) -> dict:
    """A well-formed entry with a correct hash, signed by a key that is not the ledger's."""
    entry = {"seq": seq, "at": "2026-11-10T18:00:00.000000Z", "actor": "system", "agency": None, "kind": "access",
             "action": "search.plate", "outcome": "allowed", "case_id": None, "details": {"forged": True},
             "prev": prev}
    digest = verifier.entry_hash(entry)
    import base64

    sig = base64.b64encode(Ed25519PrivateKey.generate().sign(bytes.fromhex(digest))).decode()
    return {**entry, "details": json.dumps(entry["details"]), "hash": digest, "sig": sig}


_INSERT = ("INSERT INTO ledger_entries (seq, at, actor, agency, kind, action, outcome, case_id, details, prev, hash, "
           "sig) VALUES (:seq, :at, :actor, :agency, :kind, :action, :outcome, :case_id, :details, :prev, :hash, :sig)")


def test_inserted_entry_is_named(gov: Governance) -> None:
    forged = _forged_row(gov, 5, _row(gov, 4)["hash"])
    _tamper(gov, "UPDATE ledger_entries SET seq = seq + 1000000 WHERE seq >= 5",
            "UPDATE ledger_entries SET seq = seq - 1000000 + 1 WHERE seq >= 1000000")
    with gov.engine.begin() as conn:
        conn.execute(text(_INSERT), forged)
    problem = gov.ledger.verify().problem
    assert problem.seq == 5 and "signature" in problem.what


def test_entry_appended_by_hand_is_named(gov: Governance) -> None:
    forged = _forged_row(gov, ENTRIES + 1, _row(gov, ENTRIES)["hash"])
    _tamper(gov)
    with gov.engine.begin() as conn:
        conn.execute(text(_INSERT), forged)
    assert gov.ledger.verify().problem.seq == ENTRIES + 1


def test_reordered_entries_are_named(gov: Governance) -> None:
    _tamper(gov, "UPDATE ledger_entries SET seq = 1000000 WHERE seq = 6",
            "UPDATE ledger_entries SET seq = 6 WHERE seq = 5",
            "UPDATE ledger_entries SET seq = 5 WHERE seq = 1000000")
    problem = gov.ledger.verify().problem
    assert problem.seq == 5 and "link" in problem.what


def test_rewrite_with_recomputed_hashes_is_named(gov: Governance) -> None:
    """An insider who knows the algorithm re-hashes the edited entry and re-links all later ones."""
    entries = list(gov.ledger.entries())
    entries[2]["details"] = {"i": 2, "plate": "NOTHING"}
    prev = entries[1]["hash"]
    updates = []
    for entry in entries[2:]:
        entry["prev"] = prev
        entry["hash"] = prev = verifier.entry_hash(entry)
        updates.append({"seq": entry["seq"], "details": verifier.canonical(entry["details"]).decode(),
                        "prev": entry["prev"], "hash": entry["hash"]})
    _tamper(gov, "UPDATE ledger_entries SET hash = 'h' || CAST(seq AS VARCHAR(20)) WHERE seq >= 3")
    with gov.engine.begin() as conn:
        conn.execute(text("UPDATE ledger_entries SET details = :details, prev = :prev, hash = :hash "
                          "WHERE seq = :seq"), updates)
    problem = gov.ledger.verify().problem
    assert problem.seq == 3 and "signature" in problem.what


def test_truncated_tail_after_checkpoint_is_detected(gov: Governance) -> None:
    assert gov.ledger.checkpoint()["tree_size"] == ENTRIES
    _tamper(gov, f"DELETE FROM ledger_entries WHERE seq > {ENTRIES - 3}")
    problem = gov.ledger.verify().problem
    assert problem is not None and problem.seq == ENTRIES - 2 and "deleted" in problem.what


def test_checkpoints_are_written_periodically(gov: Governance, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ledger_mod, "CHECKPOINT_EVERY", 4)
    for _ in range(4):
        gov.ledger.append("config", SYSTEM, action="test")
    sizes = [cp["tree_size"] for cp in gov.ledger.checkpoints()]
    assert sizes == [12]  # entries 11..14: the 12th is a multiple of 4
    assert gov.ledger.verify().checkpoints == 1


def test_key_files_are_private_and_public_key_exported(gov: Governance) -> None:
    keys = gov.settings.data_dir / "keys"
    assert (keys / PRIVATE_NAME).stat().st_mode & 0o777 == 0o600
    assert verifier.key_id(verifier.load_public_key((keys / PUBLIC_NAME).read_bytes())) == gov.key.id


def _rewrite_bundle(source: Path, target: Path, edit) -> None:  # noqa: ANN001
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            dst.writestr(name, edit(name, data))


def test_export_verifies_elsewhere_with_the_public_key_alone(gov: Governance, tmp_path: Path) -> None:
    bundle = gov.ledger.export(tmp_path / "out" / "ledger.zip", SYSTEM)
    trusted = tmp_path / "auditor-copy.pub.pem"
    trusted.write_bytes(gov.key.public_pem())
    report = verifier.verify_bundle(bundle, trusted.read_bytes())
    assert report.ok and report.entries == ENTRIES + 1 and report.checkpoints == 1

    # Another machine: only the unzipped script, the bundle and the key; Python in isolated mode.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with zipfile.ZipFile(bundle) as z:
        z.extract("verify_ledger.py", elsewhere)
    run = subprocess.run([sys.executable, "-I", "verify_ledger.py", str(bundle), "--public-key", str(trusted)],
                         cwd=elsewhere, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.startswith("OK"), run.stdout + run.stderr

    def edit_line(name: str, data: bytes) -> bytes:
        if name != verifier.BUNDLE_ENTRIES:
            return data
        lines = data.decode().splitlines(keepends=True)
        entry = json.loads(lines[2])
        entry["details"]["plate"] = "CHANGED"
        lines[2] = json.dumps(entry) + "\n"
        return "".join(lines).encode()

    tampered = tmp_path / "tampered.zip"
    _rewrite_bundle(bundle, tampered, edit_line)
    run = subprocess.run([sys.executable, "-I", "verify_ledger.py", str(tampered), "--public-key", str(trusted)],
                         cwd=elsewhere, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and "entry #3" in run.stdout


def test_export_signed_by_another_key_fails(gov: Governance, tmp_path: Path) -> None:
    bundle = gov.ledger.export(tmp_path / "ledger.zip", SYSTEM)
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    report = verifier.verify_bundle(bundle, other)
    assert not report.ok and "trusted key" in report.problem.what


def test_concurrent_appends_keep_one_chain(gov: Governance) -> None:
    """Several writers (threads here, processes behave the same through the database) never fork the chain."""
    from concurrent.futures import ThreadPoolExecutor

    def write(worker: int) -> list[int]:
        return [gov.ledger.append("access", SYSTEM, details={"worker": worker, "n": n}) for n in range(15)]

    with ThreadPoolExecutor(4) as pool:
        seqs = sorted(s for batch in pool.map(write, range(4)) for s in batch)
    assert seqs == list(range(ENTRIES + 1, ENTRIES + 61))
    report = gov.ledger.verify()
    assert report.ok and report.entries == ENTRIES + 60


def test_migration_creates_exactly_the_governance_tables(gov: Governance) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from sereno.governance.feeds import FeedGrantRow
    from sereno.governance.tables import GOVERNANCE_TABLES
    from sereno.store.base import Base
    from sereno.store.migrate import alembic_config

    ours = {row.__tablename__ for row in [*GOVERNANCE_TABLES, FeedGrantRow]}
    head = ScriptDirectory.from_config(alembic_config(gov.engine)).get_current_head()
    with gov.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == (head,)
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in diffs if any(t in repr(d) for t in ours)] == []


def test_rewrite_with_the_stolen_key_is_caught_by_an_earlier_export(gov: Governance, tmp_path: Path) -> None:
    """Root on the server can re-sign a consistent history; an auditor's earlier export still exposes it."""
    earlier = gov.ledger.export(tmp_path / "earlier.zip", SYSTEM)
    entries = list(gov.ledger.entries())
    entries[3]["details"] = {"i": 3, "plate": "ERASED"}
    prev, rows = entries[2]["hash"], []
    for entry in entries[3:]:
        entry["prev"] = prev
        entry["hash"] = prev = verifier.entry_hash(entry)
        rows.append({"seq": entry["seq"], "details": verifier.canonical(entry["details"]).decode(),
                     "prev": entry["prev"], "hash": entry["hash"], "sig": gov.key.sign(bytes.fromhex(entry["hash"]))})
    _tamper(gov, "DELETE FROM ledger_checkpoints",
            "UPDATE ledger_entries SET hash = 'h' || CAST(seq AS VARCHAR(20)) WHERE seq >= 4")
    with gov.engine.begin() as conn:
        conn.execute(text("UPDATE ledger_entries SET details = :details, prev = :prev, hash = :hash, sig = :sig "
                          "WHERE seq = :seq"), rows)
    assert gov.ledger.verify().ok  # consistent and validly signed: the key itself was used
    earlier_entries, _, _ = verifier.read_bundle(earlier)
    problem = verifier.compare_with_earlier(gov.ledger.entries(), earlier_entries)
    assert problem.seq == 4 and "rewritten" in problem.what
