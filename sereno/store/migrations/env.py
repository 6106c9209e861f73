"""Alembic environment: runs on the connection that sereno.store.migrate hands over (no alembic.ini needed)."""

from alembic import context

import sereno.governance.tables  # noqa: F401  (registers the governance tables on Base.metadata)
import sereno.governance.feeds  # noqa: F401  (the feed grants table)
import sereno.store.tables  # noqa: F401
from sereno.store.base import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things in place
)
with context.begin_transaction():
    context.run_migrations()
