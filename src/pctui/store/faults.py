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


def _os_fault(error: OSError) -> str:
    name = f" {error.filename}" if error.filename else ""
    if error.errno == errno.ENOSPC:
        return f"the disk is full{' (writing' + name + ')' if name else ''}: nothing was saved"
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied:{name or ' a file pctui needs'}"
    if error.errno == errno.EROFS:
        return f"read-only file system:{name or ' a file pctui needs'}"
    return f"{error.strerror or type(error).__name__}:{name}".rstrip(":")
