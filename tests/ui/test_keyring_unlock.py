"""Unlocking (or first creating) the encrypted keyring inside the app, never at a terminal prompt."""

from __future__ import annotations

import pytest

from pctui.secrets import SecretStore
from pctui.ui.app import PctuiApp
from pctui.ui.screens.keyring_unlock import KeyringUnlockModal
from pctui.ui.widgets.form_field import FormField
from tests.ui.helpers import type_text


@pytest.fixture
def file_keyring(tmp_path, monkeypatch, store) -> SecretStore:
    monkeypatch.setenv("PCTUI_KEYRING", "file")
    monkeypatch.delenv("PCTUI_KEYRING_PASSPHRASE", raising=False)
    return SecretStore.for_database(store.path, store.database_id)


def error_of(app, name: str) -> str:
    return str(app.screen.query_one(f"#field-{name}", FormField).query_one(".field-error").render())


async def test_creating_the_shared_keyring_asks_twice_and_refuses_a_short_one(
    store, file_keyring
) -> None:
    app = PctuiApp(store=store, secrets=file_keyring, login="alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f9")
        await pilot.pause()
        assert isinstance(app.screen, KeyringUnlockModal)
        await type_text(pilot, "short")
        await pilot.press("enter")
        await type_text(pilot, "short")
        await pilot.press("enter")
        await pilot.pause()
        assert "at least 8 characters" in error_of(app, "passphrase")
        app.screen.query_one("#passphrase").value = "correct horse"
        app.screen.query_one("#confirm").value = "correct horze"
        app.screen.query_one("#confirm").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "differ" in error_of(app, "confirm")
        assert file_keyring.locked and not file_keyring.file_exists
        app.screen.query_one("#confirm").value = "correct horse"
        await pilot.press("enter")
        # The unlock worker closes its own dialog; waiting on the worker itself races with
        # that (a closed screen cancels its workers), so wait for the dialog to go.
        for _ in range(600):
            if not isinstance(app.screen, KeyringUnlockModal):
                break
            await pilot.pause(0.05)
        await pilot.pause()
        assert not isinstance(app.screen, KeyringUnlockModal)
        assert not file_keyring.locked and file_keyring.file_exists
        assert "keyring ready" in app.sub_title


async def test_a_wrong_passphrase_is_named_beside_the_field(store, file_keyring, tmp_path) -> None:
    file_keyring.unlock("the right passphrase")
    file_keyring.lock()
    app = PctuiApp(store=store, secrets=file_keyring, login="alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f9")
        await pilot.pause()
        app.screen.query_one("#passphrase").value = "a wrong passphrase"
        app.screen.query_one("#passphrase").focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, KeyringUnlockModal)
        assert "wrong passphrase" in error_of(app, "passphrase")
        assert file_keyring.locked


async def test_a_wrong_passphrase_in_the_environment_is_reported_as_wrong(
    store, file_keyring, monkeypatch
) -> None:
    file_keyring.unlock("the right passphrase")
    monkeypatch.setenv("PCTUI_KEYRING_PASSPHRASE", "a wrong passphrase")
    from_env = SecretStore.for_database(store.path, store.database_id)
    assert from_env.locked
    assert from_env.passphrase_problem == (
        "PCTUI_KEYRING_PASSPHRASE did not unlock the keyring: wrong passphrase for the "
        "encrypted keyring file")
    app = PctuiApp(store=store, secrets=from_env, login="alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        shown = [n.message for n in app._notifications]
        assert any("PCTUI_KEYRING_PASSPHRASE did not unlock the keyring: wrong passphrase" in m
                   for m in shown), shown
        assert "keyring: wrong passphrase" in app.sub_title


def test_the_command_line_says_the_passphrase_is_wrong(store, file_keyring, monkeypatch,
                                                      capsys) -> None:
    from pctui import cli
    from pctui.store import users

    file_keyring.unlock("the right passphrase")
    monkeypatch.setenv("PCTUI_KEYRING_PASSPHRASE", "a wrong passphrase")
    monkeypatch.setattr(users, "os_login", lambda: "alice")
    assert cli.main(["--db", str(store.path), "demo"]) == 0
    err = capsys.readouterr().err
    assert ("pctui: PCTUI_KEYRING_PASSPHRASE did not unlock the keyring: wrong passphrase for "
            "the encrypted keyring file\n") in err


async def test_on_a_database_server_with_no_keyring_file_set_f9_says_what_to_set(
    store, monkeypatch
) -> None:
    """PostgreSQL has no file to put the keyring beside: the dialog names PCTUI_KEYRING_FILE
    and asks for no passphrase it could not use."""
    monkeypatch.setenv("PCTUI_KEYRING", "file")
    monkeypatch.delenv("PCTUI_KEYRING_FILE", raising=False)
    secrets = SecretStore.for_database(None, store.database_id)  # as on PostgreSQL
    app = PctuiApp(store=store, secrets=secrets, login="alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f9")
        await pilot.pause()
        assert isinstance(app.screen, KeyringUnlockModal)
        text = str(app.screen.query_one("#dialog-message").render())
        assert "no keyring file is set" in text and "PCTUI_KEYRING_FILE" in text
        assert "None" not in text and "beside the database" not in text
        assert not app.screen.query("#passphrase")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, KeyringUnlockModal)


async def test_a_keyring_file_set_by_its_variable_is_not_said_to_be_beside_the_database(
    store, tmp_path, monkeypatch
) -> None:
    shared = tmp_path / "shared" / "pctui.keyring.cfg"
    shared.parent.mkdir()
    monkeypatch.setenv("PCTUI_KEYRING", "file")
    monkeypatch.setenv("PCTUI_KEYRING_FILE", str(shared))
    monkeypatch.delenv("PCTUI_KEYRING_PASSPHRASE", raising=False)
    secrets = SecretStore.for_database(None, store.database_id)
    app = PctuiApp(store=store, secrets=secrets, login="alice")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f9")
        await pilot.pause()
        text = str(app.screen.query_one("#dialog-message").render())
        assert "set by PCTUI_KEYRING_FILE" in text and str(shared) in text
        assert "beside the database" not in text
