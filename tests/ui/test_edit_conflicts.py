"""Two admins, two SSH sessions, one connection (or payer): the second to save is shown what
the first changed, and chooses to reload theirs or save over it. The confirmation compares with
what is saved now, never with the stale copy the form opened with."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from pctui.core.codes import Role
from pctui.store import connections, payers, users
from pctui.store.connections import ConnectionDraft
from pctui.ui.screens.connection_form import ConnectionForm
from pctui.ui.screens.payer_form import PayerForm
from pctui.ui.widgets.conflict import EditConflictModal
from pctui.ui.widgets.modals import ConfirmationModal
from tests.ui.helpers import screen_text


@pytest.fixture
def carol(store, admin) -> users.Actor:
    users.add_user(store, admin, "carol", Role.ADMIN)
    return users.identify(store, "carol")


@pytest.fixture
def link(store, admin, secrets) -> connections.ConnectionView:
    payer = payers.store_payer(store, admin, payers.PayerDraft(
        "BCBS", "Blue Cross", "commercial", "BCBSX", ["12345"]))
    return connections.save_connection(store, secrets, admin, ConnectionDraft(
        payer.id, "BCBS direct", "https", "https://edi.bcbs.example/claims"))


def carol_changes_the_endpoint(store, secrets, carol, link) -> None:
    theirs = link.draft()
    theirs.endpoint = "https://v2.bcbs.example/claims"
    connections.save_connection(store, secrets, carol, theirs, link.id,
                                expected_version=link.version)


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_and_edit_submitter(pilot) -> None:
    await pilot.press("e")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ConnectionForm)
    pilot.app.screen.query_one("#submitter_id", Input).value = "SUB01"


async def test_the_second_editor_sees_the_difference_and_reloads_theirs(
    make_app, store, secrets, carol, link
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_and_edit_submitter(pilot)
        carol_changes_the_endpoint(store, secrets, carol, link)  # from her own session
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, EditConflictModal)
        text = screen_text(pilot)
        assert "Changed by carol while you were editing" in text
        assert ("Endpoint: saved now https://v2.bcbs.example/claims; yours "
                "https://edi.bcbs.example/claims") in text
        assert "Submitter ID: saved now —; yours SUB01" in text
        await pilot.press("r")
        await pilot.pause()
        assert not isinstance(app.screen, (EditConflictModal, ConnectionForm))
        assert any("Your changes were discarded" in n.message for n in app._notifications)
    stored = connections.get_connection(store, link.id)
    assert (stored.endpoint, stored.submitter_id) == ("https://v2.bcbs.example/claims", "")


async def test_saving_over_theirs_confirms_against_what_is_saved_now(
    make_app, store, secrets, carol, link
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_and_edit_submitter(pilot)
        carol_changes_the_endpoint(store, secrets, carol, link)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, EditConflictModal)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmationModal)
        text = screen_text(pilot)
        # the "before" is carol's saved endpoint, not the one this form was opened with
        assert ("Endpoint: https://v2.bcbs.example/claims → https://edi.bcbs.example/claims"
                in text)
        await pilot.press("y")
        await settle(pilot)
        assert not isinstance(app.screen, (ConfirmationModal, ConnectionForm))
    stored = connections.get_connection(store, link.id)
    assert (stored.endpoint, stored.submitter_id, stored.version) == (
        "https://edi.bcbs.example/claims", "SUB01", 3)


async def test_the_second_editor_of_a_payer_is_told_too(make_app, store, carol) -> None:
    payer = payers.store_payer(store, carol, payers.PayerDraft(
        "AETNA", "Aetna", "commercial", "", ["60054"]))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, PayerForm)
        app.screen.query_one("#name", Input).value = "Aetna Better Health"
        payers.store_payer(store, carol, payers.PayerDraft(
            "AETNA", "Aetna Inc.", "commercial", "", ["60054"]), payer.id,
            expected_version=payer.version)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, EditConflictModal)
        assert "Name: saved now Aetna Inc.; yours Aetna Better Health" in screen_text(pilot)
        await pilot.press("escape")  # back to my form, nothing lost
        await pilot.pause()
        assert isinstance(app.screen, PayerForm)
        assert app.screen.query_one("#name", Input).value == "Aetna Better Health"
        assert "Not saved: carol changed the payer AETNA" in screen_text(pilot)
    assert payers.get_payer(store, payer.id).name == "Aetna Inc."


def test_the_edit_conflict_dialog_at_80x24(snap_compare, make_app, store, secrets, carol,
                                           link) -> None:
    from sqlalchemy import text

    async def second_to_save(pilot) -> None:
        await open_and_edit_submitter(pilot)
        carol_changes_the_endpoint(store, secrets, carol, link)
        with store.write() as session:  # a fixed time for the picture
            session.exec(text("update auditentry set at = '2026-12-01 14:02:00.000000'"))
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=second_to_save)
