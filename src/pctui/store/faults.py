"""Faults a user can meet with the database or the disk, in words — never a traceback.

The command line and the app both end every failure here (their top-level error policy): a
read-only database file, a full disk, a damaged file, a database busy for too long, a folder
that cannot be written. The message names the file and says what happened and whether anything
was saved. It never contains SQL or its parameters (patient data): the engine is created with
``hide_parameters=True`` as well, so even a developer's traceback does not show them.
"""

from __future__ import annotations

import errno
import sqlite3

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from pctui.store.db import StoreError


def _driver_error(exc: BaseException) -> BaseException:
    return exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc


def explain(exc: BaseException, where: object) -> str | None:
    """A plain message for ``exc`` if it is a database or file-system fault, else None.

    ``where`` names the database (its path, or a URL without a password)."""
    if isinstance(exc, StoreError):
        return str(exc)
    error = _driver_error(exc)
    if isinstance(error, OSError):
        return _os_fault(error)
    if isinstance(error, sqlite3.Error):
        return _sqlite_fault(error, where)
    server = _server_fault(exc, error, where)
    if server is not None:
        return server
    if isinstance(exc, SQLAlchemyError):
        # Another driver's words may quote the values of a row: name the kind only.
        return (f"the database {where} refused the operation ({type(error).__name__}); "
                "nothing was saved")
    return None


def _sqlite_fault(error: sqlite3.Error, where: object) -> str:
    text = str(error).lower()
    if "locked" in text or "busy" in text:
        return (f"the database {where} is busy: another session kept it locked too long; "
                "nothing was saved — try again in a moment")
    if "readonly" in text or "read-only" in text:
        return (f"cannot write to {where}: the database (or its folder) is read-only for you, "
                "so nothing was saved; an admin can check its permissions (README: shared setup)")
    if "full" in text:
        return f"the disk holding {where} is full: nothing was saved; free some space and retry"
    if "disk i/o" in text:
        return f"the disk holding {where} failed to read or write (disk I/O error): nothing was saved"
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return (f"{where} is damaged ({error}): run `pctui check`, and restore it from a "
                "backup (README: backups)")
    if "unable to open" in text:
        return (f"cannot open {where}: check that the file and its folder exist and that you "
                "may read and write them")
    if isinstance(error, sqlite3.IntegrityError):
        return f"the database {where} refused the change ({error}); nothing was saved"
    return f"the database {where} failed: {error}; nothing was saved"


# PostgreSQL's SQLSTATE classes and codes (psycopg puts them on the error as ``sqlstate``).
_SERVER_WORDS = {
    "55P03": "is busy: another session kept what this needed locked too long; nothing was saved "
             "— try again in a moment",
    "40P01": "stopped this change because it crossed another session's (a deadlock); nothing "
             "was saved — try again",
    "40001": "stopped this change because another session changed the same data at the same "
             "time; nothing was saved — try again",
    "25006": "is read-only for this session (a standby server, or default_transaction_read_only);"
             " nothing was saved",
    "53100": "server's disk is full: nothing was saved",
    "53200": "server ran out of memory: nothing was saved",
    "53300": "server has no free connection slots (too many connections); nothing was saved — "
             "try again in a moment",
    "57P01": "server is shutting down; nothing was saved — try again when it is back",
    "42501": "refused: the role pctui connects as lacks a privilege it needs (README: "
             "PostgreSQL); nothing was saved",
}


def _server_fault(exc: BaseException, error: BaseException, where: object) -> str | None:
    """PostgreSQL's faults in words. Its messages may quote a row's values, so only the
    SQLSTATE picks the words, never the server's own text."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return (f"the connection to the database server ({where}) was lost; nothing was saved "
                "(the server rolled the transaction back) — pctui reconnects on the next try")
    state = getattr(error, "sqlstate", None)
    if not state:
        if type(error).__name__ == "OperationalError" and type(error).__module__.startswith(
                "psycopg"):
            # No SQLSTATE: the connection itself failed (the server stopped or restarted under
            # the query, or the network dropped); the server's own words are left out.
            return (f"the connection to the database server ({where}) failed or was lost; "
                    "nothing was saved (the server rolls back what it did not commit) — check "
                    "that the server is running; pctui reconnects on the next try")
        return None
    words = _SERVER_WORDS.get(state)
    if words is not None:
        return f"the database {where} {words}"
    if state.startswith("08"):
        return (f"cannot reach the database server ({where}): nothing was saved — check that "
                "it is running and reachable, then try again")
    if state.startswith("23"):
        return (f"the database {where} refused the change (it would break one of its rules, "
                f"{type(error).__name__}); nothing was saved")
    return None


def _os_fault(error: OSError) -> str:
    name = f" {error.filename}" if error.filename else ""
    if error.errno == errno.ENOSPC:
        return f"the disk is full{' (writing' + name + ')' if name else ''}: nothing was saved"
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied:{name or ' a file pctui needs'}"
    if error.errno == errno.EROFS:
        return f"read-only file system:{name or ' a file pctui needs'}"
    return f"{error.strerror or type(error).__name__}:{name}".rstrip(":")
