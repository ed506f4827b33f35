"""A bad day on the billing server: another session holds the write lock, the database file is
read-only, the disk is full, the file is damaged, a bug. Each is one plain line on stderr —
never a traceback, never "database is locked", never the 835's patient data.

The lock and reading tests run on SQLite and on PostgreSQL (``db_path``); the file faults are
about a SQLite file (``tmp_path``, or ``sqlite_only``)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from tests.accounts import account, needs_root, run_pctui, run_pctui_command, run_pctui_env
from tests.backends import write_lock_held
from tests.cli.test_shared_server import ERA, registered

from pctui import cli
from pctui.core.codes import Role
from pctui.store import users
from pctui.store.db import Store

PATIENT = "BUDD"  # a patient named in the 835 used here


def no_leak(stderr: str) -> None:
    assert "Traceback" not in stderr
    assert "database is locked" not in stderr
    assert PATIENT not in stderr and "[SQL" not in stderr


def config_doc(tmp_path: Path) -> Path:
    doc = tmp_path / "config.json"
    doc.write_text(json.dumps({"payers": [{"code": "BCBS", "name": "Blue Cross",
                                           "insurance_class": "commercial",
                                           "inbound_ids": ["12345"], "outbound_id": ""}]}))
    return doc


# --- 4. locks ---------------------------------------------------------------------------------


def test_a_writer_says_it_waits_and_finishes_when_the_other_session_is_done(
    db_path: Path, tmp_path: Path
) -> None:
    registered(db_path)
    with write_lock_held(db_path):  # another session's write, held until we see the notice
        command = subprocess.Popen(
            [*run_pctui_command("--db", str(db_path), "config", "import",
                                str(config_doc(tmp_path)))],
            env=run_pctui_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            cwd="/")  # fmt: skip
        first = command.stderr.readline()
        assert first == "pctui: waiting for another session to finish writing to the database...\n"
        assert command.poll() is None  # still waiting, not failed
    out, rest = command.communicate(timeout=60)
    assert command.returncode == 0, rest
    no_leak(first + rest)
    assert out.startswith(f"{tmp_path / 'config.json'}: imported.")
    assert "BCBS" in run_pctui("--db", str(db_path), "config", "export").stdout


def test_a_writer_gives_up_with_a_message_after_its_bounded_wait(
    db_path: Path, tmp_path: Path
) -> None:
    registered(db_path)
    with write_lock_held(db_path):  # never let go while pctui runs: it must give up itself
        done = run_pctui("--db", str(db_path), "import", str(ERA),
                         env={"PCTUI_WRITE_WAIT": "2"}, timeout=60)
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1].startswith(
        f"pctui: the database {db_path} is busy: another session has been writing for more "
        "than 2 s, so this change was not made")
    no_leak(done.stderr)


def test_a_release_that_gives_up_waiting_says_why_once(db_path: Path) -> None:
    registered(db_path)
    assert run_pctui("--db", str(db_path), "import", str(ERA)).returncode == 0
    with write_lock_held(db_path):
        done = run_pctui("--db", str(db_path), "release", "1", "--deposit-date", "2026-12-01",
                         env={"PCTUI_WRITE_WAIT": "2"}, timeout=60)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        f"pctui: payment #1 was not released: the database {db_path} is busy: another session "
        "has been writing for more than 2 s, so this change was not made — try again later")
    no_leak(done.stderr)


@pytest.mark.parametrize("argv", [["users", "list"], ["eras", "--json"], ["claims"],
                                  ["config", "export"]])
def test_lookups_and_reading_commands_never_wait_for_a_writer(
    db_path: Path, argv: list[str]
) -> None:
    registered(db_path, ("bob", Role.BILLER))
    with write_lock_held(db_path):  # held until the command is over: it must not need it
        done = run_pctui("--db", str(db_path), *argv, env={"PCTUI_WRITE_WAIT": "1"})
    assert done.returncode == 0, done.stderr
    assert "waiting" not in done.stderr


def test_identifying_a_registered_user_takes_no_write_lock(db_path: Path) -> None:
    registered(db_path, ("bob", Role.BILLER))
    store = Store.open(db_path)
    store.waits.listener = lambda seconds: (_ for _ in ()).throw(AssertionError("waited"))
    with write_lock_held(db_path):
        started = time.monotonic()
        assert users.identify(store, "bob").role is Role.BILLER
        assert users.identify(store, "stranger").role is None
        assert time.monotonic() - started < 1
    store.close()


# --- 7. faults: read-only file, full disk, damaged file, bugs ---------------------------------


@needs_root
def test_a_database_that_is_read_only_for_you_is_a_message(shared_folder: Path) -> None:
    nobody = account("nobody")
    db = shared_folder / "pctui.db"
    registered(db, ("nobody", Role.BILLER))
    os.chmod(db, 0o640)  # the group may read, not write
    done = run_pctui("--db", str(db), "import", str(ERA), uid=nobody.pw_uid, gid=nobody.pw_gid)
    assert done.returncode == 1
    assert "read-only for you" in done.stderr or "permission denied" in done.stderr
    no_leak(done.stderr)
    raw = sqlite3.connect(db)
    assert raw.execute("select count(*) from era").fetchone() == (0,)
    raw.close()


@needs_root
def test_a_database_and_folder_only_readable_for_you_are_named_plainly(
        shared_folder: Path) -> None:
    """The group may read the file but not write it or its folder: SQLite cannot make the
    -wal/-shm files it needs even to read, so the message says what to change."""
    nobody = account("nobody")
    db = shared_folder / "pctui.db"
    registered(db, ("nobody", Role.BILLER))
    os.chmod(db, 0o640)
    os.chmod(shared_folder, 0o2750)
    done = run_pctui("--db", str(db), "eras", uid=nobody.pw_uid, gid=nobody.pw_gid)
    assert done.returncode == 1
    assert done.stderr == (
        f"pctui: cannot open {db}: it is read-only for you, and so is its folder, where SQLite "
        "keeps the -wal and -shm files every reader needs; an admin makes both group-writable "
        "(`pctui share GROUP`, README: a database shared by several accounts)\n")


@contextmanager
def small_disk(tmp_path: Path, size: str = "2m"):
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                        str(mount_point)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a small tmpfs here ({exc}); the full-disk case needs one")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def fill(folder: Path, leave_bytes: int) -> None:
    stats = os.statvfs(folder)
    free = stats.f_bavail * stats.f_frsize
    with open(folder / "filler", "wb") as filler:
        filler.write(b"\0" * max(0, free - leave_bytes))


def test_a_full_disk_during_import_is_a_message_and_nothing_half_written(tmp_path: Path) -> None:
    with small_disk(tmp_path) as disk:
        db = disk / "pctui.db"
        registered(db)
        fill(disk, 40_000)  # room to open the database, not to store the file
        done = run_pctui("--db", str(db), "import", str(ERA))
        assert done.returncode == 1
        assert "full" in done.stderr, done.stderr
        no_leak(done.stderr)
        (disk / "filler").unlink()
        raw = sqlite3.connect(db)
        assert raw.execute("select count(*) from era").fetchone() == (0,)
        assert raw.execute("pragma integrity_check").fetchone() == ("ok",)
        raw.close()


def test_a_full_disk_during_config_import_is_a_message(tmp_path: Path) -> None:
    with small_disk(tmp_path) as disk:
        db = disk / "pctui.db"
        registered(db)
        fill(disk, 40_000)
        done = run_pctui("--db", str(db), "config", "import", str(config_doc(tmp_path)))
        assert done.returncode == 1
        assert "full" in done.stderr, done.stderr
        no_leak(done.stderr)


def test_a_read_only_file_system_is_a_message(tmp_path: Path) -> None:
    with small_disk(tmp_path) as disk:
        db = disk / "pctui.db"
        registered(db)
        remounted = subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True)
        if remounted.returncode:
            pytest.skip("cannot remount the tmpfs read-only here")
        done = run_pctui("--db", str(db), "import", str(ERA))
        assert done.returncode == 1
        no_leak(done.stderr)
        assert done.stderr.startswith("pctui: ") and len(done.stderr.splitlines()) == 1


@pytest.mark.sqlite_only
def test_a_damaged_database_is_named_and_no_traceback(db_path: Path) -> None:
    registered(db_path)
    Store.open(db_path).close()
    data = bytearray(db_path.read_bytes())
    data[4096:8192] = b"\xff" * 4096  # a table page overwritten
    db_path.write_bytes(bytes(data))
    done = run_pctui("--db", str(db_path), "users", "list")
    assert done.returncode == 1
    assert f"{db_path} is damaged" in done.stderr or "cannot open database" in done.stderr
    no_leak(done.stderr)


def test_an_internal_error_is_one_line_without_the_data_it_carried(
    db_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pctui.store import claims

    registered(db_path)

    def broken(*_args, **_kwargs):
        raise KeyError("BUDD WILLIAM 33344555510")

    monkeypatch.setattr(claims, "list_claims", broken)
    assert cli.main(["--db", str(db_path), "claims"]) == 1
    out, err = capsys.readouterr()
    assert err == ("pctui: internal error (KeyError); nothing more is shown so that no patient "
                   "data reaches the terminal (set PCTUI_DEBUG=1 to see the details)\n")
    monkeypatch.setenv("PCTUI_DEBUG", "1")
    with pytest.raises(KeyError):
        cli.main(["--db", str(db_path), "claims"])


def test_usage_errors_show_control_characters_as_text(db_path: Path) -> None:
    done = run_pctui("--db", str(db_path), "eras", "--status", "\x1b[2Jready")
    assert done.returncode == 2
    assert "\x1b" not in done.stderr and "\\x1b[2Jready" in done.stderr


# --- 13. no core dumps -------------------------------------------------------------------------


def test_pctui_cannot_leave_a_core_dump(tmp_path: Path) -> None:
    snippet = (
        "from pctui.cli import main\n"
        "from pctui.hardening import core_dumps_disabled\n"
        "import resource\n"
        "print(core_dumps_disabled(), resource.getrlimit(resource.RLIMIT_CORE))\n"
        f"main(['--db', '{tmp_path / 'missing.db'}', 'eras'])\n"
        "print(core_dumps_disabled(), resource.getrlimit(resource.RLIMIT_CORE))\n"
    )
    done = run_pctui("--python", snippet)
    before, after = done.stdout.splitlines()
    assert after == "True (0, 0)"
    assert before != after  # it was pctui that turned them off


# --- 3. text from an 835 is printed as text ----------------------------------------------------


def test_escape_sequences_from_an_835_never_reach_the_terminal(tmp_path: Path) -> None:
    db = tmp_path / "pctui.db"
    registered(db)
    hostile = ERA.read_text().replace("N1*PR*RUSHMORE LIFE",
                                      "N1*PR*RUSHMORE\x1b[2J\x1b]0;owned\x07\u202eLIFE")
    era = tmp_path / "hostile.835"
    era.write_text(hostile)
    junk = tmp_path / "note\x1b[31m.835"
    junk.write_text("not an 835 at all\n")
    imported = run_pctui("--db", str(db), "import", str(era), str(junk))
    listed = run_pctui("--db", str(db), "eras")
    refused = run_pctui("--db", str(db), "eras", "--rejected")
    for done in (imported, listed, refused):
        for raw in ("\x1b", "\x07", "\u202e"):
            assert raw not in done.stdout + done.stderr
    assert "RUSHMORE\\x1b[2J\\x1b]0;owned\\x07\\u202eLIFE" in listed.stdout
    assert "note\\x1b[31m.835" in refused.stdout and "note\\x1b[31m.835" in imported.stdout


def test_a_60000_character_claims_search_is_a_usage_error(db_path: Path) -> None:
    registered(db_path)
    claims_file = ERA.with_name("837p-example1.837")
    assert run_pctui("--db", str(db_path), "import", str(claims_file)).returncode == 0
    done = run_pctui("--db", str(db_path), "claims", "--search", "x" * 60_000)
    assert done.returncode == 2
    assert "argument --search: at most 200 characters (60,000 given)" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr) < 1000


def test_the_store_refuses_an_overlong_search_from_any_screen(db_path: Path) -> None:
    from pctui.store import claims
    from pctui.store.errors import ValidationFailed

    registered(db_path)
    store = Store.open(db_path)
    with pytest.raises(ValidationFailed, match="at most 200 characters"):
        claims.list_claims(store, "x" * 60_000)
    store.close()


@pytest.mark.parametrize("option", ["--check", "--inbound"])
def test_a_60000_character_payment_filter_is_a_usage_error(db_path: Path, option: str) -> None:
    """Not "the database failed: LIKE or GLOB pattern too complex" (exit 1)."""
    registered(db_path)
    assert run_pctui("--db", str(db_path), "import", str(ERA)).returncode == 0
    done = run_pctui("--db", str(db_path), "eras", option, "x" * 60_000)
    assert done.returncode == 2, done.stderr
    assert f"argument {option}: at most 200 characters (60,000 given)" in done.stderr
    assert "database" not in done.stderr and "Traceback" not in done.stderr


def test_a_check_number_filter_is_taken_literally(db_path: Path) -> None:
    """`%` and `_` are characters of a check number, not wildcards matching every payment."""
    registered(db_path)
    assert run_pctui("--db", str(db_path), "import", str(ERA)).returncode == 0
    assert len(json.loads(run_pctui("--db", str(db_path), "eras", "--json").stdout)) == 1
    for text in ("%", "_", "%_%"):
        done = run_pctui("--db", str(db_path), "eras", "--check", text, "--json")
        assert (done.returncode, json.loads(done.stdout)) == (0, []), text


def test_the_store_refuses_an_overlong_payment_search_from_any_screen(db_path: Path) -> None:
    from pctui.store import eras
    from pctui.store.errors import ValidationFailed

    registered(db_path)
    store = Store.open(db_path)
    try:
        for filters in (eras.EraFilter(search="x" * 60_000),
                        eras.EraFilter(check_number="x" * 60_000),
                        eras.EraFilter(inbound="x" * 60_000)):
            with pytest.raises(ValidationFailed, match="at most 200 characters"):
                eras.list_eras(store, filters)
        with pytest.raises(ValidationFailed, match="at most 200 characters"):
            eras.payments_of_claims(store, "x" * 60_000)
    finally:
        store.close()


# --- a connection's secret piped in: endless, not UTF-8, half a character -------------------


def test_a_secret_piped_from_an_endless_source_is_refused_not_read_forever(db_path: Path) -> None:
    """`pctui connections key NAME < /dev/zero` (a wrong redirection) stops at a limit."""
    registered(db_path)
    assert run_pctui("--db", str(db_path), "demo").returncode == 0
    with open("/dev/zero", "rb") as zeros:
        try:
            done = subprocess.run(
                run_pctui_command("--db", str(db_path), "connections", "key",
                                  "BCBS TX direct API"),
                stdin=zeros, capture_output=True, text=True, timeout=60, cwd="/",
                env=run_pctui_env())
        except subprocess.TimeoutExpired:
            pytest.fail("connections key read standard input forever")
    assert done.returncode == 1
    assert "too long for an API key; nothing was stored" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("piped", [b"\xff\xfeABCDEFGH12345678\n", b"sk-live-1234567\xe2\x82\n"])
def test_a_secret_that_is_not_utf8_text_is_refused(db_path: Path, piped: bytes) -> None:
    registered(db_path)
    assert run_pctui("--db", str(db_path), "demo").returncode == 0

    def bcbs_secret() -> dict:
        listed = json.loads(run_pctui("--db", str(db_path), "connections", "--json").stdout)
        return next(c for c in listed if c["name"] == "BCBS TX direct API")["secret"]

    before = bcbs_secret()
    done = subprocess.run(
        run_pctui_command("--db", str(db_path), "connections", "key", "BCBS TX direct API"),
        input=piped, capture_output=True, timeout=60, cwd="/", env=run_pctui_env())
    assert done.returncode == 1, done.stdout
    assert b"is not UTF-8 text; nothing was stored" in done.stderr
    assert bcbs_secret() == before


def test_the_store_refuses_a_secret_with_half_a_character() -> None:
    from pctui.store.connections import secret_problem

    assert secret_problem("API key", "sk-live-\udcff12345678") == (
        "the API key has a character that is not text (\\udcff) in it")


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_terminal_that_cannot_show_a_character_gets_an_escape_not_an_error(
    db_path: Path, encoding: str
) -> None:
    """The key hint's dots (and a patient's accents) under an ASCII or Latin-1 terminal."""
    registered(db_path)
    assert run_pctui("--db", str(db_path), "demo").returncode == 0
    done = run_pctui("--db", str(db_path), "connections", env={"PYTHONIOENCODING": encoding})
    assert done.returncode == 0, done.stderr
    assert "BCBS TX direct API" in done.stdout and "internal error" not in done.stderr
    assert "\\u2022\\u2022\\u2022\\u2022" in done.stdout  # the hint's dots, as escapes
