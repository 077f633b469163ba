"""Alembic environment: run by `Store` on open with the store's own connection."""

from alembic import context

from evidence_check.store.tables import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
