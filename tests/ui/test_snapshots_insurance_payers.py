"""What ADMIN → Insurance Payers looks like at 80x24 and 120x40."""

from __future__ import annotations

import pytest

from pctui.store import connections, payers
from pctui.store.connections import ConnectionDraft


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


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_insurance_payers_section(snap_compare, make_app, populated, size) -> None:
    assert snap_compare(make_app(), terminal_size=size)


def test_add_payer_connection_form_at_80x24(snap_compare, make_app, populated) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["a"])


def test_insurance_payers_for_a_biller_at_80x24(snap_compare, make_app, populated) -> None:
    assert snap_compare(make_app("bob"), terminal_size=(80, 24))
