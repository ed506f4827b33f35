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
