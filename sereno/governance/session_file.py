"""Where the CLI keeps its session token: ``SERENO_TOKEN``, else ``<data dir>/session.token`` (mode 0600)."""

from __future__ import annotations

import os
from pathlib import Path

from sereno.config import Settings
from sereno.governance.context import Governance
from sereno.governance.identity import resolve
from sereno.governance.model import Principal

TOKEN_ENV = "SERENO_TOKEN"


def token_path(settings: Settings) -> Path:
    return settings.data_dir / "session.token"


def save_token(settings: Settings, token: str) -> Path:
    path = token_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token)
    os.chmod(partial, 0o600)
    partial.replace(path)
    return path


def load_token(settings: Settings) -> str | None:
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV]
    path = token_path(settings)
    return path.read_text().strip() if path.exists() else None


def forget_token(settings: Settings) -> None:
    token_path(settings).unlink(missing_ok=True)


def current_principal(gov: Governance) -> Principal:
    """The logged-in principal, or NotAuthenticated saying how to log in."""
    return resolve(gov, load_token(gov.settings))
