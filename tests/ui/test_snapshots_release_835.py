"""What PAYMENTS → Release 835 looks like at 80x24: Ready, blocked and released payments."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pctui.store import intake, release
from tests.ui.test_release_835 import (
    ACME_IN,
    BCBS_IN,
    add_acme,
    add_bcbs_with_rule,
    import_era,
    pays_pcn100,
    pays_unknown_claim,
    remittance,
)


@pytest.fixture
def mixed(store, admin) -> None:
    """Two Ready, two blocked (one under an Inbound ID no payer owns), one released."""
    add_bcbs_with_rule(store, admin)
    add_acme(store, admin)
    eras = [
        ("EFT20261121A", BCBS_IN, "BLUE CROSS", pays_pcn100(), 21),
        ("884120034", ACME_IN, "ACME HEALTH PLAN", pays_unknown_claim(), 20),
        ("EFT20261119B", BCBS_IN, "BLUE CROSS", pays_unknown_claim(), 19),
        ("CHK0019922", "77001", "MUTUAL OF OMAHA", pays_unknown_claim(), 18),
        ("EFT20261117C", BCBS_IN, "BLUE CROSS", pays_unknown_claim(), 17),
    ]
    ids = [import_era(store, admin, remittance(check, inbound, payer, paid),
                      datetime(2026, 11, day, 9, 30, tzinfo=UTC))
           for check, inbound, payer, paid, day in eras]
    release.release_era(store, admin, ids[-1], date(2026, 11, 21), "B20261121-01")
    intake.validate_pending(store)


def test_release_835_list_with_ready_and_blocked_payments(snap_compare, make_app,
                                                          mixed) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["f4", "down"])


def test_release_835_filter_bar_at_80x24(snap_compare, make_app, mixed) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["f4", "f"])


def test_payment_detail_at_80x24(snap_compare, make_app, mixed) -> None:
    async def open_detail(pilot) -> None:
        await pilot.press("f4", "enter")
        await pilot.app.workers.wait_for_complete()  # the payment is read off the UI thread
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=open_detail)
