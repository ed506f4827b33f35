"""UI tests run with their own per-user settings folder and a fixed local time zone."""

from __future__ import annotations

import time

import pytest

# Local times on screen are the server's; the tests' server is in Chicago (UTC-6 in winter),
# so a time shown in UTC by mistake is caught.
TEST_ZONE = "America/Chicago"


@pytest.fixture(autouse=True)
def user_settings_folder(tmp_path, monkeypatch):
    """Settings (sidebar, keymap) from a fresh folder, never the real ~/.config/pctui."""
    folder = tmp_path / "config"
    monkeypatch.setenv("PCTUI_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def local_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", TEST_ZONE)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
