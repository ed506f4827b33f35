"""Releasing 835s on a real SQLite file: claims and 835s imported, rules set, payments released,
and the balances a biller reads afterwards, to the cent, per party (SPEC 2.3)."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import col, func, select

from pctui.core.claim import Claim as ClaimModel
from pctui.core.claim import ClaimPayerRef, ServiceLine
from pctui.core.codes import Party, PayerLevel
from pctui.core.era import Adjustment, ClaimPayment, ProviderAdjustment, Remittance, ServicePayment
from pctui.store import claims, eras, intake, release, tables
from pctui.store.db import Store
from pctui.store.errors import PermissionDenied, ValidationFailed
from pctui.store.users import Actor, identify
from pctui.x12.write835 import write_835

D = Decimal
DOS = date(2026, 3, 2)
DEPOSIT = date(2026, 11, 22)
BCBS_IN, MCD_IN = "12345", "77777"


# -- building a practice: payers, rules, claims, 835s --------------------------------------------


def add_payer(store: Store, code: str, name: str, inbound: Iterable[str] = (),
              insurance_class: str = "commercial") -> int:  # fmt: skip
    with store.write() as session:
        payer = tables.Payer(code=code, name=name, insurance_class=insurance_class,
                             outbound_id=f"{code}-OUT")  # fmt: skip
        session.add(payer)
        session.flush()
        assert payer.id is not None
        for value in inbound:
            session.add(tables.PayerInboundId(value=value, payer_id=payer.id))
        return payer.id


def add_rule(store: Store, inbound_id: str, payer_id: int, payment: str = "PCON",
             adjustment: str = "AIWO", **levels: dict[str, str]) -> int:  # fmt: skip
    """A rule with the given codes at every level; ``secondary={...}`` overrides one level."""
    now = datetime.now(UTC)
    with store.write() as session:
        rule = tables.PayerRule(inbound_id=inbound_id, payer_id=payer_id, created_at=now,
                                updated_at=now)  # fmt: skip
        session.add(rule)
        session.flush()
        assert rule.id is not None
        for level in PayerLevel:
            values = {"payment_code": payment, "adjustment_code": adjustment,
                      **levels.get(level.value, {})}  # fmt: skip
            session.add(tables.PayerRuleLevel(rule_id=rule.id, level=level.value, **values))
        return rule.id


def exclude_carc(store: Store, payer_id: int, carc: str, group: str = "") -> None:
    with store.write() as session:
        session.add(tables.CarcOverride(payer_id=payer_id, carc=carc, group_code=group))


def add_claim(store: Store, claim_id: str, charges: Iterable[str],
              payers: dict[PayerLevel, str], codes: Iterable[str] = ("99213", "36415", "80053"),
              patient: str = "DOE, JANE") -> int:  # fmt: skip
    lines = [
        ServiceLine(n, code, charge=D(c), units=D(1), service_date=DOS,
                    control_number=f"{claim_id}-{n}")  # fmt: skip
        for n, (c, code) in enumerate(zip(charges, codes, strict=False), start=1)
    ]
    model = ClaimModel(claim_id, sum((ln.charge for ln in lines), D("0.00")), patient, lines,
                       {lvl: ClaimPayerRef(name, f"{name_code(name)}-OUT")
                        for lvl, name in payers.items()}, DOS)  # fmt: skip
    with store.write() as session:
        return claims.add_demo_claim(session, model)


_NAMES = {"Blue Cross": "BCBS", "Medi-Cal": "MCD", "Aetna": "AETNA", "Federal Blue": "FEP"}


def name_code(name: str) -> str:
    return _NAMES.get(name, "UNKNOWN")


def file_837(claim_list: list[tuple[str, list[tuple[str, str]], dict[str, tuple[str, str]]]]) -> str:
    """A small 837P: each claim is (CLM01, [(procedure, charge)], {SBR01: (payer name, NM109)});
    line n of claim C has REF*6R "C-n" and date of service DOS."""
    segs = [["ST", "837", "0001", "005010X222A1"], ["BHT", "0019", "00", "1", "20260310", "1200", "CH"],
            ["HL", "1", "", "20", "1"], ["NM1", "85", "2", "CLINIC", "", "", "", "", "XX", "1"]]  # fmt: skip
    hl = 1
    for claim_id, lines, payers in claim_list:
        charge = sum((D(c) for _, c in lines), D("0.00"))
        first, *others = payers.items()
        segs += [["HL", str(hl + 1), "1", "22", "1"], ["SBR", first[0], "18", "", "", "", "", "", "", "CI"],
                 ["NM1", "IL", "1", "DOE", "JANE"],
                 ["NM1", "PR", "2", first[1][0], "", "", "", "", "PI", first[1][1]],
                 ["HL", str(hl + 2), str(hl + 1), "23", "0"], ["PAT", "19"],
                 ["NM1", "QC", "1", "DOE", "JANE"],
                 ["CLM", claim_id, str(charge), "", "", "11:B:1", "Y", "A", "Y", "I"]]  # fmt: skip
        hl += 2
        for level, (name, payer_id) in others:
            segs += [["SBR", level, "01", "", "", "", "", "", "", "CI"], ["NM1", "IL", "1", "DOE"],
                     ["NM1", "PR", "2", name, "", "", "", "", "PI", payer_id]]  # fmt: skip
        for n, (procedure, line_charge) in enumerate(lines, start=1):
            segs += [["LX", str(n)], ["SV1", f"HC:{procedure}", line_charge, "UN", "1"],
                     ["DTP", "472", "D8", f"{DOS:%Y%m%d}"], ["REF", "6R", f"{claim_id}-{n}"]]  # fmt: skip
    segs.append(["SE", str(len(segs) + 1), "0001"])
    isa = ("ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       *260310*1200*^*"
           "00501*000000001*0*T*:~")  # fmt: skip
    body = [["GS", "HC", "S", "R", "20260310", "1200", "1", "X", "005010X222A1"], *segs,
            ["GE", "1", "1"], ["IEA", "1", "000000001"]]  # fmt: skip
    return isa + "\n" + "".join("*".join(seg) + "~\n" for seg in body)


def import_837(store: Store, actor: Actor, text: str, name: str = "claims.837") -> list[int]:
    result = intake.import_bytes(store, name, text.encode(), actor)
    assert result.status is intake.ImportStatus.IMPORTED, (result.errors, result.findings)
    return result.created


def svc(claim_id: str, n: int, procedure: str, charge: str, paid: str,
        *cas: tuple[str, str, str]) -> ServicePayment:  # fmt: skip
    return ServicePayment(
        procedure=procedure, charge=D(charge), paid=D(paid), units=D(1), service_date=DOS,
        control_number=f"{claim_id}-{n}",
        adjustments=[Adjustment(g, r, D(a)) for g, r, a in cas],
    )  # fmt: skip


def clp(claim_id: str, status: str, *lines: ServicePayment, paid: str | None = None,
        cas: Iterable[tuple[str, str, str]] = ()) -> ClaimPayment:  # fmt: skip
    charge = sum((ln.charge for ln in lines), D("0.00"))
    total = D(paid) if paid is not None else sum((ln.paid for ln in lines), D("0.00"))
    return ClaimPayment(claim_id, status, charge, total, service_lines=list(lines),
                        adjustments=[Adjustment(g, r, D(a)) for g, r, a in cas])  # fmt: skip


def payment(check: str, inbound: str, *claim_payments: ClaimPayment,
            plb: Iterable[ProviderAdjustment] = (), payer: str = "BLUE CROSS") -> Remittance:  # fmt: skip
    plbs = list(plb)
    total = sum((c.paid for c in claim_payments), D("0.00")) - sum(
        (p.amount for p in plbs), D("0.00"))
    return Remittance(
        control_number="0001", interchange_control="000000001", sender_id="SENDER",
        amount=total, payment_method="ACH", payment_date=date(2026, 11, 20), check_number=check,
        trn_originator="1999999999", payer_name=payer, payer_id=inbound, payee_name="CLINIC",
        claims=list(claim_payments), provider_adjustments=plbs,
    )  # fmt: skip


def import_835(store: Store, actor: Actor, era: Remittance, name: str | None = None) -> int:
    """Import through the intake, as ``pctui import`` does; the new payment's id."""
    text = write_835([era], interchange_control=zlib.crc32(era.check_number.encode()) % 10**9)
    result = intake.import_bytes(store, name or f"{era.check_number}.835", text.encode(), actor)
    assert result.status is intake.ImportStatus.IMPORTED, (result.errors, result.findings)
    assert len(result.created) == 1
    return result.created[0]


def balances(store: Store, claim_id: str) -> dict[str, str]:
    """What the Claims list shows for one claim: charge, paid, adjusted and who owes what."""
    (row,) = claims.list_claims(store, claim_id)
    return {
        "charge": f"{row.charge:.2f}", "paid": f"{row.paid:.2f}",
        "adjusted": f"{row.adjusted:.2f}",
        **{party.value: f"{amount:.2f}" for party, amount in row.balance.items()},
    }  # fmt: skip


def owed(primary: str = "0.00", secondary: str = "0.00", tertiary: str = "0.00",
         patient: str = "0.00", **totals: str) -> dict[str, str]:  # fmt: skip
    return {**totals, "primary": primary, "secondary": secondary, "tertiary": tertiary,
            "patient": patient}  # fmt: skip


def count(store: Store, table: type, *where: object) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(table).where(*where)).one()


@pytest.fixture
def practice(store: Store) -> dict[str, int]:
    """Blue Cross (primary, commercial: post / transfer / keep) and Medi-Cal (secondary,
    Medicaid: the patient's share is adjusted to zero), each with its rule."""
    bcbs = add_payer(store, "BCBS", "Blue Cross", [BCBS_IN])
    mcd = add_payer(store, "MCD", "Medi-Cal", [MCD_IN], insurance_class="medicaid")
    add_rule(store, BCBS_IN, bcbs)
    add_rule(store, MCD_IN, mcd, "PMCD", "AMCD",
             secondary={"patient_balance": "adjust", "patient_adjustment_code": "AMCD"})  # fmt: skip
    return {"bcbs": bcbs, "mcd": mcd}


def primary_pays(claim_id: str = "PCN100") -> ClaimPayment:
    """Line 1 (120.00): paid 80, CO-45 20, PR-1 deductible 20. Line 2 (80.00): paid 50,
    CO-45 10, PR-2 coinsurance 10, and 10 nobody adjusted (Transfer to next moves it)."""
    return clp(claim_id, "1",
               svc(claim_id, 1, "99213", "120.00", "80.00", ("CO", "45", "20"), ("PR", "1", "20")),
               svc(claim_id, 2, "36415", "80.00", "50.00", ("CO", "45", "10"), ("PR", "2", "10")))  # fmt: skip


# -- SPEC 2.3, end to end ----------------------------------------------------------------------


def test_primary_pays_writes_off_co_and_moves_pr_and_the_rest_to_the_secondary(
    store: Store, biller: Actor, practice: dict[str, int]
) -> None:
    add_claim(store, "PCN100", ["120.00", "80.00"],
              {PayerLevel.PRIMARY: "Blue Cross", PayerLevel.SECONDARY: "Medi-Cal"})  # fmt: skip
    assert balances(store, "PCN100") == owed("200.00", charge="200.00", paid="0.00",
                                             adjusted="0.00")  # fmt: skip
    era_id = import_835(store, biller, payment("CHK1", BCBS_IN, primary_pays()))

    result = release.release_era(store, biller, era_id, DEPOSIT, "B1")

    assert (result.status, result.claims_posted, result.errors) == ("released", 1, [])
    assert result.message == "Released: 1 claim posted"
    # 130 paid, 30 written off (AIWO), PR 30 + the unadjusted 10 now owed by Medi-Cal.
    assert balances(store, "PCN100") == owed(secondary="40.00", charge="200.00", paid="130.00",
                                             adjusted="30.00")  # fmt: skip
    assert eras.get_era(store, era_id).status is eras.EraStatus.RELEASED


def test_claims_imported_from_an_837_are_paid_by_an_imported_835(
    store: Store, biller: Actor, practice: dict[str, int]
) -> None:
    created = import_837(store, biller, file_837([
        ("PCN100", [("99213", "120.00"), ("36415", "80.00")],
         {"P": ("BLUE CROSS", "BCBS-OUT"), "S": ("MEDI-CAL", "MCD-OUT")}),
        ("PCN101", [("99214", "185.00")], {"P": ("BLUE CROSS", "BCBS-OUT")}),
    ]))  # fmt: skip
    assert len(created) == 2
    era_id = import_835(store, biller, payment(
        "EFT1", BCBS_IN, primary_pays(),
        clp("PCN101", "1", svc("PCN101", 1, "99214", "185.00", "100.00", ("CO", "45", "60"),
                               ("PR", "3", "25")))))  # fmt: skip
    assert eras.get_era(store, era_id).status is eras.EraStatus.READY

    result = release.release_era(store, biller, era_id, DEPOSIT, "B1")

    assert (result.status, result.claims_posted) == ("released", 2)
    assert balances(store, "PCN100") == owed(secondary="40.00", charge="200.00", paid="130.00",
                                             adjusted="30.00")  # fmt: skip
    assert balances(store, "PCN101") == owed(patient="25.00", charge="185.00", paid="100.00",
                                             adjusted="60.00")  # fmt: skip


def test_secondary_pays_after_primary_and_medicaid_adjusts_the_patient_share(
    store: Store, biller: Actor, practice: dict[str, int]
) -> None:
    add_claim(store, "PCN100", ["120.00", "80.00"],
              {PayerLevel.PRIMARY: "Blue Cross", PayerLevel.SECONDARY: "Medi-Cal"})  # fmt: skip
    first = import_835(store, biller, payment("CHK1", BCBS_IN, primary_pays()))
    release.release_era(store, biller, first, DEPOSIT, "B1")
    # Medi-Cal pays 25 of the 40 it owes and lists 5 as its own contractual write-off.
    second = import_835(store, biller, payment("MCD9", MCD_IN, clp(
        "PCN100", "2", svc("PCN100", 1, "99213", "120.00", "20.00"),
        svc("PCN100", 2, "36415", "80.00", "5.00", ("CO", "45", "5"))), payer="MEDI-CAL"))

    result = release.release_era(store, biller, second, date(2026, 11, 29), "B2")

    assert result.status == "released"
    # The 10 Medi-Cal left goes to the patient and is adjusted to zero (AMCD): nobody owes.
    assert balances(store, "PCN100") == owed(charge="200.00", paid="155.00", adjusted="45.00")
    codes = {(e.kind, e.party, e.code, f"{e.amount:.2f}") for e in ledger(store, "PCN100")
             if e.era_id == second}  # fmt: skip
    assert ("payment", Party.SECONDARY, "PMCD", "-20.00") in codes
    assert ("adjustment", Party.SECONDARY, "AMCD", "-5.00") in codes
    assert ("adjustment", Party.PATIENT, "AMCD", "-10.00") in codes


def test_transfer_to_patient_when_no_next_payer_and_keep_leaves_it_with_the_payer(
    store: Store, biller: Actor, practice: dict[str, int]
) -> None:
    fep = add_payer(store, "FEP", "Federal Blue")
    add_rule(store, BCBS_IN, fep, primary={"insurance_balance": "keep"})
    add_claim(store, "ONLY", ["100.00"], {PayerLevel.PRIMARY: "Blue Cross"})
    add_claim(store, "KEPT", ["100.00"], {PayerLevel.PRIMARY: "Federal Blue"})
    era_id = import_835(store, biller, payment(
        "CHK2", BCBS_IN,
        clp("ONLY", "1", svc("ONLY", 1, "99213", "100.00", "60.00", ("CO", "45", "25"))),
        clp("KEPT", "1", svc("KEPT", 1, "99213", "100.00", "60.00", ("CO", "45", "25")))))

    result = release.release_era(store, biller, era_id, DEPOSIT, "B1")

    # One 835, two rules: each claim uses the rule of its own primary payer.
    assert (result.status, result.claims_posted) == ("released", 2)
    assert balances(store, "ONLY") == owed(patient="15.00", charge="100.00", paid="60.00",
                                           adjusted="25.00")  # fmt: skip
    assert balances(store, "KEPT") == owed("15.00", charge="100.00", paid="60.00",
                                           adjusted="25.00")  # fmt: skip


def test_unmatched_claim_is_on_the_error_report_and_the_rest_is_posted(
    store: Store, biller: Actor, practice: dict[str, int]
) -> None:
    add_claim(store, "PCN100", ["120.00", "80.00"], {PayerLevel.PRIMARY: "Blue Cross"})
    era_id = import_835(store, biller, payment(
        "CHK3", BCBS_IN, primary_pays(),
        clp("NOPE1", "1", svc("NOPE1", 1, "99213", "90.00", "45.50", ("CO", "45", "44.50")))))

    result = release.release_era(store, biller, era_id, DEPOSIT, "B1")

    assert result.status == "released_with_errors"
    assert result.claims_posted == 1
    assert result.errors == ["NOPE1: Patient account was not found (amount 45.50)"]
    assert result.message == "Released with errors: 1 claim posted, 1 error-report line"
    assert balances(store, "PCN100") == owed(patient="40.00", charge="200.00", paid="130.00",
                                             adjusted="30.00")  # fmt: skip
    assert eras.get_era(store, era_id).status is eras.EraStatus.RELEASED_WITH_ERRORS


def test_an_excluded_carc_is_not_posted_and_is_reported(
    store: Store, biller: Actor, practice: dict[str, int]
) -> None:
    exclude_carc(store, practice["bcbs"], "50", "CO")
    add_claim(store, "PCN200", ["100.00", "40.00"], {PayerLevel.PRIMARY: "Blue Cross"})
    era_id = import_835(store, biller, payment("CHK4", BCBS_IN, clp(
        "PCN200", "1", svc("PCN200", 1, "99213", "100.00", "70.00", ("CO", "45", "30")),
        svc("PCN200", 2, "36415", "40.00", "0.00", ("CO", "50", "40")))))

    result = release.release_era(store, biller, era_id, DEPOSIT, "B1")

    assert result.status == "released_with_errors"
    assert result.errors == ["PCN200: CO-50 adjustment excluded (2026-03-02, 36415, amount 40.00)"]
    # The excluded 40 is not written off: Transfer to next sends it to the patient.
    assert balances(store, "PCN200") == owed(patient="40.00", charge="140.00", paid="70.00",
                                             adjusted="30.00")  # fmt: skip


def test_a_denial_posts_nothing_and_is_on_the_zero_payment_list(
    store: Store, biller: Actor, practice: dict[str, int]
) -> None:
    add_claim(store, "PCN300", ["150.00"], {PayerLevel.PRIMARY: "Blue Cross"})
    denied = clp("PCN300", "4", svc("PCN300", 1, "99213", "150.00", "0.00", ("CO", "50", "150")))
    denied.service_lines[0].remarks.append("N130")
    era_id = import_835(store, biller, payment("CHK5", BCBS_IN, denied))

    result = release.release_era(store, biller, era_id, DEPOSIT, "B1")

    assert (result.status, result.claims_posted, result.errors) == ("released", 0, [])
    assert result.message == "Released: 0 claims posted, 1 on the zero-payment list"
    assert balances(store, "PCN300") == owed("150.00", charge="150.00", paid="0.00",
                                             adjusted="0.00")  # fmt: skip
    detail = release.release_detail(store, era_id)
    assert detail is not None
    assert detail.zero_payments == ["PCN300: denied, charge 150.00; CO-50; remarks N130"]
    assert detail.claims[0].outcome == "denied"


def test_a_reversal_restores_every_balance_and_points_at_what_it_undoes(
    store: Store, biller: Actor, practice: dict[str, int]
) -> None:
    add_claim(store, "PCN100", ["120.00", "80.00"],
              {PayerLevel.PRIMARY: "Blue Cross", PayerLevel.SECONDARY: "Medi-Cal"})  # fmt: skip
    first = import_835(store, biller, payment("CHK1", BCBS_IN, primary_pays()))
    release.release_era(store, biller, first, DEPOSIT, "B1")
    taken_back = clp("PCN100", "22", paid="-130.00")
    taken_back.charge = D("-200.00")
    second = import_835(store, biller, payment("CHK6", BCBS_IN, taken_back))

    result = release.release_era(store, biller, second, date(2026, 12, 1), "B7")

    assert (result.status, result.claims_posted, result.errors) == ("released", 1, [])
    assert balances(store, "PCN100") == owed("200.00", charge="200.00", paid="0.00",
                                             adjusted="0.00")  # fmt: skip
    entries = ledger(store, "PCN100")
    originals = {e.id: e for e in entries if e.era_id == first}
    reversals = [e for e in entries if e.era_id == second]
    assert reversals and all(e.kind == "reversal" for e in reversals)
    assert sorted(e.reverses_id for e in reversals) == sorted(originals)
    assert all(e.amount == -originals[e.reverses_id].amount for e in reversals)
    assert {e.batch for e in reversals} == {"B7"}


# -- what a release records ---------------------------------------------------------------------


def ledger(store: Store, claim_id: str) -> list[claims.LedgerEntryView]:
    """The claim's ledger as the Claims view shows it."""
    with store.read() as session:
        pk = claims.find_claim_pk(session, claim_id)
    assert pk is not None
    return claims.claim_ledger(store, pk)


def test_entries_release_row_plb_and_audit_record_who_when_and_where_from(
    store: Store, biller: Actor, practice: dict[str, int]
) -> None:
    add_claim(store, "PCN100", ["120.00", "80.00"], {PayerLevel.PRIMARY: "Blue Cross"})
    plb = [ProviderAdjustment("1234567890", date(2026, 12, 31), "L6", "INTEREST", D("-2.15")),
           ProviderAdjustment("1234567890", date(2026, 12, 31), "WO", "RECOUP77", D("12.00"))]  # fmt: skip
    era_id = import_835(store, biller, payment("CHK7", BCBS_IN, primary_pays(), plb=plb))

    result = release.release_era(store, biller, era_id, DEPOSIT, " B20261122-07 ")

    with store.read() as session:
        row = session.exec(select(tables.Release)).one()
        plb_rows = session.exec(select(tables.PlbEntry).order_by(col(tables.PlbEntry.id))).all()
        audit_row = session.exec(select(tables.AuditEntry)
                                 .where(tables.AuditEntry.entity == "release")).one()  # fmt: skip
    assert (row.id, row.era_id, row.deposit_date, row.batch, row.released_by, row.status) == (
        result.release_id, era_id, DEPOSIT, "B20261122-07", "bob", "released")
    assert abs(row.released_at.replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds() < 60
    assert row.claims_posted == 1 and row.error_report == "[]"
    posted = [e for e in ledger(store, "PCN100") if e.kind != "charge"]
    assert posted and {(e.release_id, e.era_id, e.batch, e.payer_code, e.created_by)
                       for e in posted} == {(row.id, era_id, "B20261122-07", "BCBS", "bob")}  # fmt: skip
    assert count(store, tables.LedgerEntry, tables.LedgerEntry.era_id == era_id,
                 tables.LedgerEntry.payer_id == practice["bcbs"]) == len(posted)  # fmt: skip
    assert [(p.reason, p.reference, p.amount_cents, p.era_id, p.release_id) for p in plb_rows] == [
        ("L6", "INTEREST", -215, era_id, row.id), ("WO", "RECOUP77", 1200, era_id, row.id)]
    assert audit_row.user_login == "bob" and audit_row.entity_id == row.id
    detail = release.release_detail(store, era_id)
    assert detail is not None
    assert detail.provider_adjustments == [("L6", "INTEREST", D("-2.15")),
                                           ("WO", "RECOUP77", D("12.00"))]  # fmt: skip
    (view,) = detail.claims
    assert (view.claim_id, view.outcome, view.level, view.paid, view.adjusted) == (
        "PCN100", "posted", "primary", D("130.00"), D("30.00"))
    assert (view.patient, view.patient_to, view.transferred, view.transferred_to) == (
        D("30.00"), "patient", D("10.00"), "patient")
    assert [(ln.line, ln.procedure, ln.paid, ln.adjusted, ln.moved) for ln in view.lines] == [
        (1, "99213", D("80.00"), D("20.00"), D("20.00")),
        (2, "36415", D("50.00"), D("10.00"), D("20.00"))]
    # The ledger view shows the source payment and the batch of every entry.
    assert {(v.check_number, v.batch) for v in posted} == {("CHK7", "B20261122-07")}


def test_a_claim_whose_payer_has_no_rule_for_this_inbound_id_is_reported_not_posted(
    store: Store, biller: Actor, practice: dict[str, int]
) -> None:
    add_payer(store, "AETNA", "Aetna")
    add_claim(store, "PCN100", ["120.00", "80.00"], {PayerLevel.PRIMARY: "Blue Cross"})
    add_claim(store, "AET1", ["100.00"], {PayerLevel.PRIMARY: "Aetna"})
    era_id = import_835(store, biller, payment(
        "CHK8", BCBS_IN, primary_pays(),
        clp("AET1", "1", svc("AET1", 1, "99213", "100.00", "60.00", ("CO", "45", "40")))))

    result = release.release_era(store, biller, era_id, DEPOSIT, "B1")

    assert (result.status, result.claims_posted) == ("released_with_errors", 1)
    assert result.errors == [
        "AET1: No payer rule established for Inbound ID 12345 and payer AETNA (the claim's "
        "primary insurance); nothing posted (amount 60.00)",
    ]
    assert balances(store, "AET1") == owed("100.00", charge="100.00", paid="0.00",
                                           adjusted="0.00")  # fmt: skip


def test_a_claim_payer_not_set_up_in_pctui_is_taken_to_be_the_835s_payer(
    store: Store, biller: Actor, practice: dict[str, int]
) -> None:
    import_837(store, biller, file_837([("GHOST", [("99213", "100.00")],
                                         {"P": ("NOBODY HEALTH", "NB1")})]))  # fmt: skip
    era_id = import_835(store, biller, payment("CHK8", BCBS_IN, clp(
        "GHOST", "1", svc("GHOST", 1, "99213", "100.00", "60.00", ("CO", "45", "40")))))

    result = release.release_era(store, biller, era_id, DEPOSIT, "B1")

    assert (result.status, result.claims_posted, result.errors) == ("released", 1, [])
    assert balances(store, "GHOST") == owed(charge="100.00", paid="60.00", adjusted="40.00")
    detail = release.release_detail(store, era_id)
    assert detail is not None and detail.notices == [
        "GHOST: the claim's primary payer 'NOBODY HEALTH' is not set up in pctui; posted under "
        "the rule of BCBS, the payer of this 835"]


# -- refusals -----------------------------------------------------------------------------------


def test_releasing_twice_is_refused_and_posts_nothing_more(
    store: Store, biller: Actor, admin: Actor, practice: dict[str, int]
) -> None:
    add_claim(store, "PCN100", ["120.00", "80.00"], {PayerLevel.PRIMARY: "Blue Cross"})
    era_id = import_835(store, biller, payment("CHK1", BCBS_IN, primary_pays()))
    release.release_era(store, biller, era_id, DEPOSIT, "B1")
    entries = count(store, tables.LedgerEntry)

    again = release.release_era(store, admin, era_id, DEPOSIT, "B2")

    assert (again.status, again.claims_posted, again.errors) == ("refused", 0, [])
    assert again.message.startswith("Already released by bob at 20")
    assert again.message.endswith(f"(payment #{era_id}, batch B1)")
    assert count(store, tables.LedgerEntry) == entries
    assert count(store, tables.Release) == 1


def test_a_payment_with_no_rule_is_refused_with_the_reason_and_stays_waiting(
    store: Store, biller: Actor, practice: dict[str, int]
) -> None:
    add_payer(store, "CIGNA", "Cigna", ["55555"])
    add_claim(store, "PCN100", ["120.00", "80.00"], {PayerLevel.PRIMARY: "Blue Cross"})
    era_id = import_835(store, biller, payment("CHK9", "55555", primary_pays()))
    unknown = import_835(store, biller, payment("CHK10", "99999", primary_pays()))

    result = release.release_era(store, biller, era_id, DEPOSIT, "B1")
    orphan = release.release_era(store, biller, unknown, DEPOSIT, "B1")

    assert (result.status, result.message) == ("refused", "No payer rule established for "
                                               "Inbound ID 55555")  # fmt: skip
    assert orphan.message == "No payer rule established for Inbound ID 99999"
    assert count(store, tables.Release) == 0
    assert eras.get_era(store, era_id).status is eras.EraStatus.NO_PAYER_RULE
    assert balances(store, "PCN100")["primary"] == "200.00"


def test_a_rule_for_an_inbound_id_no_payer_owns_is_not_enough(
    store: Store, biller: Actor, practice: dict[str, int]
) -> None:
    add_rule(store, "44444", practice["bcbs"])
    era_id = import_835(store, biller, payment("CHK11", "44444", primary_pays()))

    result = release.release_era(store, biller, era_id, DEPOSIT, "B1")

    assert result.status == "refused"
    assert result.message == "Inbound ID 44444 does not belong to any payer; add it to a payer first"


def test_a_payment_that_is_not_on_file_is_refused(store: Store, biller: Actor) -> None:
    result = release.release_era(store, biller, 404, DEPOSIT, "B1")
    assert (result.status, result.message) == ("refused", "Payment #404 is not on file")


def test_a_biller_may_release_but_an_unregistered_login_may_not(
    store: Store, biller: Actor, practice: dict[str, int]
) -> None:
    era_id = import_835(store, biller, payment("CHK1", BCBS_IN, primary_pays()))
    stranger = identify(store, "mallory")

    with pytest.raises(PermissionDenied, match="mallory is not registered"):
        release.release_era(store, stranger, era_id, DEPOSIT, "B1")
    with pytest.raises(PermissionDenied):
        release.release_eras(store, stranger, [era_id], DEPOSIT, "B1")
    assert count(store, tables.Release) == 0
    assert release.release_era(store, biller, era_id, DEPOSIT, "B1").released


def test_a_batch_number_is_required_and_generated_per_deposit_date(
    store: Store, biller: Actor, practice: dict[str, int]
) -> None:
    assert release.next_batch_number(store, DEPOSIT) == "B20261122-01"
    era_id = import_835(store, biller, payment("CHK1", BCBS_IN, primary_pays()))
    with pytest.raises(ValidationFailed, match="batch: a batch number is required"):
        release.release_era(store, biller, era_id, DEPOSIT, "  ")
    release.release_era(store, biller, era_id, DEPOSIT, "B20261122-01")

    assert release.next_batch_number(store, DEPOSIT) == "B20261122-02"
    assert release.next_batch_number(store, date(2026, 11, 23)) == "B20261123-01"


# -- atomicity ----------------------------------------------------------------------------------


def test_an_error_mid_release_leaves_no_entries_no_release_and_the_payment_ready(
    store: Store, biller: Actor, practice: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    add_claim(store, "PCN100", ["120.00", "80.00"], {PayerLevel.PRIMARY: "Blue Cross"})
    era_id = import_835(store, biller, payment("CHK1", BCBS_IN, primary_pays()))
    before = count(store, tables.LedgerEntry)
    written: list[int] = []

    def fail_after_entries(session, *args) -> None:  # noqa: ANN001
        # The entries are in the transaction by now; then the disk fills up.
        written.append(session.exec(select(func.count()).select_from(tables.LedgerEntry)).one())
        raise OSError("disk full")

    monkeypatch.setattr(release, "_record_provider_adjustments", fail_after_entries)
    result = release.release_era(store, biller, era_id, DEPOSIT, "B1")

    assert written and written[0] > before  # it did fail half-way
    assert result.status == "failed" and not result.released
    assert result.message == (f"Release of payment #{era_id} failed and nothing was posted: "
                              "OSError: disk full")  # fmt: skip
    assert count(store, tables.LedgerEntry) == before
    assert count(store, tables.Release) == 0
    assert count(store, tables.AuditEntry, tables.AuditEntry.entity == "release") == 0
    assert eras.get_era(store, era_id).status is eras.EraStatus.READY
    assert balances(store, "PCN100")["primary"] == "200.00"

    monkeypatch.undo()
    assert release.release_era(store, biller, era_id, DEPOSIT, "B1").status == "released"


def test_release_eras_reports_each_payment_in_order_and_goes_on_after_a_refusal(
    store: Store, biller: Actor, practice: dict[str, int]
) -> None:
    add_claim(store, "PCN100", ["120.00", "80.00"], {PayerLevel.PRIMARY: "Blue Cross"})
    add_claim(store, "PCN101", ["120.00", "80.00"], {PayerLevel.PRIMARY: "Blue Cross"})
    first = import_835(store, biller, payment("CHK1", BCBS_IN, primary_pays("PCN100")))
    blocked = import_835(store, biller, payment("CHK2", "55555", primary_pays("PCN101")))
    second = import_835(store, biller, payment("CHK3", BCBS_IN, primary_pays("PCN101")))
    seen: list[tuple[int, int, int, str]] = []

    results = release.release_eras(
        store, biller, [first, blocked, second, first], DEPOSIT, "B20261122-01",
        lambda done, total, r: seen.append((done, total, r.era_id, r.status)),
    )  # fmt: skip

    assert [(r.era_id, r.status) for r in results] == [
        (first, "released"), (blocked, "refused"), (second, "released")]
    assert seen == [(1, 3, first, "released"), (2, 3, blocked, "refused"),
                    (3, 3, second, "released")]  # fmt: skip
    assert {r.batch for r in results} == {"B20261122-01"}
    assert results[0].to_json() == {
        "id": first, "status": "released", "claims_posted": 1, "errors": [],
        "message": "Released: 1 claim posted", "release_id": results[0].release_id,
        "batch": "B20261122-01", "deposit_date": "2026-11-22", "reworked": [],
        "reworkable_now": [],
    }  # fmt: skip


def test_every_claim_still_balances_after_a_mixed_release(
    store: Store, biller: Actor, practice: dict[str, int]
) -> None:
    exclude_carc(store, practice["bcbs"], "97")
    for n in range(5):
        add_claim(store, f"MIX{n}", ["120.00", "80.00"],
                  {PayerLevel.PRIMARY: "Blue Cross", PayerLevel.SECONDARY: "Medi-Cal"})  # fmt: skip
    unmatched = svc("MIX3", 1, "99999", "120.00", "100.00", ("CO", "45", "20"))
    unmatched.control_number = "NOT-BILLED"
    era_id = import_835(store, biller, payment(
        "CHK12", BCBS_IN, primary_pays("MIX0"),
        clp("MIX1", "1", svc("MIX1", 1, "99213", "120.00", "0.00", ("CO", "97", "120")),
            svc("MIX1", 2, "36415", "80.00", "80.00")),
        clp("MIX2", "4", svc("MIX2", 1, "99213", "120.00", "0.00", ("CO", "50", "120"))),
        clp("MIX3", "1", unmatched, svc("MIX3", 2, "36415", "80.00", "70.00", ("OA", "23", "-5"),
                                        ("CO", "45", "15"))),
        clp("MIX4", "19", paid="150.00", cas=[("CO", "45", "30"), ("PR", "3", "20")])))
    result = release.release_era(store, biller, era_id, DEPOSIT, "B1")

    assert result.status == "released_with_errors"
    for row in claims.list_claims(store, "MIX"):
        assert row.charge == row.paid + row.adjusted + row.total_balance, row.claim_id


def test_losing_the_unique_release_row_to_another_process_is_a_refusal_not_a_traceback(
    store: Store, biller: Actor, admin: Actor, practice: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    era_id = import_835(store, biller, payment("CHK1", BCBS_IN, primary_pays()))
    release.release_era(store, admin, era_id, DEPOSIT, "B1")

    def rival_wrote_first(*args: object) -> None:
        # What the UNIQUE era_id constraint raises if the re-check were ever bypassed.
        raise IntegrityError("INSERT INTO release", {},
                             Exception("UNIQUE constraint failed: release.era_id"))  # fmt: skip

    monkeypatch.setattr(release, "_release", rival_wrote_first)
    result = release.release_era(store, biller, era_id, DEPOSIT, "B2")

    assert result.status == "refused"
    assert result.message.startswith("Already released by alice at ")


def test_a_database_that_stays_locked_is_a_plain_refusal(
    store: Store, biller: Actor, practice: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    era_id = import_835(store, biller, payment("CHK1", BCBS_IN, primary_pays()))

    def locked(*args: object) -> None:
        raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))

    monkeypatch.setattr(release, "_release", locked)
    result = release.release_era(store, biller, era_id, DEPOSIT, "B1")

    assert result.status == "refused"
    assert result.message == (
        f"Payment #{era_id} was not released: the database stayed busy with another session's "
        "work; nothing was posted. Try again in a moment."
    )
