"""The app itself on a PostgreSQL server (issue 12): a biller at an application host whose
database server dropped every connection — restarted by its administrator, or a network cut —
carries on without restarting pctui: the next screen reads, the next release posts."""

from __future__ import annotations

import os
from datetime import date

import pytest

from pctui.store import eras, release
from pctui.store.eras import EraStatus
from pctui.ui.screens.release_dialog import ReleaseDialog
from tests import pgcluster
from tests.ui.helpers import screen_text
from tests.ui.test_release_835 import CHECK, STATUS, open_release_835, practice, row_of, rows

__all__ = ["practice"]  # the fixture, used by name

on_postgresql = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


def drop_every_connection(db_url: str) -> int:
    """What a server restart does to pctui: every session of this database is ended."""
    name = pgcluster.database_name(db_url)
    with pgcluster._admin_connection(os.environ[pgcluster.ENV_URL]) as admin:
        ended = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()", (name,)).fetchone()
    return int(ended[0])


@on_postgresql
async def test_the_app_carries_on_after_the_server_dropped_its_connections(
        make_app, store, db_path, practice) -> None:
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot)
        assert sorted(r[CHECK] for r in rows(app)) == ["CHK-BLOCKED", "CHK-NOCLAIM", "CHK-READY"]
        assert drop_every_connection(str(db_path)) >= 1  # the app's own pooled connection
        await pilot.press("h")  # show released payments too: the list is read again
        await pilot.pause()
        assert row_of(app, "CHK-READY")[STATUS] == "Ready"
        await pilot.press("u")  # unmark all, then mark the one Ready payment by hand
        index = [r[CHECK] for r in rows(app)].index("CHK-READY")
        app.query_one("Release835Section").table.move_cursor(row=index)
        await pilot.press("space")
        drop_every_connection(str(db_path))  # and once more, just before the release
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ReleaseDialog)
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.screen.query_one("#deposit-date").value = "2026-11-22"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(pilot)
        assert "1 of 1 released. Deposit 2026-11-22 · batch B20261122-01." in text
        assert "✓ Released  CHK-READY · BCBS · 140.00" in text
        assert "Traceback" not in text and "connection" not in text.lower()
    assert eras.get_era(store, practice["ready"]).status is EraStatus.RELEASED
    detail = release.release_detail(store, practice["ready"])
    assert detail is not None and detail.released_by == "bob"
    assert detail.deposit_date == date(2026, 11, 22)
