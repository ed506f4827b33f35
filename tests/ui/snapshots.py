"""What every snapshot test shares: the two terminal sizes, fixed times, and a way to open a
screen from the keyboard before the picture is taken."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from pctui.store import tables

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
FIXED = datetime(2026, 11, 20, 15, 45, tzinfo=UTC)


def fix_times(store) -> None:
    """Changes are stamped "now": the pictures must not change from day to day."""
    with store.write() as session:
        session.execute(update(tables.AuditEntry).values(at=FIXED))
        session.execute(update(tables.LedgerEntry).values(created_at=FIXED))
        session.execute(update(tables.Release).values(released_at=FIXED))


def section_key(section_id: str) -> str:
    """The function key that opens a section (F2 the first): found, not counted by hand, so a
    section added before it does not send a test somewhere else."""
    from pctui.ui.app import SECTIONS

    return f"f{[s.SECTION_ID for s in SECTIONS].index(section_id) + 2}"


def keys(*pressed: str, wait: bool = False, quiet: bool = False):
    """A run_before that presses keys (and waits for background reads when asked). ``quiet``
    takes away the toasts the keys raised: whether one is still up when the picture is taken
    depends on how busy the machine is, not on the screen being pinned."""
    async def run_before(pilot) -> None:
        await pilot.press(*pressed)
        if wait:
            await pilot.app.workers.wait_for_complete()
        if quiet:
            await pilot.pause()
            pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


@pytest.fixture(autouse=True)
def fixed_export_path(monkeypatch) -> None:
    """The CSV export dialog proposes a file named by the minute: one fixed name here."""
    from pathlib import Path

    from pctui.ui.widgets import list_table

    monkeypatch.setattr(list_table, "default_export_path",
                        lambda name, now=None: Path(f"/home/biller/pctui-{name}.csv"))
