"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, String
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC. SQLite has no time zones, so both engines store the same thing and
    string comparison on SQLite orders correctly."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:  # noqa: ANN001
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Sereno stores UTC; pass an aware datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:  # noqa: ANN001
        return None if value is None else value.replace(tzinfo=timezone.utc)


# Plate prefix and suffix searches read index ranges such as ['AB9', 'AB:'); byte order ("C" collation) keeps
# those ranges right on PostgreSQL whatever the database's locale (en_US ignores punctuation such as ':').
PlateString = String().with_variant(String(collation="C"), "postgresql")
