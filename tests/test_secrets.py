"""Keys in the encrypted-file keyring used on headless servers."""

from __future__ import annotations

import pytest

from pctui.secrets import KeyringKind, KeyringLocked, SecretStore, key_hint


@pytest.fixture
def file_keyring(tmp_path, monkeypatch) -> SecretStore:
    monkeypatch.setenv("PCTUI_KEYRING", "file")
    monkeypatch.delenv("PCTUI_KEYRING_PASSPHRASE", raising=False)
    monkeypatch.delenv("PCTUI_KEYRING_FILE", raising=False)
    return SecretStore.for_database(tmp_path / "pctui.db", "dbid")


def test_the_file_keyring_sits_beside_the_database_and_starts_locked(file_keyring, tmp_path):
    assert file_keyring.kind is KeyringKind.FILE and file_keyring.locked
    assert file_keyring.file_path == tmp_path / "pctui.db.keyring.cfg"
    with pytest.raises(KeyringLocked, match="unlock it in the app"):
        file_keyring.set_key(1, "secret-value-123")


def test_the_passphrase_creates_then_unlocks_the_file_and_the_key_is_encrypted(
    file_keyring, tmp_path, monkeypatch
) -> None:
    file_keyring.unlock("correct horse")
    assert file_keyring.set_key(7, "sk_test_abcdefgh5678") == "••••5678"
    content = (tmp_path / "pctui.db.keyring.cfg").read_bytes()
    assert b"sk_test_abcdefgh5678" not in content and b"abcdefgh" not in content
    assert oct((tmp_path / "pctui.db.keyring.cfg").stat().st_mode & 0o777) == "0o600"

    monkeypatch.setenv("PCTUI_KEYRING_PASSPHRASE", "correct horse")
    again = SecretStore.for_database(tmp_path / "pctui.db", "dbid")
    assert not again.locked and again.get_key(7) == "sk_test_abcdefgh5678"


def test_a_wrong_passphrase_is_refused_plainly(file_keyring, tmp_path) -> None:
    file_keyring.unlock("right one")
    other = SecretStore.for_database(tmp_path / "pctui.db", "dbid")
    with pytest.raises(KeyringLocked, match="wrong passphrase"):
        other.unlock("wrong one")
    assert other.locked
    with pytest.raises(KeyringLocked, match="empty"):
        other.unlock("   ")


def test_a_database_on_a_server_needs_the_keyring_file_named_and_says_so(
    file_keyring, tmp_path, monkeypatch
) -> None:
    on_server = SecretStore.for_database(None, "dbid")  # a PostgreSQL database has no folder
    assert on_server.locked and on_server.file_path is None
    assert "PCTUI_KEYRING_FILE" in on_server.describe()
    for attempt in (lambda: on_server.unlock("correct horse"),
                    lambda: on_server.set_key(1, "sk_live_0123456789ab")):
        with pytest.raises(KeyringLocked, match="set PCTUI_KEYRING_FILE"):
            attempt()


def test_two_hosts_naming_one_shared_keyring_file_see_the_same_keys(
    file_keyring, tmp_path, monkeypatch
) -> None:
    shared = tmp_path / "mnt-shared" / "pctui.keyring.cfg"  # e.g. an NFS mount on every host
    shared.parent.mkdir()
    monkeypatch.setenv("PCTUI_KEYRING_FILE", str(shared))
    host_a = SecretStore.for_database(None, "dbid")
    host_a.unlock("correct horse")
    host_a.set_key(3, "sk_live_0123456789ab")
    monkeypatch.setenv("PCTUI_KEYRING_PASSPHRASE", "correct horse")
    host_b = SecretStore.for_database(None, "dbid")
    assert host_b.file_path == shared and not host_b.locked
    assert host_b.get_key(3) == "sk_live_0123456789ab"
    assert b"0123456789ab" not in shared.read_bytes()


def test_hints_never_reveal_short_keys() -> None:
    assert key_hint("sk_live_abcdefgh1234") == "••••1234"
    assert key_hint("short123") == "••••"


def test_an_os_keyring_that_never_answers_falls_back_to_the_file(tmp_path, monkeypatch) -> None:
    """Over SSH a locked Secret Service collection can block forever waiting for a prompt."""
    import threading

    from keyring.backend import KeyringBackend

    import pctui.secrets as secrets_module

    release = threading.Event()

    class HangingKeyring(KeyringBackend):
        priority = 5

        def get_password(self, service, username):
            release.wait(30)

        def set_password(self, service, username, password):
            raise AssertionError("never reached")

        def delete_password(self, service, username):
            raise AssertionError("never reached")

    monkeypatch.delenv("PCTUI_KEYRING", raising=False)
    monkeypatch.setattr(secrets_module, "OS_KEYRING_PROBE_SECONDS", 0.3)
    monkeypatch.setattr(secrets_module.keyring.core, "load_env", lambda: HangingKeyring())
    try:
        store = SecretStore.for_database(tmp_path / "pctui.db", "dbid")
    finally:
        release.set()
    assert store.kind is KeyringKind.FILE and store.locked



def test_two_sessions_writing_keys_at_once_lose_none(tmp_path, monkeypatch) -> None:
    """keyrings.cryptfile rewrites the whole file on each change: without a lock, two sessions
    that read it at the same moment each write back a copy missing the other's key."""
    import configparser
    import threading
    import time

    monkeypatch.setenv("PCTUI_KEYRING", "file")
    db = tmp_path / "pctui.db"
    sessions = [SecretStore.for_database(db, "dbid") for _ in range(2)]
    for session in sessions:
        session.unlock("shared passphrase")  # the first creates the file
    real_write = configparser.RawConfigParser.write

    def slow_write(self, fp, *args, **kwargs):  # widen the read-modify-write window
        time.sleep(0.3)
        return real_write(self, fp, *args, **kwargs)

    monkeypatch.setattr(configparser.RawConfigParser, "write", slow_write)
    writers = [threading.Thread(target=s.set_key, args=(n, f"sk_live_key_number_{n:04d}"))
               for n, s in enumerate(sessions, start=1)]
    for w in writers:
        w.start()
    for w in writers:
        w.join(60)
    monkeypatch.setattr(configparser.RawConfigParser, "write", real_write)
    reader = SecretStore.for_database(db, "dbid")
    reader.unlock("shared passphrase")
    assert [reader.get_key(n) for n in (1, 2)] == ["sk_live_key_number_0001",
                                                  "sk_live_key_number_0002"]
