"""Reading 837P claim files: the implementation-guide examples and generated files."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from tests.x12.claim_samples import ClaimSpec, Line, build_837, one_claim

from pctui.core.claim import ClaimPayerRef
from pctui.core.codes import PayerLevel
from pctui.x12.envelope import FileRejected, scan
from pctui.x12.read837 import Claim837Error, person_name, read_837

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "x12"
if not FIXTURES.is_dir():  # a checkout whose shared/ sits elsewhere (as in tests/conftest.py)
    FIXTURES = Path(os.environ.get("PCTUI_FIXTURES", "../shared/fixtures/x12")).resolve()


# -- the implementation-guide examples -------------------------------------------------------------


def test_example1_reads_one_claim_with_four_lines_owed_by_key_insurance() -> None:
    result = read_837((FIXTURES / "837p-example1.837").read_text())

    assert result.findings == []
    [claim] = result.claims
    assert claim.claim_id == "26463774"
    assert claim.charge == Decimal("100.00")
    assert claim.patient_name == "SMITH, TED"
    assert claim.payers == {PayerLevel.PRIMARY: ClaimPayerRef("KEY INSURANCE COMPANY", "999996666")}
    assert [(ln.line_number, ln.procedure, ln.charge, ln.units, ln.unit_code, ln.service_date)
            for ln in claim.service_lines] == [
        (1, "99213", Decimal("40.00"), Decimal(1), "UN", date(2006, 10, 3)),
        (2, "87070", Decimal("15.00"), Decimal(1), "UN", date(2006, 10, 3)),
        (3, "99214", Decimal("35.00"), Decimal(1), "UN", date(2006, 10, 10)),
        (4, "86663", Decimal("10.00"), Decimal(1), "UN", date(2006, 10, 10)),
    ]  # fmt: skip
    assert all(ln.modifiers == () and ln.control_number is None for ln in claim.service_lines)
    assert claim.service_date == date(2006, 10, 3)


def test_cob_example_has_a_secondary_payer_without_a_name_and_says_so() -> None:
    result = read_837((FIXTURES / "837p-cob-example3a.837").read_text())

    [claim] = result.claims
    assert claim.claim_id == "26407789"
    assert claim.charge == Decimal("79.04")
    assert claim.patient_name == "SMITH, TED"
    assert [ln.procedure for ln in claim.service_lines] == ["99213", "90782", "J3301"]
    assert [ln.charge for ln in claim.service_lines] == [
        Decimal("43.00"), Decimal("15.00"), Decimal("21.04")]  # fmt: skip
    assert sum(ln.charge for ln in claim.service_lines) == claim.charge
    assert {ln.service_date for ln in claim.service_lines} == {date(2005, 10, 3)}
    assert claim.payers[PayerLevel.PRIMARY] == ClaimPayerRef("KEY INSURANCE COMPANY", "999996666")
    # Loop 2320 says there is secondary insurance, but its 2330B payer is not in the example.
    assert claim.payers[PayerLevel.SECONDARY] == ClaimPayerRef("", None)
    [finding] = result.findings
    assert finding.message == (
        "Claim 26407789: the secondary payer has no name or ID (loop 2330B NM1*PR is missing)"
    )
    assert (finding.segment, finding.position) == ("SBR", 39)


# -- generated files -----------------------------------------------------------------------------


def test_several_envelopes_and_claims_with_other_delimiters() -> None:
    first = ClaimSpec(
        "PCN-1", "250.50",
        [Line("99214", "150.50", modifiers=("25",), control="LINE-A"),
         Line("20610", "100.00", units="2", modifiers=("RT", "59", "XS", "GA"),
              date="RD8*20240102-20240104", control="LINE-B")],
        others=[("S", ("MEDICAID OF STATE", "SKCA0")), ("T", ("WORKCOMP CARRIER", "WC777"))],
    )  # fmt: skip
    second = ClaimSpec("PCN-2", "60.00", [Line("00142", "60.00", units="37.5", unit_code="MJ")],
                       patient=None, subscriber="ROE*RICHARD*Q")  # fmt: skip
    third = ClaimSpec("PCN-3", "20.00", [Line("36415", "20.00")], sbr="S",
                      others=[("P", ("MEDICARE PART B", "MCR01"))])  # fmt: skip
    text = build_837([[first, second], [third]], e="|", c=">", s="!", after="\r\n")

    result = read_837(text)

    assert result.findings == []
    assert [c.claim_id for c in result.claims] == ["PCN-1", "PCN-2", "PCN-3"]
    one, two, three = result.claims
    assert one.charge == Decimal("250.50")
    assert one.patient_name == "DOE, JANE"
    assert [(ln.procedure, ln.modifiers, ln.charge, ln.units, ln.service_date, ln.control_number)
            for ln in one.service_lines] == [
        ("99214", ("25",), Decimal("150.50"), Decimal(1), date(2024, 1, 5), "LINE-A"),
        ("20610", ("RT", "59", "XS", "GA"), Decimal("100.00"), Decimal(2), date(2024, 1, 2),
         "LINE-B"),
    ]  # fmt: skip
    assert one.payers == {
        PayerLevel.PRIMARY: ClaimPayerRef("ACME HEALTH", "ACME1"),
        PayerLevel.SECONDARY: ClaimPayerRef("MEDICAID OF STATE", "SKCA0"),
        PayerLevel.TERTIARY: ClaimPayerRef("WORKCOMP CARRIER", "WC777"),
    }
    assert one.service_date == date(2024, 1, 2)
    # No patient loop: the subscriber is the patient.
    assert two.patient_name == "ROE, RICHARD Q"
    [anesthesia] = two.service_lines
    assert (anesthesia.units, anesthesia.unit_code) == (Decimal("37.5"), "MJ")
    # Billed to the secondary: the 2000B payer is secondary, the 2320 one primary.
    assert three.payers == {
        PayerLevel.SECONDARY: ClaimPayerRef("ACME HEALTH", "ACME1"),
        PayerLevel.PRIMARY: ClaimPayerRef("MEDICARE PART B", "MCR01"),
    }


def test_a_claim_whose_lines_do_not_add_up_to_its_charge_is_read_with_a_finding() -> None:
    result = read_837(one_claim(charge="120.00"))

    assert result.claims[0].charge == Decimal("120.00")
    assert [f.message for f in result.findings] == [
        "Claim C1: total charge 120.00 (CLM02) does not equal the sum of its service lines 100.00"
    ]


def test_payers_beyond_tertiary_are_reported_not_kept() -> None:
    result = read_837(
        one_claim(others=[("S", ("B", "B1")), ("T", ("C", "C1")), ("A", ("D", "D1"))])
    )

    assert set(result.claims[0].payers) == set(PayerLevel)
    assert [f.message for f in result.findings] == [
        "Insurance at fourth payer responsibility (SBR01 A) is not kept: pctui follows primary, "
        "secondary and tertiary payers"
    ]


def test_a_claim_without_a_primary_payer_is_read_with_a_finding() -> None:
    result = read_837(one_claim(sbr="S"))

    assert set(result.claims[0].payers) == {PayerLevel.SECONDARY}
    assert [f.message for f in result.findings] == ["Claim C1 has no primary payer (no SBR*P)"]


def test_a_payer_named_twice_at_one_level_keeps_the_first() -> None:
    result = read_837(one_claim(others=[("P", ("OTHER", "O1"))]))

    assert result.claims[0].payers == {PayerLevel.PRIMARY: ClaimPayerRef("ACME HEALTH", "ACME1")}
    assert [f.message for f in result.findings] == [
        "Claim C1: primary payer is named twice; the first is kept"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (one_claim(charge="12.345"),
         "segment 16 (CLM): claim C1 total charge (CLM02) '12.345' has more than two decimals "
         "(an amount is in whole cents)"),
        (one_claim(charge="abc"),
         "segment 16 (CLM): claim C1 total charge (CLM02) 'abc' is not an amount"),
        (one_claim(lines=[Line("99213", "1O0.00")]),
         "segment 19 (SV1): service line 1 charge (SV102) '1O0.00' is not an amount"),
        (one_claim(lines=[Line("99213", "100.00", date="D8*20241332")]),
         "segment 20 (DTP): service line 1 date '20241332' is not a date (CCYYMMDD)"),
        (one_claim(lines=[Line("99213", "100.00", units="0")]),
         "segment 19 (SV1): service line 1 units '0' is not a positive number"),
        (one_claim(claim_id=""),
         "segment 16 (CLM): the claim has no patient control number (CLM01)"),
        (build_837([[ClaimSpec("C1", "1.00", [Line("99213", "1.00")])]], version="005010X223A2"),
         "segment 3 (ST): 005010X223A2 is an 837I (institutional) claim; pctui reads "
         "professional claims (837P, 005010X222)"),
        (build_837([[]]), "no claims (CLM segments) found"),
    ],
    ids=["three-decimals", "letters", "letter-O", "bad-date", "zero-units",
         "no-clm01", "institutional", "no-claims"],
)  # fmt: skip
def test_an_unreadable_file_is_refused_with_the_place_and_the_problem(
    text: str, message: str
) -> None:
    with pytest.raises(Claim837Error) as refused:
        read_837(text)
    assert str(refused.value) == message


def test_text_that_is_not_x12_is_refused_by_the_envelope_scan() -> None:
    with pytest.raises(FileRejected, match="not an X12 file: it should begin with 'ISA'"):
        read_837("hello, this is not X12")


def test_places_count_segments_across_the_whole_file() -> None:
    good = ClaimSpec("OK-1", "10.00", [Line("99211", "10.00")])
    bad = ClaimSpec("BAD-1", "10.00", [Line("99211", "10.00", date="D8*2024-01-05")])
    text = build_837([[good], [bad]])
    with pytest.raises(Claim837Error) as refused:
        read_837(scan(text))
    # The second interchange starts at segment 24; its DTP is its 20th segment.
    assert (
        str(refused.value)
        == "segment 43 (DTP): service line 1 date '2024-01-05' is not a date (CCYYMMDD)"
    )
    assert refused.value.segment == 43
    assert text.split("~\n")[42].startswith("DTP*472*D8*2024-01-05")


def test_an_835_is_not_read_as_claims() -> None:
    text = (FIXTURES / "835-managed-care.835").read_text()
    with pytest.raises(
        Claim837Error, match=r"^segment 3 \(ST\): transaction set 835 is not an 837 claim$"
    ):
        read_837(text)


def test_a_service_line_without_sv1_is_refused() -> None:
    text = one_claim().replace("SV1*HC:99213*100.00*UN*1***1~\n", "")
    with pytest.raises(Claim837Error) as refused:
        read_837(text)
    assert (
        str(refused.value)
        == "segment 18 (LX): claim C1 service line 1 has no professional service (SV1)"
    )


def test_names_read_like_a_biller_writes_them() -> None:
    assert person_name("SMITH", "TED") == "SMITH, TED"
    assert person_name("SMITH", "TED", "J", "JR") == "SMITH, TED J JR"
    assert person_name("ACME CLINIC") == "ACME CLINIC"


def test_a_subscriber_payer_without_its_name_loop_is_kept_as_unnamed_with_a_finding() -> None:
    result = read_837(one_claim(payer=None))

    assert result.claims[0].payers == {PayerLevel.PRIMARY: ClaimPayerRef("", None)}
    assert [(f.message, f.segment, f.position) for f in result.findings] == [
        (
            "Claim C1: the primary payer has no name or ID (loop 2010BB NM1*PR is missing)",
            "CLM",
            15,
        )
    ]


# -- composites written with another separator, and frequency codes --------------------------------

REALWORLD = FIXTURES / "realworld" / "837"


@pytest.mark.parametrize(
    ("name", "claim_id", "lines"),
    [
        ("lfh-demo.example11.837", "ABC123-RI", [("E0570", ("RR",)), ("A7003", ("NU",))]),
        ("lfh-demo.example9.837", "153829140", [("00142", ("QK", "QS", "P1"))]),
        ("lfh-demo.example12.837", "TS234H3", [("99284", ())]),
        ("lfh-demo.cob.2ndary.example4.837", "125WILL", [("98940", ())]),
    ],
)
def test_composites_written_with_gt_under_a_colon_isa16_are_read_with_a_finding(
    name: str, claim_id: str, lines: list[tuple[str, tuple[str, ...]]]
) -> None:
    # These files declare ':' in ISA16 but write 'HC>E0570>RR' and '11>B>1'.
    result = read_837((REALWORLD / name).read_text())

    [claim] = result.claims
    assert claim.claim_id == claim_id
    assert [(ln.procedure, ln.modifiers) for ln in claim.service_lines] == lines
    assert claim.frequency_code == "1"
    recovered = [f for f in result.findings if "separates its parts" in f.message]
    assert {(f.segment, f.message) for f in recovered} == {
        ("CLM", "CLM05 (place of service and frequency) separates its parts with '>' but the file "
                "declares ':' (ISA16); read with '>'"),
        ("SV1", "SV101 (procedure) separates its parts with '>' but the file declares ':' "
                "(ISA16); read with '>'"),
    }  # fmt: skip
    assert len(recovered) == 1 + len(lines)


def test_a_generated_claim_with_gt_composites_reads_its_procedure_and_frequency() -> None:
    text = one_claim(frequency="7", lines=[Line("99213", "100.00", modifiers=("25",))])
    text = text.replace("HC:99213:25", "HC>99213>25").replace("11:B:7", "11>B>7")

    result = read_837(text)

    [claim] = result.claims
    assert (claim.service_lines[0].procedure, claim.service_lines[0].modifiers) == ("99213", ("25",))
    assert claim.frequency_code == "7"
    assert [f.segment for f in result.findings] == ["CLM", "SV1"]


def test_frequency_code_and_payer_claim_number_are_read_from_clm05_3_and_ref_f8() -> None:
    text = build_837([[ClaimSpec("R1", "10.00", [Line("99211", "10.00")], frequency="7",
                                 payer_claim_number="PAYER-123"),
                       ClaimSpec("V1", "10.00", [Line("99211", "10.00")], frequency="8"),
                       ClaimSpec("O1", "10.00", [Line("99211", "10.00")])]])  # fmt: skip

    result = read_837(text)

    assert [(c.claim_id, c.frequency_code, c.payer_claim_number) for c in result.claims] == [
        ("R1", "7", "PAYER-123"), ("V1", "8", None), ("O1", "1", None)]  # fmt: skip
    assert result.findings == []


def test_a_frequency_code_an_837p_does_not_use_is_read_as_an_original_with_a_finding() -> None:
    result = read_837(one_claim(frequency="5"))

    assert result.claims[0].frequency_code == "1"
    assert [f.message for f in result.findings] == [
        "Claim C1: frequency code (CLM05-3) '5' is not one an 837P uses (1 original, "
        "7 replacement, 8 void); read as an original claim"
    ]
