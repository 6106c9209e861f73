"""Ledger verification that anyone can run: canonical JSON, the hash chain, RFC 6962 Merkle trees, Ed25519.

This module imports nothing from Sereno (only the standard library and ``cryptography``), because
``sereno audit export`` ships this very file inside the bundle: an outside auditor runs

    python verify_ledger.py BUNDLE.zip --public-key sereno-ledger.pub.pem

on any machine and gets the same answer as ``sereno audit verify``.

An entry is a JSON object with the fields in ``ENTRY_FIELDS``. Its hash is SHA-256 over the canonical JSON of those
fields (``prev`` is the previous entry's hash, 64 zeros for the first); its signature is Ed25519 over the raw hash
bytes. A checkpoint signs the RFC 6962 Merkle tree head over the first ``tree_size`` entry hashes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

GENESIS = "0" * 64
ENTRY_FIELDS = ("seq", "at", "actor", "agency", "kind", "action", "outcome", "case_id", "details", "prev")
CHECKPOINT_FIELDS = ("log_id", "tree_size", "root", "at")


def canonical(value: Any) -> bytes:
    """One byte string per value: sorted keys, no spaces, UTF-8. Both sides of a signature must agree on it."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def entry_hash(entry: dict[str, Any]) -> str:
    return hashlib.sha256(canonical({k: entry[k] for k in ENTRY_FIELDS})).hexdigest()


def checkpoint_message(checkpoint: dict[str, Any]) -> bytes:
    return canonical({k: checkpoint[k] for k in CHECKPOINT_FIELDS})


def key_id(public_key: Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# --- RFC 6962 Merkle tree head: leaves are entry hashes --------------------------------------------------------------

def _leaf(entry_hash_hex: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(entry_hash_hex)).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class MerkleFrontier:
    """The RFC 6962 tree grown one leaf at a time: keeps only the roots of its perfect subtrees (at most 64), so a
    tree head over millions of entries costs one pass, and a new head continues from the last one."""

    def __init__(self, nodes: Sequence[tuple[int, str]] = ()):
        self.nodes: list[tuple[int, bytes]] = [(size, bytes.fromhex(h)) for size, h in nodes]
        self.size = sum(size for size, _ in self.nodes)

    def add(self, entry_hash_hex: str) -> None:
        size, digest = 1, _leaf(entry_hash_hex)
        while self.nodes and self.nodes[-1][0] == size:
            _, left = self.nodes.pop()
            size, digest = size * 2, _node(left, digest)
        self.nodes.append((size, digest))
        self.size += 1

    def root(self) -> str:
        """MTH(D[n]) of RFC 6962 section 2.1; the empty tree hashes to SHA-256 of nothing."""
        if not self.nodes:
            return hashlib.sha256(b"").hexdigest()
        digest = self.nodes[-1][1]
        for _, left in reversed(self.nodes[:-1]):
            digest = _node(left, digest)
        return digest.hex()

    def export(self) -> list[tuple[int, str]]:
        return [(size, digest.hex()) for size, digest in self.nodes]


def merkle_root(entry_hashes: Iterable[str]) -> str:
    frontier = MerkleFrontier()
    for h in entry_hashes:
        frontier.add(h)
    return frontier.root()


# --- verification -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    seq: int | None  # the first entry that is wrong (None when only a checkpoint is)
    what: str

    def __str__(self) -> str:
        return f"entry #{self.seq}: {self.what}" if self.seq is not None else self.what


@dataclass(frozen=True)
class Report:
    entries: int
    checkpoints: int
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _signature_ok(public_key: Ed25519PublicKey, signature_b64: str, message: bytes) -> bool:
    try:
        public_key.verify(base64.b64decode(signature_b64), message)
        return True
    except (InvalidSignature, ValueError):
        return False


def verify_chain(entries: Iterable[dict[str, Any]], public_key: Ed25519PublicKey) -> tuple[list[str], Problem | None]:
    """Walk the entries in stored order; return their hashes and the first problem found.

    Names the first broken entry for every direct edit: a changed field (hash mismatch), a deleted row (sequence
    gap), an inserted or re-hashed row (its signature needs the ledger key) and reordered rows (link broken).
    """
    hashes: list[str] = []
    expected_seq, prev = 1, GENESIS
    for entry in entries:
        seq = entry["seq"]
        if seq > expected_seq:
            return hashes, Problem(expected_seq, f"missing (deleted): the next stored entry is #{seq}")
        if seq < expected_seq:
            return hashes, Problem(seq, f"out of order or duplicated: expected #{expected_seq} here")
        if entry["prev"] != prev:
            return hashes, Problem(seq, "link to the previous entry broken (an entry before it was inserted, "
                                        "deleted, edited or moved)")
        recomputed = entry_hash(entry)
        if recomputed != entry["hash"]:
            return hashes, Problem(seq, "content edited: its hash no longer matches its fields")
        if not _signature_ok(public_key, entry["sig"], bytes.fromhex(recomputed)):
            return hashes, Problem(seq, "signature invalid: the entry was forged or re-hashed without the ledger key")
        hashes.append(recomputed)
        prev, expected_seq = recomputed, expected_seq + 1
    return hashes, None


def verify_checkpoints(hashes: Sequence[str], checkpoints: Iterable[dict[str, Any]],
                       public_key: Ed25519PublicKey) -> Problem | None:
    frontier = MerkleFrontier()
    for cp in sorted(checkpoints, key=lambda c: c["tree_size"]):
        size = cp["tree_size"]
        if not _signature_ok(public_key, cp["sig"], checkpoint_message(cp)):
            return Problem(None, f"checkpoint of {size} entries: signature invalid")
        if size > len(hashes):
            return Problem(len(hashes) + 1, f"missing (deleted): signed checkpoint covers {size} entries, "
                                            f"only {len(hashes)} verify")
        while frontier.size < size:
            frontier.add(hashes[frontier.size])
        if frontier.root() != cp["root"]:
            return Problem(None, f"checkpoint of {size} entries: Merkle root differs (entries up to #{size} "
                                 "were rewritten)")
    return None


def verify(entries: Iterable[dict[str, Any]], checkpoints: Iterable[dict[str, Any]],
           public_key: Ed25519PublicKey) -> Report:
    checkpoints = list(checkpoints)
    hashes, problem = verify_chain(entries, public_key)
    if problem is None:
        problem = verify_checkpoints(hashes, checkpoints, public_key)
    return Report(entries=len(hashes), checkpoints=len(checkpoints), problem=problem)


def compare_with_earlier(current: Iterable[dict[str, Any]], earlier: Iterable[dict[str, Any]]) -> Problem | None:
    """Find entries an earlier export holds that the ledger no longer holds unchanged.

    This catches the one rewrite the signatures cannot: someone with the signing key itself (root on the server)
    re-signing a consistent history. Every entry an auditor already exported must still be there, byte for byte.
    """
    now_by_seq = {e["seq"]: e["hash"] for e in current}
    for entry in earlier:
        seq = entry["seq"]
        if seq not in now_by_seq:
            return Problem(seq, "in the earlier export but missing now (deleted)")
        if now_by_seq[seq] != entry["hash"]:
            return Problem(seq, "differs from the earlier export (rewritten after it was exported)")
    return None


# --- export bundles ------------------------------------------------------------------------------------------------

BUNDLE_ENTRIES = "ledger.jsonl"
BUNDLE_CHECKPOINTS = "checkpoints.jsonl"
BUNDLE_PUBLIC_KEY = "public-key.pem"


def read_bundle(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]], bytes]:
    """Entries, checkpoints and the PEM public key from an export bundle (.zip)."""
    with zipfile.ZipFile(path) as bundle:
        def lines(name: str) -> list[dict[str, Any]]:
            text = bundle.read(name).decode()
            return [json.loads(line) for line in text.splitlines() if line.strip()]

        return lines(BUNDLE_ENTRIES), lines(BUNDLE_CHECKPOINTS), bundle.read(BUNDLE_PUBLIC_KEY)


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def verify_bundle(path: Path, trusted_public_key_pem: bytes | None = None) -> Report:
    """Verify an export bundle. With a trusted key (obtained separately), a bundle signed by another key fails."""
    entries, checkpoints, bundled_pem = read_bundle(path)
    bundled = load_public_key(bundled_pem)
    if trusted_public_key_pem is not None:
        trusted = load_public_key(trusted_public_key_pem)
        if key_id(trusted) != key_id(bundled):
            return Report(0, 0, Problem(None, f"bundle signed by key {key_id(bundled)}, not by the trusted key "
                                              f"{key_id(trusted)}"))
    return verify(entries, checkpoints, bundled)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Verify a Sereno ledger export bundle.")
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--public-key", type=Path, help="the ledger public key you trust (PEM)")
    args = parser.parse_args(argv)
    trusted = args.public_key.read_bytes() if args.public_key else None
    report = verify_bundle(args.bundle, trusted)
    if report.ok:
        print(f"OK: {report.entries} entries, {report.checkpoints} signed checkpoints verified")
        return 0
    print(f"BROKEN: {report.problem}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
