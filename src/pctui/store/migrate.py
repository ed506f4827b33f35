"""Apply Alembic migrations shipped inside the package; runs on every open."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

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
    with store._write_engine.begin() as conn:
        if MigrationContext.configure(conn).get_current_revision() == head:
            return
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


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
