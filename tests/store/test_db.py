"""The database file: pragmas, migrations, and several sessions writing at once."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlmodel import select

from pctui.store import users
from pctui.store.db import Store
from pctui.store.migrate import alembic_config
from pctui.store.tables import AuditEntry, User


@pytest.mark.sqlite_only
def test_a_new_database_is_created_in_wal_mode_with_foreign_keys(db_path: Path) -> None:
    store = Store.open(db_path)
    with store.read() as session:
        assert session.exec(text("PRAGMA journal_mode")).one()[0] == "wal"
        assert session.exec(text("PRAGMA foreign_keys")).one()[0] == 1
        assert session.exec(text("PRAGMA busy_timeout")).one()[0] >= 5000
    raw = sqlite3.connect(db_path)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert raw.execute("select version_num from alembic_version").fetchone() == (head,)
    store.close()


def test_opening_twice_keeps_data_and_database_id(db_path: Path) -> None:
    first = Store.open(db_path)
    users.identify(first, "alice")
    first_id = first.database_id
    first.close()
    second = Store.open(db_path)
    assert second.database_id == first_id
    assert [u.login for u in users.list_users(second)] == ["alice"]
    second.close()


def test_a_failed_write_leaves_nothing(store: Store) -> None:
    before = len(users.list_users(store))
    try:
        with store.write() as session:
            session.add(User(login="carol", role="biller", created_at=users.audit.now()))
            session.flush()
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert len(users.list_users(store)) == before


def _writer(path: str, who: str, count: int) -> None:
    store = Store.open(path)
    for i in range(count):
        with store.write() as session:
            # read-then-write: the pattern that fails at once without BEGIN IMMEDIATE
            n = len(session.exec(select(AuditEntry)).all())
            users.audit.record(session, who, "test", i, f"{who}-{i}", "wrote", {"seen": n})
    store.close()


def test_two_processes_writing_at_once_both_succeed(db_path: Path) -> None:
    Store.open(db_path).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(db_path), who, 40)) for who in ("p1", "p2")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    store = Store.open(db_path)
    with store.read() as session:
        rows = session.exec(select(AuditEntry).where(AuditEntry.entity == "test")).all()
    assert sorted((r.user_login, r.entity_id) for r in rows) == sorted(
        (who, i) for who in ("p1", "p2") for i in range(40))
    store.close()


@pytest.mark.sqlite_only
def test_an_unusable_path_is_a_clear_error(tmp_path: Path) -> None:
    import pytest

    from pctui.store.db import StoreError

    with pytest.raises(StoreError, match="is a folder"):
        Store.open(tmp_path)


@pytest.mark.sqlite_only
def test_a_file_that_is_not_a_database_is_named_plainly(tmp_path: Path) -> None:
    import pytest

    from pctui.store.db import StoreError

    bad = tmp_path / "notes.db"
    bad.write_text("this is not sqlite\n" * 20)
    with pytest.raises(StoreError) as failed:
        Store.open(bad)
    assert str(failed.value) == f"cannot open database {bad}: file is not a database"
    assert bad.read_text().startswith("this is not sqlite")  # untouched
