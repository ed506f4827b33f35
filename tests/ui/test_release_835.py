"""The biller's story in PAYMENTS → Release 835, driven from the keyboard with Pilot.

Payments are imported through the real intake (835 text written by the project's own writer),
payers and rules saved through the real services."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from rich.text import Text

from pctui.core.carc import describe_carc
from pctui.core.claim import Claim as ClaimModel
from pctui.core.claim import ClaimPayerRef, ServiceLine
from pctui.core.codes import PayerLevel, Role
from pctui.core.era import Adjustment, ClaimPayment, Remittance, ServicePayment
from pctui.store import claims, eras, intake, payers, release, rules, users
from pctui.store.db import Store
from pctui.store.eras import EraStatus
from pctui.store.tables import Era
from pctui.store.users import Actor
from pctui.ui.screens.era_detail import EraDetailScreen
from pctui.ui.screens.era_import import EraImportDialog
from pctui.ui.screens.release_835 import FilterBar, Release835Section
from pctui.ui.screens.release_dialog import ReleaseDialog
from pctui.ui.screens.rule_drawer import RuleDrawer
from tests.conftest import FIXTURES
from tests.ui.helpers import choose, listed, rendered, screen_text, type_text

D = Decimal
DOS = date(2026, 3, 2)
BCBS_IN, ACME_IN = "12345", "55555"
KEYS = ["mark", "check", "inbound", "amount", "status", "payer", "paid", "loaded", "claims"]
CHECK, STATUS = KEYS.index("check"), KEYS.index("status")


# -- a practice: Blue Cross with its rule, a claim it pays, and three payments ------------------


def line(claim_id: str, n: int, procedure: str, charge: str, paid: str,
         *cas: tuple[str, str, str]) -> ServicePayment:  # fmt: skip
    return ServicePayment(procedure=procedure, charge=D(charge), paid=D(paid), units=D(1),
                          service_date=DOS, control_number=f"{claim_id}-{n}",
                          adjustments=[Adjustment(g, r, D(a)) for g, r, a in cas])


def remittance(check: str, inbound: str, payer: str, *paid: ClaimPayment,
               paid_on: date = date(2026, 11, 20)) -> Remittance:  # fmt: skip
    return Remittance(
        control_number="0001", interchange_control="000000001", sender_id="SENDER",
        amount=sum((c.paid for c in paid), D("0.00")), payment_method="ACH", payment_date=paid_on,
        check_number=check, trn_originator="1999999999", payer_name=payer, payer_id=inbound,
        payee_name="MAIN STREET CLINIC", claims=list(paid))


def pays_pcn100() -> ClaimPayment:
    """Line 1 120.00: paid 80, CO-45 20, PR-1 20. Line 2 80.00: paid 60, CO-45 20."""
    return ClaimPayment("PCN100", "1", D("200.00"), D("140.00"), D("20.00"), service_lines=[
        line("PCN100", 1, "99213", "120.00", "80.00", ("CO", "45", "20.00"), ("PR", "1", "20.00")),
        line("PCN100", 2, "36415", "80.00", "60.00", ("CO", "45", "20.00")),
    ])


def pays_unknown_claim() -> ClaimPayment:
    return ClaimPayment("PCN404", "1", D("50.00"), D("35.00"), service_lines=[
        line("PCN404", 1, "99212", "50.00", "35.00", ("CO", "45", "15.00"))])


def import_era(store: Store, actor: Actor, era: Remittance, loaded: datetime) -> int:
    from pctui.x12.write835 import write_835

    text = write_835([era], interchange_control=abs(hash(era.check_number)) % 10**9)
    result = intake.import_bytes(store, f"{era.check_number}.835", text.encode(), actor)
    assert result.status is intake.ImportStatus.IMPORTED, (result.errors, result.findings)
    (era_id,) = result.created
    with store.write() as session:  # fixed load dates: the list is ordered by them
        row = session.get(Era, era_id)
        assert row is not None
        row.loaded_at = loaded
        session.add(row)
    return era_id


def add_bcbs_with_rule(store: Store, admin: Actor) -> int:
    with store.write() as session:
        bcbs = payers.save_payer(session, admin, payers.PayerDraft(
            "BCBS", "Blue Cross Blue Shield", "commercial", "BCBS-OUT", [BCBS_IN])).id
    assert bcbs is not None
    rules.save_rule(store, admin, rules.RuleDraft(BCBS_IN, bcbs,
                                                  levels=rules.default_levels("commercial")))
    return bcbs


def add_acme(store: Store, admin: Actor) -> int:
    with store.write() as session:
        acme = payers.save_payer(session, admin, payers.PayerDraft(
            "ACME", "Acme Health Plan", "commercial", "ACME-OUT", [])).id
    assert acme is not None
    return acme


@pytest.fixture
def practice(store: Store, admin: Actor) -> dict[str, int]:
    """Row order (newest load first): Ready CHK-READY, blocked CHK-BLOCKED, Ready CHK-NOCLAIM."""
    add_bcbs_with_rule(store, admin)
    add_acme(store, admin)
    with store.write() as session:
        claims.add_demo_claim(session, ClaimModel(
            "PCN100", D("200.00"), "DOE, JANE",
            [ServiceLine(1, "99213", charge=D("120.00"), service_date=DOS,
                         control_number="PCN100-1"),
             ServiceLine(2, "36415", charge=D("80.00"), service_date=DOS,
                         control_number="PCN100-2")],
            {PayerLevel.PRIMARY: ClaimPayerRef("Blue Cross Blue Shield", "BCBS-OUT")}, DOS))
    ids = {
        "ready": import_era(store, admin, remittance("CHK-READY", BCBS_IN, "BLUE CROSS",
                                                     pays_pcn100()),
                            datetime(2026, 11, 21, 9, 0, tzinfo=UTC)),
        "blocked": import_era(store, admin, remittance("CHK-BLOCKED", ACME_IN, "ACME HEALTH",
                                                       pays_unknown_claim(),
                                                       paid_on=date(2026, 10, 5)),
                              datetime(2026, 11, 20, 9, 0, tzinfo=UTC)),
        "noclaim": import_era(store, admin, remittance("CHK-NOCLAIM", BCBS_IN, "BLUE CROSS",
                                                       pays_unknown_claim()),
                              datetime(2026, 11, 19, 9, 0, tzinfo=UTC)),
    }
    intake.validate_pending(store)  # nothing left for the background worker
    return ids


# -- helpers ------------------------------------------------------------------------------------


def section(app) -> Release835Section:
    return app.query_one(Release835Section)


def rows(app) -> list[list[str]]:
    """The list's cells as text, in KEYS order whatever order the screen width put them in."""
    return listed(section(app).table, KEYS)


def cell(table, row: int, key: str):
    """One cell as the table holds it (a rich Text)."""
    index = [str(c.key.value) for c in table.ordered_columns].index(key)
    return table.get_cell_at((row, index))


def row_of(app, check: str) -> list[str]:
    return next(r for r in rows(app) if r[CHECK] == check)


def log_text(app, selector: str) -> str:
    """A detail tab's text with its wrapping undone (one space between words)."""
    return " ".join(" ".join(app.screen.query_one(selector).lines).split())


async def open_detail(pilot, key: str = "enter") -> None:
    await pilot.press(key)
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


async def open_release_835(pilot, check: str | None = None) -> None:
    await pilot.press("f4")
    await pilot.pause()
    if check is not None:
        index = [r[CHECK] for r in rows(pilot.app)].index(check)
        section(pilot.app).table.move_cursor(row=index)
        await pilot.pause()


# -- the list -----------------------------------------------------------------------------------


def visible_columns(app) -> list[str]:
    """The columns wholly on screen before any horizontal scrolling (a scrollbar's cell kept)."""
    table = section(app).table
    room, left, shown = table.size.width - 1, 0, []
    content = table._widths()  # each column's room for its text, without the blank after it
    for column in table.ordered_columns:
        if left + content[str(column.key.value)] > room:
            break
        shown.append(str(column.label).strip())
        left += column.get_render_width(table)
    return shown


async def test_at_80_columns_a_biller_sees_check_amount_and_status_without_scrolling(
        make_app, practice) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot)
        assert visible_columns(app) == ["Rel", "Check/EFT", "Amount", "Status", "Payer",
                                        "Paid on"]
        # loaded at 09:00 UTC: 03:00 on the server's clock (the tests' server is in Chicago)
        assert rows(app) == [
            ["[ ]", "CHK-READY", BCBS_IN, "140.00", "Ready", "BCBS", "2026-11-20",
             "2026-11-21 03:00", "1"],
            ["", "CHK-BLOCKED", ACME_IN, "35.00", "No rule", "ACME HEAL…", "2026-10-05",
             "2026-11-20 03:00", "1"],  # the strip below has the name in full
            ["[ ]", "CHK-NOCLAIM", BCBS_IN, "35.00", "Ready", "BCBS", "2026-11-20",
             "2026-11-19 03:00", "1"],
        ]
        table = section(app).table
        assert str(cell(table, 0, "amount")) == "  140.00"  # amounts line up on the right
        blocked = table.get_row_at(1)
        assert all(isinstance(c, Text) and "dim" in f"{c.style}{c.spans}" for c in blocked
                   if c.plain.strip())  # greyed out
        assert all("dim" not in f"{c.style}{c.spans}" for c in table.get_row_at(0))
        assert "Ready 2 · No rule 1 · Released 0" in screen_text(pilot)
        # The strip under the list has the status in full and says what the Payer column holds.
        strip = str(section(app).query_one("#era-line").render())
        assert strip.splitlines() == [
            "Check CHK-READY · 140.00 · 1 claim · paid 2026-11-20",
            "Payer BCBS · the 835 names it BLUE CROSS",
            f"Inbound ID {BCBS_IN} (from N1*PR N104)",
            "Ready — space marks it",
        ]
        await pilot.press("down")
        strip = str(section(app).query_one("#era-line").render())
        assert "Payer ACME HEALTH (as named in the 835)" in strip
        assert f"Inbound ID {ACME_IN} (from N1*PR N104) · no payer has it" in strip
        assert "No Payer Rule Established — Enter adds its rule" in strip
        # A name from the 835 (no payer owns the Inbound ID) is set apart from payer codes.
        assert "italic" in str(cell(table, 1, "payer").style)
        assert "italic" not in f"{cell(table, 0, 'payer').style}{cell(table, 0, 'payer').spans}"


async def test_a_wide_screen_shows_every_column_and_the_full_status(make_app, practice) -> None:
    app = make_app()
    async with app.run_test(size=(140, 30)) as pilot:
        await open_release_835(pilot)
        assert visible_columns(app) == ["Rel", "Check/EFT", "Amount", "Status", "Payer",
                                        "Paid on", "Inbound ID", "Loaded", "Claims"]
        assert [r[STATUS] for r in rows(app)] == ["Ready", "No Payer Rule Established", "Ready"]
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert [r[STATUS] for r in rows(app)] == ["Ready", "No rule", "Ready"]
        assert section(app).table.cursor_row == 0


async def test_a_blocked_payment_cannot_be_marked_and_says_why(make_app, practice) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot, "CHK-BLOCKED")
        await pilot.press("space")
        await pilot.pause()
        assert row_of(app, "CHK-BLOCKED")[0] == ""
        assert section(app).state.marked == {}
        assert f"No payer rule for Inbound ID {ACME_IN} — press Enter to create one." in notes(app)


async def test_a_biller_is_told_to_ask_an_admin(make_app, practice) -> None:
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot, "CHK-BLOCKED")
        await pilot.press("space")
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, RuleDrawer)
        assert f"No payer rule for Inbound ID {ACME_IN} — ask an admin to create one." in notes(app)
        assert any("Only an admin may add payer rules (you are a biller)" in n for n in notes(app))
        await open_detail(pilot, "d")  # but the biller can read the blocked payment
        assert isinstance(app.screen, EraDetailScreen)
        assert "Payment CHK-BLOCKED · ACME HEALTH · 35.00 · No Payer Rule Established" in \
            screen_text(pilot)


async def test_mark_all_marks_only_ready_payments(make_app, practice) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot)
        await pilot.press("m")
        await pilot.pause()
        assert [r[0] for r in rows(app)] == ["[x]", "", "[x]"]
        assert set(section(app).state.marked) == {practice["ready"], practice["noclaim"]}
        assert "2 marked (175.00)" in screen_text(pilot)
        assert any("1 blocked payment cannot be marked" in n for n in notes(app))
        await pilot.press("u")
        await pilot.pause()
        assert [r[0] for r in rows(app)] == ["[ ]", "", "[ ]"]


async def test_an_unregistered_login_can_look_but_not_mark(make_app, practice) -> None:
    app = make_app("mallory")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot, "CHK-READY")
        await pilot.press("space", "m", "r", "i")
        await pilot.pause()
        assert section(app).state.marked == {}
        assert [r[0] for r in rows(app)] == ["", "", ""]  # no mark boxes for a non-releaser
        assert "mallory is not registered in this database" in screen_text(pilot)
        assert any("cannot release payments" in n for n in notes(app))
        assert any("cannot import files" in n for n in notes(app))


async def test_a_deactivated_biller_is_told_so_not_that_they_are_unregistered(
    make_app, practice, store: Store, admin: Actor
) -> None:
    users.add_user(store, admin, "bob", Role.BILLER)
    users.set_active(store, admin, "bob", False)
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot, "CHK-READY")
        await pilot.press("space")
        await pilot.pause()
        assert section(app).state.marked == {}
        text = screen_text(pilot)
        assert "bob was deactivated in this database" in text
        assert "not registered" not in text


# -- from a blocked payment to a rule -----------------------------------------------------------


async def test_enter_on_a_blocked_payment_opens_the_rule_drawer_prefilled(make_app,
                                                                          practice) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot, "CHK-BLOCKED")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RuleDrawer)
        assert app.screen.query_one("#inbound_id").value == ACME_IN


async def test_saving_the_rule_turns_the_payment_ready_at_once(make_app, store,
                                                               practice) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot, "CHK-BLOCKED")
        await pilot.press("enter")
        await pilot.pause()
        await choose(pilot, "payer", "ACME")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")  # attach Inbound ID 55555 to ACME
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, RuleDrawer)
        assert row_of(app, "CHK-BLOCKED")[0] == "[ ]"
        assert row_of(app, "CHK-BLOCKED")[STATUS] == "Ready"
        assert "Ready 3 · No rule 0" in screen_text(pilot)
        await pilot.press("space")
        await pilot.pause()
        assert practice["blocked"] in section(app).state.marked
    assert eras.get_era(store, practice["blocked"]).status is EraStatus.READY


async def test_a_rule_whose_inbound_id_is_not_attached_opens_for_attaching(make_app, store,
                                                                          admin, practice) -> None:
    acme = next(p.id for p in payers.list_payers(store) if p.code == "ACME")
    rules.save_rule(store, admin, rules.RuleDraft(ACME_IN, acme,
                                                  levels=rules.default_levels("commercial")))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot, "CHK-BLOCKED")
        assert row_of(app, "CHK-BLOCKED")[STATUS] == "No rule"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RuleDrawer)
        assert app.screen.rule is not None and app.screen.rule.payer_code == "ACME"
        assert any("does not belong to any payer yet" in n for n in notes(app))
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")  # attach Inbound ID 55555 to ACME
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, RuleDrawer)
        assert row_of(app, "CHK-BLOCKED")[STATUS] == "Ready"


async def test_a_rule_saved_in_another_session_shows_without_restart(make_app, store, admin,
                                                                     practice) -> None:
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot, "CHK-BLOCKED")
        acme = payers.list_payers(store)[0].id  # ACME sorts first
        rules.save_rule(store, admin, rules.RuleDraft(ACME_IN, acme,
                                                      levels=rules.default_levels("commercial")),
                        attach_inbound_id=True)
        section(app)._poll()  # what the 5-second timer does
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert row_of(app, "CHK-BLOCKED")[STATUS] == "Ready"
        assert section(app).table.cursor_row == 1  # the cursor stayed on its payment


async def test_the_list_is_re_read_when_a_dialog_closes(make_app, store, admin,
                                                        practice) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot)
        await pilot.press("f1")
        await pilot.pause()
        release.release_era(store, admin, practice["noclaim"], date(2026, 11, 22), "B1")
        await pilot.press("escape")
        await pilot.pause()
        assert "CHK-NOCLAIM" not in [r[CHECK] for r in rows(app)]  # released: hidden
        await pilot.press("h")  # one key shows released payments
        await pilot.pause()
        assert row_of(app, "CHK-NOCLAIM")[STATUS] == "Rel. w/ errors"
        assert row_of(app, "CHK-NOCLAIM")[0] == ""


# -- filters ------------------------------------------------------------------------------------


async def test_filters_narrow_the_list_and_x_clears_them(make_app, practice) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot)
        await pilot.press("f")
        await pilot.pause()
        assert app.query_one(FilterBar).display
        app.query_one("#check_number").focus()
        await type_text(pilot, "NOCLAIM")
        await pilot.press("enter")
        await pilot.pause()
        assert [r[CHECK] for r in rows(app)] == ["CHK-NOCLAIM"]
        assert "1 of 3 shown (check ~NOCLAIM)" in screen_text(pilot)

        app.query_one("#check_number").value = ""
        app.query_one("#inbound").focus()
        await type_text(pilot, "acme")  # part of the payer's name
        await pilot.press("enter")
        await pilot.pause()
        assert [r[CHECK] for r in rows(app)] == ["CHK-BLOCKED"]

        app.query_one("#inbound").value = ""
        app.query_one("#paid_from").focus()
        await type_text(pilot, "2026-11-01")
        await pilot.press("enter")
        await pilot.pause()
        assert [r[CHECK] for r in rows(app)] == ["CHK-READY", "CHK-NOCLAIM"]

        app.query_one("#paid_from").value = ""
        app.query_one("#loaded_to").focus()
        await type_text(pilot, "2026-11-20")
        await pilot.press("enter")
        await pilot.pause()
        assert [r[CHECK] for r in rows(app)] == ["CHK-BLOCKED", "CHK-NOCLAIM"]

        app.query_one("#loaded_to").value = ""
        await choose(pilot, "status", "No Payer Rule")
        await pilot.pause()
        assert [r[CHECK] for r in rows(app)] == ["CHK-BLOCKED"]

        await pilot.press("escape")  # close the bar: the filters stay
        await pilot.pause()
        assert not app.query_one(FilterBar).display
        assert [r[CHECK] for r in rows(app)] == ["CHK-BLOCKED"]
        await pilot.press("x")
        await pilot.pause()
        assert len(rows(app)) == 3


async def test_a_date_that_is_not_one_is_named_and_nothing_changes(make_app, practice) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot)
        await pilot.press("f")
        await type_text(pilot, "2026-13-01")
        await pilot.press("enter")
        await pilot.pause()
        assert "✗ Paid from: '2026-13-01' is not a day on the calendar" in screen_text(pilot)
        assert app.query_one("#paid_from").has_class("-invalid")
        assert len(rows(app)) == 3


# -- detail -------------------------------------------------------------------------------------


async def test_the_detail_shows_claims_lines_adjustments_and_findings(make_app, practice) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot, "CHK-READY")
        await open_detail(pilot)
        assert isinstance(app.screen, EraDetailScreen)
        claims_table = app.screen.query_one("#era-claims")
        assert listed(claims_table)[0] == [
            "PCN100", "—", "Primary", "200.00", "140.00", "20.00"]
        claim = str(app.screen.query_one("#era-claim-detail").render())
        assert "Processed as primary (1)" in claim
        assert "1. HC 99213 · 2026-03-02 · 1 unit · charge 120.00 · paid 80.00" in claim
        assert "line control # PCN100-1 (REF*6R)" in claim
        assert f"CO-45          20.00  {describe_carc('45')}" in claim
        assert f"PR-1           20.00  {describe_carc('1')}" in claim
        assert "Groups: CO Contractual obligation · PR Patient responsibility" in claim
        await pilot.press("3")
        await pilot.pause()
        findings = log_text(app, "#era-findings")
        assert "Full 5010 validation (pyx12, X221A1) has run." in findings
        await pilot.press("4")
        await pilot.pause()
        assert "Not released yet (Ready)" in log_text(app, "#era-posting")
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, EraDetailScreen)


async def test_findings_of_a_fixture_are_shown_in_words(make_app, store, admin) -> None:
    (result,) = intake.import_paths(store, [FIXTURES / "835-tertiary-payment.835"], admin)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot)
        await pilot.press("enter")  # no rule: the admin gets the rule drawer
        await pilot.pause()
        assert isinstance(app.screen, RuleDrawer)
        await pilot.press("escape")
        await pilot.pause()
        await open_detail(pilot, "d")  # d shows the detail whatever the status
        assert isinstance(app.screen, EraDetailScreen)
        assert app.screen.era_id == result.created[0]
        await pilot.press("3")
        await pilot.pause()
        findings = log_text(app, "#era-findings")
        assert ("✗ Error (file check): Segment 20 (SVC): service line 1 of claim 0001000054 has "
                "qualifier 'HC' but no procedure code (SVC01-2)") in findings
        assert "⚠ Warning (file check): Segment 4 (BPR): the payment date (BPR16) is missing" \
            in findings
        claim = str(app.screen.query_one("#era-claim-detail").render())
        assert f"OA-23       1,579.00  {describe_carc('23')}" in claim


async def test_a_file_imported_from_the_command_line_is_validated_by_the_open_app(
        make_app, store, admin, practice) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot)
        await app.workers.wait_for_complete()
        assert not section(app).validation_running  # nothing was pending at start
        # Meanwhile cron runs `pctui import`: the file is stored, its full validation left pending.
        import_era(store, admin, remittance("CHK-CRON", BCBS_IN, "BLUE CROSS",
                                            pays_unknown_claim()),
                   datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
        assert intake.validation_pending(store)
        section(app)._poll()  # what the 5-second timer does
        await app.workers.wait_for_complete()  # the poll starts the validation worker
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not intake.validation_pending(store)
        assert any(n.startswith("Full 5010 validation done for 1 file: ") for n in notes(app))
        await open_release_835(pilot, "CHK-CRON")
        await open_detail(pilot, "d")
        await pilot.press("3")
        await pilot.pause()
        assert "Full 5010 validation (pyx12, X221A1) has run." in log_text(app, "#era-findings")


async def test_validation_runs_one_worker_at_a_time(make_app, store, admin, practice,
                                                    monkeypatch) -> None:
    started, finish, calls = threading.Event(), threading.Event(), []

    def slow_validation(store, limit=None, **_):  # holds the worker until the test lets go
        calls.append(limit)
        started.set()
        finish.wait(10)
        return []

    monkeypatch.setattr(intake, "validate_pending", slow_validation)
    import_era(store, admin, remittance("CHK-CRON", BCBS_IN, "BLUE CROSS", pays_unknown_claim()),
               datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot)
        assert started.wait(5)  # the section started validating at mount
        first = section(app)._validation
        section(app)._poll()
        section(app).ensure_validation()
        await pilot.press("d")  # opening a payment makes sure it runs, too
        await pilot.pause()
        assert isinstance(app.screen, EraDetailScreen)
        assert section(app)._validation is first
        running = [w for w in app.workers if w.group == "release-835-validation"
                   and not w.is_finished]
        assert running == [first] and calls == [1]
        finish.set()
        await app.workers.wait_for_complete()
        assert not section(app).validation_running


# -- import -------------------------------------------------------------------------------------


async def test_the_import_dialog_imports_a_folder_and_reports_each_file(make_app, store,
                                                                         tmp_path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(FIXTURES / "835-managed-care.835", inbox / "a-managed-care.835")
    (inbox / "b-notes.txt").write_text("not an 835")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot)
        assert rows(app) == []
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, EraImportDialog)
        await type_text(pilot, str(inbox))
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(pilot)
        assert "2 files: 1 imported (1 payment), 0 duplicates, 1 rejected." in text
        box = app.screen.query_one("#import-results-text").content_region
        shown = [line[box.x:box.right].rstrip()
                 for line in rendered(app).splitlines()[box.y:box.bottom]]
        assert shown[0].startswith("✓ imported  a-managed-care.835  (835)  1 payment stored")
        at = shown.index("✗ rejected  b-notes.txt")
        # the reason below the file's name, without the path the row above already gives
        assert shown[at + 1].strip().startswith("not an X12 file: it should begin with 'ISA'"), shown
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [r[CHECK] for r in rows(app)] == ["7170066655"]
        await pilot.press("v")
        await pilot.pause()
        rejected = app.query_one("#rejected")
        assert listed(rejected, ["file"])[0] == ["b-notes.txt"]
        assert "not an X12 file" in screen_text(pilot)
    # the background worker ran pyx12's full validation after the import
    (row,) = eras.list_eras(store)
    assert eras.era_detail(store, row.id).validation_state == "done"


async def test_a_path_that_does_not_exist_is_named(make_app, tmp_path) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot)
        await pilot.press("i")
        await pilot.pause()
        await type_text(pilot, str(tmp_path / "nowhere"))
        await pilot.press("enter")
        await pilot.pause()
        assert f"no such file or folder: {tmp_path / 'nowhere'}" in screen_text(pilot)


# -- release ------------------------------------------------------------------------------------


@pytest.mark.both_backends  # the app on a PostgreSQL server too (issue 12)
async def test_mark_release_and_see_statuses_and_the_error_report(make_app, store,
                                                                  practice) -> None:
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot)
        await pilot.press("m")
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, ReleaseDialog)
        assert "Release 2 payments · 175.00" in screen_text(pilot)
        await app.workers.wait_for_complete()  # the preview is made off the UI thread
        await pilot.pause()
        # Before anything posts: what the release will do.
        assert ("Will post: 1 claim found · 1 not found · 0 held · 0 credits · "
                "1 error-report line") in screen_text(pilot)
        assert "CHK-NOCLAIM: 0 found, 1 not found, 1 error-report line" in screen_text(pilot)
        deposit = app.screen.query_one("#deposit-date")
        assert deposit.value == date.today().isoformat()
        batch = app.screen.query_one("#batch")
        assert batch.value == "" and f"B{date.today():%Y%m%d}-01" in batch.placeholder
        deposit.value = "2026-11-22"
        await pilot.pause()
        assert batch.value == "" and "B20261122-01" in batch.placeholder
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(pilot)
        assert "2 of 2 released (1 with errors). Deposit 2026-11-22 · batch B20261122-01." in text
        assert "✓ Released  CHK-READY · BCBS · 140.00\n    Released: 1 claim posted" in text
        assert "⚠ Released with errors  CHK-NOCLAIM" in text
        assert "PCN404: Patient account was not found" in text
        await pilot.press("escape")
        await pilot.pause()
        assert [r[CHECK] for r in rows(app)] == ["CHK-BLOCKED"]  # released ones are hidden
        await pilot.press("h")
        await pilot.pause()
        assert row_of(app, "CHK-READY")[STATUS] == "Released"
        assert row_of(app, "CHK-NOCLAIM")[STATUS] == "Rel. w/ errors"
        assert row_of(app, "CHK-BLOCKED")[STATUS] == "No rule"
        assert section(app).state.marked == {}
        assert "Released 2" in screen_text(pilot)

        section(app).table.move_cursor(row=2)
        await pilot.press("space")  # released: no mark
        await open_detail(pilot)
        assert isinstance(app.screen, EraDetailScreen)
        assert app.screen.query_one("TabbedContent").active == "tab-posting"
        posting = log_text(app, "#era-posting")
        assert "Released with errors by bob" in posting
        assert "deposit 2026-11-22 · batch B20261122-01" in posting
        assert "Error report (1 line, 1 open; w: rework or close them):" in posting
        assert "✗ PCN404: Patient account was not found" in posting
    assert eras.get_era(store, practice["ready"]).status is EraStatus.RELEASED
    detail = release.release_detail(store, practice["ready"])
    assert detail is not None and detail.batch == "B20261122-01"
    assert detail.released_by == "bob" and detail.deposit_date == date(2026, 11, 22)


async def test_the_release_dialog_names_a_bad_deposit_date_and_releases_nothing(
        make_app, store, practice) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot, "CHK-READY")
        await pilot.press("space", "r")
        await pilot.pause()
        app.screen.query_one("#deposit-date").value = "22/11/2026"
        app.screen.query_one("#batch").value = "B" * 31
        await pilot.press("ctrl+s")
        await pilot.pause()
        text = screen_text(pilot)
        assert "✗ '22/11/2026' is not a date: use YYYY-MM-DD" in text
        assert "✗ at most 30 characters" in text
        assert "Not released: fix the fields above." in text
        tomorrow = date.today() + timedelta(days=1)
        app.screen.query_one("#deposit-date").value = tomorrow.isoformat()
        app.screen.query_one("#batch").value = ""
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "the money cannot have been deposited yet" in screen_text(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert row_of(app, "CHK-READY")[0] == "[x]"  # still marked, nothing released
    assert eras.get_era(store, practice["ready"]).status is EraStatus.READY


async def test_a_release_the_database_could_not_start_says_why_and_can_be_tried_again(
        make_app, store, practice, monkeypatch) -> None:
    """The server went away as ^S was pressed: the dialog says so (no spinner left running)
    and, once the database is back, ^S releases."""
    import psycopg
    from sqlalchemy.exc import OperationalError

    def gone(*_args, **_kwargs):
        raise OperationalError("SELECT", {}, psycopg.OperationalError("server closed"))

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot, "CHK-READY")
        await pilot.press("space", "r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.screen.query_one("#deposit-date").value = "2026-11-22"
        with monkeypatch.context() as patched:
            patched.setattr(release, "posting_order_of", gone)
            await pilot.press("ctrl+s")
            await app.workers.wait_for_complete()
            await pilot.pause()
            text = screen_text(pilot)
            assert "Not released: the connection to the database server" in text
            assert eras.get_era(store, practice["ready"]).status is EraStatus.READY
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "1 of 1 released" in screen_text(pilot)
    assert eras.get_era(store, practice["ready"]).status is EraStatus.RELEASED


async def test_a_typed_batch_of_another_deposit_date_is_named_before_anything_is_released(
        make_app, store, admin, practice) -> None:
    release.release_eras(store, admin, [practice["noclaim"]], date(2026, 11, 21), "DEP-21")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot, "CHK-READY")
        await pilot.press("space", "r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.screen.query_one("#deposit-date").value = "2026-11-22"
        app.screen.query_one("#batch").value = "DEP-21"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(pilot)
        assert "batch DEP-21 is for deposit date 2026-11-21, not 2026-11-22" in text
        assert "Not released: fix the fields above." in text
        assert isinstance(app.screen, ReleaseDialog)
        app.screen.query_one("#batch").value = ""  # generated instead: released
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "1 of 1 released" in screen_text(pilot)
    assert eras.get_era(store, practice["ready"]).status is EraStatus.RELEASED


async def test_release_with_nothing_marked_says_what_to_do(make_app, practice) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert not isinstance(app.screen, ReleaseDialog)
        assert any("Mark Ready payments first" in n for n in notes(app))


async def test_a_payment_released_elsewhere_loses_its_mark(make_app, store, admin,
                                                          practice) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot, "CHK-NOCLAIM")
        await pilot.press("space")
        await pilot.pause()
        release.release_era(store, admin, practice["noclaim"], date(2026, 11, 22), "B9")
        section(app)._poll()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert section(app).state.marked == {}
        assert any("Unmarked CHK-NOCLAIM: no longer Ready" in n for n in notes(app))


# -- paging -------------------------------------------------------------------------------------


async def test_pages_turn_past_the_last_row(make_app, store, admin, monkeypatch) -> None:
    from pctui.ui.screens import release_835

    monkeypatch.setattr(release_835, "PAGE_SIZE", 2)
    add_bcbs_with_rule(store, admin)
    for n in range(5):
        import_era(store, admin, remittance(f"CHK{n}", BCBS_IN, "BLUE CROSS",
                                            pays_unknown_claim()),
                   datetime(2026, 11, 1 + n, tzinfo=UTC))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot)
        assert [r[CHECK] for r in rows(app)] == ["CHK4", "CHK3"]
        assert "rows 1–2, page 1/3" in screen_text(pilot)
        await pilot.press("down", "down")
        await pilot.pause()
        assert [r[CHECK] for r in rows(app)] == ["CHK2", "CHK1"]
        assert section(app).table.cursor_row == 0
        await pilot.press("n")
        await pilot.pause()
        assert [r[CHECK] for r in rows(app)] == ["CHK0"]
        await pilot.press("up")
        await pilot.pause()
        assert [r[CHECK] for r in rows(app)] == ["CHK2", "CHK1"]
        assert section(app).table.cursor_row == 1
        await pilot.press("p")
        await pilot.pause()
        assert "page 1/3" in screen_text(pilot)


def test_release_835_is_registered_after_payer_rules() -> None:
    from pctui.ui.app import SECTIONS

    ids = [s.SECTION_ID for s in SECTIONS]
    assert ids.index("release-835") == ids.index("payer-rules") + 1


async def test_a_payment_with_many_claims_pages_its_claims(make_app, store, admin,
                                                           monkeypatch) -> None:
    from pctui.ui.screens import era_detail

    monkeypatch.setattr(era_detail, "CLAIMS_PAGE", 2)
    add_bcbs_with_rule(store, admin)
    paid = [ClaimPayment(f"PCN{n}", "1", D("50.00"), D("35.00"), service_lines=[
        line(f"PCN{n}", 1, "99212", "50.00", "35.00", ("CO", "45", "15.00"))]) for n in range(5)]
    import_era(store, admin, remittance("CHK-MANY", BCBS_IN, "BLUE CROSS", *paid),
               datetime(2026, 11, 1, tzinfo=UTC))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_release_835(pilot)
        await open_detail(pilot)
        claims_table = app.screen.query_one("#era-claims")
        assert [str(claims_table.get_row_at(i)[0]) for i in range(claims_table.row_count)] == [
            "PCN0", "PCN1"]
        assert "Claims 1–2 of 5 · page 1/3 · n/p turn pages" in screen_text(pilot)
        await pilot.press("down", "down")  # past the last row: the next page
        await pilot.pause()
        assert str(claims_table.get_row_at(0)[0]) == "PCN2"
        assert "Claim PCN2" in str(app.screen.query_one("#era-claim-detail").render())
        await pilot.press("n")
        await pilot.pause()
        assert [str(claims_table.get_row_at(i)[0]) for i in range(claims_table.row_count)] == [
            "PCN4"]
        await pilot.press("p")
        await pilot.pause()
        assert str(claims_table.get_row_at(0)[0]) == "PCN2"
