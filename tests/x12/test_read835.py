"""Reading 835 payments: the implementation-guide examples to the cent, and generated files."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from tests.x12.era_samples import sample_payment

from pctui.core.era import (
    Adjustment,
    FindingSource,
    InboundIdSource,
    ProviderAdjustment,
    Remittance,
    Severity,
)
from pctui.core.era_json import remittance_from_data, remittance_to_data
from pctui.x12.envelope import FileRejected, X12Stream, decode_x12
from pctui.x12.read835 import Reader835, read_835
from pctui.x12.write835 import X12Style, write_835

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "x12"
if not FIXTURES.is_dir():
    FIXTURES = Path(os.environ.get("PCTUI_FIXTURES", "../shared/fixtures/x12")).resolve()

D = Decimal


def read_fixture(name: str) -> Remittance:
    (era,) = read_835(decode_x12((FIXTURES / name).read_bytes()))
    return era


def messages(era: Remittance) -> list[str]:
    return [f.message for f in era.findings]


# --- the public examples, by hand ---------------------------------------------------------------


def test_managed_care_example() -> None:
    era = read_fixture("835-managed-care.835")
    assert (era.amount, era.check_number, era.payment_method) == (D("945.00"), "7170066655", "ACH")
    assert (era.inbound_id, era.inbound_id_source) == ("1935665544", InboundIdSource.TRN03)
    assert (era.payer_name, era.payee_name, era.payee_id) == (
        "RUSHMORE LIFE", "ACME MEDICAL CENTER", "5544667733")  # fmt: skip
    assert era.production_date == date(2002, 3, 14)
    assert era.payment_date is None  # BPR16 20002316 is not a date
    budd, settle = era.claims
    assert (budd.patient_control_number, budd.status_code, budd.charge, budd.paid) == (
        "5554555444", "1", D("800.00"), D("450.00"))  # fmt: skip
    assert budd.patient_responsibility == D("300.00")
    assert budd.patient_name == "BUDD, WILLIAM"
    assert budd.adjustments == [Adjustment("CO", "A2", D("50.00"))]
    (line,) = budd.service_lines
    assert (line.qualifier, line.procedure, line.charge, line.paid) == (
        "HC", "99211", D("800.00"), D("500.00"))  # fmt: skip
    assert (line.service_date, line.service_date_end) == (date(2002, 3, 1), date(2002, 3, 4))
    assert line.adjustments == [Adjustment("PR", "1", D("300.00"))]
    assert (settle.charge, settle.paid, settle.patient_name) == (
        D("1200.00"), D("495.00"), "SETTLE, SUSAN")  # fmt: skip
    assert settle.service_lines[0].adjustments == [
        Adjustment("PR", "1", D("600.00")), Adjustment("CO", "45", D("50.00"))]  # fmt: skip
    assert messages(era) == [
        "Segment 4 (BPR), element 16: '20002316' is not a valid date (CCYYMMDD) for the payment "
        "date (BPR16); left blank"
    ]
    assert era.findings[0].position == 4


def test_medicare_part_a_example_uses_ref_2u_and_balances_with_plb() -> None:
    era = read_fixture("835-medicare-part-a.835")
    assert (era.inbound_id, era.inbound_id_source) == ("999", InboundIdSource.REF_2U)
    assert (era.amount, era.payment_date, era.check_number) == (
        D("150000.00"), date(2002, 9, 13), "12345")  # fmt: skip
    assert [c.patient_control_number for c in era.claims] == ["666123", "777777"]
    assert [c.paid for c in era.claims] == [D("138018.40"), D("11980.33")]
    assert [len(c.service_lines) for c in era.claims] == [0, 0]
    assert era.claims[0].adjustments == [Adjustment("CO", "45", D("73348.57"))]
    assert era.claims[1].remarks == ["MA02"]
    assert (era.claims[1].facility_code, era.claims[1].frequency_code) == ("13", "1")
    assert era.provider_adjustments == [
        ProviderAdjustment("6543210903", date(2002, 12, 31), "CV", "CP", D("-1.27"))]  # fmt: skip
    assert era.balance_finding() is None  # 138018.40 + 11980.33 - (-1.27) = 150000.00
    assert era.findings == []


def test_cob_example_reads_the_procedure_written_with_the_wrong_separator() -> None:
    era = read_fixture("835-cob-contractual-adjustment.835")
    assert (era.amount, era.check_number, era.inbound_id) == (D("34.00"), "0063158ABC",
                                                              "1566339911")  # fmt: skip
    (claim,) = era.claims
    assert (claim.status_code, claim.charge, claim.paid) == ("2", D("541.00"), D("34.00"))
    (line,) = claim.service_lines
    assert (line.qualifier, line.procedure, line.units, line.allowed) == (
        "HC", "55669", D("1.00"), D("550.00"))  # fmt: skip
    assert line.adjustments == [Adjustment("OA", "23", D("516.00")),
                                Adjustment("OA", "94", D("-9.00"))]  # fmt: skip
    assert messages(era) == [
        "Segment 4 (BPR): the payment date (BPR16) is missing",
        "SVC01 (procedure) separates its parts with '>' but the file declares ':' (ISA16); "
        "read with '>'",
    ]
    assert [f.position for f in era.findings] == [4, 21]
    assert {f.severity for f in era.findings} == {Severity.WARNING}


def test_secondary_payment_example() -> None:
    era = read_fixture("835-secondary-payment.835")
    assert (era.amount, era.check_number, era.inbound_id) == (D("1222.00"), "0012524965",
                                                              "1559123456")  # fmt: skip
    townsend, baki = era.claims
    assert townsend.amounts == {"AU": D("912.00")}
    assert townsend.service_lines == []
    assert [(s.procedure, s.modifiers, s.charge, s.paid) for s in baki.service_lines] == [
        ("12345", ("26",), D("166.50"), D("30.00")),
        ("66543", ("26",), D("585.00"), D("280.00")),
    ]
    assert baki.service_lines[1].revenue_code == "220"
    assert baki.service_lines[1].adjustments == [
        Adjustment("PR", "1", D("150.00")), Adjustment("PR", "2", D("70.00")),
        Adjustment("CO", "42", D("85.00"))]  # fmt: skip
    assert len(era.findings) == 3  # BPR16 missing, two SVC01 with '>'


def test_tertiary_payment_example_flags_the_line_without_a_procedure() -> None:
    era = read_fixture("835-tertiary-payment.835")
    assert (era.amount, era.check_number, era.inbound_id) == (D("187.50"), "0012524879",
                                                              "1559123456")  # fmt: skip
    (claim,) = era.claims
    assert (claim.status_code, claim.charge, claim.paid) == ("3", D("1766.50"), D("187.50"))
    (line,) = claim.service_lines
    assert (line.procedure, line.charge, line.paid) == ("", D("24599.00"), D("1766.50"))
    assert messages(era)[1:] == [
        "Segment 20 (SVC): service line 1 of claim 0001000054 has qualifier 'HC' but no "
        "procedure code (SVC01-2)",
        "Service line HC of claim 0001000054 does not balance: charge 24599.00 minus payment "
        "1766.50 is 22832.50 but its adjustments total 1579.00",
    ]
    assert era.findings[2].source is FindingSource.BALANCE


def test_pyx12_multiple_loops_example() -> None:
    era = read_fixture("835-pyx12-mult-loops.835")
    assert (era.amount, era.payment_date, era.inbound_id) == (D("0.00"), date(2004, 10, 28),
                                                              "1386000134")  # fmt: skip
    (claim,) = era.claims
    assert (claim.status_code, claim.charge, claim.paid) == ("4", D("915.39"), D("0.00"))
    assert [(s.charge, s.units, s.remarks) for s in claim.service_lines] == [
        (D("500.04"), D("68"), ["N14"]), (D("127.80"), D("16"), ["N14"]),
        (D("287.55"), D("36"), ["N14"])]  # fmt: skip
    assert era.findings == []


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.835")))
def test_every_example_survives_the_detail_json(name: str) -> None:
    era = read_fixture(name)
    era.findings = []
    assert remittance_from_data(remittance_to_data(era)) == era


# --- generated files ---------------------------------------------------------------------------


def comparable(era: Remittance) -> Remittance:
    return replace(era, interchange_control="", findings=[], segment_count=0)


@pytest.mark.parametrize(
    "style",
    [
        X12Style(),
        X12Style("|", "^", "{", "~", "\r\n"),
        X12Style("|", ">", "^", "\n", ""),
        X12Style("*", ":", "^", "!", ""),
        X12Style("^", "\\", "*", "'", "\n"),
    ],
    ids=["standard", "pipe-caret-crlf", "newline-terminated", "bang-no-breaks", "edifact-like"],
)
def test_generated_payment_reads_back_exactly_with_any_delimiters(style: X12Style) -> None:
    written = sample_payment()
    (era,) = read_835(write_835([written], style=style, sender="ACMEGS"))
    assert comparable(era) == comparable(written)
    assert era.findings == []
    assert era.claims[0].service_lines[1].units == D("2")


def test_several_payments_in_one_group_and_several_interchanges() -> None:
    group = write_835([sample_payment("EFT1"), sample_payment("EFT2")], interchange_control=1)
    other = write_835([sample_payment("EFT3", ref_2u="REF2U")], interchange_control=2,
                      style=X12Style("|", ">", "^", "~", "\r\n"))  # fmt: skip
    eras = read_835(group + other)
    assert [e.check_number for e in eras] == ["EFT1", "EFT2", "EFT3"]
    assert [e.interchange_control for e in eras] == ["000000001", "000000001", "000000002"]
    assert [(e.inbound_id, e.inbound_id_source) for e in eras] == [
        ("ACME1", InboundIdSource.N1_PR_N104), ("ACME1", InboundIdSource.N1_PR_N104),
        ("REF2U", InboundIdSource.REF_2U)]  # fmt: skip


def test_inbound_id_falls_back_to_trn03_then_gs02() -> None:
    era = sample_payment(payer_id=None)
    (read,) = read_835(write_835([era], sender="GSSENDER"))
    assert (read.inbound_id, read.inbound_id_source) == ("1999999999", InboundIdSource.TRN03)
    era.trn_originator = None
    (read,) = read_835(write_835([era], sender="GSSENDER"))
    assert (read.inbound_id, read.inbound_id_source) == ("ACMEGS", InboundIdSource.GS02)


def test_a_payment_that_does_not_balance_is_read_with_a_balance_finding() -> None:
    (era,) = read_835(write_835([sample_payment(amount_shift=D("10.00"))]))
    assert era.amount == D("101.75")
    assert messages(era) == [
        "Payment amount 101.75 (BPR02) does not equal claim payments 90.50 minus provider "
        "adjustments -1.25 = 91.75"
    ]
    assert era.findings[0].source is FindingSource.BALANCE


def test_an_invalid_date_is_a_finding_and_the_payment_still_reads() -> None:
    text = write_835([sample_payment()])
    text = text.replace("DTM*472*20260105", "DTM*472*20261305", 1)
    (era,) = read_835(text)
    assert era.claims[0].service_lines[0].service_date is None
    assert "Segment 18 (DTM), element 2: '20261305' is not a valid date (CCYYMMDD) for the " \
        "service date; left blank" in messages(era)


@pytest.mark.parametrize(
    ("before", "after", "reason"),
    [
        ("CLP*PCN-1*1*143*90.5", "CLP*PCN-1*1*143*90.5X",
         "segment 13 (CLP), element 04: the claim payment (CLP04) '90.5X' is not an amount"),
        ("SVC*HC:36415*18*10.5", "SVC*HC:36415*18.005*10.5",
         "segment 24 (SVC), element 02: the line charge (SVC02) '18.005' has more than two "
         "decimals (an amount is in whole cents)"),
        ("BPR*I*91.75", "BPR*I*99999999999999999999999.99",
         "segment 4 (BPR), element 02: the payment amount (BPR02) '99999999999999999999999.99' "
         "is larger than pctui's limit of 9,999,999,999.99"),
        ("BPR*I*91.75", "BPR*I*1E+400",
         "segment 4 (BPR), element 02: the payment amount (BPR02) '1E+400' is not an amount"),
    ],
    ids=["letters", "three-decimals", "too-large", "exponent"],
)  # fmt: skip
def test_an_amount_that_is_not_exact_money_refuses_the_file(before, after, reason) -> None:
    text = write_835([sample_payment()])
    assert before in text
    with pytest.raises(FileRejected) as refused:
        read_835(text.replace(before, after, 1))
    assert (refused.value.reason, refused.value.kind) == (reason, "835")


def test_missing_required_segments_are_named() -> None:
    text = write_835([sample_payment()])
    text = "".join(s + "~" for s in text.split("~") if s.strip() and not s.strip().startswith(
        ("N1*PE", "N1*PR")))  # fmt: skip
    text = text.replace("SE*", "SE*X", 1)  # the count is wrong now too
    (era,) = read_835(text)
    found = messages(era)
    assert "Required segment N1*PR (payer identification) is missing from payment 0001" in found
    assert "Required segment N1*PE (payee identification) is missing from payment 0001" in found


@pytest.mark.parametrize("dropped", [("TRN",), ("BPR",), ("BPR", "TRN")])
def test_a_transaction_set_without_bpr_or_trn_is_not_a_payment(dropped: tuple[str, ...]) -> None:
    text = write_835([sample_payment("EFT1"), sample_payment("EFT2")])
    segments = [s for s in text.split("~") if s.strip()]
    second_st = [i for i, s in enumerate(segments) if s.strip().startswith("ST*")][1]
    kept = [s for i, s in enumerate(segments)
            if i < second_st or not s.strip().startswith(dropped)]  # fmt: skip
    stream = X12Stream(["~".join(kept) + "~"], text=True)
    reader = Reader835(stream)

    payments = list(reader)

    assert [p.check_number for p in payments] == ["EFT1"]
    [refused] = reader.refused
    labels = {"BPR": "BPR (payment amount and date)", "TRN": "TRN (check or EFT trace number)"}
    assert refused.message.endswith(
        f"is not a payment: it has no {' and '.join(labels[d] for d in dropped)}; not stored")
    assert refused.message.startswith("Transaction set 0001 (segments 40-")  # the second ST


def test_six_adjustments_in_one_cas_and_several_plb_pairs() -> None:
    era = sample_payment()
    line = era.claims[0].service_lines[0]
    line.adjustments = [Adjustment("CO", str(n), D("1.00"), D("2")) for n in range(1, 8)]
    line.paid = line.charge - D("7.00")
    era.claims[0].paid = era.claims[0].charge - D("7.00") - D("7.50")
    era.provider_adjustments = [
        ProviderAdjustment("1234567893", date(2026, 12, 31), r, ref, amount)
        for r, ref, amount in [("L6", None, D("-1.25")), ("WO", "RCP1", D("12.00")),
                               ("FB", "FB77", D("3.10"))]
    ]  # fmt: skip
    era.amount = era.claims_paid_total - era.provider_adjustment_total
    text = write_835([era])
    assert text.count("CAS*CO*1*1*2*2*1*2") == 1  # one CAS of six, one of one
    (back,) = read_835(text)
    assert back.claims[0].service_lines[0].adjustments == line.adjustments
    assert back.provider_adjustments == era.provider_adjustments
    assert back.findings == []
