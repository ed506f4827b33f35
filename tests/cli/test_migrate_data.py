"""Moving to PostgreSQL: `pctui migrate-data SQLITE_PATH POSTGRES_URL` copies everything, checked
to the cent on arrival, and only into an empty database; `config export` / `config import`
moves just the setup.

The target is the test's backend: on [postgresql] a SQLite file is copied into PostgreSQL (the
trip a growing billing company makes), on [sqlite] into another SQLite file.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import SQLModel, func, select
from tests.backends import rows

from pctui import cli
from pctui.secrets import SecretStore
from pctui.store import demo, release, transfer, users
from pctui.store.db import Store

ME = "alice"


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(users, "os_login", lambda: ME)

    def invoke(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


@pytest.fixture
def demo_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo practice in a SQLite file, with one payment released (a ledger with postings)."""
    monkeypatch.setattr(users, "os_login", lambda: ME)
    path = tmp_path / "practice.db"
    store = Store.open(path)
    actor = users.identify(store)
    demo.build_demo(store, actor, SecretStore.in_memory())
    ready = [row[0] for row in rows(path, "select id from era where status = 'pending' "
                                          "order by id")]  # fmt: skip
    results = release.release_eras(store, actor, ready, date(2026, 11, 30), "MOVE-1")
    assert any(r.released for r in results)
    store.close()
    return path


def counts(location: Path | str) -> dict[str, int]:
    store = Store.open(location, create=False)
    with store.read() as session:
        found = {t.name: session.exec(select(func.count()).select_from(t)).one()
                 for t in SQLModel.metadata.sorted_tables}
    store.close()
    return found


def listing(run, location: Path | str, *argv: str):  # noqa: ANN001, ANN201
    code, out, err = run("--db", str(location), *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_the_demo_practice_moves_whole_and_balances_to_the_cent(
    run, demo_db: Path, make_db
) -> None:
    target = make_db("moved.db", blank=True)
    before = counts(demo_db)
    code, out, err = run("migrate-data", str(demo_db), str(target))
    assert (code, err) == (0, "")
    assert out.startswith(f"Copied {demo_db} to ")
    assert "Checked on arrival: every table's row count, and 13 claims balanced to the cent" in out
    assert "  ledger entries" in out and "  835 payments" in out

    after = counts(target)
    assert after.pop("auditentry") == before.pop("auditentry") + 1  # "copied in", by whom
    assert after == before
    for argv in (["claims"], ["eras"], ["users", "list"]):
        assert listing(run, target, *argv) == listing(run, demo_db, *argv), argv
    code, exported, _ = run("--db", str(target), "config", "export")
    assert exported == run("--db", str(demo_db), "config", "export")[1]
    # the same database id: keys filed under it in the keyring are found from the copy
    assert rows(target, "select value from meta where key = 'database_id'") == rows(
        demo_db, "select value from meta where key = 'database_id'")


def test_the_summary_names_what_was_copied_in_words_never_table_names(
    run, demo_db: Path, make_db
) -> None:
    target = make_db("moved.db", blank=True)
    code, out, err = run("migrate-data", str(demo_db), str(target))
    assert (code, err) == (0, "")
    counted = [line for line in out.splitlines() if line.startswith("  ")]  # what, how many
    assert len(counted) > 10, out
    for line in counted:
        words, number = line.strip().rsplit(maxsplit=1)
        assert number.replace(",", "").isdigit(), line
        assert words in set(transfer.NOUNS.values()), line
    # what a release leaves behind reads as words
    for words in ("ledger entries", "posting records", "claim status changes", "releases"):
        assert f"  {words} " in out, words
    # table names that are no word of the summary's ("ledgerentry", "claimstatuschange", ...)
    raw = [t.name for t in SQLModel.metadata.sorted_tables
           if not any(re.search(rf"\b{t.name}\b", words) for words in transfer.NOUNS.values())]
    assert "claimstatuschange" in raw and "ledgerentry" in raw
    assert not [name for name in raw if re.search(rf"\b{name}\b", out)], out
    # a table added later without words still never shows joined letters
    assert transfer.noun("claim_thing") == "claim thing rows"
    assert not [t.name for t in SQLModel.metadata.sorted_tables if t.name not in transfer.NOUNS]


def test_the_copy_keeps_working_new_rows_get_new_ids(run, demo_db: Path, make_db) -> None:
    target = make_db("moved.db", blank=True)
    assert run("migrate-data", str(demo_db), str(target))[0] == 0
    assert run("--db", str(target), "users", "add", "zoe", "--role", "biller")[0] == 0
    logins = {u["login"] for u in listing(run, target, "users", "list")}
    assert {"alice", "zoe"} <= logins
    (highest,) = rows(target, "select max(id) from auditentry")[0]
    (copied,) = rows(demo_db, "select max(id) from auditentry")[0]
    assert highest > copied + 1  # the copy's own entry, then the new user's


def test_a_target_that_already_holds_data_is_refused_and_left_as_it_was(
    run, demo_db: Path, make_db
) -> None:
    target = make_db("busy.db", blank=True)
    assert run("--db", str(target), "users", "add", "bob", "--role", "biller")[0] == 0
    before = counts(target)
    code, out, err = run("migrate-data", str(demo_db), str(target))
    assert (code, out) == (1, "")
    assert err.startswith("pctui: migrate-data: ")
    assert "already holds data (users: 2, audit entries: 2)" in err  # alice (first, admin), bob
    assert err.rstrip().endswith("copies only into an empty database, so nothing was copied")
    assert counts(target) == before


def test_a_difference_found_on_arrival_commits_nothing(
    run, demo_db: Path, make_db, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check is real: make the target's ledger read one cent off and the copy is undone."""
    target = make_db("moved.db", blank=True)
    real = transfer._claim_totals
    calls = {"n": 0}

    def one_cent_off(conn, pks):  # noqa: ANN001, ANN202
        totals = real(conn, pks)
        calls["n"] += 1
        if calls["n"] == 2:  # the target's half of the first page
            pk = pks[0]
            charge, paid, adjusted, balances = totals[pk]
            totals[pk] = (charge, paid + 1, adjusted, balances)
        return totals

    monkeypatch.setattr(transfer, "_claim_totals", one_cent_off)
    code, _, err = run("migrate-data", str(demo_db), str(target))
    assert code == 1
    assert "does not match the source after the copy; nothing was copied" in err
    assert counts(target)["claim"] == 0 and counts(target)["ledgerentry"] == 0


def test_only_an_admin_of_the_source_may_copy_it(
    run, demo_db: Path, make_db, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("--db", str(demo_db), "users", "add", "bob", "--role", "biller")[0] == 0
    monkeypatch.setattr(users, "os_login", lambda: "bob")
    target = make_db("moved.db", blank=True)
    code, _, err = run("migrate-data", str(demo_db), str(target))
    assert code == 1 and "admin" in err
    assert counts(target)["claim"] == 0


def test_a_missing_source_is_named_and_creates_nothing(run, tmp_path: Path, make_db) -> None:
    target = make_db("moved.db", blank=True)
    code, _, err = run("migrate-data", str(tmp_path / "nope.db"), str(target))
    assert code == 1 and f"{tmp_path / 'nope.db'} does not exist" in err
    assert not (tmp_path / "nope.db").exists()


def test_the_setup_alone_moves_with_config_export_and_import(
    run, demo_db: Path, make_db, tmp_path: Path
) -> None:
    target = make_db("setup-only.db", blank=True)
    doc = tmp_path / "setup.json"
    assert run("--db", str(demo_db), "config", "export", "--output", str(doc))[0] == 0
    code, out, err = run("--db", str(target), "config", "import", str(doc))
    assert (code, err) == (0, ""), err
    assert run("--db", str(target), "config", "export")[1] == doc.read_text(encoding="utf-8")
    assert listing(run, target, "claims") == []  # the setup only: no claims, no payments


@pytest.mark.slow
def test_a_20000_claim_practice_moves_into_postgresql_to_the_cent(
    run, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A generated practice: 20,000 two-line claims and a released 835 paying them (about
    200,000 ledger entries). Every claim's balances read back equal, to the cent."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import bench_release

    path, era_id, _ = bench_release._prepared(20_000, tmp_path)
    store = Store.open(path)
    actor = users.identify(store, "bench")
    assert release.release_era(store, actor, era_id, date(2026, 11, 3), "BIG-1").released
    store.close()
    monkeypatch.setattr(users, "os_login", lambda: "bench")
    code, out, err = run("migrate-data", str(path), pg_url, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["claims_checked"] == 20_000 and report["rows"]["claim"] == 20_000
    assert report["rows"]["ledgerentry"] > 100_000
    code, theirs, _ = run("--db", str(path), "claims", "--json")
    code2, ours, _ = run("--db", pg_url, "claims", "--json")
    assert code == code2 == 0
    assert json.loads(ours) == json.loads(theirs)


def test_a_source_that_does_not_exist_is_named_as_the_database_to_copy_from(
    run, tmp_path: Path, make_db
) -> None:
    target = make_db("moved.db", blank=True)
    missing = tmp_path / "srv" / "nosuch.db"
    code, out, err = run("migrate-data", str(missing), str(target))
    assert (code, out) == (1, "")
    assert err == (f"pctui: migrate-data: {missing} does not exist (the database to copy "
                   "from); nothing was copied\n")
    assert "--db" not in err and not missing.exists()
