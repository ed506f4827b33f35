"""Stored text is shown as text on every screen (SPEC 4, issue 9 item 3).

A payer named ``Evil [/] payer`` once crashed the app at start for every user of the database;
``[bold red]`` and ``[@click=app.quit]`` changed what people saw, and an escape sequence from an
835 reached the terminal. Here every text field a screen shows holds markup and control
characters (written straight into the tables, as an older version or a hostile 835 would have
left them), and every section, view, detail and dialog is opened: the app keeps running, the
brackets are shown literally, and no control character reaches the screen.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from pctui.core.claim import Claim as ClaimModel
from pctui.core.claim import ClaimPayerRef, ServiceLine
from pctui.core.codes import PayerLevel
from pctui.store import carc, claims, codes, connections, intake, release, tables
from pctui.store.connections import ConnectionDraft
from tests.ui.helpers import rendered
from tests.ui.test_release_835 import (
    BCBS_IN,
    DOS,
    D,
    add_bcbs_with_rule,
    import_era,
    pays_pcn100,
    remittance,
)

EVIL = "Evil [/] payer [bold red]RED[/] [@click=app.quit]CLICK[/] \x1b[2J\x07\u202e end"
SHOWN = "Evil [/] payer [bold red]RED[/] [@click=app.quit]CLICK[/]"  # how much of it fits
CONTROL = ("\x1b", "\x07", "\u202e")


def evil(tag: str) -> str:
    return f"{tag} {EVIL}"


@pytest.fixture
def hostile(store, admin, secrets) -> None:
    """Every stored text field a screen shows, hostile."""
    bcbs = add_bcbs_with_rule(store, admin)
    codes.save_code(store, admin, "EVIL", "adjustment", "placeholder")
    carc.save_override(store, admin, bcbs, "45", "CO", excluded=True)
    connections.save_connection(store, secrets, admin, ConnectionDraft(
        bcbs, "placeholder", "https", "https://x.example", "S", "R", ["R1"]),
        api_key="sk_live_0000aaaa1234")
    with store.write() as session:
        claims.add_demo_claim(session, ClaimModel(
            "PCN100", D("200.00"), "DOE, JANE",
            [ServiceLine(1, "99213", charge=D("120.00"), service_date=DOS,
                         control_number="PCN100-1"),
             ServiceLine(2, "36415", charge=D("80.00"), service_date=DOS,
                         control_number="PCN100-2")],
            {PayerLevel.PRIMARY: ClaimPayerRef("Blue Cross Blue Shield", "BCBS-OUT")}, DOS))
    era_id = import_era(store, admin, remittance("CHK-1", BCBS_IN, "BLUE CROSS", pays_pcn100()),
                        datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    second = import_era(store, admin, remittance("CHK-2", BCBS_IN, "BLUE CROSS", pays_pcn100()),
                        datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    intake.validate_pending(store)
    release.release_era(store, admin, second, date(2026, 11, 21), "B20261121-01")
    rejected = intake.import_bytes(store, "notes.txt", b"not an 835", admin)
    assert rejected.status is intake.ImportStatus.REJECTED

    t = tables
    with store.write() as session:
        def put(table, where, **values) -> None:
            session.execute(update(table).where(where).values(**values))

        put(t.Payer, t.Payer.id == bcbs, name=evil("payer name"))
        put(t.PayerConnection, t.PayerConnection.payer_id == bcbs, name=evil("connection"),
            endpoint=evil("endpoint"), submitter_id=evil("submitter"),
            receiver_id=evil("receiver"), compliance_rules=json.dumps([evil("rule")]))
        put(t.PostingCode, t.PostingCode.code == "EVIL", description=evil("code"))
        put(t.PayerRule, t.PayerRule.payer_id == bcbs, description=evil("rule description"))
        put(t.AuditEntry, t.AuditEntry.id > 0, user_login=evil("user"),
            entity_label=evil("label"), changes=json.dumps({"name": [evil("old"),
                                                                     evil("new")]}))
        put(t.ImportedFile, t.ImportedFile.status == "rejected", filename=evil("file"),
            errors=json.dumps([evil("reason")]))
        for row in (era_id, second):
            era = session.get(t.Era, row)
            detail = json.loads(era.detail)
            text = json.dumps(detail).replace("DOE, JANE", evil("patient").replace(
                "\\", "\\\\").replace('"', '\\"'))
            put(t.Era, t.Era.id == row, check_number=evil(f"check {row}"),
                payer_name=evil("835 payer"),
                payee_name=evil("payee"), detail=text)
        put(t.EraFinding, t.EraFinding.id > 0, message=evil("finding"))
        first = session.get(t.Era, era_id)
        session.add(t.EraFinding(era_id=era_id, file_id=first.file_id, severity="warning",
                                 source="balance", message=evil("finding")))
        put(t.Claim, t.Claim.claim_id == "PCN100", patient_name=evil("patient"))
        put(t.Release, t.Release.era_id == second, released_by=evil("releaser"),
            error_report=json.dumps([evil("error line")]))
        put(t.LedgerEntry, t.LedgerEntry.id > 0, memo=evil("memo"), created_by=evil("poster"))


async def look(pilot, *keys: str, wait: bool = False) -> str:
    """Press keys, then check the app is alive and the screen holds no control character."""
    if keys:
        await pilot.press(*keys)
    if wait:
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    assert pilot.app.is_running, f"the app stopped after {keys}"
    assert pilot.app._exception is None
    screen = rendered(pilot.app)
    for ch in CONTROL:
        assert ch not in screen, f"{ch!r} reached the terminal after {keys}"
    return screen


def literal(screen: str) -> bool:
    """The markup is on screen as typed (at least its opening, where a column cuts it)."""
    return "[/]" in screen or "[bold red]" in screen or "[@click" in screen


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_every_screen_shows_stored_markup_and_control_characters_as_text(
        make_app, hostile, size) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        seen: list[str] = []

        async def visit(*keys: str, back: tuple[str, ...] = ("escape",), wait: bool = False,
                        expect_literal: bool = True) -> None:
            screen = await look(pilot, *keys, wait=wait)
            if expect_literal:
                assert literal(screen), f"no stored text shown literally after {keys}"
            if "\\x1b" in screen:
                seen.append(" ".join(keys))
            if back:
                await look(pilot, *back)

        # ADMIN → Insurance Payers: list and detail, edit form, key form, confirm, audit log
        await visit("f2", back=())
        await visit("e")
        await visit("escape", back=())
        await visit("k", back=("escape",), expect_literal=False)
        await visit("d", back=("n",))
        await visit("l")
        # PAYMENTS → Payer Rules: every view, its forms and audit log
        await visit("f3", back=())
        await visit("e", wait=True)
        await visit("escape", back=(), expect_literal=False)
        await visit("l")
        for view in ("2", "3", "4"):
            await visit(view, back=(), expect_literal=view != "3")
            await visit("l", expect_literal=False)
        await visit("2", back=())
        await visit("e")
        await visit("n")
        await visit("3", back=(), expect_literal=False)
        await visit("e", expect_literal=False)
        await visit("4", back=())
        await pilot.press("end")
        await visit("e")
        # PAYMENTS → Release 835: the list, the detail's four tabs, rejected files, dialogs
        await visit("f4", back=(), wait=True)
        await visit("d", back=(), wait=True)
        for tab in ("2", "3", "4", "1"):
            await visit(tab, back=(), expect_literal=tab != "2")
        await visit("escape", back=())
        await visit("v", back=())
        await visit("v", back=())
        await visit("space", "r", back=("escape",))
        await visit("space", back=())
        await visit("f", back=("escape",))
        # PAYMENTS → Claims: the list and the ledger
        await visit("f5", back=())
        await visit("enter", back=("escape",))
        # Help, and the list's own dialogs
        await visit("f1", expect_literal=False)
        await visit("ctrl+e", expect_literal=False)
        await visit("s", expect_literal=False)
        assert seen, "the control characters are shown as visible escapes somewhere"
