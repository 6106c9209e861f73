"""The Governance object every governance function receives: database, ledger, keys, clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from cryptography.fernet import Fernet
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from sereno.config import Settings
from sereno.domain import utcnow
from sereno.governance.keys import LedgerKey, load_or_create, load_or_create_secret_box
from sereno.governance.ledger import Ledger
from sereno.store.db import make_engine, make_session_factory


@dataclass
class Governance:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    key: LedgerKey
    ledger: Ledger
    secret_box: Fernet
    clock: Callable[[], datetime] = utcnow

    @classmethod
    def open(cls, settings: Settings, clock: Callable[[], datetime] = utcnow, *, migrate: bool = True) -> "Governance":
        """Open (and migrate to head) the installation's database and load or create the ledger key."""
        import sereno.governance.tables  # noqa: F401  (registers the tables on the shared metadata)

        settings.data_dir.mkdir(parents=True, exist_ok=True)
        if migrate:
            from sereno.store.store import migrated_engine

            engine = migrated_engine(settings.db_url)
        else:
            engine = make_engine(settings.db_url)
        keys = settings.data_dir / "keys"
        key = load_or_create(keys)
        return cls(settings=settings, engine=engine, sessions=make_session_factory(engine), key=key,
                   ledger=Ledger(engine, key, clock), secret_box=load_or_create_secret_box(keys), clock=clock)

    def now(self) -> datetime:
        return self.clock()

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Governance":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
