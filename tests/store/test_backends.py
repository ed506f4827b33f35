"""The same database on SQLite and on PostgreSQL: schema, types, URLs, and what a user is told."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import BigInteger, create_engine, inspect
from sqlmodel import SQLModel, select
from tests import pgcluster

from pctui import cli
from pctui.store import users
from pctui.store.db import Store, StoreError, is_server_url, server_url
from pctui.store.migrate import compare_type
from pctui.store.tables import AuditEntry, Era, ImportedFile


def test_tables_and_migrations_describe_the_same_schema(store: Store) -> None:
    """What the migrations built is exactly what tables.py declares, types included."""
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": compare_type,
                                                         "target_metadata": SQLModel.metadata})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_every_money_column_is_64_bit() -> None:
    """A new ``*_cents`` column needs ``Field(sa_type=BigInteger)`` (and BIGINT in its migration):
    PostgreSQL's INTEGER is 32-bit."""
    narrow = [f"{table.name}.{column.name}" for table in SQLModel.metadata.sorted_tables
              for column in table.columns
              if column.name.endswith("_cents") and not isinstance(column.type, BigInteger)]
    assert narrow == []


def test_a_payment_over_21_million_dollars_is_kept_to_the_cent(store: Store) -> None:
    """PostgreSQL's INTEGER stops at 2,147,483,647 cents: money columns are 64-bit."""
    amount = 98_765_432_109_876  # $987,654,321,098.76
    with store.write() as session:
        file = ImportedFile(filename="big.835", sha256="0" * 64, kind="835", status="imported",
                            loaded_at=datetime.now(UTC))  # fmt: skip
        session.add(file)
        session.flush()
        session.add(Era(file_id=file.id, check_number="EFT-BIG", inbound_id="12345",
                        inbound_id_source="N1_PR_REF_2U", amount_cents=amount,
                        loaded_at=datetime.now(UTC)))  # fmt: skip
    with store.read() as session:
        era = session.exec(select(Era).where(Era.check_number == "EFT-BIG")).one()
    assert era.amount_cents == amount


def test_timestamps_come_back_in_utc_with_their_zone(store: Store) -> None:
    moment = datetime(2026, 11, 22, 23, 30, 15, 123456, tzinfo=UTC)
    with store.write() as session:
        users.audit.record(session, "alice", "test", 1, "one", "wrote", {})
        session.flush()
        entry = session.exec(select(AuditEntry).where(AuditEntry.entity == "test")).one()
        entry.at = moment
        session.add(entry)
    with store.read() as session:
        stored = session.exec(select(AuditEntry).where(AuditEntry.entity == "test")).one().at
    assert stored == moment and stored.utcoffset() is not None


def test_a_database_holding_other_tables_is_refused_and_left_alone(backend: str, make_db) -> None:
    location = make_db("theirs.db", blank=True)
    if backend == "sqlite":
        with sqlite3.connect(location) as raw:
            raw.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER)")
    else:
        engine = create_engine(server_url(str(location)))
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER)")
        engine.dispose()
    with pytest.raises(StoreError, match=r"already holds tables that are not pctui's \(invoices\)"):
        Store.open(location)
    engine = create_engine(f"sqlite:///{location}" if backend == "sqlite"
                           else server_url(str(location)))  # fmt: skip
    assert inspect(engine).get_table_names() == ["invoices"]  # nothing was added
    engine.dispose()


@pytest.mark.parametrize(
    ("text", "server"),
    [("postgresql://billing@db.internal/pctui", True), ("postgres://db/pctui", True),
     ("postgresql+psycopg://db/pctui", True), ("/srv/billing/pctui.db", False),
     ("pctui.db", False), ("sqlite:///x.db", False), ("postgresql.db", False)],
)  # fmt: skip
def test_a_url_means_postgresql_and_anything_else_a_file(text: str, server: bool) -> None:
    assert is_server_url(text) is server


def test_a_server_that_does_not_answer_is_named_without_its_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    started = time.monotonic()
    code = cli.main(["--db", "postgresql://billing:s3cret-pw@127.0.0.1:1/pctui", "eras"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.startswith("pctui: cannot open database postgresql://billing:***@127.0.0.1:1/pctui: ")
    assert "s3cret-pw" not in err and "Traceback" not in err
    assert "refused" in err.lower() or "failed" in err.lower()
    assert time.monotonic() - started < 30


def test_pctui_db_may_name_a_postgresql_database(
    backend: str, db_path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """PCTUI_DB=postgresql://… works like --db: the schema is created on first use."""
    monkeypatch.setattr(users, "os_login", lambda: "carol")
    monkeypatch.setenv("PCTUI_DB", str(db_path))
    assert cli.main(["users", "add", "dave", "--role", "biller"]) == 0
    capsys.readouterr()
    assert cli.main(["users", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"login": "carol", "role": "admin", "active": True},
        {"login": "dave", "role": "biller", "active": True}]
    store = Store.open(db_path)
    assert store.backend == backend
    assert store.path == (Path(db_path) if backend == "sqlite" else None)
    store.close()


def test_postgresql_columns_have_the_types_that_mean_the_same_as_on_sqlite(pg_url: str) -> None:
    store = Store.open(pg_url)
    columns = {c["name"]: str(c["type"]) for c in inspect(store.engine).get_columns("era")}
    assert columns["amount_cents"] == "BIGINT"
    assert columns["loaded_at"] == "TIMESTAMP"  # reflected name; the zone is checked below
    with store.engine.connect() as conn:
        kinds = dict(conn.exec_driver_sql(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name IN ('era', 'importedfile', 'payer')").all())
    assert kinds["loaded_at"] == "timestamp with time zone"
    assert kinds["active"] == "boolean"
    assert kinds["content"] == "bytea"
    assert kinds["detail"] == "text"
    store.close()


def test_a_postgresql_store_is_labelled_without_a_password(pg_url: str) -> None:
    url = server_url(pg_url).set(password="s3cret-pw", drivername="postgresql")
    store = Store.open(url.render_as_string(hide_password=False))  # trust auth ignores it
    assert "s3cret-pw" not in store.label and "***" in store.label
    store.close()


def test_the_test_cluster_is_private_to_this_run() -> None:
    """The throwaway server listens on a Unix socket in a folder only its owner can open."""
    url = os.environ.get(pgcluster.ENV_URL)
    if not url or "host=/" not in url.replace("%2F", "/"):
        pytest.skip("no throwaway cluster in this run")
    folder = Path(server_url(url).query["host"])
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert list(folder.glob(".s.PGSQL.*"))


def test_a_reading_command_on_a_database_pctui_never_set_up_says_so_and_changes_nothing(
    pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    admin = os.environ[pgcluster.ENV_URL]
    blank = pgcluster.create_database(admin, template=None)
    try:
        assert cli.main(["--db", blank, "eras"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("pctui: postgresql://postgres@/") and "has no pctui tables" in err
        engine = create_engine(server_url(blank))
        assert inspect(engine).get_table_names() == []  # not migrated by a reading command
        engine.dispose()
    finally:
        pgcluster.drop_database(admin, pgcluster.database_name(blank))
