"""Run the packaged Alembic migrations on an engine: ``upgrade(engine)`` brings any database to head."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_LOCK_KEY = 0x5E7E40  # any constant; PostgreSQL advisory lock id for "Sereno schema migration"
log = logging.getLogger(__name__)


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def _lock_for_migration(connection: Connection) -> None:
    """Make concurrent first starts (a worker and a CLI command) take turns instead of both creating tables."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock, held until commit: DDL included
    elif connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade to ``revision`` in one transaction; a database already there costs one small query and logs
    nothing."""
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line of ours instead of three per open
    config = alembic_config(engine)
    wanted = {r.revision for r in ScriptDirectory.from_config(config).get_revisions(revision)}
    with engine.connect() as connection:
        if set(MigrationContext.configure(connection).get_current_heads()) == wanted:
            return
    with engine.begin() as connection:
        _lock_for_migration(connection)
        before = set(MigrationContext.configure(connection).get_current_heads())
        if before == wanted:  # another process migrated it while we waited for the lock
            return
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    log.info("database schema upgraded", extra={"db": engine.url.render_as_string(), "from": sorted(before),
                                                "to": revision})
