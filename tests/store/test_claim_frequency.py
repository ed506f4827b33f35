"""CLM05-3 as a biller reads it: 7 replaces the claim on file, 8 voids it, and an original whose
claim number is already on file with other content waits for a biller (kept apart, never lost).

Every scenario goes through the intake (``pctui import``'s path) into a real SQLite file and is
checked where a biller would check it: the Claims list totals, the ledger, the audit log.
"""

from __future__ import annotations

import json

import pytest
from sqlmodel import col, select
from tests.store.test_release import (  # noqa: F401 - practice is a fixture
    BCBS_IN,
    DEPOSIT,
    balances,
    import_835,
    owed,
    payment,
    practice,
    primary_pays,
)
from tests.x12.claim_samples import ClaimSpec, Line, build_837

from pctui.store import claims, intake, release, tables
from pctui.store.claim_intake import (
    ConflictStatus,
    conflict_detail,
    count_open_conflicts,
    list_conflicts,
    resolve_conflict,
)
from pctui.store.db import Store
from pctui.store.errors import PermissionDenied, ValidationFailed
from pctui.store.users import Actor, identify

BLUE = ("BLUE CROSS", "BCBS-OUT")
MEDI = ("MEDI-CAL", "MCD-OUT")


def pcn100(frequency: str = "1", lines: list[Line] | None = None, charge: str | None = None,
           patient: str = "DOE*JANE") -> ClaimSpec:  # fmt: skip
    """The claim release tests pay: line 1 99213 120.00, line 2 36415 80.00, Blue Cross then
    Medi-Cal, lines with REF*6R PCN100-n so an 835 finds them."""
    lines = lines or [Line("99213", "120.00", control="PCN100-1", date="D8*20260302"),
                      Line("36415", "80.00", control="PCN100-2", date="D8*20260302")]  # fmt: skip
    total = charge or f"{sum(float(ln.charge) for ln in lines):.2f}"
    return ClaimSpec("PCN100", total, lines, payer=BLUE, others=[("S", MEDI)], patient=patient,
                     frequency=frequency)  # fmt: skip


def send(store: Store, actor: Actor, specs: list[ClaimSpec], name: str, n: int = 1):
    """Import one 837 holding ``specs`` (``n`` makes otherwise equal files differ in bytes)."""
    text = build_837([specs]).replace("000000001", f"{n:09d}")
    return intake.import_bytes(store, name, text.encode(), actor)


def ledger_memos(store: Store, claim_id: str) -> list[tuple[str, str, str, int | None]]:
    with store.read() as session:
        pk = claims.find_claim_pk(session, claim_id)
    assert pk is not None
    return [(e.kind.value, e.party.value, f"{e.amount:.2f}", e.line_number)
            for e in claims.claim_ledger(store, pk)]  # fmt: skip


def claim_row(store: Store, claim_id: str) -> tables.Claim:
    with store.read() as session:
        row = session.exec(select(tables.Claim).where(tables.Claim.claim_id == claim_id)).one()
    return row


def lines_of(store: Store, claim_id: str) -> list[tuple[int, str, int, bool]]:
    pk = claim_row(store, claim_id).id
    with store.read() as session:
        rows = session.exec(select(tables.ClaimLine).where(tables.ClaimLine.claim_pk == pk)
                            .order_by(col(tables.ClaimLine.line_number))).all()  # fmt: skip
    return [(r.line_number, r.procedure, r.charge_cents, r.removed) for r in rows]


def audit_actions(store: Store, entity: str) -> list[str]:
    with store.read() as session:
        return [a.action for a in session.exec(
            select(tables.AuditEntry).where(tables.AuditEntry.entity == entity)
            .order_by(col(tables.AuditEntry.id))).all()]  # fmt: skip


# -- replacement (7) ----------------------------------------------------------------------------


def test_a_replacement_takes_the_place_of_the_claim_on_file_and_the_ledger_says_how(
    store: Store, biller: Actor
) -> None:
    first = send(store, biller, [pcn100()], "original.837")
    [pk] = first.created

    corrected = pcn100("7", [Line("99214", "150.00", control="PCN100-1", date="D8*20260302")])
    result = send(store, biller, [corrected], "corrected.837", 2)

    assert (result.status, result.created, result.replaced) == (
        intake.ImportStatus.IMPORTED, [], [pk])
    assert result.to_json()["replaced"] == [pk]
    # The claim keeps its identity; its charge is the corrected one and all of it is owed.
    assert balances(store, "PCN100") == owed("150.00", charge="150.00", paid="0.00",
                                             adjusted="0.00")  # fmt: skip
    # Line 1 changed in place, line 2 left out by the correction: removed, its charge off.
    assert lines_of(store, "PCN100") == [(1, "99214", 15000, False), (2, "36415", 0, True)]
    assert ledger_memos(store, "PCN100") == [
        ("charge", "primary", "120.00", 1), ("charge", "primary", "80.00", 2),
        ("charge", "primary", "30.00", 1), ("charge", "primary", "-80.00", 2),
    ]  # fmt: skip
    row = claim_row(store, "PCN100")
    assert (row.frequency_code, row.voided_at, row.changed_by_file_id) == (
        "7", None, result.file_id)
    assert audit_actions(store, "claim") == ["replaced"]


def test_a_replacement_after_the_primary_paid_keeps_the_money_and_takes_off_what_is_owed(
    store: Store, biller: Actor, practice: dict[str, int]  # noqa: F811
) -> None:
    send(store, biller, [pcn100()], "original.837")
    era_id = import_835(store, biller, payment("CHK1", BCBS_IN, primary_pays()))
    release.release_era(store, biller, era_id, DEPOSIT, "B1")
    assert balances(store, "PCN100") == owed(secondary="40.00", charge="200.00", paid="130.00",
                                             adjusted="30.00")  # fmt: skip

    # The corrected claim bills line 1 at 100.00 instead of 120.00.
    corrected = pcn100("7", [Line("99213", "100.00", control="PCN100-1", date="D8*20260302"),
                             Line("36415", "80.00", control="PCN100-2", date="D8*20260302")])
    result = send(store, biller, [corrected], "corrected.837", 2)

    assert result.replaced and not result.created
    # Money received stays; the 20.00 less comes off what Medi-Cal was to be billed for line 1.
    assert balances(store, "PCN100") == owed(secondary="20.00", charge="180.00", paid="130.00",
                                             adjusted="30.00")  # fmt: skip


def test_a_replacement_identical_to_the_claim_on_file_changes_nothing(
    store: Store, biller: Actor
) -> None:
    send(store, biller, [pcn100()], "original.837")

    result = send(store, biller, [pcn100("7")], "again.837", 2)

    assert (result.status, result.replaced) == (intake.ImportStatus.DUPLICATE, [])
    assert [f.text for f in result.findings] == [
        "Claim PCN100 is already on file (from original.837); not imported again"]
    assert audit_actions(store, "claim") == []


def test_a_replacement_of_a_claim_not_on_file_is_stored_as_a_new_claim_with_a_finding(
    store: Store, biller: Actor
) -> None:
    result = send(store, biller, [pcn100("7")], "corrected.837")

    assert (result.status, len(result.created)) == (intake.ImportStatus.IMPORTED, 1)
    assert [f.text for f in result.findings if "CLM05-3" in f.text] == [
        "Claim PCN100 is a replacement (CLM05-3 = 7) of a claim that is not on file; stored as "
        "a new claim"]  # fmt: skip
    assert claim_row(store, "PCN100").frequency_code == "7"


def test_an_original_and_its_replacement_in_one_file_leave_one_claim_as_corrected(
    store: Store, biller: Actor
) -> None:
    corrected = pcn100("7", charge="210.00", lines=[
        Line("99213", "130.00", control="PCN100-1"), Line("36415", "80.00", control="PCN100-2")])

    result = send(store, biller, [pcn100(), corrected], "both.837")

    assert len(result.created) == 1 and result.replaced == result.created
    assert balances(store, "PCN100")["charge"] == "210.00"


# -- void (8) -----------------------------------------------------------------------------------


def test_a_void_of_an_unpaid_claim_cancels_its_charges_and_marks_it_voided(
    store: Store, biller: Actor
) -> None:
    [pk] = send(store, biller, [pcn100()], "original.837").created

    result = send(store, biller, [pcn100("8")], "void.837", 2)

    assert (result.status, result.voided, result.created) == (
        intake.ImportStatus.IMPORTED, [pk], [])
    assert balances(store, "PCN100") == owed(charge="0.00", paid="0.00", adjusted="0.00")
    assert claim_row(store, "PCN100").voided_at is not None
    assert ledger_memos(store, "PCN100")[2:] == [
        ("charge", "primary", "-120.00", 1), ("charge", "primary", "-80.00", 2)]  # fmt: skip
    assert audit_actions(store, "claim") == ["voided"]

    again = send(store, biller, [pcn100("8")], "void-again.837", 3)

    assert (again.status, again.voided) == (intake.ImportStatus.DUPLICATE, [])
    assert [f.text for f in again.findings] == [
        "Claim PCN100 is already voided (from original.837); not imported again"]


def test_a_void_after_payment_keeps_the_money_and_cancels_only_what_is_still_owed(
    store: Store, biller: Actor, practice: dict[str, int]  # noqa: F811
) -> None:
    send(store, biller, [pcn100()], "original.837")
    era_id = import_835(store, biller, payment("CHK1", BCBS_IN, primary_pays()))
    release.release_era(store, biller, era_id, DEPOSIT, "B1")

    send(store, biller, [pcn100("8")], "void.837", 2)

    # 130.00 received and 30.00 written off stay as posted; the 40.00 Medi-Cal was to be billed
    # is cancelled. The payer takes its payment back with a reversal in a later 835.
    assert balances(store, "PCN100") == owed(charge="160.00", paid="130.00", adjusted="30.00")
    memos = [e.memo for e in claims.claim_ledger(store, claim_row(store, "PCN100").id or 0)
             if e.memo.startswith("Voided")]  # fmt: skip
    assert memos and all("void.837" in m for m in memos)


def test_a_void_of_a_claim_not_on_file_has_nothing_to_cancel(
    store: Store, biller: Actor
) -> None:
    result = send(store, biller, [pcn100("8")], "void.837")

    assert (result.status, result.created, result.voided) == (
        intake.ImportStatus.IMPORTED, [], [])
    assert [f.text for f in result.findings] == [
        "Claim PCN100 is a void (CLM05-3 = 8) of a claim that is not on file; nothing to void"]
    assert claims.count_claims(store) == 0


# -- conflicts: an original reusing a claim number ----------------------------------------------


def test_an_original_reusing_a_claim_number_is_kept_apart_visible_and_never_dropped(
    store: Store, biller: Actor
) -> None:
    send(store, biller, [pcn100()], "original.837")

    result = send(store, biller, [pcn100(charge="250.00", patient="ROE*RICHARD")], "other.837", 2)

    assert result.status is intake.ImportStatus.IMPORTED
    [conflict] = result.to_json()["conflicts"]
    assert conflict["claim_id"] == "PCN100"
    assert conflict["differences"] == ["total charge 200.00 → 250.00",
                                       "patient DOE, JANE → ROE, RICHARD"]
    assert "Kept apart as conflict #" in result.findings[-1].text
    # The claim on file is untouched until a biller decides.
    assert balances(store, "PCN100")["charge"] == "200.00"
    [view] = list_conflicts(store)
    assert (view.claim_id, view.charge_on_file_cents, view.charge_new_cents, view.filename) == (
        "PCN100", 20000, 25000, "other.837")
    assert count_open_conflicts(store) == 1

    # The same claim arriving again in another file is not kept apart twice.
    again = send(store, biller, [pcn100(charge="250.00", patient="ROE*RICHARD")], "copy.837", 3)
    assert again.status is intake.ImportStatus.DUPLICATE
    assert "already waiting for a biller as conflict" in again.findings[-1].text
    assert count_open_conflicts(store) == 1


def test_keeping_the_claim_on_file_closes_the_conflict_and_is_audited(
    store: Store, biller: Actor
) -> None:
    send(store, biller, [pcn100()], "original.837")
    [note] = send(store, biller, [pcn100(charge="250.00")], "other.837", 2).conflicts

    view = resolve_conflict(store, biller, note["id"], take_new=False)

    assert (view.status, view.resolved_by) == (ConflictStatus.KEPT, biller.login)
    assert balances(store, "PCN100")["charge"] == "200.00"
    assert list_conflicts(store) == []
    assert audit_actions(store, "claim_conflict") == ["kept_claim_on_file"]
    with pytest.raises(ValidationFailed, match=f"already resolved: {biller.login} kept the claim"):
        resolve_conflict(store, biller, note["id"], take_new=True)


def test_taking_the_new_claim_replaces_the_one_on_file_and_is_audited(
    store: Store, biller: Actor
) -> None:
    send(store, biller, [pcn100()], "original.837")
    new_lines = [Line("99213", "120.00", control="PCN100-1", date="D8*20260302"),
                 Line("36415", "80.00", control="PCN100-2", date="D8*20260302"),
                 Line("80053", "50.00", control="PCN100-3", date="D8*20260302")]
    [note] = send(store, biller, [pcn100(lines=new_lines)], "other.837", 2).conflicts
    detail = conflict_detail(store, note["id"])
    assert detail.view.differences == [
        "total charge 200.00 → 250.00", "line 3 added: 80053 x1 UN 50.00 on 2026-03-02"]
    assert [ln.procedure for ln in detail.incoming.service_lines] == ["99213", "36415", "80053"]

    view = resolve_conflict(store, biller, note["id"], take_new=True)

    assert view.status == ConflictStatus.TAKEN
    assert balances(store, "PCN100") == owed("250.00", charge="250.00", paid="0.00",
                                             adjusted="0.00")  # fmt: skip
    assert audit_actions(store, "claim") == ["replaced"]
    assert audit_actions(store, "claim_conflict") == ["took_new_claim"]
    memo = claims.claim_ledger(store, claim_row(store, "PCN100").id or 0)[-1].memo
    assert memo == (f"Line 3 charge 50.00: conflict #{note['id']} from other.837 taken by "
                    f"{biller.login}")  # fmt: skip


def test_an_original_for_a_voided_claim_waits_for_a_biller_and_taking_it_restores_the_claim(
    store: Store, biller: Actor
) -> None:
    send(store, biller, [pcn100()], "original.837")
    send(store, biller, [pcn100("8")], "void.837", 2)

    [note] = send(store, biller, [pcn100()], "rebill.837", 3).conflicts

    assert note["differences"] == ["the claim on file is voided; this is an original"]
    resolve_conflict(store, biller, note["id"], take_new=True)
    assert balances(store, "PCN100") == owed("200.00", charge="200.00", paid="0.00",
                                             adjusted="0.00")  # fmt: skip
    assert claim_row(store, "PCN100").voided_at is None


def test_someone_not_registered_cannot_resolve_a_conflict(store: Store, biller: Actor) -> None:
    send(store, biller, [pcn100()], "original.837")
    [note] = send(store, biller, [pcn100(charge="250.00")], "other.837", 2).conflicts
    stranger = identify(store, "mallory")

    with pytest.raises(PermissionDenied):
        resolve_conflict(store, stranger, note["id"], take_new=True)
    assert count_open_conflicts(store) == 1


def test_the_conflict_keeps_the_whole_claim_as_it_came(store: Store, biller: Actor) -> None:
    send(store, biller, [pcn100()], "original.837")
    [note] = send(store, biller, [pcn100(charge="250.00")], "other.837", 2).conflicts

    with store.read() as session:
        row = session.get(tables.ClaimConflict, note["id"])
    assert row is not None
    kept = json.loads(row.detail)
    assert (kept["claim_id"], kept["charge"], [ln["procedure"] for ln in kept["lines"]]) == (
        "PCN100", "250.00", ["99213", "36415"])
    assert kept["payers"]["secondary"] == {"name": "MEDI-CAL", "id": "MCD-OUT"}
