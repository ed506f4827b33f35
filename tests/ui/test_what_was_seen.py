"""Issue 11's "what was seen", each as the biller met it: a stale error under a filled field, a
toast over a dialog's buttons, keys that lied or did nothing."""

from __future__ import annotations

from textual.widgets import Button, TabbedContent

from pctui.secrets import SecretStore
from pctui.ui.app import PctuiApp
from pctui.ui.screens.connection_form import ConnectionForm
from pctui.ui.screens.keyring_unlock import KeyringUnlockModal
from pctui.ui.widgets.form_field import FormField
from pctui.ui.widgets.modals import ConfirmationModal
from tests.ui.helpers import choose, rendered, type_text
from tests.ui.test_payer_rules import bcbs, invalid_fields, open_drawer  # noqa: F401
from tests.ui.test_release_835 import (
    BCBS_IN,
    add_bcbs_with_rule,
    import_era,
    pays_unknown_claim,
    remittance,
)

# -- stale errors -------------------------------------------------------------------------------


def status_of(screen) -> str:
    return str(screen.query_one("#form-status").render())


async def test_a_required_error_goes_as_soon_as_the_field_is_filled(make_app, bcbs) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("a", "ctrl+s")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ConnectionForm)
        assert "name" in invalid_fields(form) and "Connection name" in status_of(form)
        form.query_one("#name").focus()
        await type_text(pilot, "BCBS direct")
        await pilot.pause()
        assert "name" not in invalid_fields(form)
        assert "Connection name" not in status_of(form)


async def test_the_rule_drawer_forgets_errors_the_payer_has_since_filled(
        make_app, bcbs) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        drawer = await open_drawer(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        tabs = drawer.query_one("#levels", TabbedContent)
        assert str(tabs.get_tab("level-primary").label) == "Primary ✗"
        assert "Payer Code" in status_of(drawer)
        await choose(pilot, "inbound_id", "12345")  # brings its payer, which fills every level
        await pilot.pause()
        assert str(tabs.get_tab("level-primary").label) == "Primary"
        assert invalid_fields(drawer) == {}
        assert status_of(drawer) == ""


async def test_the_unlock_dialog_drops_too_short_once_more_is_typed(
        store, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PCTUI_KEYRING", "file")
    secrets = SecretStore.for_database(store.path, store.database_id)
    app = PctuiApp(store=store, secrets=secrets, login="alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f9")
        await type_text(pilot, "short")
        await pilot.press("enter", "enter")  # to the confirmation, then create: too short
        await pilot.pause()
        field = app.screen.query_one("#field-passphrase", FormField)
        assert field.has_class("-invalid")
        app.screen.query_one("#passphrase").focus()
        await type_text(pilot, " but longer now")
        await pilot.pause()
        assert not field.has_class("-invalid")


# -- toasts never cover a dialog's buttons ----------------------------------------------------


async def test_a_toast_does_not_cover_the_buttons_of_a_dialog(make_app, bcbs) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_drawer(pilot)
        await choose(pilot, "inbound_id", "+ Type")
        await type_text(pilot, "99999")
        await choose(pilot, "payer", "BCBS")
        await pilot.press("ctrl+r")  # "Primary settings copied to Secondary." — a toast
        await pilot.pause()
        await pilot.press("ctrl+s")  # "Attach Inbound ID 99999 to payer BCBS?"
        await pilot.pause()
        app.notify("A toast while the question is asked.", timeout=10)
        await pilot.pause(0.3)
        assert isinstance(app.screen, ConfirmationModal)
        toasts = [t.region for t in app.screen.query("Toast")]
        assert toasts
        for button in app.screen.query(Button):
            assert all(not toast.overlaps(button.region) for toast in toasts), button.id


# -- keys that lied or did nothing -------------------------------------------------------------


async def test_k_with_a_locked_keyring_opens_the_unlock_dialog_then_the_key_form(
        store, admin, tmp_path, monkeypatch) -> None:
    from pctui.store import connections, payers
    from pctui.store.connections import ConnectionDraft

    monkeypatch.setenv("PCTUI_KEYRING", "file")
    secrets = SecretStore.for_database(store.path, store.database_id)
    secrets.unlock("a shared passphrase")
    bcbs_id = payers.store_payer(store, admin, payers.PayerDraft(
        "BCBS", "Blue Cross", "commercial", "1", ["1"])).id
    connections.save_connection(store, secrets, admin, ConnectionDraft(
        bcbs_id, "BCBS API", "https", "https://x.example"))
    secrets.lock()
    app = PctuiApp(store=store, secrets=secrets, login="alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, KeyringUnlockModal)
        await type_text(pilot, "a shared passphrase")  # typed keys land in the dialog
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ConnectionForm) and app.screen.key_only


# -- the release and import dialogs ---------------------------------------------------------------


async def test_the_release_dialog_is_as_tall_as_what_it_says(make_app, store, admin) -> None:
    from datetime import UTC, datetime


    add_bcbs_with_rule(store, admin)
    for n in range(10):
        import_era(store, admin, remittance(f"CHK-{n}", BCBS_IN, "BLUE CROSS",
                                            pays_unknown_claim()),
                   datetime(2026, 11, 10 + n, 9, 0, tzinfo=UTC))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4", "m", "r")
        await app.workers.wait_for_complete()  # the release preview
        await pilot.pause()
        lines = [line.strip("█▌▐▀▄ ") for line in rendered(app).splitlines()]
        title = next(i for i, line in enumerate(lines) if "Release 10 payments" in line)
        assert "█ CHK-9 · BCBS · 35.00" in lines[title + 2]  # nothing blank above
        dialog = app.screen.query_one("#dialog")
        assert dialog.region.height <= 24
        # the payments and the preview scroll; the fields and the buttons stay in sight
        deposit = next(i for i, line in enumerate(lines) if "Deposit date" in line)
        assert lines[deposit - 1] == ""  # no blank lines but the field's own margin
        assert lines[deposit - 2]
        assert any("Release (^S)" in line for line in lines)
        summary = app.screen.query_one("#release-summary")
        summary.scroll_end(animate=False)
        await pilot.pause()
        text = rendered(app)
        assert "CHK-7: 0 found, 1 not found" in text, text  # the preview, read to its end
        assert "… and 3 more" in str(app.screen.query_one("#release-list").render())


async def test_the_import_dialog_completes_paths_and_gives_the_results_the_keys(
        make_app, tmp_path) -> None:
    inbox = tmp_path / "era-inbox"
    inbox.mkdir()
    for n in range(12):  # more reasons than fit: the last one is read by scrolling
        (inbox / f"{n:02d}-notes.txt").write_text("not an 835")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4", "i")
        await pilot.pause()
        await type_text(pilot, str(tmp_path / "era-in"))
        await pilot.pause(0.2)
        await pilot.press("right")  # takes the suggested completion
        assert app.screen.query_one("#import-path").value == f"{inbox}/"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        results = app.screen.query_one("#import-results")
        assert app.focused is results
        assert "11-notes.txt" not in rendered(app)  # below the fold at first
        await pilot.press("end")
        await pilot.pause()
        assert "11-notes.txt" in rendered(app)


async def test_a_search_typed_ahead_lands_in_the_search_not_on_the_lists_keys(
        make_app, store, admin) -> None:
    """Over a slow SSH link "/garc" arrives in one burst: the c must not open Conflicts."""
    from textual import events

    from pctui.ui.screens.claims import ClaimsSection
    from pctui.ui.widgets.list_table import ListPanel

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        await pilot.pause()
        for key, char in [("slash", "/"), ("g", "g"), ("a", "a"), ("r", "r"), ("c", "c"),
                          ("slash", "/"), ("1", "1")]:
            app.post_message(events.Key(key, char))
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "Screen"  # no dialog opened by the typed c
        # and in the search a / is just a character
        assert app.query_one(ClaimsSection).query_one(ListPanel).search_input.value == "garc/1"


# -- keys in dialogs that did nothing -------------------------------------------------------------


async def test_rework_and_close_by_hand_say_why_when_no_line_is_open(make_app) -> None:
    from pctui.ui.screens.error_worklist import ErrorWorklistScreen

    app = make_app()
    told: list[str] = []
    notify = app.notify
    app.notify = lambda message, **kw: (told.append(message), notify(message, **kw))[1]  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4", "e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ErrorWorklistScreen)
        assert "Nothing open here." in rendered(app)
        for key in ("w", "c"):
            await pilot.press(key)
            await pilot.pause()
            assert told and "no line" in told[-1].lower(), (key, told)
            told.clear()


# -- the audit log in words --------------------------------------------------------------------------


async def test_the_audit_log_says_what_was_set_not_every_setting_left_empty(
        make_app, store, admin, secrets) -> None:
    from pctui.store import connections, payers
    from pctui.store.connections import ConnectionDraft

    with store.write() as session:
        payer_id = payers.save_payer(session, admin, payers.PayerDraft(
            "BCBS", "Blue Cross Blue Shield of Texas", "commercial", "BCBS1", ["84980"])).id
    connections.save_connection(store, secrets, admin, ConnectionDraft(
        payer_id, "BCBS TX direct API", "https", "https://edi.bcbstx.example/v2/claims",
        "PCTUI01", "84980"))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("l")
        await pilot.pause()
        # the entry whole, one change a line (Tab into it to read the lines below the fold)
        text = str(app.screen.query_one("#audit-detail-text").render())
        assert "\n  Name: — → BCBS TX direct API" in text
        assert "CA bundle" not in text  # left empty: nothing changed, nothing said
        assert "— → —" not in text


# -- what a biller decides by is visible ----------------------------------------------------------


async def test_a_refused_files_reason_is_read_whole_in_the_mailbox_at_80x24(
        make_app, store, admin, secrets) -> None:
    from tests.ui.snapshots import section_key
    from tests.ui.test_snapshots_mailbox import filled

    filled.__wrapped__(store, admin, secrets)  # the four files of the mailbox pictures
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(section_key("mailbox"))  # the newest file first: the refused one
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = " ".join(line.strip("│ ") for line in rendered(app).splitlines())
        assert "refused: ISA15 is 'P' but RUSH / Rushmore SFTP is a test connection" in text
        assert "(ISA15 T): not sent" in text


async def test_poll_now_and_test_connection_are_as_tall_as_what_they_say(
        make_app, store, admin, secrets) -> None:
    from tests.ui.test_snapshots_mailbox import filled

    filled.__wrapped__(store, admin, secrets)  # one SFTP connection, not ready
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        for key in ("G", "t"):
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause()
            dialog = app.screen.query_one("#dialog")
            assert "Escape closes" in rendered(app)
            assert dialog.region.height <= 10, (key, dialog.region)  # not 40 rows of nothing
            await pilot.press("escape")
            await pilot.pause()


async def test_once_released_the_dialog_offers_no_second_release(make_app, store, admin) -> None:
    from datetime import UTC, datetime

    from pctui.ui.widgets.key_footer import KeyFooter

    add_bcbs_with_rule(store, admin)
    import_era(store, admin, remittance("CHK-1", BCBS_IN, "BLUE CROSS", pays_unknown_claim()),
               datetime(2026, 11, 10, 9, 0, tzinfo=UTC))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4", "m", "r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        footer = app.screen_stack[0].query_one(KeyFooter)
        assert "^s Release" in str(footer.render())
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "1 of 1 released" in rendered(app)
        # done: no Release button or ^s left to press, only Close
        assert not app.screen.query_one("#release", Button).display
        assert "Release (^S)" not in rendered(app)
        line = str(footer.render())
        assert "Release" not in line and "esc Close" in line, line


async def test_an_import_reason_wraps_under_the_file_name_and_does_not_repeat_its_path(
        make_app, tmp_path) -> None:
    inbox = tmp_path / "era-inbox"
    inbox.mkdir()
    (inbox / "scan-of-a-letter.txt").write_text("Dear provider, please find enclosed " * 4)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4", "i")
        await pilot.pause()
        await type_text(pilot, str(inbox))
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        box = app.screen.query_one("#import-results-text").content_region
        lines = [line[box.x:box.right] for line in rendered(app).splitlines()[box.y:box.bottom]]
        assert lines[0].startswith("✗ rejected ")
        name_at = lines[0].index("scan-of-a-letter.txt")
        reason = [line for line in lines[1:] if line.strip()]
        assert reason[0][name_at:].startswith("not an X12 file"), reason
        assert len(reason) >= 2  # long enough to wrap
        for line in reason:  # every line of the reason starts under the file name
            assert line[:name_at].strip() == "" and line[name_at] != " ", (name_at, line)
        assert str(inbox) not in "\n".join(lines)  # the file is named once, above
