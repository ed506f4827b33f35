"""The database: engine with SQLite pragmas, migrations on open, and the one session helper.

SQLite runs in WAL mode with a busy timeout so several SSH sessions share one file. Write
transactions start with ``BEGIN IMMEDIATE``: a deferred transaction that reads and then writes
gets SQLITE_BUSY at once in WAL mode, busy timeout or not. Readers never wait for writers (WAL).

A writer that finds another session writing waits for it, and says so: the store's
``waiting`` listener is called about twice a second while it waits (the CLI prints a line on
stderr, the app shows progress). After ``PCTUI_WRITE_WAIT`` seconds (default 120) it gives up
with :class:`StoreBusy`, a plain message — never a raw "database is locked".

Opening: ``Store.open(path, create=False)`` is for commands that only read — a missing file is
an error, never a new database or folder. A new database file is made whole (initialised
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
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine, select

from pctui.store import files, tables

BUSY_TIMEOUT_MS = 15_000
WRITE_POLL_MS = 500  # how often a waiting writer tries again (and reports that it waits)
WAIT_NOTICE_SECONDS = 1.0  # a shorter wait is ordinary turn-taking, not worth a word
WRITE_WAIT_ENV = "PCTUI_WRITE_WAIT"
DEFAULT_WRITE_WAIT_SECONDS = 120.0
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


class Store:
    """One open database. Create with :meth:`open`; services take a ``Store``."""

    def __init__(self, path: Path, engine: Engine, waits: WriteWait | None = None) -> None:
        self.path = path
        self.engine = engine
        self.waits = waits or WriteWait()
        self._write_engine = engine.execution_options(**{_WRITE: True})
        self.database_id = ""

    @classmethod
    def open(cls, path: Path | str | None = None, *, create: bool = True) -> Store:
        """Open the database at ``path`` and apply pending migrations.

        ``create``: make a new database (and its folder) if there is none; commands that only
        read pass False and get a StoreError naming the missing file instead."""
        db_path = Path(path).expanduser() if path else default_db_path()
        if db_path.is_dir():
            raise StoreError(f"{db_path} is a folder, not a database file")
        if not db_path.exists():
            if not create:
                raise StoreError(
                    f"{db_path} does not exist: check --db or PCTUI_DB (a command that only "
                    "reads never creates a database)")
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
        store = cls(db_path, _make_engine(db_path, waits), waits)
        try:
            from pctui.store.migrate import upgrade

            upgrade(store)
            store.database_id = store._ensure_reference_data()
        except Exception as exc:  # noqa: BLE001 - any open failure becomes one clear message
            store.close()
            if isinstance(exc, StoreError):
                raise
            detail = exc.orig if isinstance(exc, DBAPIError) else exc  # the driver's own words
            if "disk i/o" in str(detail).lower() and _nearly_full(db_path.parent):
                detail = "the disk is full"
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

