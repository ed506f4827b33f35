"""Keys in the encrypted-file keyring used on headless servers."""

from __future__ import annotations

import pytest

from pctui.secrets import KeyringKind, KeyringLocked, SecretStore, key_hint


@pytest.fixture
def file_keyring(tmp_path, monkeypatch) -> SecretStore:
    monkeypatch.setenv("PCTUI_KEYRING", "file")
    monkeypatch.delenv("PCTUI_KEYRING_PASSPHRASE", raising=False)
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
