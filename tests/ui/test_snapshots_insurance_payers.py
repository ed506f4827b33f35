"""What ADMIN → Insurance Payers and its dialogs look like at 80x24 and 120x40."""

from __future__ import annotations

import pytest

from pctui.store import connections, payers
from pctui.store.connections import ConnectionDraft
from tests.ui.snapshots import SIZES, fix_times, fixed_export_path, keys  # noqa: F401


@pytest.fixture
def populated(store, admin, secrets):
    with store.write() as session:
        bcbs = payers.save_payer(session, admin, payers.PayerDraft(
            "BCBS", "Blue Cross Blue Shield of Texas", "commercial", "84980", ["84980"])).id
        mcr = payers.save_payer(session, admin, payers.PayerDraft(
            "MCR", "Medicare Part B", "medicare", "01312", ["01312"])).id
    connections.save_connection(store, secrets, admin, ConnectionDraft(
        bcbs, "BCBS TX direct API", "https", "https://edi.bcbstx.example/v2/claims", "PCTUI01",
        "84980", ["5010-SNIP2"]), api_key="sk_live_0000aaaa1234")
    connections.save_connection(store, secrets, admin, ConnectionDraft(
        mcr, "Medicare SFTP", "sftp", "sftp.mcr.example:22/inbound", "PCTUI01", "01312",
        ["5010-SNIP1", "MCR-NCCI"]))
    view = connections.save_connection(store, secrets, admin, ConnectionDraft(
        mcr, "Old Medicare gateway", "clearinghouse", "https://old.example/claims"))
    connections.set_active(store, admin, view.id, False)
    fix_times(store)


SCREENS = {
    "section": keys(),
    "with_inactive": keys("i"),
    "sidebar_hidden": keys("ctrl+b"),
    "add_form": keys("a"),
    "edit_form": keys("e"),
    "key_form": keys("k"),
    "deactivate_question": keys("d"),
    "audit_log": keys("l"),
    "search": keys("slash", "m", "e", "d"),
    "sort_picker": keys("s"),
    "export_dialog": keys("ctrl+e"),
    "help": keys("f1"),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_insurance_payers(snap_compare, make_app, populated, screen, size) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=SCREENS[screen])


@pytest.mark.parametrize("size", SIZES)
def test_insurance_payers_for_a_biller(snap_compare, make_app, populated, size) -> None:
    assert snap_compare(make_app("bob"), terminal_size=size)
