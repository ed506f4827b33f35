"""What PAYMENTS → Release 835 and its dialogs look like at 80x24 and 120x40: Ready, blocked and
released payments, filters, detail, release, import, rejected files."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from pctui.store import intake, release, tables
from tests.ui.snapshots import SIZES, fix_times, fixed_export_path, keys  # noqa: F401
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
    """Two Ready, two blocked (one under an Inbound ID no payer owns), one released, one
    rejected file."""
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
    rejected = intake.import_bytes(store, "notes-from-the-bank.txt", b"not an 835", admin)
    with store.write() as session:
        session.execute(update(tables.ImportedFile)
                        .where(tables.ImportedFile.id == rejected.file_id)
                        .values(loaded_at=datetime(2026, 11, 21, 10, 0, tzinfo=UTC)))
    fix_times(store)


async def _release_dialog(pilot) -> None:
    await pilot.press("f4", "m", "r")
    await pilot.pause()
    pilot.app.screen.query_one("#deposit-date").value = "2026-11-22"
    await pilot.pause()


SCREENS = {
    "list": keys("f4", "down"),
    "with_released": keys("f4", "h", quiet=True),
    "filter_bar": keys("f4", "f"),
    "find_a_claim": keys("f4", "slash", "p", "c", "n", "4", "0", "4", "enter"),
    "rejected_files": keys("f4", "v"),
    "payment_detail": keys("f4", "enter", wait=True),
    "payment_detail_posting": keys("f4", "h", "end", "d", wait=True, quiet=True),
    "release_dialog": _release_dialog,
    "import_dialog": keys("f4", "i"),
    "rule_drawer_from_a_blocked_835": keys("f4", "down", "enter"),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_release_835(snap_compare, make_app, mixed, screen, size) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=SCREENS[screen])
