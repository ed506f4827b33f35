"""After a release, in the app (SPEC 2.4), driven from the keyboard with Pilot: the Held list, the
worklist of open error-report lines with rework and closing by hand, rework from a payment's
error report, void with a reason, and the batch report; each also pinned at 80x24."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from textual.widgets import Button

from pctui.core.claim import Claim as ClaimModel
from pctui.core.claim import ClaimPayerRef, ServiceLine
from pctui.core.codes import PayerLevel
from pctui.core.era import ClaimPayment
from pctui.store import batches, claims, intake, payers, release, rework, rules
from pctui.store.db import Store
from pctui.store.users import Actor
from pctui.ui.screens.batch_report import BatchReportScreen
from pctui.ui.screens.era_detail import EraDetailScreen
from pctui.ui.screens.error_worklist import CloseLineDialog, ErrorWorklistScreen
from pctui.ui.screens.release_dialog import ReleaseDialog
from pctui.ui.screens.void_dialog import VoidDialog
from pctui.ui.widgets.list_table import ListTable
from tests.ui.helpers import listed, screen_text, type_text
from tests.ui.snapshots import SIZES, fix_times
from tests.ui.test_release_835 import (
    BCBS_IN,
    CHECK,
    DOS,
    STATUS,
    add_bcbs_with_rule,
    import_era,
    line,
    open_release_835,
    remittance,
    row_of,
    rows,
    section,
)

D = Decimal
AETNA_IN = "60054"
DEPOSIT = date(2026, 11, 22)


def add_aetna_with_rule(store: Store, admin: Actor) -> int:
    with store.write() as session:
        aetna = payers.save_payer(session, admin, payers.PayerDraft(
            "AETNA", "Aetna", "commercial", "AETNA-OUT", [AETNA_IN])).id
    assert aetna is not None
    rules.save_rule(store, admin, rules.RuleDraft(AETNA_IN, aetna,
                                                  levels=rules.default_levels("commercial")))
    return aetna


def add_claim(store: Store, claim_id: str, payers_on_claim: dict[PayerLevel, ClaimPayerRef]) -> None:
    with store.write() as session:
        claims.add_demo_claim(session, ClaimModel(
            claim_id, D("100.00"), "DOE, JANE",
            [ServiceLine(1, "99213", charge=D("100.00"), service_date=DOS,
                         control_number=f"{claim_id}-1")], payers_on_claim, DOS))


BCBS = ClaimPayerRef("Blue Cross Blue Shield", "BCBS-OUT")
AETNA = ClaimPayerRef("Aetna", "AETNA-OUT")


@pytest.fixture
def crossover(store: Store, admin: Actor) -> dict[str, int]:
    """PCN200: Blue Cross, then Aetna. PCN300: Blue Cross alone. Aetna's secondary payment
    (CHK-AET) and Blue Cross's (CHK-BC: PCN200, PCN300 and an unknown PCN404), not released."""
    add_bcbs_with_rule(store, admin)
    add_aetna_with_rule(store, admin)
    add_claim(store, "PCN200", {PayerLevel.PRIMARY: BCBS, PayerLevel.SECONDARY: AETNA})
    add_claim(store, "PCN300", {PayerLevel.PRIMARY: BCBS})
    bcbs = [
        ClaimPayment("PCN200", "1", D("100.00"), D("60.00"), service_lines=[
            line("PCN200", 1, "99213", "100.00", "60.00", ("CO", "45", "10.00"),
                 ("PR", "2", "30.00"))]),
        ClaimPayment("PCN300", "1", D("100.00"), D("80.00"), service_lines=[
            line("PCN300", 1, "99213", "100.00", "80.00", ("CO", "45", "20.00"))]),
        ClaimPayment("PCN404", "1", D("50.00"), D("35.00"), service_lines=[
            line("PCN404", 1, "99212", "50.00", "35.00", ("CO", "45", "15.00"))]),
    ]  # fmt: skip
    aetna = [ClaimPayment("PCN200", "2", D("100.00"), D("25.60"), service_lines=[
        line("PCN200", 1, "99213", "100.00", "25.60", ("OA", "23", "70.00"),
             ("CO", "45", "4.40"))])]  # fmt: skip
    ids = {
        "bc": import_era(store, admin, remittance("CHK-BC", BCBS_IN, "BLUE CROSS", *bcbs),
                         datetime(2026, 11, 21, 9, 0, tzinfo=UTC)),
        "aet": import_era(store, admin, remittance("CHK-AET", AETNA_IN, "AETNA", *aetna,
                                                   paid_on=date(2026, 11, 19)),
                          datetime(2026, 11, 20, 9, 0, tzinfo=UTC)),
    }
    intake.validate_pending(store)
    return ids


def owed(store: Store, claim_id: str) -> dict[str, Decimal]:
    (row,) = claims.list_claims(store, claim_id)
    return {str(p): v for p, v in row.balance.items() if v}


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def show_released(pilot) -> None:
    """Release 835 with released payments shown too (h): they are hidden until asked for."""
    await pilot.press("f4")
    await settle(pilot)
    await pilot.press("h")
    await settle(pilot)


async def highlight(pilot, check: str) -> None:
    index = [r[CHECK] for r in rows(pilot.app)].index(check)
    section(pilot.app).table.move_cursor(row=index)
    await pilot.pause()


async def void_from_detail(pilot, check: str, reason: str) -> None:
    """Open the payment's detail, v, type the reason and ^S: as a biller voids a release."""
    await highlight(pilot, check)
    await pilot.press("d")
    await settle(pilot)
    await pilot.press("v")
    await pilot.pause()
    await type_text(pilot, reason)
    await pilot.press("ctrl+s")
    await settle(pilot)


# -- the release dialog's preview ---------------------------------------------------------------


async def test_the_release_dialog_says_what_will_post_before_the_biller_confirms(
        make_app, store, crossover) -> None:
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot)
        await pilot.press("m", "r")
        await settle(pilot)
        assert isinstance(app.screen, ReleaseDialog)
        text = screen_text(pilot)
        # Released together Blue Cross posts first, so Aetna's secondary is not held.
        assert ("Will post: 3 claims found · 1 not found · 0 held · 0 credits · "
                "1 error-report line") in text
        assert "CHK-BC: 2 found, 1 not found, 1 error-report line" in text
        assert owed(store, "PCN200") == {"primary": D("100.00")}  # nothing posted yet
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert owed(store, "PCN200") == {}


async def test_the_deposit_date_is_never_after_today_and_an_early_one_is_confirmed(
        make_app, store, crossover) -> None:
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot, "CHK-BC")  # paid 2026-11-20
        await pilot.press("space", "r")
        await settle(pilot)
        tomorrow = date.today() + timedelta(days=1)
        await pilot.press("home", "ctrl+k")
        await type_text(pilot, tomorrow.isoformat())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert f"{tomorrow} is after today" in screen_text(pilot)
        assert "Not released: fix the fields above." in screen_text(pilot)
        assert owed(store, "PCN300") == {"primary": D("100.00")}

        await pilot.press("home", "ctrl+k")
        await type_text(pilot, "2026-11-19")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert ("Deposit date 2026-11-19 is before the payment date 2026-11-20 of CHK-BC. "
                "Release again (Ctrl+S) to confirm that date.") in " ".join(
                    screen_text(pilot).split())
        assert owed(store, "PCN300") == {"primary": D("100.00")}  # not yet

        await pilot.press("ctrl+s")  # confirmed
        await settle(pilot)
        assert "Deposit 2026-11-19" in screen_text(pilot)
    assert owed(store, "PCN300") == {}
    (batch,) = batches.batch_reports(store)
    assert (batch.deposit_date, [p.check_number for p in batch.payments]) == (
        date(2026, 11, 19), ["CHK-BC"])


async def test_the_preview_shows_a_secondary_released_alone_as_held(make_app, crossover) -> None:
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot, "CHK-AET")
        await pilot.press("space", "r")
        await settle(pilot)
        assert "CHK-AET: 1 found, 0 not found, 1 held, 1 error-report line" in screen_text(pilot)


# -- the Held list and rework --------------------------------------------------------------------


async def test_a_held_claim_is_on_the_held_list_and_reworked_once_its_primary_is_posted(
        make_app, store, admin, crossover) -> None:
    release.release_eras(store, admin, [crossover["aet"]], DEPOSIT)  # alone: held
    release.release_eras(store, admin, [crossover["bc"]], DEPOSIT)
    assert owed(store, "PCN200") == {"secondary": D("30.00")}
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot)
        await pilot.press("H")
        await settle(pilot)
        assert isinstance(app.screen, ErrorWorklistScreen)
        table = app.screen.query_one("#worklist", ListTable)
        assert listed(table, ["payment", "claim", "kind", "rework"]) == [
            ["CHK-AET", "PCN200", "Held", "ready"]]
        assert "Rework: ready: would be posted" in screen_text(pilot)
        assert "Held claims — all payments · 1 line" in screen_text(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert table.row_count == 0 and "No held claims." in screen_text(pilot)
    assert owed(store, "PCN200") == {}
    assert rework.open_lines(store)[0].claim_id == "PCN404"


async def test_releasing_the_primary_later_says_the_held_secondary_can_be_reworked_now(
        make_app, store, admin, crossover) -> None:
    release.release_eras(store, admin, [crossover["aet"]], DEPOSIT)  # alone: held
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot, "CHK-BC")
        await pilot.press("space", "r")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert ("↻ PCN200 held on payment #2 (CHK-AET) can be reworked now (H: Held list)"
                in screen_text(pilot))
        # Only said, not done: the held secondary is posted when the biller reworks it.
        assert owed(store, "PCN200") == {"secondary": D("30.00")}


async def test_rework_from_a_payments_error_report_and_close_a_line_with_a_note(
        make_app, store, admin, crossover) -> None:
    release.release_eras(store, admin, [crossover["bc"]], DEPOSIT)
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await show_released(pilot)
        await highlight(pilot, "CHK-BC")
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, EraDetailScreen)
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, ErrorWorklistScreen)
        table = app.screen.query_one("#worklist", ListTable)
        assert listed(table, ["claim", "kind", "rework"]) == [
            ["PCN404", "Not found", "not yet"]]
        assert "Rework: not yet: Patient account was not found" in screen_text(pilot)
        await pilot.press("w")  # the claim is still not on file: nothing posts
        await settle(pilot)
        assert table.row_count == 1
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, CloseLineDialog)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "say how the line was worked" in screen_text(pilot)
        await type_text(pilot, "another practice's patient; returned to payer")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert table.row_count == 0
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, EraDetailScreen)
        posting = " ".join(" ".join(app.screen.query_one("#era-posting").lines).split())
        assert "Error report (1 line, 0 open; w: rework or close them):" in posting
        assert ("closed by bob") in posting
        assert "another practice's patient; returned to payer" in posting
    assert rework.open_lines(store) == []


# -- void ---------------------------------------------------------------------------------------


async def test_void_asks_a_reason_names_what_depends_on_it_and_makes_the_payment_ready(
        make_app, store, admin, crossover) -> None:
    release.release_eras(store, admin, [crossover["bc"], crossover["aet"]], DEPOSIT)
    assert owed(store, "PCN200") == {}
    app = make_app()  # alice, an admin
    async with app.run_test(size=(80, 24)) as pilot:
        await show_released(pilot)
        await highlight(pilot, "CHK-BC")
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, VoidDialog)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "a reason is required to void a release" in screen_text(pilot)
        await type_text(pilot, "wrong deposit")
        await pilot.press("ctrl+s")
        await settle(pilot)
        text = screen_text(pilot)
        assert f"payment #{crossover['aet']} (CHK-AET) on PCN200" in text
        assert "Void that payment first." in text
        await pilot.press("escape", "y", "escape")  # discard the reason typed, leave the detail
        await settle(pilot)

        await void_from_detail(pilot, "CHK-AET", "wrong deposit")
        assert isinstance(app.screen, EraDetailScreen)
        posting = " ".join(" ".join(app.screen.query_one("#era-posting").lines).split())
        assert "VOIDED by alice" in posting and "wrong deposit" in posting
        await pilot.press("escape")
        await settle(pilot)
        assert row_of(app, "CHK-AET")[STATUS] == "Ready"
    assert owed(store, "PCN200") == {"secondary": D("30.00")}


async def test_payments_posted_together_that_depend_on_each_other_are_voided_together(
        make_app, store, admin) -> None:
    """CHK-BC is primary on PCN200 and secondary on PCN500; CHK-AET the reverse."""
    add_bcbs_with_rule(store, admin)
    add_aetna_with_rule(store, admin)
    add_claim(store, "PCN200", {PayerLevel.PRIMARY: BCBS, PayerLevel.SECONDARY: AETNA})
    add_claim(store, "PCN500", {PayerLevel.PRIMARY: AETNA, PayerLevel.SECONDARY: BCBS})
    primary = {"PCN200": "CHK-BC", "PCN500": "CHK-AET"}
    paid = {check: [ClaimPayment(claim_id, "1" if primary[claim_id] == check else "2",
                                 D("100.00"), D("60.00" if primary[claim_id] == check else "30.00"),
                                 service_lines=[line(claim_id, 1, "99213", "100.00",
                                                     "60.00", ("CO", "45", "10.00"),
                                                     ("PR", "2", "30.00"))
                                                if primary[claim_id] == check else
                                                line(claim_id, 1, "99213", "100.00", "30.00",
                                                     ("OA", "23", "70.00"))])
                    for claim_id in primary]
            for check in ("CHK-BC", "CHK-AET")}  # fmt: skip
    bc = import_era(store, admin, remittance("CHK-BC", BCBS_IN, "BLUE CROSS", *paid["CHK-BC"]),
                    datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    aet = import_era(store, admin, remittance("CHK-AET", AETNA_IN, "AETNA", *paid["CHK-AET"]),
                     datetime(2026, 11, 21, 9, 5, tzinfo=UTC))
    intake.validate_pending(store)
    release.release_eras(store, admin, [bc, aet], DEPOSIT)
    assert owed(store, "PCN200") == owed(store, "PCN500") == {}
    app = make_app()  # alice, an admin
    async with app.run_test(size=(80, 24)) as pilot:
        await show_released(pilot)
        await void_from_detail(pilot, "CHK-BC", "wrong deposit")
        text = " ".join(screen_text(pilot).split())
        assert f"payment #{aet} (CHK-AET) on PCN200" in text
        assert f"Void them together: payments #{bc}, #{aet}." in text
        assert "Press ^S again to void them all together." in text
        assert str(app.screen.query_one("#void", Button).label) == "Void 2 together (^S)"
        assert owed(store, "PCN200") == {}  # nothing voided yet

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, EraDetailScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert row_of(app, "CHK-BC")[STATUS] == row_of(app, "CHK-AET")[STATUS] == "Ready"
    assert owed(store, "PCN200") == owed(store, "PCN500") == {"primary": D("100.00")}


async def test_escape_asks_before_throwing_away_a_typed_void_reason(
        make_app, store, admin, crossover) -> None:
    from pctui.ui.widgets.modals import ConfirmationModal

    release.release_eras(store, admin, [crossover["bc"]], DEPOSIT)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await show_released(pilot)
        await highlight(pilot, "CHK-BC")
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("v")
        await pilot.pause()
        await type_text(pilot, "posted to the wrong practice")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmationModal)  # "Discard what you typed?"
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, VoidDialog)
        assert app.screen.query_one("#void-reason").value == "posted to the wrong practice"
        await pilot.press("escape", "y")
        await pilot.pause()
        assert isinstance(app.screen, EraDetailScreen)
        await pilot.press("v")
        await pilot.pause()
        await pilot.press("escape")  # nothing typed: it just closes
        await pilot.pause()
        assert isinstance(app.screen, EraDetailScreen)
    assert release.release_detail(store, crossover["bc"]).voided_at is None  # not voided


async def test_a_biller_cannot_void(make_app, store, admin, crossover) -> None:
    release.release_eras(store, admin, [crossover["bc"]], DEPOSIT)
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await show_released(pilot)
        await highlight(pilot, "CHK-BC")
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("v")
        await pilot.pause()
        assert "Only an admin may void a release (bob is a biller)." in screen_text(pilot)
        assert app.screen.query_one("#void-reason").disabled


# -- batches ------------------------------------------------------------------------------------


async def test_the_batch_report_lists_each_deposit_with_its_payments_and_total(
        make_app, store, admin, crossover) -> None:
    release.release_eras(store, admin, [crossover["bc"], crossover["aet"]], DEPOSIT, "DEP-22")
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, BatchReportScreen)
        table = app.screen.query_one("#batches", ListTable)
        assert listed(table, ["deposit", "batch", "count", "total"]) == [
            ["2026-11-22", "DEP-22", "2", "200.60"]]
        text = screen_text(pilot)
        assert "Batch DEP-22 · deposit 2026-11-22 · 2 payments · total 200.60" in text
        assert "CHK-AET · AETNA" in text


# -- at 80x24 and 120x40 -------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_release_dialog_with_its_preview(snap_compare, make_app, crossover, monkeypatch,
                                         size) -> None:
    from pctui.ui.screens import release_dialog

    monkeypatch.setattr(release_dialog, "deposit_day_default", lambda: date(2026, 11, 22))

    async def open_dialog(pilot) -> None:
        await pilot.press("f4", "m", "r")
        await settle(pilot)

    assert snap_compare(make_app("bob"), terminal_size=size, run_before=open_dialog)


@pytest.mark.parametrize("size", SIZES)
def test_held_list(snap_compare, make_app, store, admin, crossover, size) -> None:
    release.release_eras(store, admin, [crossover["aet"]], DEPOSIT)

    async def open_held(pilot) -> None:
        await pilot.press("f4", "H")
        await settle(pilot)

    assert snap_compare(make_app("bob"), terminal_size=size, run_before=open_held)


@pytest.mark.parametrize("size", SIZES)
def test_void_dialog(snap_compare, make_app, store, admin, crossover, size) -> None:
    release.release_eras(store, admin, [crossover["bc"]], DEPOSIT, "DEP-22")
    fix_times(store)  # "released … on <time>" shows at 120x40

    async def open_void(pilot) -> None:
        await show_released(pilot)
        await highlight(pilot, "CHK-BC")
        await pilot.press("d")
        await settle(pilot)
        pilot.app.clear_notifications()  # whether "h"'s toast is still up depends on the load
        await pilot.press("v")
        await settle(pilot)  # the dialog mounted and drawn, even on a loaded machine

    assert snap_compare(make_app(), terminal_size=size, run_before=open_void)


@pytest.mark.parametrize("size", SIZES)
def test_batch_report(snap_compare, make_app, store, admin, crossover, size) -> None:
    release.release_eras(store, admin, [crossover["bc"], crossover["aet"]], DEPOSIT, "DEP-22")

    async def open_batches(pilot) -> None:
        await pilot.press("f4", "b")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=open_batches)


async def test_rework_and_void_are_offered_on_a_released_payment_and_explained_on_another(
        make_app, store, admin, crossover) -> None:
    release.release_eras(store, admin, [crossover["bc"]], DEPOSIT)
    told: list[str] = []
    app = make_app()
    notify = app.notify
    app.notify = lambda message, **kw: (told.append(str(message)), notify(message, **kw))[1]  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await show_released(pilot)
        await highlight(pilot, "CHK-AET")  # not released
        await pilot.press("d")
        await settle(pilot)
        keys = str(app.screen.query_one(".dialog-keys").render())
        assert "v void" not in keys and "w rework" not in keys, keys
        await pilot.press("v")  # pressed anyway: told why, not silence
        await pilot.pause()
        assert told and "not released: nothing to void" in told[-1]
        await pilot.press("escape")
        await settle(pilot)
        await highlight(pilot, "CHK-BC")  # released
        await pilot.press("d")
        await settle(pilot)
        keys = str(app.screen.query_one(".dialog-keys").render())
        assert "w rework" in keys and "v void" in keys, keys
