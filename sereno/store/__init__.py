"""Persistence: SQLAlchemy 2 tables, Alembic migrations, SQLite by default and PostgreSQL given a URL."""
