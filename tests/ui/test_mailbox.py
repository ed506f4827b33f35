"""A biller's and an administrator's story with a real SFTP mailbox, from the keyboard at 80x24:
Test connection, Poll now, the Mailbox, the file viewer, the poll schedule."""

from __future__ import annotations

from pathlib import Path

import pytest

from pctui.store import connections, eras, mailbox, payers
from pctui.store.connections import ConnectionDraft
from pctui.ui.screens.mailbox import MailboxFileViewer, MailboxSection
from pctui.ui.screens.poll_progress import ConnectionTestScreen, PollScreen
from pctui.ui.widgets.key_footer import KeyFooter
from pctui.ui.widgets.modals import ConfirmationModal
from tests.exchange.samples import ack_999, era_835
from tests.servers import SftpServer
from tests.ui.helpers import screen_text


@pytest.fixture
def box(tmp_path: Path):
    root = tmp_path / "box"
    for folder in ("in", "out"):
        (root / folder).mkdir(parents=True)
    (root / "out" / "remit.835").write_bytes(era_835())
    (root / "out" / "ack.999").write_bytes(ack_999())
    with SftpServer(root) as server:
        yield server


def add_connection(store, admin, secrets, server: SftpServer, host_key: str | None = None,
                   password: str | None = None, poll_minutes: int = 0) -> int:
    with store.write() as session:
        payer_id = payers.save_payer(session, admin, payers.PayerDraft(
            "RUSH", "Rushmore Life", "commercial", "RUSH1", ["1935665544"])).id
    return connections.save_connection(store, secrets, admin, ConnectionDraft(
        payer_id, "Rushmore SFTP", "sftp", server.endpoint, "SUB01", poll_minutes=poll_minutes,
        settings={"username": server.username,
                  "host_key": server.fingerprint if host_key is None else host_key,
                  "upload_dir": "/in", "download_dir": "/out", "timeout_seconds": 5}),
        api_key=password or server.password).id


async def finish(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_test_connection_says_each_step_in_words(make_app, store, admin, secrets,
                                                      box) -> None:
    add_connection(store, admin, secrets, box)
    app = make_app("bob")  # a biller may test
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t")
        await finish(pilot)
        assert isinstance(app.screen, ConnectionTestScreen)
        text = screen_text(pilot)
        assert "✓ Host key: the server shows the pinned key" in text
        assert "✓ Login: logged in as acme" in text
        assert "The connection works." in text
        footer = str(app.screen_stack[0].query_one(KeyFooter).render())
        assert "Pin host key" not in footer and "esc Close" in footer  # nothing to pin here
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ConnectionTestScreen)


async def test_an_unpinned_host_key_is_shown_and_an_admin_pins_it(make_app, store, admin,
                                                                 secrets, box) -> None:
    conn = add_connection(store, admin, secrets, box, host_key="")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t")
        await finish(pilot)
        text = screen_text(pilot)
        assert "✗ Host key: no host key is pinned" in text and box.fingerprint in text
        assert box.logins == []  # no password went to an unverified server
        assert "h Pin host key" in str(app.screen_stack[0].query_one(KeyFooter).render())
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmationModal)
        await pilot.press("y")
        await pilot.pause()
        assert "Pinned " + box.fingerprint in screen_text(pilot)
    assert connections.get_connection(store, conn).settings.host_key == box.fingerprint


async def test_poll_now_receives_and_the_mailbox_shows_and_opens_each_file(
        make_app, store, admin, secrets, box) -> None:
    add_connection(store, admin, secrets, box)
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g")
        await finish(pilot)
        assert isinstance(app.screen, PollScreen)
        text = screen_text(pilot)
        assert "RUSH / Rushmore SFTP: 2 files received" in text
        assert "imported       835   remit.835 — 1 payment on Release 835" in text
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("m")  # this connection's mailbox
        await pilot.pause()
        section = app.query_one(MailboxSection)
        assert app.current_section is section
        table = section.table
        assert sorted((e.remote_name, e.kind, e.result) for e in table.shown) == [
            ("ack.999", "999", "acknowledgment"), ("remit.835", "835", "imported")]
        table.move_to(lambda e: e.remote_name == "remit.835")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MailboxFileViewer)
        content = str(app.screen.query_one("#viewer-content").render())
        assert content.splitlines()[1:3] == [
            "GS*HP*000000005*54321*20131031*1147*1*X*005010X221A1~", "ST*835*112233~"]
    assert len(eras.list_eras(store, eras.EraFilter())) == 1


async def test_mailbox_filters_by_kind_and_direction(make_app, store, admin, secrets,
                                                     box) -> None:
    add_connection(store, admin, secrets, box)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("G")
        await finish(pilot)
        await pilot.press("escape")
        await pilot.press("f7")  # Mailbox: F7 since Claims Out (F6) sits beside Claims
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        app.screen.query_one("#kind").value = "999"
        await pilot.press("ctrl+s")
        await pilot.pause()
        section = app.query_one(MailboxSection)
        table = section.table
        assert [e.kind for e in table.shown] == ["999"]
        assert "999" in str(section.query_one("#mailbox-status").render())
        await pilot.press("x")
        await pilot.pause()
        assert len(table.shown) == 2
        await pilot.press("slash")
        await pilot.press("r", "e", "m", "i", "t", "enter")
        await pilot.pause()
        assert [e.remote_name for e in table.shown] == ["remit.835"]  # searched in SQL


async def test_a_wrong_password_fails_in_words_and_never_shows_it(make_app, store, admin,
                                                                  secrets, box) -> None:
    add_connection(store, admin, secrets, box, password="wrong-Passw0rd-123")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g")
        await finish(pilot)
        text = screen_text(pilot)
        assert "✗ Login: the server refused the login of acme (wrong user name or password)" in text
        assert "wrong-Passw0rd-123" not in text and box.password not in text


async def test_the_running_app_polls_on_each_connections_schedule(make_app, store, admin,
                                                                 secrets, box) -> None:
    conn = add_connection(store, admin, secrets, box, poll_minutes=30)
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        assert app.due_connections() == [conn]  # never polled
        app.poll_due_connections()
        await finish(pilot)
        assert mailbox.count_entries(store) == 2
        assert app.due_connections() == []  # polled just now; next in 30 minutes
        (run,) = mailbox.runs(store)
        assert run.user == "bob" and run.action == "poll"


async def test_no_schedule_by_default(make_app, store, admin, secrets, box) -> None:
    add_connection(store, admin, secrets, box)
    app = make_app()
    async with app.run_test(size=(80, 24)):
        assert app.due_connections() == []


async def test_an_unexpected_failure_ends_the_poll_dialog_in_words(make_app, store, admin,
                                                                  secrets, box,
                                                                  monkeypatch) -> None:
    from pctui import exchange

    add_connection(store, admin, secrets, box)

    def broken(*args, **kwargs):
        raise RuntimeError("JANE DOE's claim broke something")

    monkeypatch.setattr(exchange, "poll", broken)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g")
        await finish(pilot)
        text = screen_text(pilot)
        assert "stopped by an internal error (RuntimeError)" in text
        assert "JANE DOE" not in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, PollScreen)
