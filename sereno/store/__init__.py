"""Persistence: SQLAlchemy 2 tables, Alembic migrations, SQLite by default and PostgreSQL given a URL.

``from sereno.store import Store`` is the entry point; the Store module is imported on first use so that
``sereno.store.base`` (which other packages' tables import) stays light.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sereno.store.store import Store, StoreError

__all__ = ["Store", "StoreError"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from sereno.store import store

        return getattr(store, name)
    raise AttributeError(name)
