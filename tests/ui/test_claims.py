"""The biller's story in PAYMENTS → Claims: balances to the cent, search, paging, and a claim's
ledger with each entry's code, source payment and batch."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import insert
from sqlmodel import select
from textual.widgets import DataTable, Input, Static

from pctui.core.claim import Claim as ClaimModel
from pctui.core.claim import ClaimPayerRef, ServiceLine
from pctui.core.codes import PayerLevel
from pctui.store import payers, tables
from pctui.store.claims import add_demo_claim, find_claim_pk
from pctui.ui.screens.claim_ledger import ClaimLedgerScreen
from pctui.ui.screens.claims import PAGE_SIZE, ClaimsSection
from pctui.ui.widgets.list_table import ListPanel
from tests.ui.helpers import listed, screen_text, type_text

D = Decimal
POSTED = datetime(2024, 2, 1, 15, 30, tzinfo=UTC)


def claim(claim_id: str, patient: str, lines: list[tuple[str, str]],
          secondary: bool = False) -> ClaimModel:  # fmt: skip
    levels = {PayerLevel.PRIMARY: ClaimPayerRef("Blue Cross Blue Shield", "BCBSX")}
    if secondary:
        levels[PayerLevel.SECONDARY] = ClaimPayerRef("Medicare Part B", "01312")
    return ClaimModel(
        claim_id=claim_id, charge=sum((D(c) for _, c in lines), D("0.00")), patient_name=patient,
        service_lines=[ServiceLine(n, proc, ("25",) if n == 1 else (), D(charge), D(1),
                                   date(2024, 1, 5), f"{claim_id}-{n}")
                       for n, (proc, charge) in enumerate(lines, start=1)],
        payers=levels,
    )  # fmt: skip


def line_ids(session, claim_pk: int) -> dict[int, int]:
    found = session.exec(select(tables.ClaimLine).where(tables.ClaimLine.claim_pk == claim_pk))
    return {row.line_number: row.id for row in found}


@pytest.fixture
def paid_claims(store, admin) -> dict[str, int]:
    """Three claims; CLM1001 was paid by BCBS on check EFT55501 in batch DEP-0201."""
    with store.write() as session:
        bcbs = payers.save_payer(
            session,
            admin,
            payers.PayerDraft("BCBS", "Blue Cross Blue Shield", "commercial", "BCBSX", ["84980"]),
        ).id
        payers.save_payer(
            session,
            admin,
            payers.PayerDraft("MCR", "Medicare Part B", "medicare", "01312", ["01312"]),
        )
        pks = {
            "CLM1001": add_demo_claim(session, claim(
                "CLM1001", "DOE, JANE", [("99214", "150.00"), ("36415", "25.35")],
                secondary=True)),
            "CLM1002": add_demo_claim(session, claim(
                "CLM1002", "RIVERA, ANA", [("99213", "1234.56")])),
            "CLM2003": add_demo_claim(session, claim(
                "CLM2003", "DOE, JOHN", [("99395", "210.10")])),
        }  # fmt: skip
        file_row = tables.ImportedFile(filename="bcbs-0201.835", sha256="x", kind="835",
                                       status="imported", loaded_at=POSTED,
                                       validation_state="done")  # fmt: skip
        session.add(file_row)
        session.flush()
        era = tables.Era(file_id=file_row.id, check_number="EFT55501", inbound_id="84980",
                         inbound_id_source="REF*2U", amount_cents=9870, loaded_at=POSTED)  # fmt: skip
        session.add(era)
        session.flush()
        release = tables.Release(era_id=era.id, deposit_date=date(2024, 2, 1), batch="DEP-0201",
                                 released_by="alice", released_at=POSTED, status="released")  # fmt: skip
        session.add(release)
        session.flush()
        lines = line_ids(session, pks["CLM1001"])
        common = {"claim_pk": pks["CLM1001"], "era_id": era.id, "release_id": release.id,
                  "payer_id": bcbs, "created_at": POSTED, "created_by": "alice"}  # fmt: skip
        session.execute(insert(tables.LedgerEntry), [
            {**common, "line_id": lines[1], "kind": "payment", "party": "primary",
             "amount_cents": -9870, "code": "PCON"},
            {**common, "line_id": lines[1], "kind": "adjustment", "party": "primary",
             "amount_cents": -3011, "code": "AIWO", "group_code": "CO", "reason_code": "45"},
            {**common, "line_id": lines[1], "kind": "transfer", "party": "primary",
             "amount_cents": -1119, "group_code": "PR", "reason_code": "2"},
            {**common, "line_id": lines[1], "kind": "transfer", "party": "secondary",
             "amount_cents": 1119, "group_code": "PR", "reason_code": "2"},
        ])  # fmt: skip
    return pks


def section_text(app) -> str:
    """What the Claims section shows outside its table (the other sections are hidden)."""
    section = app.query_one(ClaimsSection)
    return "\n".join(str(w.render()) for w in section.query(Static))


def claims_table(app) -> DataTable:
    return app.query_one("#claims-table", DataTable)


OLD_ORDER = ["claim", "patient", "service", "charge", "paid", "adjusted", "primary-balance",
             "secondary-balance", "tertiary-balance", "patient-balance"]


def rows(app) -> list[list[str]]:
    return listed(claims_table(app), OLD_ORDER)


def search_box(app) -> Input:
    return app.query_one(ClaimsSection).query_one(ListPanel).search_input


async def open_claims(pilot) -> None:
    pilot.app.action_show_section("claims")
    await pilot.pause()


async def test_the_claims_list_shows_every_amount_to_the_cent(make_app, paid_claims) -> None:
    app = make_app("bob")  # a biller: everyone may look
    async with app.run_test(size=(120, 30)) as pilot:
        await open_claims(pilot)
        assert rows(app) == [
            ["CLM1001", "DOE, JANE", "2024-01-05", "175.35", "98.70", "30.11",
             "35.35", "11.19", "0.00", "0.00"],
            ["CLM1002", "RIVERA, ANA", "2024-01-05", "1,234.56", "0.00", "0.00",
             "1,234.56", "0.00", "0.00", "0.00"],
            ["CLM2003", "DOE, JOHN", "2024-01-05", "210.10", "0.00", "0.00",
             "210.10", "0.00", "0.00", "0.00"],
        ]  # fmt: skip
        table = claims_table(app)
        charge = str(table.get_cell_at((0, [str(c.key.value) for c in table.ordered_columns]
                                          .index("charge"))))
        assert charge.endswith("175.35") and charge.startswith(" ")  # amounts line up right
        assert listed(table, ["balance"]) == [["46.54"], ["1,234.56"], ["210.10"]]
        text = section_text(app)
        assert "rows 1-3 of 3" in text
        # The highlighted claim is summed up in full, for 80-column terminals.
        assert "Charge 175.35 · Paid 98.70 · Adjusted 30.11" in text
        assert "Balance 46.54 = primary 35.35 + secondary 11.19" in text
        assert not app.query_one(ClaimsSection).query(".read-only-banner")  # nothing to change


async def test_search_by_claim_id_or_patient_narrows_the_list(make_app, paid_claims) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_claims(pilot)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await type_text(pilot, "clm100")
        await pilot.press("enter")
        await pilot.pause()
        assert [r[0] for r in rows(app)] == ["CLM1001", "CLM1002"]
        assert 'rows 1-2 of 2 matching "clm100"' in section_text(app)
        assert app.focused is claims_table(app)

        await pilot.press("slash")  # the search so far is selected: typing replaces it
        await type_text(pilot, "doe")
        await pilot.press("enter")
        await pilot.pause()
        assert [(r[0], r[1]) for r in rows(app)] == [
            ("CLM1001", "DOE, JANE"),
            ("CLM2003", "DOE, JOHN"),
        ]

        await pilot.press("slash")
        await type_text(pilot, "nobody")
        await pilot.press("enter")
        await pilot.pause()
        assert rows(app) == []
        assert 'No claim id or patient matches "nobody"' in section_text(app)

        await pilot.press("escape")  # from the list: clears the search
        await pilot.pause()
        assert len(rows(app)) == 3
        assert search_box(app).value == ""


async def test_escape_in_the_search_box_clears_it_and_shows_every_claim(
    make_app, paid_claims
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_claims(pilot)
        await pilot.press("slash")
        await type_text(pilot, "rivera")
        await pilot.press("enter")
        await pilot.pause()
        assert [r[0] for r in rows(app)] == ["CLM1002"]
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert len(rows(app)) == 3
        assert app.focused is claims_table(app)


async def test_enter_opens_the_ledger_with_codes_source_payment_and_batch(
    make_app, paid_claims
) -> None:
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await open_claims(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ClaimLedgerScreen)
        entries = app.screen.query_one("#ledger-entries", DataTable)
        got = [[str(c) for c in entries.get_row_at(i)] for i in range(entries.row_count)]
        charge_day = got[0][0]
        assert got == [
            [charge_day, "charge", "primary", "150.00", "", "", "1 99214 2024-01-05", "", "", ""],
            [charge_day, "charge", "primary", "25.35", "", "", "2 36415 2024-01-05", "", "", ""],
            ["2024-02-01", "payment", "primary", "-98.70", "PCON", "", "1 99214 2024-01-05",
             "EFT55501", "DEP-0201", "BCBS"],
            ["2024-02-01", "adjustment", "primary", "-30.11", "AIWO", "CO-45",
             "1 99214 2024-01-05", "EFT55501", "DEP-0201", "BCBS"],
            ["2024-02-01", "transfer", "primary", "-11.19", "", "PR-2", "1 99214 2024-01-05",
             "EFT55501", "DEP-0201", "BCBS"],
            ["2024-02-01", "transfer", "secondary", "11.19", "", "PR-2", "1 99214 2024-01-05",
             "EFT55501", "DEP-0201", "BCBS"],
        ]  # fmt: skip
        lines = app.screen.query_one("#ledger-lines", DataTable)
        assert [[str(c) for c in lines.get_row_at(i)] for i in range(lines.row_count)] == [
            ["1", "99214-25", "2024-01-05", "1", "150.00", "98.70", "30.11", "21.19",
             "CLM1001-1"],
            ["2", "36415", "2024-01-05", "1", "25.35", "0.00", "0.00", "25.35", "CLM1001-2"],
            ["Total", "", "", "", "175.35", "98.70", "30.11", "46.54", ""],
        ]  # fmt: skip
        text = screen_text(pilot)
        assert "Charge 175.35 = Paid 98.70 + Adjusted 30.11 + Balance 46.54  ✓ balanced" in text
        assert ("Owed: primary 35.35 · secondary 11.19 · tertiary 0.00 · patient 0.00") in text
        assert "Payers: primary BCBS (BCBSX) · secondary MCR (01312) · tertiary —" in text
        assert "Claim CLM1001 · DOE, JANE · charge 175.35 · from demo data" in text

        await pilot.press("down", "down", "down")
        await pilot.pause()
        assert "AIWO CO-45 · payment EFT55501 batch DEP-0201" in screen_text(pilot)

        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ClaimLedgerScreen)
        await pilot.press("down", "l")  # l opens the ledger too
        await pilot.pause()
        assert isinstance(app.screen, ClaimLedgerScreen)
        assert "Claim CLM1002 · RIVERA, ANA · charge 1,234.56" in screen_text(pilot)


@pytest.fixture
def many_claims(store) -> int:
    """PAGE_SIZE * 2 + 5 claims straight into the tables, each with its opening charge."""
    count = PAGE_SIZE * 2 + 5
    with store.write() as session:
        session.execute(
            insert(tables.Claim),
            [
                {
                    "id": n,
                    "claim_id": f"PCN{n:05d}",
                    "patient_name": f"PATIENT, NUMBER {n}",
                    "charge_cents": 10_000 + n,
                    "service_date": date(2024, 3, 1),
                    "payer_names": "{}",
                    "source": "demo",
                    "created_at": POSTED,
                }
                for n in range(1, count + 1)
            ],
        )
        session.execute(insert(tables.LedgerEntry), [
            {"claim_pk": n, "kind": "charge", "party": "patient", "amount_cents": 10_000 + n,
             "created_at": POSTED} for n in range(1, count + 1)])  # fmt: skip
    return count


async def test_paging_reads_every_claim_a_page_at_a_time(make_app, many_claims) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_claims(pilot)
        assert len(rows(app)) == PAGE_SIZE
        assert f"rows 1-{PAGE_SIZE} of {many_claims}" in section_text(app)

        await pilot.press("n")
        await pilot.pause()
        assert rows(app)[0][:4] == ["PCN00201", "PATIENT, NUMBER 201", "2024-03-01", "102.01"]
        assert f"rows {PAGE_SIZE + 1}-{PAGE_SIZE * 2} of {many_claims}" in section_text(app)

        await pilot.press("ctrl+end", "down")  # past the last row: the next page
        await pilot.pause()
        assert [r[0] for r in rows(app)] == [f"PCN{n:05d}" for n in range(401, 406)]
        assert claims_table(app).cursor_row == 0
        assert f"rows 401-405 of {many_claims}" in section_text(app)

        await pilot.press("n")  # no page after the last: stays
        await pilot.pause()
        assert rows(app)[0][0] == "PCN00401"

        await pilot.press("up")  # before the first row: the previous page, at its end
        await pilot.pause()
        assert rows(app)[0][0] == "PCN00201"
        assert claims_table(app).cursor_row == PAGE_SIZE - 1
        assert rows(app)[-1][0] == "PCN00400"

        await pilot.press("p")
        await pilot.pause()
        assert rows(app)[0][0] == "PCN00001"
        assert "Balance 100.01 = patient 100.01" in section_text(app)


async def test_a_search_pages_within_its_matches(make_app, many_claims) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_claims(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("slash")
        await type_text(pilot, "PCN003")
        await pilot.press("enter")
        await pilot.pause()
        assert [r[0] for r in rows(app)] == [f"PCN003{n:02d}" for n in range(100)]
        assert 'rows 1-100 of 100 matching "PCN003"' in section_text(app)


async def test_no_claims_yet_says_how_to_get_some(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_claims(pilot)
        assert "No claims yet. Import 837P files with `pctui import`" in section_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ClaimLedgerScreen)


async def test_the_section_is_listed_under_payments_with_its_keys_in_help(
    make_app, store, paid_claims
) -> None:
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        text = screen_text(pilot)
        assert "PAYMENTS → Claims" in text
        assert "Ledger" in text and "Owing only" in text
        await pilot.press("escape")
        await pilot.pause()
        section = app.query_one(ClaimsSection)
        assert section.GROUP == "PAYMENTS"
        # Every command-palette entry runs a real action of the section.
        assert all(callable(getattr(section, f"action_{a.action}")) for a in section.ACTIONS)
        app._run_section_action(ClaimsSection, "focus_search")
        await pilot.pause()
        assert app.focused is search_box(app)
        await pilot.press("escape")
        # The section re-reads on being shown: a new entry appears without restarting.
        pk = find_claim_pk_of(store, "CLM2003")
        with store.write() as session:
            session.execute(insert(tables.LedgerEntry), [{
                "claim_pk": pk, "kind": "adjustment", "party": "primary", "amount_cents": -1010,
                "code": "AIWO", "created_at": POSTED}])  # fmt: skip
        await open_claims(pilot)
        assert rows(app)[2][3:7] == ["210.10", "0.00", "10.10", "200.00"]


def find_claim_pk_of(store, claim_id: str) -> int:
    with store.read() as session:
        pk = find_claim_pk(session, claim_id)
    assert pk is not None
    return pk


async def test_a_claim_level_adjustment_and_an_unknown_payer_are_shown_as_such(
    make_app, store, paid_claims
) -> None:
    pk = paid_claims["CLM2003"]
    with store.write() as session:
        row = session.get(tables.Claim, pk)
        row.payer_names = json.dumps({"primary": {"name": "Blue Cross Blue Shield", "id": "BCBSX"},
                                      "secondary": {"name": "ACME PLAN", "id": "U1"}})  # fmt: skip
        session.add(row)
        session.execute(insert(tables.LedgerEntry), [{
            "claim_pk": pk, "line_id": None, "kind": "adjustment", "party": "primary",
            "amount_cents": -1010, "code": "AIWO", "group_code": "OA", "reason_code": "23",
            "created_at": POSTED}])  # fmt: skip
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await open_claims(pilot)
        await pilot.press("down", "down", "enter")
        await pilot.pause()
        text = screen_text(pilot)
        assert "secondary 'ACME PLAN' (U1), not set up in pctui" in text
        assert "Charge 210.10 = Paid 0.00 + Adjusted 10.10 + Balance 200.00  ✓ balanced" in text
        lines = app.screen.query_one("#ledger-lines", DataTable)
        assert [[str(c) for c in lines.get_row_at(i)][:8] for i in range(lines.row_count)] == [
            ["1", "99395-25", "2024-01-05", "1", "210.10", "0.00", "0.00", "210.10"],
            ["claim", "on the claim", "", "", "0.00", "0.00", "10.10", "-10.10"],
            ["Total", "", "", "", "210.10", "0.00", "10.10", "200.00"],
        ]  # fmt: skip
        entries = app.screen.query_one("#ledger-entries", DataTable)
        assert [str(c) for c in entries.get_row_at(1)][1:7] == [
            "adjustment", "primary", "-10.10", "AIWO", "OA-23", "claim"]  # fmt: skip
