"""Backups of a live database, and a check that it is whole and its ledger adds up.

``pctui backup DEST`` uses SQLite's online backup API: the copy is one consistent moment of the
database, taken while other sessions keep releasing and importing (the WAL lets it read a
snapshot without stopping writers), including what is still only in the ``-wal`` file — which
copying ``pctui.db`` with ``cp`` silently loses. The copy is written under a temporary name,
checked (``quick_check``), switched to a single self-contained file (rollback journal, no
``-wal``), made mode 0600 and only then given its name; an existing file is never replaced.
DEST may be a folder: the copy is named ``<database>-YYYYMMDD-HHMMSS.db`` inside it. The
encrypted keyring file beside the database, if any, is copied beside the backup (still
encrypted; the same passphrase opens it).

``pctui check`` runs SQLite's ``integrity_check`` and ``foreign_key_check`` and verifies, for
every claim, that charge = paid + adjusted + the balances of primary, secondary, tertiary and
patient (each summed from the ledger: a lost half of a transfer, or a reversal of an entry that
is gone, breaks it).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from pctui.core.money import display
from pctui.store import files
from pctui.store.db import BUSY_TIMEOUT_MS, Store, StoreError

CLAIM_PAGE = 5_000
MAX_LISTED = 50  # problems listed per kind; the count says how many more


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    keyring_copy: Path | None


def backup(store: Store, dest: Path | str) -> BackupResult:
    """A consistent copy of the live database at ``dest`` (see the module docstring)."""
    if store.engine.dialect.name != "sqlite":
        raise StoreError("pctui backup copies SQLite databases; back a PostgreSQL database up "
                         "with pg_dump")
    target = Path(dest).expanduser()
    if target.is_dir():
        target = target / f"{store.path.stem}-{datetime.now():%Y%m%d-%H%M%S}.db"
    if target.exists():
        raise StoreError(f"{target} already exists: a backup never replaces a file (give a new "
                         "name, or a folder to get a dated name)")
    if not target.parent.is_dir():
        raise StoreError(f"the folder {target.parent} does not exist")
    if target.resolve() == store.path.resolve():
        raise StoreError("the backup cannot be the database itself")
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        os.close(files.create_exclusive(temp, files.PRIVATE_MODE))
        source = sqlite3.connect(store.path, timeout=BUSY_TIMEOUT_MS / 1000)
        copy = sqlite3.connect(temp)
        try:
            source.backup(copy)  # one step: one read snapshot, writers carry on
            verdict = copy.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                raise StoreError(f"the copy of {store.path} failed its check ({verdict}); the "
                                 "database itself may be damaged: run `pctui check`")
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
            source.close()
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())
        os.link(temp, target)  # never over an existing file, even one made meanwhile
    except FileExistsError as exc:
        raise StoreError(f"{target} already exists: a backup never replaces a file") from exc
    except OSError as exc:
        raise StoreError(f"cannot write the backup {target}: {exc.strerror or exc}") from exc
    except sqlite3.Error as exc:
        raise StoreError(f"cannot back up {store.path}: {exc}") from exc
    finally:
        for leftover in (temp, Path(f"{temp}-journal")):
            leftover.unlink(missing_ok=True)
    keyring = Path(f"{store.path}.keyring.cfg")
    keyring_copy = None
    if keyring.exists():
        keyring_copy = Path(f"{target}.keyring.cfg")
        try:
            with open(keyring, "rb") as src, os.fdopen(
                    files.create_exclusive(keyring_copy, files.PRIVATE_MODE), "wb") as dst:
                shutil.copyfileobj(src, dst)
        except OSError as exc:
            raise StoreError(f"the database was backed up to {target}, but its keyring file "
                             f"could not be copied: {exc.strerror or exc}") from exc
    return BackupResult(target, target.stat().st_size, keyring_copy)


@dataclass
class CheckReport:
    """What ``pctui check`` found. Empty problem lists mean the database is sound."""

    integrity: list[str] = field(default_factory=list)
    foreign_keys: list[str] = field(default_factory=list)
    ledger: list[str] = field(default_factory=list)
    claims_checked: int = 0
    ledger_problems: int = 0

    @property
    def ok(self) -> bool:
        return not (self.integrity or self.foreign_keys or self.ledger)

    def to_json(self) -> dict[str, object]:
        return {"ok": self.ok, "integrity": self.integrity, "foreign_keys": self.foreign_keys,
                "ledger": self.ledger, "claims_checked": self.claims_checked,
                "ledger_problems": self.ledger_problems}


def check(store: Store) -> CheckReport:
    """Integrity of the file and the ledger invariant of every claim (module docstring)."""
    report = CheckReport()
    if store.engine.dialect.name == "sqlite":
        raw = sqlite3.connect(store.path, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            report.integrity = [row[0] for row in raw.execute(
                f"PRAGMA integrity_check({MAX_LISTED})") if row[0] != "ok"]
            report.foreign_keys = [
                f"{table} row {rowid} points at a missing {parent} row"
                for table, rowid, parent, _ in raw.execute("PRAGMA foreign_key_check")
            ][:MAX_LISTED]
        except sqlite3.DatabaseError as exc:
            report.integrity.append(str(exc))
        finally:
            raw.close()
    try:
        _check_ledger(store, report)
    except DBAPIError as exc:  # damaged pages under the ledger
        report.ledger.append(f"the ledger cannot be read: {exc.orig}")
    return report


def _check_ledger(store: Store, report: CheckReport) -> None:
    from pctui.store.claims import claim_balances

    offset = 0
    with store.read() as session:
        while True:
            page = claim_balances(session, None, offset, CLAIM_PAGE)
            for row in page:
                owed = sum(row.balance.values())
                if row.charge != row.paid + row.adjusted + owed:
                    report.ledger_problems += 1
                    if len(report.ledger) < MAX_LISTED:
                        report.ledger.append(
                            f"claim {row.claim_id}: charge {display(row.charge)} is not paid "
                            f"{display(row.paid)} + adjusted {display(row.adjusted)} + "
                            f"balances {display(owed)}")
            report.claims_checked += len(page)
            offset += len(page)
            if len(page) < CLAIM_PAGE:
                break
