"""Alembic migrations, run programmatically by `interviewer.storage.db.migrate`."""
