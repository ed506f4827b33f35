"""The database: engine with SQLite pragmas, migrations on open, and the one session helper.

SQLite runs in WAL mode with a busy timeout so several SSH sessions share one file. Write
transactions start with ``BEGIN IMMEDIATE``: a deferred transaction that reads and then writes
gets SQLITE_BUSY at once in WAL mode, busy timeout or not.
"""

from __future__ import annotations

import gc
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from platformdirs import user_data_dir
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine, select

from pctui.store import tables

BUSY_TIMEOUT_MS = 15_000
_WRITE = "pctui_write"


def default_db_path() -> Path:
    """``PCTUI_DB`` if set, else ``pctui.db`` in the user's data directory."""
    env = os.environ.get("PCTUI_DB")
    if env:
        return Path(env).expanduser()
    return Path(user_data_dir("pctui", appauthor=False)) / "pctui.db"


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """For bulk work (a large import or release): it allocates hundreds of thousands of acyclic
    objects that stay alive until written, and each cycle-collector pass walks them all (it cost a
    third of import time and tripled release time). Reference counting still frees everything."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class StoreError(RuntimeError):
    """The database cannot be opened or used (path, permissions, corruption)."""


def _make_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite recipe).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Store:
    """One open database. Create with :meth:`open`; services take a ``Store``."""

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self.engine = engine
        self._write_engine = engine.execution_options(**{_WRITE: True})
        self.database_id = ""

    @classmethod
    def open(cls, path: Path | str | None = None) -> Store:
        """Open (creating if needed) the database at ``path`` and apply pending migrations."""
        db_path = Path(path).expanduser() if path else default_db_path()
        try:
            db_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder for {db_path}: {exc.strerror}") from exc
        if db_path.exists() and db_path.is_dir():
            raise StoreError(f"{db_path} is a folder, not a database file")
        store = cls(db_path, _make_engine(db_path))
        try:
            from pctui.store.migrate import upgrade

            upgrade(store)
            store.database_id = store._ensure_reference_data()
        except Exception as exc:  # noqa: BLE001 - any open failure becomes one clear message
            store.close()
            if isinstance(exc, StoreError):
                raise
            detail = exc.orig if isinstance(exc, DBAPIError) else exc  # the driver's own words
            raise StoreError(f"cannot open database {db_path}: {detail}") from exc
        return store

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session (deferred transaction, rolled back at the end)."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write session in ``BEGIN IMMEDIATE``: committed on success, rolled back on error."""
        with Session(self._write_engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def _ensure_reference_data(self) -> str:
        """Give a new database its id and the standard posting codes; returns the id."""
        from pctui.core.codes import STANDARD_ADJUSTMENT_CODES, STANDARD_PAYMENT_CODES, CodeKind

        with self.read() as session:
            row = session.get(tables.Meta, "database_id")
            if row is not None and session.get(tables.PostingCode, "AWCA") is not None:
                return row.value
        with self.write() as session:
            row = session.get(tables.Meta, "database_id")
            if row is None:
                row = tables.Meta(key="database_id", value=uuid.uuid4().hex)
                session.add(row)
            for kind, codes in ((CodeKind.PAYMENT, STANDARD_PAYMENT_CODES),
                                (CodeKind.ADJUSTMENT, STANDARD_ADJUSTMENT_CODES)):
                for code, description in codes.items():
                    if session.get(tables.PostingCode, code) is None:
                        session.add(tables.PostingCode(code=code, kind=kind.value,
                                                       description=description, standard=True))
            return row.value

    def meta(self, key: str) -> str | None:
        with self.read() as session:
            row = session.exec(select(tables.Meta).where(tables.Meta.key == key)).first()
            return row.value if row else None
