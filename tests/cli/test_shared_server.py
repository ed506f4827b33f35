"""One billing server, several OS accounts over SSH, one database: who you are, who can read
the patients, and what a mistyped path does. Real processes, a real second account (`nobody`)."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from tests.accounts import NOGROUP, account, needs_root, run_pctui
from tests.backends import rows

from pctui.core.codes import Role
from pctui.secrets import KeyringKind, SecretStore
from pctui.store import users
from pctui.store.db import Store

pytestmark = pytest.mark.sqlite_only  # files, WAL, locks and modes of a SQLite database

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "x12"
if not FIXTURES.is_dir():
    FIXTURES = Path(os.environ.get("PCTUI_FIXTURES", "../shared/fixtures/x12")).resolve()
ERA = FIXTURES / "835-managed-care.835"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def me() -> str:
    return users.os_login()


def registered(db: Path, *people: tuple[str, Role]) -> None:
    """The test's own account is the database's admin; ``people`` are added."""
    store = Store.open(db)
    admin = users.identify(store, me())
    for login, role in people:
        users.add_user(store, admin, login, role)
    store.close()


def logins(db: Path) -> dict[str, tuple[str, bool]]:
    return {login: (role, bool(active))
            for login, role, active in rows(db, 'select login, role, active from "user"')}


# --- 1. who you are is the OS account (its uid), never $USER --------------------------------


def test_os_login_ignores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import pwd

    monkeypatch.setenv("USER", "root-pretender")
    monkeypatch.setenv("LOGNAME", "root-pretender")
    assert users.os_login() == pwd.getpwuid(os.getuid()).pw_name


def test_a_uid_without_a_passwd_entry_is_named_by_its_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "getuid", lambda: 54321)
    assert users.os_login() == "uid54321"


@needs_root
def test_setting_USER_does_not_make_another_account_admin(shared_folder: Path) -> None:
    nobody = account("nobody")
    db = shared_folder / "pctui.db"
    registered(db)
    became = run_pctui("--db", str(db), "users", "add", "nobody", "--role", "admin",
                       uid=nobody.pw_uid, gid=nobody.pw_gid,
                       env={"USER": me(), "LOGNAME": me()})
    assert became.returncode == 1
    assert "nobody is not registered in this database" in became.stderr
    assert "Traceback" not in became.stderr
    assert logins(db) == {me(): ("admin", True)}


@needs_root
def test_an_import_is_recorded_under_the_account_that_ran_it(shared_folder: Path) -> None:
    nobody = account("nobody")
    db = shared_folder / "pctui.db"
    registered(db, ("nobody", Role.BILLER))
    done = run_pctui("--db", str(db), "import", str(ERA), uid=nobody.pw_uid, gid=nobody.pw_gid,
                     env={"USER": me(), "LOGNAME": me()})
    assert done.returncode == 0, done.stderr
    raw = sqlite3.connect(db)
    assert raw.execute("select loaded_by from importedfile").fetchall() == [("nobody",)]
    raw.close()


@needs_root
def test_an_account_without_a_passwd_entry_gets_a_message_not_a_traceback(
    shared_folder: Path,
) -> None:
    db = shared_folder / "pctui.db"
    registered(db)
    done = run_pctui("--db", str(db), "users", "add", "carol", "--role", "biller",
                     uid=54321, gid=NOGROUP)
    assert done.returncode == 1
    assert "uid54321 is not registered in this database" in done.stderr
    assert "Traceback" not in done.stderr and "KeyError" not in done.stderr


# --- 2. files that hold patients are never world-readable -----------------------------------


def test_a_new_database_and_its_wal_and_shm_are_for_their_owner_only(open_folder: Path) -> None:
    db = open_folder / "pctui.db"
    done = run_pctui("--db", str(db), "users", "add", "alice", "--role", "admin", umask=0o022)
    assert done.returncode == 0, done.stderr
    # a second process reads while nothing has been checkpointed yet: -wal and -shm exist
    holder = sqlite3.connect(db)
    holder.execute("select count(*) from user").fetchall()
    try:
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            assert path.exists(), path
            assert mode(path) == 0o600, f"{path.name} is {mode(path):o}"
    finally:
        holder.close()
    leftovers = [p.name for p in open_folder.iterdir() if p.name.startswith(".")]
    assert leftovers == []


@needs_root
def test_in_a_shared_folder_the_database_belongs_to_the_group_and_nobody_else(
    shared_folder: Path,
) -> None:
    db = shared_folder / "pctui.db"
    done = run_pctui("--db", str(db), "users", "add", "alice", "--role", "admin", umask=0o022)
    assert done.returncode == 0, done.stderr
    assert mode(db) == 0o660 and db.stat().st_gid == NOGROUP


@pytest.mark.sqlite_only
def test_an_existing_world_readable_database_loses_world_access_but_keeps_its_group(
    db_path: Path,
) -> None:
    Store.open(db_path).close()
    os.chmod(db_path, 0o664)
    Store.open(db_path).close()
    assert mode(db_path) == 0o660


def test_an_exported_configuration_is_for_its_owner_only(open_folder: Path) -> None:
    db = open_folder / "pctui.db"
    registered(db)
    target = open_folder / "config.json"
    done = run_pctui("--db", str(db), "config", "export", "--output", str(target), umask=0o022)
    assert done.returncode == 0, done.stderr
    assert mode(target) == 0o600
    assert json.loads(target.read_text())["payers"] == []


def file_keyring(db: Path, database_id: str) -> SecretStore:
    return SecretStore(KeyringKind.FILE, None, f"pctui:{database_id}", Path(f"{db}.keyring.cfg"))


@pytest.mark.sqlite_only
def test_a_private_database_gets_a_private_keyring_file(db_path: Path) -> None:
    store = Store.open(db_path)
    keyring = file_keyring(db_path, store.database_id)
    keyring.unlock("correct horse battery")
    assert mode(keyring.file_path) == 0o600
    store.close()


@pytest.mark.sqlite_only
def test_unlocking_keeps_the_group_access_an_admin_gave_the_keyring(db_path: Path) -> None:
    store = Store.open(db_path)
    os.chmod(db_path, 0o660)
    keyring = file_keyring(db_path, store.database_id)
    keyring.unlock("correct horse battery")
    assert mode(keyring.file_path) == 0o660  # follows its group-shared database
    keyring.set_key(7, "sk-live-0123456789")
    again = file_keyring(db_path, store.database_id)
    again.unlock("correct horse battery")
    assert mode(keyring.file_path) == 0o660  # not forced back to 0600
    assert again.get_key(7) == "sk-live-0123456789"
    store.close()


@needs_root
def test_another_member_of_the_group_unlocks_the_shared_keyring(shared_folder: Path) -> None:
    nobody = account("nobody")
    db = shared_folder / "pctui.db"
    store = Store.open(db)
    keyring = file_keyring(db, store.database_id)
    keyring.unlock("correct horse battery")
    keyring.set_key(3, "sk-live-ABCDEFGH1234")
    store.close()
    keyring_file = Path(f"{db}.keyring.cfg")
    assert (mode(keyring_file), keyring_file.stat().st_gid) == (0o660, NOGROUP)
    snippet = (
        "from pathlib import Path\n"
        "from pctui.secrets import KeyringKind, SecretStore\n"
        f"k = SecretStore(KeyringKind.FILE, None, 'pctui:{store.database_id}', "
        f"Path('{keyring_file}'))\n"
        "k.unlock('correct horse battery')\n"
        "print(k.get_key(3))\n"
        "k.set_key(4, 'sk-live-QRSTUVWX5678')\n"
    )
    done = run_pctui("--python", snippet, uid=nobody.pw_uid, gid=nobody.pw_gid)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "sk-live-ABCDEFGH1234\n"
    assert (mode(keyring_file), keyring_file.stat().st_uid) == (0o660, 0)


@needs_root
def test_a_member_with_a_strict_umask_leaves_the_keyring_usable_by_the_group(
    shared_folder: Path,
) -> None:
    """The first member to save a key (umask 077) creates the keyring and its lock file; the
    next member of the group can still take turns on the lock and save a key of their own."""
    nobody = account("nobody")
    db = shared_folder / "pctui.db"
    env = {"PCTUI_KEYRING": "file", "PCTUI_KEYRING_PASSPHRASE": "correct horse battery"}
    done = run_pctui("--db", str(db), "demo", uid=nobody.pw_uid, gid=nobody.pw_gid,
                     umask=0o077, env=env)
    assert done.returncode == 0, done.stderr
    done = run_pctui("--db", str(db), "users", "add", "uid4242", "--role", "admin",
                     uid=nobody.pw_uid, gid=nobody.pw_gid, umask=0o077)
    assert done.returncode == 0, done.stderr
    lock = Path(f"{db}.keyring.cfg.lock")
    assert (mode(lock) & 0o660, lock.stat().st_gid) == (0o660, NOGROUP)
    done = run_pctui("--db", str(db), "connections", "key", "BCBS TX direct API",
                     uid=4242, gid=nobody.pw_gid, env=env, stdin="sk-live-QRSTUVWX5678\n")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "••••5678" in done.stdout
    assert not mode(lock) & 0o007


# --- 8. only what brings data in creates a database ----------------------------------------


@pytest.mark.parametrize("argv", [["eras"], ["claims"], ["users", "list"], ["config", "export"],
                                  ["eras", "--rejected", "--json"]])
def test_a_mistyped_db_is_named_and_nothing_is_created(tmp_path: Path, argv: list[str]) -> None:
    wrong = tmp_path / "billing" / "pctiu.db"
    done = run_pctui("--db", str(wrong), *argv)
    assert done.returncode == 1
    assert done.stderr == (f"pctui: {wrong} does not exist: check --db or PCTUI_DB (this command "
                           "never creates a database)\n")
    assert not wrong.parent.exists()


# Only these start a database where there is none: bringing data in, a first user, a shared
# folder, the app itself. Every other command acts on what a database holds, so on a mistyped
# --db it is an error that names the path, never a new empty database.
STARTERS = {"demo", "import", "users add", "config import", "share"}
ARGUMENTS = {  # what each command needs to get past its usage checks
    "import": ["x.835"], "release": ["1", "--deposit-date", "2026-12-01"], "void": ["1", "--reason",
    "wrong payer"], "errors close": ["1", "--note", "posted by hand"], "rework": ["1"],
    "users add": ["ann", "--role", "biller"], "users role": ["ann", "--role", "admin"],
    "users deactivate": ["ann"], "users reactivate": ["ann"], "config import": ["c.json"],
    "backup": ["copy.db"], "share": ["billing"], "connections key": ["BCBS"],
    "connections test": ["BCBS"], "send": ["BCBS", "x.837"], "conflicts keep": ["1"],
    "conflicts take": ["1"],
}


def commands(parser=None, prefix: str = "") -> list[str]:
    """Every command and action the command line has (``migrate-data`` opens its own)."""
    import argparse

    from pctui import cli

    parser = parser or cli.build_parser()
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                inner = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
                if not any(a.required for a in inner):  # runs without an action too
                    found.append(f"{prefix}{name}")
                found += commands(sub, f"{prefix}{name} ")
    return [c for c in found if c != "migrate-data"]


@pytest.mark.parametrize("command", [c for c in commands() if c not in STARTERS])
def test_no_command_but_the_starters_creates_a_database(tmp_path: Path, command: str,
                                                        capsys) -> None:
    from pctui import cli

    wrong = tmp_path / "billing" / "pctiu.db"
    code = cli.main(["--db", str(wrong), *command.split(), *ARGUMENTS.get(command, [])])
    assert (code, capsys.readouterr().err) == (1, (
        f"pctui: {wrong} does not exist: check --db or PCTUI_DB (this command never creates "
        "a database)\n"))
    assert not wrong.parent.exists()


def test_listing_users_of_a_database_without_users_registers_nobody(db_path: Path) -> None:
    Store.open(db_path).close()
    done = run_pctui("--db", str(db_path), "users", "list", "--json")
    assert (done.returncode, json.loads(done.stdout)) == (0, [])
    assert logins(db_path) == {}


@pytest.mark.parametrize("argv", [["eras"], ["import", str(ERA)], ["users", "add", "x",
                                                                    "--role", "admin"]])
def test_a_zero_byte_file_is_not_silently_a_new_database(tmp_path: Path, argv) -> None:
    empty = tmp_path / "pctui.db"
    empty.touch()
    done = run_pctui("--db", str(empty), *argv)
    assert done.returncode == 1
    assert f"{empty} is empty (0 bytes), not a pctui database" in done.stderr
    assert empty.stat().st_size == 0


def test_a_writing_command_still_starts_a_new_database(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    done = run_pctui("--db", str(db), "import", str(ERA), "--json")
    assert done.returncode == 0, done.stderr
    assert [r["status"] for r in json.loads(done.stdout)] == ["imported"]


@needs_root
def test_pctui_share_sets_up_a_folder_for_a_group(open_folder: Path) -> None:
    nobody = account("nobody")
    db = open_folder / "billing" / "pctui.db"
    db.parent.mkdir()
    registered(db, ("nobody", Role.BILLER))
    done = run_pctui("--db", str(db), "share", "nogroup")
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o2770
    assert (db.parent.stat().st_gid, db.stat().st_gid, mode(db)) == (NOGROUP, NOGROUP, 0o660)
    listed = run_pctui("--db", str(db), "users", "list", "--json", uid=nobody.pw_uid,
                       gid=nobody.pw_gid)
    assert listed.returncode == 0, listed.stderr
    assert "nobody" in listed.stdout
    refused = run_pctui("--db", str(db), "share", "no-such-group-here")
    assert refused.returncode == 1 and "there is no group named" in refused.stderr
