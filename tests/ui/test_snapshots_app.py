"""What the app's own screens look like at 80x24 and 120x40: help, the keyring unlock dialog."""

from __future__ import annotations

from pathlib import Path

import pytest

from pctui.secrets import SecretStore
from pctui.ui.app import PctuiApp
from tests.ui.snapshots import SIZES, keys


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, make_app, size) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=keys("f1"))


@pytest.mark.parametrize("size", SIZES)
def test_keyring_unlock_dialog(snap_compare, store, monkeypatch, tmp_path, size) -> None:
    monkeypatch.setenv("PCTUI_KEYRING", "file")
    secrets = SecretStore.for_database(store.path, store.database_id)
    app = PctuiApp(store=store, secrets=secrets, login="alice")
    # the keyring file's path holds the test's temporary folder: shown as a fixed one
    monkeypatch.setattr(secrets, "file_path", Path("/srv/pctui/pctui.db.keyring.cfg"))
    assert snap_compare(app, terminal_size=size, run_before=keys("f9"))
