"""Apply Alembic migrations shipped inside the package; runs on every open."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from pctui.store.db import Store

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def compare_type(ctx, inspected_column, metadata_column, inspected_type, metadata_type):  # noqa: ANN001, ANN201
    """For autogenerate: SQLite's INTEGER is 64-bit whatever it is called, so the BIGINT money
    columns (h12_01) are no difference there. Everything else: Alembic's own comparison."""
    if (ctx.dialect.name == "sqlite" and isinstance(metadata_type, sa.BigInteger)
            and isinstance(inspected_type, sa.Integer)):
        return False
    return None


def schema_revision(store: Store) -> str | None:
    """The database's migration revision, None when pctui has never set it up."""
    with store.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(store: Store) -> None:
    """Bring the database to the newest revision, inside one ``BEGIN IMMEDIATE`` transaction.

    Two processes opening a new database at once serialize on the write lock; the second
    finds the schema already at head.

    On PostgreSQL the write lock is the same advisory lock every writer takes, and DDL is
    transactional: the whole upgrade happens or none of it. A database that already holds
    tables but has never seen pctui's migrations is refused rather than altered: pctui wants a
    database of its own.
    """
    cfg = alembic_config()
    head = ScriptDirectory.from_config(cfg).get_current_head()
    with store.engine.connect() as conn:
        if MigrationContext.configure(conn).get_current_revision() == head:
            return
    with store._write_engine.connect() as conn, _foreign_keys_checked_at_the_end(conn):
        with conn.begin():
            current = MigrationContext.configure(conn).get_current_revision()
            if current == head:
                return
            if current is None:
                _refuse_a_foreign_database(store, conn)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            _check_foreign_keys(conn)


@contextmanager
def _foreign_keys_checked_at_the_end(conn: Connection) -> Iterator[None]:
    """SQLite rebuilds a table to change a constraint (Alembic's batch mode); with foreign keys
    enforced, dropping the old table would fail for every row pointing at it. As SQLite's own
    procedure for schema changes says: enforcement off outside the transaction, a
    ``foreign_key_check`` before commit (:func:`_check_foreign_keys`), enforcement back on."""
    raw = conn.connection.driver_connection if conn.dialect.name == "sqlite" else None
    if raw is not None:
        raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(conn: Connection) -> None:
    if conn.dialect.name != "sqlite":
        return
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"migration left {len(broken)} broken references, e.g. {broken[0]}")


def _refuse_a_foreign_database(store: Store, conn: Connection) -> None:
    from pctui.store.db import StoreError

    others = sorted(set(inspect(conn).get_table_names()) - {"alembic_version"})
    if others:
        shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        raise StoreError(
            f"{store.label} already holds tables that are not pctui's ({shown}); "
            "pctui needs a database of its own (create an empty one for it)"
        )


def autogenerate(message: str) -> None:
    """Developers: write a new revision from the difference between tables.py and head."""
    import tempfile

    from pctui.store.db import _make_engine

    with tempfile.TemporaryDirectory() as tmp:
        engine = _make_engine(Path(tmp) / "scratch.db")
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            command.revision(cfg, message=message, autogenerate=True)
        engine.dispose()


if __name__ == "__main__":  # python -m pctui.store.migrate "what changed"
    import sys

    autogenerate(" ".join(sys.argv[1:]) or "schema change")
