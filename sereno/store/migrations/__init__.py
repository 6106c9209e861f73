"""Alembic migrations, shipped inside the package so ``Store.open`` can run them on any installation."""
