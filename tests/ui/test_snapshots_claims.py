"""What PAYMENTS → Claims and a claim's ledger look like at 80x24 and 120x40."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from pctui.store import tables
from tests.ui.snapshots import SIZES, fixed_export_path, keys  # noqa: F401
from tests.ui.test_claims import POSTED, paid_claims  # noqa: F401 - the same deterministic data


@pytest.fixture
def claims_on_a_fixed_day(store, paid_claims) -> None:  # noqa: F811
    # Opening charges are stamped "now"; the picture must not change from day to day.
    with store.write() as session:
        session.execute(update(tables.LedgerEntry).values(created_at=POSTED))


SCREENS = {
    "list": keys("f5"),
    "owing_only": keys("f5", "b"),
    "sorted_by_balance": keys("f5", "s", "down", "down", "down", "enter"),
    "search": keys("f5", "slash", "d", "o", "e", "enter"),
    "ledger": keys("f5", "enter"),
    "export_dialog": keys("f5", "ctrl+e"),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_claims(snap_compare, make_app, claims_on_a_fixed_day, screen, size) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=SCREENS[screen])
