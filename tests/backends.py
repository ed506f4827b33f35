"""Helpers for tests that reach past pctui into the database itself, on either backend."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pctui.store.db import WRITE_LOCK_KEY, is_server_url


@contextmanager
def write_lock_held(db: Path | str) -> Iterator[None]:
    """Another session inside a write transaction (holding pctui's write lock: ``BEGIN
    IMMEDIATE`` on SQLite, the advisory lock on PostgreSQL) for as long as the block runs."""
    if is_server_url(str(db)):
        from tests import pgcluster

        with pgcluster._admin_connection(str(db)) as conn:
            conn.execute("BEGIN")
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK_KEY,))
            conn.execute("insert into meta (key, value) values ('held-by-test', 'yes')")
            try:
                yield
            finally:
                conn.execute("COMMIT")
        return
    raw = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    raw.execute("BEGIN IMMEDIATE")
    raw.execute("insert into meta (key, value) values ('held-by-test', 'yes')")
    try:
        yield
    finally:
        raw.execute("COMMIT")
        raw.close()


def rows(db: Path | str, sql: str) -> list[tuple]:
    """The rows a plain SQL query returns, read outside pctui."""
    if is_server_url(str(db)):
        from tests import pgcluster

        with pgcluster._admin_connection(str(db)) as conn:
            return [tuple(r) for r in conn.execute(sql).fetchall()]
    raw = sqlite3.connect(db)
    try:
        return [tuple(r) for r in raw.execute(sql).fetchall()]
    finally:
        raw.close()


def old_database_on(backend: str, sqlite_file: Path, make_db) -> Path | str:  # noqa: ANN001
    """A database made by an earlier revision, on the test's backend, not yet upgraded.

    ``sqlite_file`` is such a database as a SQLite file (kept under ``tests/store/data``). On
    PostgreSQL: a blank database is migrated to that file's revision and every row is copied
    into it as it stands, so the upgrade that follows meets the same old rows as on SQLite."""
    if backend == "sqlite":
        return sqlite_file
    import sqlalchemy as sa
    from alembic import command

    from pctui.store.db import server_url
    from pctui.store.migrate import alembic_config

    source = sa.create_engine(f"sqlite:///{sqlite_file}")
    with source.connect() as conn:
        (revision,) = conn.exec_driver_sql("select version_num from alembic_version").one()
    url = str(make_db(blank=True))
    target = sa.create_engine(server_url(url))
    try:
        with target.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        old, new = sa.MetaData(), sa.MetaData()
        old.reflect(source)
        new.reflect(target)
        with source.connect() as src, target.begin() as dst:
            for table in new.sorted_tables:
                if table.name == "alembic_version":
                    continue
                found = [dict(r._mapping) for r in src.execute(sa.select(old.tables[table.name]))]
                if found:
                    dst.execute(table.insert(), found)
                if "id" in table.c:
                    dst.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM \"{table.name}\"), 0) + 1, false)")
    finally:
        source.dispose()
        target.dispose()
    return url
