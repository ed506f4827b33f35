"""The administrator's story in ADMIN → Insurance Payers, driven from the keyboard."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input

from pctui.store import audit, connections, payers
from pctui.store.connections import ConnectionDraft
from pctui.ui.screens.connection_form import ConnectionForm
from pctui.ui.widgets.form_field import FormField
from pctui.ui.widgets.modals import ConfirmationModal
from tests.ui.helpers import choose, listed, rendered, screen_text, type_text

KEY = "sk_live_9c1e55aa03bd7742"


@pytest.fixture
def bcbs(store, admin) -> int:
    with store.write() as session:
        return payers.save_payer(session, admin, payers.PayerDraft(
            "BCBS", "Blue Cross Blue Shield", "commercial", "BCBSX", ["12345"])).id


async def fill_new_connection(pilot) -> None:
    await pilot.press("a")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ConnectionForm)
    await choose(pilot, "payer", "BCBS")
    await pilot.press("tab")
    await type_text(pilot, "BCBS via Availity")
    await pilot.press("tab")
    await type_text(pilot, KEY)
    await choose(pilot, "gateway_type", "HTTPS")
    await pilot.press("tab")
    await type_text(pilot, "https://edi.bcbs.example/claims")
    await pilot.press("tab")
    await type_text(pilot, "SUB01")
    await pilot.press("tab", "tab")
    await type_text(pilot, "5010-SNIP1, 5010-SNIP2")


async def test_an_admin_adds_a_connection_from_the_keyboard(make_app, store, secrets, bcbs,
                                                            db_path) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await fill_new_connection(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmationModal)
        assert "may affect live claims submission" in screen_text(pilot)
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, (ConnectionForm, ConfirmationModal))
        table = app.query_one("#connections", DataTable)
        assert listed(table, ["payer", "name", "gateway", "key", "active"])[0] == [
            "BCBS", "BCBS via Availity", "HTTPS API", "set ••••7742", "yes"]
        assert table.highlighted.name == "BCBS via Availity"  # the cursor is on the new row
        assert KEY not in screen_text(pilot)

    (saved,) = connections.list_connections(store)
    assert saved.endpoint == "https://edi.bcbs.example/claims"
    assert saved.submitter_id == "SUB01"
    assert saved.compliance_rules == ("5010-SNIP1", "5010-SNIP2")
    assert secrets.get_key(saved.id) == KEY
    store.close()
    for path in db_path.parent.glob("pctui.db*"):
        assert KEY.encode() not in path.read_bytes()
    entry = audit.entries(store, "connection", saved.id)[0]
    assert entry.user == "alice" and entry.action == "created"
    assert entry.changes["api_key"] == "API key set"


async def test_missing_required_fields_are_named_and_nothing_is_saved(make_app, store,
                                                                      bcbs) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConnectionForm)
        errors = {f.field_name: f.query_one(".field-error").render() for f in
                  app.screen.query(FormField) if f.has_class("-invalid")}
        assert set(errors) == {"payer", "name", "gateway_type", "endpoint"}
        assert "required" in str(errors["name"])
        assert "Not saved" in screen_text(pilot)
    assert connections.list_connections(store) == []


async def test_an_invalid_endpoint_is_explained_beside_the_field(make_app, store, bcbs) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await fill_new_connection(pilot)
        endpoint = app.screen.query_one("#endpoint")
        endpoint.value = "http://insecure.example"
        await pilot.press("ctrl+s")
        await pilot.pause()
        field = app.screen.query_one("#field-endpoint", FormField)
        assert "https://" in str(field.query_one(".field-error").render())
    assert connections.list_connections(store) == []


async def test_declining_the_live_claims_warning_saves_nothing(make_app, store, secrets,
                                                               bcbs) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await fill_new_connection(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, ConnectionForm)  # back in the form, nothing lost
        assert app.screen.query_one("#name").value == "BCBS via Availity"
    assert connections.list_connections(store) == []
    assert audit.entries(store, "connection") == []


async def test_escape_with_unsaved_changes_asks_and_discards(make_app, store, bcbs) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await fill_new_connection(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmationModal)
        assert "Leave without saving" in screen_text(pilot)
        await pilot.press("y")
        await pilot.pause()
        assert not isinstance(app.screen, (ConnectionForm, ConfirmationModal))
    assert connections.list_connections(store) == []


async def test_escape_on_an_untouched_form_just_closes_it(make_app, bcbs) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, (ConnectionForm, ConfirmationModal))


async def test_a_biller_can_look_but_not_change(make_app, store, admin, secrets, bcbs) -> None:
    connections.save_connection(store, secrets, admin, ConnectionDraft(
        bcbs, "BCBS direct", "https", "https://edi.bcbs.example/claims"), api_key=KEY)
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        assert "only an admin may change it (you are a biller)" in screen_text(pilot)
        for key in ("a", "e", "k", "d"):
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, (ConnectionForm, ConfirmationModal)), key
        assert any("read-only" in n.message for n in app._notifications)
        assert app.query_one("#connections", DataTable).row_count == 1
    (row,) = connections.list_connections(store)
    assert row.active and row.name == "BCBS direct"


async def test_replacing_the_key_and_deactivating_are_recorded_in_the_audit_log(
    make_app, store, admin, secrets, bcbs
) -> None:
    view = connections.save_connection(store, secrets, admin, ConnectionDraft(
        bcbs, "BCBS direct", "https", "https://edi.bcbs.example/claims"), api_key=KEY)
    new_key = "sk_live_ffffeeee11112222"
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("k")
        await pilot.pause()
        await type_text(pilot, new_key)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "set ••••2222" in screen_text(pilot)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        await pilot.press("l")
        await pilot.pause()
        text = screen_text(pilot)
        assert "API key replaced" in text and "deactivated" in text
        assert new_key not in text and KEY not in text
    assert secrets.get_key(view.id) == new_key
    (row,) = connections.list_connections(store)
    assert not row.active and row.api_key_hint == "••••2222"


async def test_editing_a_connection_keeps_its_key_when_the_field_is_left_empty(
    make_app, store, admin, secrets, bcbs
) -> None:
    view = connections.save_connection(store, secrets, admin, ConnectionDraft(
        bcbs, "BCBS direct", "https", "https://edi.bcbs.example/claims"), api_key=KEY)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        endpoint = app.screen.query_one("#endpoint")
        endpoint.focus()
        endpoint.value = ""
        await type_text(pilot, "https://v2.bcbs.example/claims")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
    (row,) = connections.list_connections(store)
    assert row.endpoint == "https://v2.bcbs.example/claims"
    assert secrets.get_key(view.id) == KEY
    assert audit.entries(store, "connection", view.id)[0].changes == {
        "endpoint": ["https://edi.bcbs.example/claims", "https://v2.bcbs.example/claims"]}



async def test_a_crash_report_never_prints_a_key_held_in_a_local_variable(make_app) -> None:
    from rich.console import Console
    from rich.traceback import Traceback

    def render(renderables) -> str:
        console = Console(record=True, width=200)
        for renderable in renderables:
            console.print(renderable)
        return console.export_text()

    app = make_app()
    async with app.run_test(size=(80, 24)):
        api_key = KEY  # what a save frame holds when something below it fails
        try:
            raise RuntimeError(f"keyring write failed for a {len(api_key)}-character key")
        except RuntimeError:
            textual_default = render([Traceback(show_locals=True)])
            app._fatal_error()
            report = render(app._exit_renderables)
    assert KEY in textual_default  # what Textual alone would print
    # one line naming the kind of error: neither locals nor the exception's own words
    assert "internal error (RuntimeError)" in report
    assert KEY not in report and "keyring write failed" not in report


async def test_the_confirmation_lists_what_changes(make_app, store, admin, secrets, bcbs) -> None:
    connections.save_connection(store, secrets, admin, ConnectionDraft(
        bcbs, "BCBS direct", "https", "https://edi.bcbs.example/claims"), api_key=KEY)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#endpoint").value = "https://v2.bcbs.example/claims"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmationModal)
        text = screen_text(pilot)
        assert "Endpoint: https://edi.bcbs.example/claims → https://v2.bcbs.example/claims" in text
        assert "Name:" not in text and KEY not in text


async def test_an_sftp_mailbox_asks_for_its_login_and_folders(make_app, store, secrets,
                                                             bcbs) -> None:
    """Choosing SFTP shows the mailbox's own fields (user, host key, folders, upload mode);
    the secret becomes its password; the user name and both folders are required."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a")
        await pilot.pause()
        await choose(pilot, "payer", "BCBS")
        await pilot.press("tab")
        await type_text(pilot, "BCBS mailbox")
        await choose(pilot, "gateway_type", "SFTP")
        await pilot.press("tab")
        await type_text(pilot, "sftp.bcbs.example:2222")
        form = app.screen
        assert form.query_one("#sftp-settings").display
        assert not form.query_one("#https-settings").display
        assert form.query_one("#field-api_key", FormField).label == "SFTP password"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConnectionForm)  # not saved: the mailbox is incomplete
        for name in ("sftp-username", "sftp-upload_dir", "sftp-download_dir"):
            assert form.query_one(f"#field-{name}", FormField).has_class("-invalid"), name
        form.query_one("#sftp-username").value = "acme"
        form.query_one("#sftp-upload_dir").value = "/SendFiles"
        form.query_one("#sftp-download_dir").value = "/ReceiveFiles"
        form.query_one("#sftp-private_key_file").value = "~/.ssh/id_edi"
        await pilot.pause()
        assert form.query_one("#field-api_key", FormField).label == "Key passphrase"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmationModal)
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
    (saved,) = connections.list_connections(store)
    assert (saved.settings.username, saved.settings.upload_dir, saved.settings.download_dir,
            saved.settings.private_key_file) == ("acme", "/SendFiles", "/ReceiveFiles",
                                                 "~/.ssh/id_edi")
    assert saved.address == ("sftp.bcbs.example", 2222)


async def test_compliance_rules_come_from_the_catalogue_and_older_labels_are_kept(
    make_app, store, admin, secrets, bcbs
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await fill_new_connection(pilot)
        await type_text(pilot, ", MADE-UP-EDIT")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConnectionForm)  # not saved
        assert "not in the compliance catalogue: MADE-UP-EDIT" in screen_text(pilot)
    assert connections.list_connections(store) == []

    # A label saved before the catalogue existed is kept (shown as unknown, never run).
    connections.save_connection(store, secrets, admin, ConnectionDraft(
        bcbs, "BCBS direct", "https", "https://edi.bcbs.example/claims",
        compliance_rules=["LEGACY-LABEL", "BILLING-ZIP-9"]), api_key=KEY)  # fmt: skip
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ConnectionForm)
        assert "unknown rule kept from older data: LEGACY-LABEL" in screen_text(pilot)
        app.screen.query_one("#endpoint", Input).value = "https://edi.bcbs.example/v2"
        await pilot.press("ctrl+s")
        await pilot.pause()
        if isinstance(app.screen, ConfirmationModal):
            await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, (ConnectionForm, ConfirmationModal))
    (saved,) = connections.list_connections(store)
    assert saved.endpoint == "https://edi.bcbs.example/v2"
    assert saved.compliance_rules == ("LEGACY-LABEL", "BILLING-ZIP-9")


async def test_every_change_of_a_long_audit_entry_can_be_read_at_80x24(
    make_app, store, admin, secrets, bcbs
) -> None:
    connections.save_connection(store, secrets, admin, ConnectionDraft(
        bcbs, "BCBS direct", "https", "https://edi.bcbs.example/claims", submitter_id="PCTUI0001",
        receiver_id="BCBSTX", compliance_rules=["5010-SNIP2", "BCBS-ATT"], poll_minutes=30),
        api_key=KEY)
    [entry] = audit.entries(store, "connection")
    changes = entry.change_lines()
    assert len(changes) > 6  # a connection added: more settings than the strip has lines
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("l")
        await pilot.pause()
        assert "Tab: whole entry" in screen_text(pilot)
        assert changes[0] in rendered(app)  # one change a line, the first ones in sight
        assert changes[-1] not in rendered(app)
        await pilot.press("tab", "end")  # into the entry, to its end
        await pilot.pause()
        assert changes[-1] in rendered(app)
