"""Alembic environment: always run on the connection that `migrate()` hands over."""

from __future__ import annotations

from alembic import context

from interviewer.storage.db import VERSION_TABLE

connection = context.config.attributes["connection"]
if connection.dialect.name == "postgresql":
    # Several app replicas may start at once: let one migrate, the others wait.
    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(72817001)")
context.configure(connection=connection, target_metadata=None, version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
