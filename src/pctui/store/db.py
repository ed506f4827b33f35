"""The database: SQLite file or PostgreSQL server, migrations on open, and the session helpers.

**SQLite** (a path) runs in WAL mode with a busy timeout so several SSH sessions share one file.
Write transactions start with ``BEGIN IMMEDIATE``: a deferred transaction that reads and then
writes gets SQLITE_BUSY at once in WAL mode, busy timeout or not.

**PostgreSQL** (a ``postgresql://user@host:port/dbname`` URL) goes through psycopg 3, with a
connect time-out and a liveness check ("pre-ping") each time a pooled connection is taken, so
the app reconnects by itself after the server restarted or a connection was cut. The same
guarantees as on SQLite, kept the same way for every service:

- ``write()`` takes one database-wide write lock for its transaction (a transaction-level
  advisory lock): writers queue one after another exactly as SQLite's ``BEGIN IMMEDIATE``
  makes them, so a service's read-check-then-write is safe on both backends.
- ``write(parallel=True)`` is for work that protects itself with row locks
  (``with_for_update()``, taken in a fixed order) and unique constraints — releasing a payment.
  It takes the same lock *shared*: parallel writes run beside each other, never beside an
  ordinary write. So two payments release at the same time on PostgreSQL, while an import or a
  rule change still waits for them (and they for it): no release/import interleaving, no
  deadlock between them. On SQLite it is the same ``BEGIN IMMEDIATE`` as any write.
- ``read()`` is one consistent snapshot (``REPEATABLE READ READ ONLY``), as a SQLite read
  transaction is; readers never wait for writers.
- A writer waits at most ``BUSY_TIMEOUT_MS`` for the lock (``lock_timeout``), as SQLite's busy
  timeout; :func:`is_busy` and :func:`connection_lost` name the two failures callers explain.

Error messages never carry SQL parameters (``hide_parameters``): they may hold patient data.
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
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlmodel import Session, create_engine, select

from pctui.store import tables

BUSY_TIMEOUT_MS = 15_000
CONNECT_TIMEOUT_S = 10
_WRITE = "pctui_write"
_PARALLEL = "parallel"
# The key of PostgreSQL's transaction-level advisory lock that stands for "the write lock".
WRITE_LOCK_KEY = 0x70637475_69_01  # "pctui" 1
SERVER_SCHEMES = ("postgresql", "postgres")


def is_server_url(location: str | Path) -> bool:
    """``postgresql://…`` (or ``postgres://``, or with ``+psycopg``): a PostgreSQL database."""
    text = str(location) if isinstance(location, str) else ""
    scheme = text.split("://", 1)[0].split("+", 1)[0].lower() if "://" in text else ""
    return scheme in SERVER_SCHEMES


def server_url(location: str) -> URL:
    """The SQLAlchemy URL for a PostgreSQL location, always through psycopg 3."""
    try:
        url = make_url(location.strip())
    except ArgumentError as exc:
        raise StoreError(f"not a valid PostgreSQL URL: {shown_location(location)} "
                         "(expected postgresql://user@host:port/dbname)") from exc
    return url.set(drivername="postgresql+psycopg")


def shown_location(location: str) -> str:
    """A location as it may be printed: never a password."""
    if "@" in location and "://" in location:
        scheme, rest = location.split("://", 1)
        credentials, _, where = rest.rpartition("@")
        if ":" in credentials:
            credentials = credentials.split(":", 1)[0] + ":***"
        return f"{scheme}://{credentials}@{where}"
    return location


def default_location() -> str:
    """``PCTUI_DB`` if set (a path or a ``postgresql://`` URL), else ``pctui.db`` in the user's
    data directory."""
    env = os.environ.get("PCTUI_DB", "").strip()
    if env:
        return env if is_server_url(env) else str(Path(env).expanduser())
    return str(Path(user_data_dir("pctui", appauthor=False)) / "pctui.db")


def default_db_path() -> Path:
    """The default SQLite file (``PCTUI_DB`` when it is a path). Prefer :func:`default_location`,
    which also answers a ``postgresql://`` URL."""
    env = os.environ.get("PCTUI_DB", "").strip()
    if env and not is_server_url(env):
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


def is_busy(exc: BaseException) -> bool:
    """The write lock stayed taken longer than the busy timeout (either backend)."""
    if not isinstance(exc, DBAPIError):
        return False
    if getattr(exc.orig, "sqlstate", None) == "55P03":  # PostgreSQL lock_not_available
        return True
    text = str(exc.orig).lower()
    return "database is locked" in text or "database is busy" in text


def connection_lost(exc: BaseException) -> bool:
    """The connection to the database server broke (server restart, network, killed session)."""
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def _make_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        hide_parameters=True,
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


def _make_server_engine(url: URL) -> Engine:
    engine = create_engine(
        url,
        pool_pre_ping=True,  # a connection the server dropped is replaced before use
        hide_parameters=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "pctui"},
    )

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        mode = conn.get_execution_options().get(_WRITE, False)
        if not mode:
            return
        lock = "pg_advisory_xact_lock_shared" if mode == _PARALLEL else "pg_advisory_xact_lock"
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {BUSY_TIMEOUT_MS}")
        conn.exec_driver_sql(f"SELECT {lock}({WRITE_LOCK_KEY})")

    return engine


class Store:
    """One open database. Create with :meth:`open`; services take a ``Store``.

    ``path`` is the SQLite file, or None on PostgreSQL; ``label`` names the database in
    messages (a PostgreSQL URL without its password); ``backend`` is ``sqlite`` or
    ``postgresql``.
    """

    def __init__(self, path: Path | None, engine: Engine, label: str | None = None) -> None:
        self.path = path
        self.engine = engine
        self.backend = engine.dialect.name
        self.label = label if label is not None else str(path)
        self._write_engine = engine.execution_options(**{_WRITE: True})
        self._parallel_engine = engine.execution_options(**{_WRITE: _PARALLEL})
        self._read_engine = engine
        if self.backend == "postgresql":
            self._read_engine = engine.execution_options(isolation_level="REPEATABLE READ",
                                                         postgresql_readonly=True)
        self.database_id = ""

    @property
    def on_server(self) -> bool:
        return self.backend == "postgresql"

    @classmethod
    def open(cls, path: Path | str | None = None) -> Store:
        """Open (creating if needed) the database at ``path`` — a SQLite file or a
        ``postgresql://`` URL — and apply pending migrations."""
        location = str(path) if path else default_location()
        if is_server_url(location):
            url = server_url(location)
            store = cls(None, _make_server_engine(url),
                        url.set(drivername="postgresql").render_as_string(hide_password=True))
        else:
            db_path = Path(location).expanduser()
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
            raise StoreError(f"cannot open database {store.label}: {_driver_words(exc)}") from exc
        return store

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session: one consistent snapshot, rolled back at the end."""
        with Session(self._read_engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self, parallel: bool = False) -> Iterator[Session]:
        """A write session holding the write lock (``BEGIN IMMEDIATE`` on SQLite): committed on
        success, rolled back on error. ``parallel=True``: see the module notes — only for work
        that takes its own row locks; on PostgreSQL it runs beside other parallel writes."""
        engine = self._parallel_engine if parallel else self._write_engine
        with Session(engine, expire_on_commit=False) as session:
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


def _driver_words(exc: BaseException) -> str:
    """The database driver's own message, on one line, without SQLAlchemy's link."""
    detail = exc.orig if isinstance(exc, DBAPIError) else exc
    lines = [line.strip() for line in str(detail).splitlines() if line.strip()]
    return "; ".join(lines) or type(detail).__name__
