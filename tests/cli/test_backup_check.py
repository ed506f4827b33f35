"""`pctui backup` copies a live database consistently (including what is still only in its
-wal); `pctui check` says whether the file is whole and every claim adds up."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.accounts import run_pctui

from pctui.store import demo

# Backups are of SQLite files (PostgreSQL: pg_dump, and pctui says so); `pctui check` runs on both.

WRITER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("insert or ignore into meta (key, value) values ('bk-count', '0')")
print("ready", flush=True)
for i in range(1, 100_000):
    db.execute("BEGIN IMMEDIATE")
    db.execute("insert into auditentry (at, user_login, entity, entity_label, action, changes) "
               "values ('2026-12-01 00:00:00', 'w', 'bk', '', 'wrote', '{}')")
    db.execute("update meta set value = ? where key = 'bk-count'", (str(i),))
    db.execute("COMMIT")
"""


@pytest.mark.sqlite_only
def test_a_backup_taken_while_another_session_writes_is_consistent(store, db_path: Path,
                                                                   tmp_path: Path) -> None:
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline() == "ready\n"
        done = run_pctui("--db", str(db_path), "backup", str(tmp_path / "copy.db"), "--json")
    finally:
        writer.kill()
        writer.wait()
    assert done.returncode == 0, done.stderr
    copy = Path(json.loads(done.stdout)["file"])
    assert copy == tmp_path / "copy.db"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    raw = sqlite3.connect(copy)
    assert raw.execute("pragma integrity_check").fetchone() == ("ok",)
    rows = raw.execute("select count(*) from auditentry where entity = 'bk'").fetchone()[0]
    counted = int(raw.execute("select value from meta where key = 'bk-count'").fetchone()[0])
    assert rows == counted > 0  # one moment: every transaction wholly in, or wholly out
    assert raw.execute("pragma journal_mode").fetchone() == ("delete",)  # one file, no -wal
    raw.close()


@pytest.mark.sqlite_only
def test_a_backup_keeps_what_is_only_in_the_wal_which_copying_the_file_loses(
    store, admin, secrets, db_path: Path, tmp_path: Path
) -> None:
    holder = sqlite3.connect(db_path)  # an open session: nothing is checkpointed meanwhile
    holder.execute("pragma wal_autocheckpoint=0")
    holder.execute("select count(*) from payer").fetchone()
    demo.build_demo(store, admin, secrets)
    shutil.copyfile(db_path, tmp_path / "cp.db")  # what `cp pctui.db` gives
    done = run_pctui("--db", str(db_path), "backup", str(tmp_path))
    holder.close()
    assert done.returncode == 0, done.stderr
    (copy,) = [p for p in tmp_path.iterdir() if p.name.startswith("pctui-")]
    assert done.stdout.startswith(f"Backed up {db_path} to {copy} (")
    payers = sqlite3.connect(copy).execute("select count(*) from payer").fetchone()[0]
    assert payers == 5
    try:
        lost = sqlite3.connect(tmp_path / "cp.db").execute("select count(*) from payer")
        assert lost.fetchone()[0] < payers
    except sqlite3.DatabaseError:
        pass  # or the plain copy is not even readable


@pytest.mark.sqlite_only
def test_a_backup_never_replaces_a_file(store, db_path: Path, tmp_path: Path) -> None:
    existing = tmp_path / "monday.db"
    existing.write_text("last week's backup")
    done = run_pctui("--db", str(db_path), "backup", str(existing))
    assert done.returncode == 1
    assert done.stderr == (f"pctui: {existing} already exists: a backup never replaces a file "
                           "(give a new name, or a folder to get a dated name)\n")
    assert existing.read_text() == "last week's backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["monday.db", "pctui.db",
                                                          "pctui.db-shm", "pctui.db-wal"]


def test_backup_of_a_missing_database_creates_nothing(tmp_path: Path) -> None:
    done = run_pctui("--db", str(tmp_path / "nope.db"), "backup", str(tmp_path / "b.db"))
    assert done.returncode == 1 and "does not exist" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_check_passes_a_sound_database(store, admin, secrets, db_path: Path, backend) -> None:
    demo.build_demo(store, admin, secrets)
    done = run_pctui("--db", str(db_path), "check")
    assert done.returncode == 0, done.stdout + done.stderr
    sound = {"sqlite": "the file is sound and every claim adds up (",
             "postgresql": "every claim adds up ("}[backend]  # no file to speak of on a server
    assert done.stdout.startswith(f"{db_path}: {sound}")


def test_check_finds_a_claim_whose_ledger_does_not_add_up(store, admin, secrets,
                                                         db_path: Path) -> None:
    demo.build_demo(store, admin, secrets)
    with store.engine.begin() as conn:
        claim_pk, claim_id = conn.execute(
            text("select id, claim_id from claim order by claim_id")).first()
        conn.execute(text(
            "insert into ledgerentry (claim_pk, kind, party, amount_cents, code, group_code, "
            "reason_code, batch, memo, created_at, created_by) values "
            "(:pk, 'transfer', 'secondary', 100, '', '', '', '', '', :at, 'x')"),
            {"pk": claim_pk, "at": datetime(2026, 12, 1, tzinfo=UTC)})  # half of a transfer
    done = run_pctui("--db", str(db_path), "check", "--json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["ok"] is False and report["ledger_problems"] == 1
    assert report["ledger"][0].startswith(f"claim {claim_id}: charge ")


def test_backup_of_a_postgresql_database_points_to_pg_dump(pg_url: str, tmp_path: Path) -> None:
    done = run_pctui("--db", pg_url, "backup", str(tmp_path / "b.db"))
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == ("pctui: pctui backup copies SQLite databases; back a PostgreSQL "
                           "database up with pg_dump\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.sqlite_only
def test_check_finds_damaged_pages_without_a_traceback(store, admin, secrets,
                                                      db_path: Path) -> None:
    demo.build_demo(store, admin, secrets)
    store.close()
    raw = sqlite3.connect(db_path)
    raw.execute("pragma wal_checkpoint(truncate)")
    pages = raw.execute("pragma page_count").fetchone()[0]
    raw.close()
    data = bytearray(db_path.read_bytes())
    middle = (pages // 2) * 4096
    data[middle:middle + 4096 * 3] = os.urandom(4096 * 3)
    db_path.write_bytes(bytes(data))
    done = run_pctui("--db", str(db_path), "check")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "PROBLEMS FOUND" in done.stdout or "damaged" in done.stderr or \
        "malformed" in done.stderr
