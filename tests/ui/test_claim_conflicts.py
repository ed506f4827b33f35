"""The biller's story for claim conflicts: an imported original reused a claim number already on
file with other content; from PAYMENTS → Claims, c opens the conflicts, the biller compares both
versions and keeps the claim on file (k) or takes the new one (t)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import update
from sqlmodel import select
from textual.widgets import DataTable

from pctui.core.codes import Role
from pctui.store import claims, intake, tables, users
from pctui.store.claim_intake import ConflictStatus, count_open_conflicts
from pctui.ui.screens.claim_conflicts import ClaimConflictsScreen
from pctui.ui.widgets.modals import ConfirmationModal
from tests.ui.helpers import rendered, screen_text
from tests.ui.snapshots import SIZES
from tests.ui.test_claims import POSTED
from tests.x12.claim_samples import ClaimSpec, Line, build_837


def _file(charge_line_1: str, n: int, patient: str = "DOE*JANE") -> bytes:
    spec = ClaimSpec("CLM2001", "", [Line("99213", charge_line_1, control="CLM2001-1"),
                                     Line("36415", "25.00", control="CLM2001-2")],
                     patient=patient)  # fmt: skip
    spec.charge = f"{float(charge_line_1) + 25:.2f}"
    return build_837([[spec]]).replace("000000001", f"{n:09d}").encode()


@pytest.fixture
def conflict(store, admin) -> int:
    """CLM2001 on file for 125.00; a second file bills it at 150.00 for another patient."""
    first = intake.import_bytes(store, "monday.837", _file("100.00", 1), admin)
    assert first.status is intake.ImportStatus.IMPORTED
    second = intake.import_bytes(store, "tuesday.837", _file("125.00", 2, "ROE*RICHARD"), admin)
    [note] = second.conflicts
    with store.write() as session:  # a fixed day, so the picture does not change
        session.execute(update(tables.ClaimConflict).values(found_at=POSTED))
    return note["id"]


def conflict_status(store, conflict_id: int) -> str:
    with store.read() as session:
        row = session.get(tables.ClaimConflict, conflict_id)
    assert row is not None
    return row.status


def charge_on_file(store) -> str:
    [row] = claims.list_claims(store, "CLM2001")
    return f"{row.charge:.2f}"


async def open_conflicts(pilot) -> None:
    pilot.app.action_show_section("claims")
    await pilot.pause()
    await pilot.press("c")
    await pilot.pause()


async def test_the_claims_list_says_a_conflict_waits_and_c_shows_both_versions(
    make_app, store, conflict
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        app.action_show_section("claims")
        await pilot.pause()
        assert "1 conflict waiting (c)" in screen_text(pilot)

        await pilot.press("c")
        await pilot.pause()

        assert isinstance(app.screen, ClaimConflictsScreen)
        text = screen_text(pilot)
        assert "Claim conflicts: 1 claim waiting for a biller" in text
        assert f"{conflict} | CLM2001 | ROE, RICHARD | 125.00 | 150.00 | tuesday.837" in text
        assert "· total charge 125.00 → 150.00" in text
        assert "· patient DOE, JANE → ROE, RICHARD" in text
        assert "· line 1: charge 100.00 → 125.00" in text
        assert "  1. 99213 100.00 on 2024-01-05" in text  # on file
        assert "  1. 99213 125.00 on 2024-01-05" in text  # new


async def test_taking_the_new_claim_asks_first_then_replaces_the_claim_on_file(
    make_app, store, conflict
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await open_conflicts(pilot)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmationModal)
        assert "Payments already posted stay on the claim" in screen_text(pilot)

        await pilot.press("n")  # go back: nothing changes
        await pilot.pause()
        assert conflict_status(store, conflict) == ConflictStatus.OPEN

        await pilot.press("t")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()

        assert conflict_status(store, conflict) == ConflictStatus.TAKEN
        assert charge_on_file(store) == "150.00"
        assert "Claim conflicts: none waiting" in screen_text(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert "conflict waiting" not in screen_text(pilot)
        assert "CLM2001 | ROE, RICHARD" in screen_text(pilot)


async def test_keeping_the_claim_on_file_sets_the_new_one_aside(make_app, store, conflict) -> None:
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await open_conflicts(pilot)
        await pilot.press("k")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()

    assert conflict_status(store, conflict) == ConflictStatus.KEPT
    assert charge_on_file(store) == "125.00"
    with store.read() as session:
        [entry] = session.exec(select(tables.AuditEntry).where(
            tables.AuditEntry.entity == "claim_conflict")).all()  # fmt: skip
    assert (entry.action, entry.entity_id, entry.user_login) == (
        "kept_claim_on_file", conflict, "alice")


async def test_someone_not_registered_sees_conflicts_but_cannot_decide(
    make_app, store, conflict
) -> None:
    app = make_app("mallory")
    async with app.run_test(size=(100, 32)) as pilot:
        await open_conflicts(pilot)
        await pilot.press("t")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmationModal)
    assert count_open_conflicts(store) == 1


async def test_a_conflict_resolved_elsewhere_meanwhile_is_refused_with_who(
    make_app, store, admin, conflict
) -> None:
    users.add_user(store, admin, "bob", Role.BILLER)
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await open_conflicts(pilot)
        from pctui.store.claim_intake import resolve_conflict

        resolve_conflict(store, users.identify(store, "bob"), conflict, take_new=False)
        await pilot.press("t")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert conflict_status(store, conflict) == ConflictStatus.KEPT
        assert charge_on_file(store) == "125.00"
        table = app.screen.query_one("#conflicts-table", DataTable)
        assert table.row_count == 0


@pytest.mark.parametrize("size", SIZES)
def test_claim_conflicts(snap_compare, make_app, conflict, size) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=open_conflicts)


async def test_the_file_a_conflict_came_in_is_named_whole_from_a_deep_folder(
        make_app, store, admin) -> None:
    deep = "/srv/billing/clearinghouse/inbound/2026/december/week-49/"
    intake.import_bytes(store, deep + "monday.837", _file("100.00", 1), admin)
    intake.import_bytes(store, deep + "tuesday-batch-0042.837", _file("125.00", 2, "ROE*RICHARD"),
                        admin)
    for size in ((80, 24), (120, 40)):
        app = make_app()
        async with app.run_test(size=size) as pilot:
            await open_conflicts(pilot)
            table = app.screen.query_one("#conflicts-table")
            shown = rendered(app).splitlines()[table.region.y:table.region.bottom]
            row = next(line for line in shown if "CLM2001" in line)
            # the file's name, not the folder everyone's files come from, and the day found
            assert "tuesday-batch-0042.837" in row and "/srv/billing" not in row, (size, row)
            if size == (120, 40):  # at 80 columns the day found may go to the right
                assert f"{datetime.now():%Y-%m-%d}" in row, (size, row)
