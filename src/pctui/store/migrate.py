"""Apply Alembic migrations shipped inside the package; runs on every open."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from pctui.store.db import Store

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(store: Store) -> None:
    """Bring the database to the newest revision, inside one ``BEGIN IMMEDIATE`` transaction.

    Two processes opening a new database at once serialize on the write lock; the second
    finds the schema already at head.
    """
    cfg = alembic_config()
    head = ScriptDirectory.from_config(cfg).get_current_head()
    with store.engine.connect() as conn:
        if MigrationContext.configure(conn).get_current_revision() == head:
            return
    with store._write_engine.connect() as conn, _foreign_keys_checked_at_the_end(conn):
        with conn.begin():
            if MigrationContext.configure(conn).get_current_revision() == head:
                return
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
