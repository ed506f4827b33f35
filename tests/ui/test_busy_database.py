"""The app while another SSH session holds the database's write lock: it starts at once (looking
the user up takes no lock), a save shows that it waits and then finishes, a change made on the
UI thread gives up with a message after a few seconds, and a fault is a notification — the app
keeps running."""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager

import pytest
from textual.widgets import Input

from pctui.store import connections, payers
from pctui.store.connections import ConnectionDraft
from pctui.ui.screens.connection_form import ConnectionForm
from pctui.ui.widgets.modals import ConfirmationModal


@contextmanager
def another_session_writing(db_path):
    raw = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    raw.execute("BEGIN IMMEDIATE")
    raw.execute("insert into meta (key, value) values ('held-by-test', 'yes')")
    holder = {"raw": raw, "open": True}

    def release() -> None:
        if holder["open"]:
            raw.execute("COMMIT")
            holder["open"] = False

    try:
        yield release
    finally:
        release()
        raw.close()


@pytest.fixture
def link(store, admin, secrets) -> connections.ConnectionView:
    payer = payers.store_payer(store, admin, payers.PayerDraft(
        "BCBS", "Blue Cross", "commercial", "BCBSX", ["12345"]))
    return connections.save_connection(store, secrets, admin, ConnectionDraft(
        payer.id, "BCBS direct", "https", "https://edi.bcbs.example/claims"))


async def test_the_app_starts_at_once_while_another_session_writes(make_app, db_path,
                                                                  link) -> None:
    with another_session_writing(db_path):
        started = time.monotonic()
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert app.sub_title.startswith("alice (admin)")
            assert time.monotonic() - started < 5


async def test_a_save_says_it_waits_and_finishes_when_the_other_session_is_done(
    make_app, store, db_path, link
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ConnectionForm)
        app.screen.query_one("#submitter_id", Input).value = "SUB01"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmationModal)
        with another_session_writing(db_path) as release:
            await pilot.press("y")
            for _ in range(100):  # the save waits in the background; the screen says so
                await pilot.pause(0.1)
                if "waiting for another session's write" in app.sub_title:
                    break
            assert "waiting for another session's write" in app.sub_title
            assert any("Another session is writing" in n.message for n in app._notifications)
            release()
            for _ in range(100):  # the form closes itself once saved
                await pilot.pause(0.1)
                if not isinstance(app.screen, ConnectionForm):
                    break
        assert "waiting" not in app.sub_title
        assert not isinstance(app.screen, ConnectionForm)
    assert connections.get_connection(store, link.id).submitter_id == "SUB01"


async def test_a_change_on_the_ui_thread_gives_up_with_a_message_and_the_app_runs_on(
    make_app, store, db_path, link
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        with another_session_writing(db_path):
            await pilot.press("d")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmationModal)
            await pilot.press("y")  # deactivate: a quick write, made on the UI thread
            await pilot.pause()
        shown = [n.message for n in app._notifications]
        assert any("another session is writing to the database" in m for m in shown), shown
        assert app.is_running and app.return_code in (None, 0)
        await pilot.press("d", "y")  # the lock is free again: it works now
        await pilot.pause()
    assert connections.get_connection(store, link.id).active is False


def _connection_lost(*_args, **_kwargs):
    """What psycopg raises when the server went away under a query (no SQLSTATE)."""
    import psycopg
    from sqlalchemy.exc import OperationalError

    raise OperationalError("SELECT count(*) FROM claim", {}, psycopg.OperationalError(
        "consuming input failed: server closed the connection unexpectedly"))


async def test_a_database_that_goes_away_mid_session_is_told_and_the_app_runs_on(
    make_app, store, admin, secrets, monkeypatch
) -> None:
    """Opening a section while the database cannot be read (a server stopped, a file gone):
    a message in words, and the app carries on — the next key still works."""
    from pctui.store import claims, demo
    from pctui.ui.screens.claims import ClaimsSection

    demo.build_demo(store, admin, secrets)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        with monkeypatch.context() as patched:
            patched.setattr(claims, "count_claims", _connection_lost)
            await pilot.press("f5")
            await app.workers.wait_for_complete()
            await pilot.pause()
            shown = [n.message for n in app._notifications]
            assert any("connection to the database server" in m and "nothing was saved" in m
                       for m in shown), shown
            assert app.is_running
            assert not any("SELECT" in m for m in shown)
        await pilot.press("f4")  # the database is back: other keys and sections work
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("f5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running
        assert app.query_one("#sections").current == "claims"
        assert app.query_one(ClaimsSection).total > 0  # read again, now that it can be


async def test_a_dialog_whose_data_cannot_be_read_says_so_and_keys_work_after(
    make_app, store, admin, secrets, monkeypatch
) -> None:
    from pctui.store import claims, demo
    from pctui.ui.screens.claim_ledger import ClaimLedgerScreen

    demo.build_demo(store, admin, secrets)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        with monkeypatch.context() as patched:
            patched.setattr(claims, "claim_detail", _connection_lost)
            await pilot.press("l")  # the highlighted claim's ledger
            await app.workers.wait_for_complete()
            await pilot.pause()
            shown = [n.message for n in app._notifications]
            assert any("connection to the database server" in m for m in shown), shown
            assert app.is_running
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("l")  # the database is back: the ledger opens
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ClaimLedgerScreen)
        assert app.screen.detail is not None
