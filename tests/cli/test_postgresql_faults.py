"""What an administrator reads when PostgreSQL is not as pctui needs it (issue 12): the server
named (never its password), the cause in words, no SQL and no traceback — and nothing half
done. Each case is a real server state: a silent server, a role or database that does not
exist, a role that may not create pctui's tables, a read-only reporting role."""

from __future__ import annotations

import os
import socket
import time
import uuid
from pathlib import Path

import pytest
from tests import pgcluster
from tests.backends import rows
from tests.cli.scenarios import file_835

from pctui import cli
from pctui.store import db as store_db
from pctui.store import users

SQL_WORDS = ("SELECT", "INSERT", "CREATE TABLE", "UPDATE ", "LINE 1", "[SQL", "Traceback")


def run(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def no_sql(text: str) -> None:
    for word in SQL_WORDS:
        assert word not in text, (word, text)


def test_a_server_that_never_answers_is_given_up_on_after_the_connect_timeout(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host that takes the connection and then says nothing (a hung server, a firewall
    swallowing packets): pctui stops waiting after its connect timeout and says so."""
    monkeypatch.setattr(store_db, "CONNECT_TIMEOUT_S", 2)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)  # accepted by the kernel, never answered
        port = silent.getsockname()[1]
        started = time.monotonic()
        code, out, err = run("--db", f"postgresql://billing:pw-x9y8@127.0.0.1:{port}/pctui",
                             "eras", capsys=capsys)  # fmt: skip
        waited = time.monotonic() - started
    assert code == 1 and out == ""
    assert err.startswith(
        f"pctui: cannot open database postgresql://billing:***@127.0.0.1:{port}/pctui: ")
    assert "timeout" in err.lower()
    assert "pw-x9y8" not in err
    no_sql(err)
    assert 1.5 < waited < 20


def _url_as(role: str, database: str) -> str:
    """The test cluster's address (its Unix socket), as ``role`` on ``database``."""
    from pctui.store.db import server_url

    url = server_url(os.environ[pgcluster.ENV_URL]).set(username=role, database=database)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _admin(sql: str) -> None:
    with pgcluster._admin_connection(os.environ[pgcluster.ENV_URL]) as conn:
        conn.execute(sql)


@pytest.fixture
def role(pg_url: str):
    """A login role of the test cluster with no privileges of its own; dropped afterwards."""
    name = f"r_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE ROLE "{name}" LOGIN')
    yield name
    with pgcluster._admin_connection(pg_url) as conn:  # its grants live in the test's database
        conn.execute(f'DROP OWNED BY "{name}"')
    _admin(f'DROP ROLE IF EXISTS "{name}"')


def test_a_role_or_database_that_does_not_exist_is_named(
    pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    name = pgcluster.database_name(pg_url)
    for url, missing in ((_url_as("nobody_here", name), 'role "nobody_here" does not exist'),
                         (_url_as("postgres", "no_such_db"),
                          'database "no_such_db" does not exist')):  # fmt: skip
        code, out, err = run("--db", url, "users", "add", "dave", "--role", "biller",
                             capsys=capsys)  # fmt: skip
        assert code == 1 and out == ""
        assert err.startswith("pctui: cannot open database postgresql://"), err
        assert missing in err
        no_sql(err)


def test_a_role_that_may_not_create_pctuis_tables_is_told_and_nothing_is_made(
    pg_url: str, role: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's setup makes the role own its database; a database created by someone else
    (PostgreSQL 15: nobody else may create tables in ``public``) is a message, not a half-made
    schema."""
    with pgcluster._admin_connection(os.environ[pgcluster.ENV_URL]) as conn:
        empty = f"e_{uuid.uuid4().hex[:10]}"
        conn.execute(f'CREATE DATABASE "{empty}"')
    try:
        code, out, err = run("--db", _url_as(role, empty), "users", "add", "dave", "--role",
                             "biller", capsys=capsys)  # fmt: skip
        assert code == 1 and out == ""
        assert err.startswith("pctui: "), err
        assert "permission denied for schema public (the role pctui connects as lacks a " \
               "privilege it needs: it should own the database — README: PostgreSQL)" in err
        no_sql(err)
        with pgcluster._admin_connection(_url_as("postgres", empty)) as conn:
            tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            assert tables.fetchone()[0] == 0
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{empty}" WITH (FORCE)')


def test_a_read_only_reporting_role_reads_but_its_import_is_refused_in_words(
    pg_url: str, role: str, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reporting tools get a role that may only SELECT: pctui's lists work for it, and a write
    says the role lacks a privilege — nothing saved, no SQL quoted."""
    monkeypatch.setattr(users, "os_login", lambda: "carol")
    assert run("--db", pg_url, "users", "add", "carol", "--role", "admin", capsys=capsys)[0] == 0
    with pgcluster._admin_connection(pg_url) as conn:
        conn.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
    name = pgcluster.database_name(pg_url)
    reader = _url_as(role, name)
    code, out, err = run("--db", reader, "users", "list", "--json", capsys=capsys)
    assert code == 0, err
    assert '"carol"' in out
    before = rows(pg_url, "select count(*) from importedfile")
    era = tmp_path / "one.835"
    era.write_text(file_835("CHK1", "80.00", [
        "CLP*PCN1*1*100.00*80.00**12*CLAIM1", "SVC*HC:99213*100.00*80.00**1",
        "DTM*472*20261101", "CAS*CO*45*20.00"]))
    code, out, err = run("--db", reader, "import", str(era), capsys=capsys)
    assert code != 0
    assert "lacks a privilege" in err, err
    no_sql(err)
    assert rows(pg_url, "select count(*) from importedfile") == before


@pytest.mark.parametrize("url", ["postgresql://billing:pw-x9y8@db.internal:54x2/pctui",
                                 "postgresql://billing:pw-x9y8@[::1/pctui"])
def test_a_mistyped_url_is_named_as_such_without_its_password(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo in the port or the host (in PCTUI_DB or --db) is a wrong address, not an
    "internal error"; nothing is tried, and the password is not shown."""
    code, out, err = run("--db", url, "eras", capsys=capsys)
    assert code == 1 and out == ""
    assert err.startswith("pctui: not a valid PostgreSQL URL: postgresql://billing:***@"), err
    assert "expected postgresql://user@host:port/dbname" in err
    assert "pw-x9y8" not in err and "internal error" not in err
    no_sql(err)


def test_with_no_keyring_file_set_the_keyring_commands_say_to_set_one(
    backend: str, db_path: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On PostgreSQL the encrypted keyring file has no place until PCTUI_KEYRING_FILE names
    one: `demo` and `connections key` say that, not that a passphrase is missing."""
    if backend == "sqlite":
        pytest.skip("a SQLite database keeps its keyring file beside it")
    monkeypatch.setattr(users, "os_login", lambda: "carol")
    monkeypatch.setenv("PCTUI_KEYRING", "file")
    monkeypatch.setenv("PCTUI_KEYRING_PASSPHRASE", "correct horse battery")
    monkeypatch.delenv("PCTUI_KEYRING_FILE", raising=False)
    code, out, err = run("--db", db_path, "demo", capsys=capsys)
    assert code == 0, err
    assert "demo API keys were not stored: no keyring file is set" in out
    assert "set PCTUI_KEYRING_FILE" in out
    assert "PCTUI_KEYRING_PASSPHRASE" not in out

    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("sk-live-ABCDEFGH1234\n"))
    code, out, err = run("--db", db_path, "connections", "key", "BCBS TX direct API",
                         capsys=capsys)  # fmt: skip
    assert code == 1 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and "no keyring file is set" in lines[0], err
    assert "PCTUI_KEYRING_FILE" in lines[0] and "sk-live" not in err
