"""The database: SQLite file or PostgreSQL server, migrations on open, and the session helpers.

**SQLite** (a path) runs in WAL mode with a busy timeout so several SSH sessions share one file.
Write transactions start with ``BEGIN IMMEDIATE``: a deferred transaction that reads and then
writes gets SQLITE_BUSY at once in WAL mode, busy timeout or not. Readers never wait for writers
(WAL).

**PostgreSQL** (a ``postgresql://user@host:port/dbname`` URL) goes through psycopg 3, with a
connect time-out and a liveness check ("pre-ping") each time a pooled connection is taken, so
the app reconnects by itself after the server restarted or a connection was cut. The same
guarantees as on SQLite, kept the same way for every service:

- ``write()`` takes one database-wide write lock for its transaction (a transaction-level
  advisory lock): writers take turns exactly as SQLite's ``BEGIN IMMEDIATE`` makes them, so a
  service's read-check-then-write is safe on both backends.
- ``write(parallel=True)`` is for work that protects itself with row locks
  (``with_for_update()``, taken in a fixed order) and unique constraints — releasing a payment.
  It takes the same lock *shared*: parallel writes run beside each other, never beside an
  ordinary write. So two payments release at the same time on PostgreSQL, while an import or a
  rule change still waits for them (and they for it): no release/import interleaving, no
  deadlock between them. On SQLite it is the same ``BEGIN IMMEDIATE`` as any write.
- ``read()`` is one consistent snapshot (``REPEATABLE READ READ ONLY``), as a SQLite read
  transaction is; readers never wait for writers.
- Waiting for the write lock is reported and limited exactly as on SQLite (below); row locks
  wait at most the same limit (``lock_timeout``). :func:`is_busy` and :func:`connection_lost`
  name the two failures callers explain. Error messages never carry SQL parameters
  (``hide_parameters``): they may hold patient data.

A writer that finds another session writing waits for it, and says so: the store's
``waiting`` listener is called about twice a second while it waits (the CLI prints a line on
stderr, the app shows progress). After ``PCTUI_WRITE_WAIT`` seconds (default 120) it gives up
with :class:`StoreBusy`, a plain message — never a raw "database is locked".

Opening: ``Store.open(path, create=False)`` is for commands that only read or act on what is
there (everything but the app, import, demo, users add, config import, share) — a missing file is
an error, never a new database or folder; on PostgreSQL, a database without pctui's tables is
named as such rather than set up. A new database file is made whole (initialised
under a temporary name, then linked into place), so pctui never leaves or meets a 0-byte one;
an existing 0-byte file is refused rather than silently treated as a new database. File modes:
see :mod:`pctui.store.files`.
"""

from __future__ import annotations

import gc
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from platformdirs import user_data_dir
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlmodel import Session, create_engine, select

from pctui.store import files, tables

BUSY_TIMEOUT_MS = 15_000
WRITE_POLL_MS = 500  # how often a waiting writer tries again (and reports that it waits)
WAIT_NOTICE_SECONDS = 1.0  # a shorter wait is ordinary turn-taking, not worth a word
WRITE_WAIT_ENV = "PCTUI_WRITE_WAIT"
DEFAULT_WRITE_WAIT_SECONDS = 120.0
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
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
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


class StoreBusy(StoreError):
    """Another session held the write lock for longer than this session would wait."""


class WriteWait:
    """How long a writer waits for another session's write, and who hears that it waits.

    ``listener(seconds)`` is called in the waiting thread once it has waited a second, then
    after each further poll (about twice a second); ``listener(None)`` once the wait is over.
    A listener may raise (e.g. :class:`StoreBusy`) to give up sooner."""

    def __init__(self) -> None:
        self.listener: Callable[[float | None], None] | None = None
        self.local = threading.local()

    @property
    def limit(self) -> float:
        raw = os.environ.get(WRITE_WAIT_ENV, "")
        try:
            return max(0.0, float(raw)) if raw.strip() else DEFAULT_WRITE_WAIT_SECONDS
        except ValueError:
            return DEFAULT_WRITE_WAIT_SECONDS

    def tell(self, seconds: float | None) -> None:
        if self.listener is not None:
            self.listener(seconds)


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


def worth_retrying(exc: BaseException) -> bool:
    """PostgreSQL stopped the transaction because it met another one (a deadlock it broke, or a
    serialization failure): nothing was written, and running it again is the cure."""
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in ("40P01", "40001")


def bound_value(connection, column, value):  # noqa: ANN001, ANN201
    """``value`` through ``column``'s own bind processor, once for many rows, so a value given to
    :func:`bulk_insert` is stored exactly as the ORM would store it (a datetime, say)."""
    dialect = connection.dialect
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process(value) if process is not None else value


def bulk_insert(connection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:  # noqa: ANN001
    """Many plain rows into ``table`` inside the caller's transaction, as fast as the backend
    allows: the driver's executemany on SQLite, ``COPY ... FROM STDIN`` on PostgreSQL (an
    INSERT per row there costs a round trip each; COPY streams them)."""
    if not rows:
        return
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection  # the psycopg connection, same transaction
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" if connection.dialect.paramstyle == "qmark" else "%s" for _ in columns)
    connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def bulk_update(connection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:  # noqa: ANN001
    """Set ``columns`` on many rows of ``table`` by id, inside the caller's transaction: each
    row is the new values in ``columns`` order, then the id. One statement run over all rows by
    the driver (no per-row work in SQLAlchemy)."""
    if not rows:
        return
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sets = ", ".join(f"{name} = {mark}" for name in columns)
    connection.exec_driver_sql(f"UPDATE {table} SET {sets} WHERE id = {mark}", rows)


def _is_busy(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", exc)
    return isinstance(orig, sqlite3.OperationalError) and (
        "locked" in str(orig) or "busy" in str(orig))


def _begin_immediate(conn, waits: WriteWait, path: Path) -> None:  # noqa: ANN001
    """``BEGIN IMMEDIATE``, polling while another session writes, reporting the wait."""
    started: float | None = None
    told = False
    conn.exec_driver_sql(f"PRAGMA busy_timeout={WRITE_POLL_MS}")
    try:
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                break
            except DBAPIError as exc:
                if not _is_busy(exc):
                    raise
            now = time.monotonic()
            if started is None:
                started = now - WRITE_POLL_MS / 1000
            waited = now - started
            if waited >= waits.limit:
                raise StoreBusy(
                    f"the database {path} is busy: another session has been writing for more "
                    f"than {waits.limit:.0f} s, so this change was not made — try again later")
            if waited >= WAIT_NOTICE_SECONDS:
                told = True
                waits.tell(waited)
    finally:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if told:
            waits.tell(None)


def _make_engine(path: Path, waits: WriteWait | None = None) -> Engine:
    waits = waits or WriteWait()
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        hide_parameters=True,  # SQL parameters hold patient data: never in a message or log
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
        if conn.get_execution_options().get(_WRITE, False):
            _begin_immediate(conn, waits, path)
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


def _make_server_engine(url: URL, waits: WriteWait, label: str) -> Engine:
    engine = create_engine(
        url,
        pool_pre_ping=True,  # a connection the server dropped is replaced before use
        hide_parameters=True,  # SQL parameters hold patient data: never in a message or log
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "pctui"},
    )

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        mode = conn.get_execution_options().get(_WRITE, False)
        if mode:
            _take_server_write_lock(conn, waits, label, shared=mode == _PARALLEL)

    return engine


def _take_server_write_lock(conn, waits: WriteWait, label: str, shared: bool) -> None:  # noqa: ANN001
    """The transaction's write lock on PostgreSQL (exclusive, or shared for parallel writes),
    waiting and reporting the wait as ``_begin_immediate`` does on SQLite."""
    attempt = ("SELECT pg_try_advisory_xact_lock_shared({})" if shared
               else "SELECT pg_try_advisory_xact_lock({})").format(WRITE_LOCK_KEY)
    started: float | None = None
    told = False
    try:
        while not conn.exec_driver_sql(attempt).scalar():
            now = time.monotonic()
            if started is None:
                started = now
            waited = now - started + WRITE_POLL_MS / 1000
            if waited >= waits.limit:
                raise StoreBusy(
                    f"the database {label} is busy: another session has been writing for more "
                    f"than {waits.limit:.0f} s, so this change was not made — try again later")
            if waited >= WAIT_NOTICE_SECONDS:
                told = True
                waits.tell(waited)
            time.sleep(WRITE_POLL_MS / 1000)
    finally:
        if told:
            waits.tell(None)
    # Row locks (a parallel release waiting for another that posts to the same claims) wait as
    # long as a writer waits for the write lock, then fail as busy.
    conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(max(waits.limit, 1) * 1000)}")


class Store:
    """One open database. Create with :meth:`open`; services take a ``Store``.

    ``path`` is the SQLite file, or None on PostgreSQL; ``label`` names the database in
    messages (a PostgreSQL URL without its password); ``backend`` is ``sqlite`` or
    ``postgresql``.
    """

    def __init__(self, path: Path | None, engine: Engine, waits: WriteWait | None = None,
                 label: str | None = None) -> None:
        self.path = path
        self.engine = engine
        self.waits = waits or WriteWait()
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
    def open(cls, path: Path | str | None = None, *, create: bool = True) -> Store:
        """Open the database at ``path`` and apply pending migrations.

        ``path`` is a SQLite file or a ``postgresql://`` URL (default: ``PCTUI_DB``, else the
        file in the user's data directory). ``create``: make a new database (and its folder) if
        there is none; commands that only read (or act on what is there) pass False and get a StoreError naming the
        missing file — or, on PostgreSQL, the database without pctui's tables — instead."""
        location = str(path) if path else default_location()
        if is_server_url(location):
            return cls._open_server(location, create)
        db_path = Path(location).expanduser()
        if db_path.is_dir():
            raise StoreError(f"{db_path} is a folder, not a database file")
        if not db_path.exists():
            if not create:
                raise StoreError(
                    f"{db_path} does not exist: check --db or PCTUI_DB (this command never "
                    "creates a database)")
            _create_database_file(db_path)
        elif _is_empty_file(db_path):
            raise StoreError(
                f"{db_path} is empty (0 bytes), not a pctui database; pctui does not start a "
                "new database over an existing file. If a new one is wanted there, remove the "
                "file first (a damaged database: restore it from a backup)")
        if not os.access(db_path, os.R_OK):
            raise StoreError(_no_access(db_path))
        for companion in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
            files.without_world_access(companion)
        waits = WriteWait()
        return cls(db_path, _make_engine(db_path, waits), waits)._prepared(create)

    @classmethod
    def _open_server(cls, location: str, create: bool) -> Store:
        url = server_url(location)
        label = url.set(drivername="postgresql").render_as_string(hide_password=True)
        waits = WriteWait()
        return cls(None, _make_server_engine(url, waits, label), waits, label)._prepared(create)

    def _prepared(self, create: bool) -> Store:
        """Migrations applied and reference data in place; any failure is one StoreError."""
        try:
            from pctui.store.migrate import schema_revision, upgrade

            if not create and self.on_server and schema_revision(self) is None:
                raise StoreError(
                    f"{self.label} has no pctui tables: this command never sets up a database "
                    "(start pctui, or import something, on it first — or check --db / "
                    "PCTUI_DB)")
            upgrade(self)
            self.database_id = self._ensure_reference_data()
        except Exception as exc:  # noqa: BLE001 - any open failure becomes one clear message
            self.close()
            if isinstance(exc, StoreError):
                raise
            detail = _driver_words(exc)  # the driver's own words
            if (self.path is not None and "disk i/o" in detail.lower()
                    and _nearly_full(self.path.parent)):
                detail = "the disk is full"
            if self.path is not None and _no_room_for_wal(self.path, detail):
                what = ("its folder is read-only for you" if os.access(self.path, os.W_OK) else
                        "it is read-only for you, and so is its folder")
                raise StoreError(
                    f"cannot open {self.path}: {what}, where SQLite keeps the -wal and -shm "
                    "files every reader needs; an admin makes both group-writable (`pctui share "
                    "GROUP`, README: a database shared by several accounts)") from exc
            raise StoreError(f"cannot open database {self.label}: {detail}") from exc
        return self

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
    """The database driver's own message, on one line, without SQLAlchemy's link. From
    PostgreSQL only the primary message: its full text goes on to quote the statement ("LINE 2:
    CREATE TABLE ...") and may quote a row's values in its detail."""
    detail = exc.orig if isinstance(exc, DBAPIError) else exc
    diag = getattr(detail, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    if primary:
        words = " ".join(primary.split())
        if getattr(detail, "sqlstate", None) == "42501":
            words += (" (the role pctui connects as lacks a privilege it needs: it should own "
                      "the database — README: PostgreSQL)")
        return words
    lines = [line.strip() for line in str(detail).splitlines() if line.strip()]
    return "; ".join(lines) or type(detail).__name__


def _no_access(db_path: Path) -> str:
    import grp
    import pwd
    import stat

    st = db_path.stat()
    try:
        owner = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        owner = str(st.st_uid)
    try:
        group = grp.getgrgid(st.st_gid).gr_name
    except KeyError:
        group = str(st.st_gid)
    return (f"cannot open {db_path}: permission denied (it belongs to {owner}, group {group}, "
            f"mode {stat.S_IMODE(st.st_mode):04o}); to share it, an admin puts every user in "
            "its group (README: a database shared by several accounts)")


def _no_room_for_wal(path: Path, detail: str) -> bool:
    """The open failed because this account may not create the -wal/-shm files beside the
    database (a folder it may only read), which SQLite needs even to read a WAL database."""
    words = detail.lower()
    if "readonly" not in words and "read-only" not in words and "unable to open" not in words:
        return False
    return not os.access(path.parent, os.W_OK | os.X_OK) and not Path(f"{path}-shm").exists()


def _nearly_full(folder: Path) -> bool:
    try:
        stats = os.statvfs(folder)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize < 1024 * 1024


def _is_empty_file(db_path: Path) -> bool:
    """0 bytes, and no write-ahead log that could hold its pages."""
    try:
        if db_path.stat().st_size:
            return False
        wal = Path(f"{db_path}-wal")
        return not (wal.exists() and wal.stat().st_size)
    except OSError:
        return False


def _create_database_file(db_path: Path) -> None:
    """A new, valid (non-empty) SQLite file in WAL mode at ``db_path``, with its mode (0600, or
    0660 in a shared folder) set from the start; made under a temporary name and linked into
    place, so another session never sees a half-made file. A missing folder is created
    owner-only (0700)."""
    try:
        if not db_path.parent.exists():
            files.make_private_folder(db_path.parent)
    except OSError as exc:
        raise StoreError(f"cannot create the folder for {db_path}: {exc.strerror}") from exc
    temp = db_path.with_name(f".{db_path.name}.{uuid.uuid4().hex[:8]}.new")
    try:
        os.close(files.create_exclusive(temp, files.mode_for_new_file(db_path.parent)))
        raw = sqlite3.connect(temp)
        try:
            raw.execute("PRAGMA journal_mode=WAL")
        finally:
            raw.close()
        try:
            os.link(temp, db_path)
        except FileExistsError:
            pass  # another session made it first: use theirs
        except OSError:
            if not db_path.exists():  # a file system without hard links
                os.rename(temp, db_path)
    except OSError as exc:
        raise StoreError(f"cannot create the database {db_path}: {exc.strerror}") from exc
    except sqlite3.Error as exc:
        raise StoreError(f"cannot create the database {db_path}: {exc}") from exc
    finally:
        for leftover in (temp, Path(f"{temp}-wal"), Path(f"{temp}-shm")):
            leftover.unlink(missing_ok=True)

