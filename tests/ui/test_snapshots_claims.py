"""What PAYMENTS → Claims looks like at 80x24: the list, and one claim's ledger."""

from __future__ import annotations

from sqlalchemy import update

from pctui.store import tables
from tests.ui.test_claims import POSTED, paid_claims  # noqa: F401 - the same deterministic data


def _charges_posted_on_a_fixed_day(store) -> None:
    # Opening charges are stamped "now"; the picture must not change from day to day.
    with store.write() as session:
        session.execute(update(tables.LedgerEntry).values(created_at=POSTED))


def test_claims_list_at_80x24(snap_compare, make_app, paid_claims) -> None:  # noqa: F811
    async def open_claims(pilot) -> None:
        pilot.app.action_show_section("claims")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=open_claims)


def test_claim_ledger_at_80x24(snap_compare, make_app, store, paid_claims) -> None:  # noqa: F811
    _charges_posted_on_a_fixed_day(store)

    async def open_ledger(pilot) -> None:
        pilot.app.action_show_section("claims")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=open_ledger)
