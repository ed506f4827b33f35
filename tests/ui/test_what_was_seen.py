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
from tests.ui.helpers import choose, type_text
from tests.ui.test_payer_rules import bcbs, invalid_fields, open_drawer  # noqa: F401

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
