"""What PAYMENTS → Claims Out looks like at 80x24 and 120x40: the queue with a held claim, its correction,
its story."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from pctui.store import tables
from tests.ui.snapshots import SIZES
from tests.ui.test_claims_out import day  # noqa: F401 - the same deterministic data

FIXED = "2026-12-01 09:30:00"


def _fixed_times(store) -> None:
    from datetime import UTC, datetime

    with store.write() as session:
        session.execute(update(tables.Claim).values(
            status_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC)))


@pytest.mark.parametrize("size", SIZES)
def test_claims_out_queue(snap_compare, make_app, store, day, size) -> None:  # noqa: F811
    _fixed_times(store)

    async def open_queue(pilot) -> None:
        pilot.app.action_show_section("claims-out")
        await pilot.pause()

    assert snap_compare(make_app("bob"), terminal_size=size, run_before=open_queue)


@pytest.mark.parametrize("size", SIZES)
def test_claim_correction_form(snap_compare, make_app, store, day, size) -> None:  # noqa: F811
    async def open_form(pilot) -> None:
        pilot.app.action_show_section("claims-out")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()

    assert snap_compare(make_app("bob"), terminal_size=size, run_before=open_form)


@pytest.mark.parametrize("size", SIZES)
def test_claim_story(snap_compare, make_app, store, day, size) -> None:  # noqa: F811
    from datetime import UTC, datetime

    _fixed_times(store)
    with store.write() as session:
        session.execute(update(tables.ClaimStatusChange).values(
            at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC)))

    async def open_story(pilot) -> None:
        pilot.app.action_show_section("claims-out")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()

    assert snap_compare(make_app("bob"), terminal_size=size, run_before=open_story)
