"""Keys in ``<data dir>/keys`` (mode 0600, created once): the ledger's Ed25519 signing key, whose public half is
exported for auditors (who keep their own copy and verify exports with it alone), and the key that encrypts
second-factor secrets at rest."""

from __future__ import annotations

import base64
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from sereno.governance.verify import key_id

log = logging.getLogger(__name__)

PRIVATE_NAME = "ledger-ed25519.pem"
PUBLIC_NAME = "ledger-ed25519.pub.pem"
SECRETS_NAME = "secrets.key"


@dataclass(frozen=True)
class LedgerKey:
    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def id(self) -> str:
        return key_id(self.public)

    def public_pem(self) -> bytes:
        return self.public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private.sign(message)).decode()


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _check_private(path: Path) -> None:
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise PermissionError(f"{path} is readable by others (mode {mode:o}); run: chmod 600 {path}")


def load_or_create_secret_box(keys_dir: Path) -> Fernet:
    """The key that encrypts second-factor secrets at rest: a copy of the database alone does not reveal them."""
    path = keys_dir / SECRETS_NAME
    if not path.exists():
        _write_private(path, Fernet.generate_key())
    _check_private(path)
    return Fernet(path.read_bytes())


def load_or_create(keys_dir: Path) -> LedgerKey:
    """The installation's ledger key; created on first use. A key file others can read is refused."""
    private_path = keys_dir / PRIVATE_NAME
    if private_path.exists():
        _check_private(private_path)
        key = load_pem_private_key(private_path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{private_path} is not an Ed25519 private key")
        ledger_key = LedgerKey(key)
    else:
        ledger_key = LedgerKey(Ed25519PrivateKey.generate())
        _write_private(private_path, ledger_key.private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8,
                                                                      NoEncryption()))
        log.info("ledger key created", extra={"key_id": ledger_key.id, "path": str(private_path)})
    public_path = keys_dir / PUBLIC_NAME
    if not public_path.exists():
        public_path.write_bytes(ledger_key.public_pem())
    return ledger_key
