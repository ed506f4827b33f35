"""Alembic environment: runs on the connection handed over by ``pctui.store.migrate``."""

from alembic import context
from sqlmodel import SQLModel

from pctui.store import tables  # noqa: F401 - registers the tables on SQLModel.metadata
from pctui.store.migrate import compare_type

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through pctui.store.migrate.upgrade")

context.configure(
    connection=connection, target_metadata=SQLModel.metadata, render_as_batch=True,
    compare_type=compare_type,
)
with context.begin_transaction():
    context.run_migrations()
