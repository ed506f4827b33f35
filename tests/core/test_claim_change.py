"""Two versions of one claim: what a biller is told differs, and a claim kept whole as JSON."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from pctui.core.claim import Claim, ClaimPayerRef, ServiceLine
from pctui.core.claim_change import Frequency, claim_differences, frequency_of
from pctui.core.claim_json import claim_from_data, claim_to_data
from pctui.core.codes import PayerLevel

D = Decimal


def claim(**changes: object) -> Claim:
    base = Claim(
        "PCN1", D("150.00"), "DOE, JANE",
        [ServiceLine(1, "99213", ("25",), D("100.00"), D(1), date(2024, 1, 5), "PCN1-1"),
         ServiceLine(2, "36415", (), D("50.00"), D(1), date(2024, 1, 5), "PCN1-2")],
        {PayerLevel.PRIMARY: ClaimPayerRef("ACME HEALTH", "ACME1")},
    )  # fmt: skip
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def test_the_same_claim_has_no_differences_whatever_the_spacing_or_case_of_names() -> None:
    other = claim(patient_name="DOE,  JANE",
                  payers={PayerLevel.PRIMARY: ClaimPayerRef("Acme Health", "ACME1")})
    assert claim_differences(claim(), other) == []


def test_each_difference_is_named_on_file_value_first() -> None:
    lines = [ServiceLine(1, "99214", (), D("120.00"), D(2), date(2024, 1, 6), "PCN1-1"),
             ServiceLine(3, "80053", (), D("30.00"), D(1), None, None)]
    other = claim(charge=D("150.00"), patient_name="ROE, RICHARD", service_lines=lines,
                  payers={PayerLevel.PRIMARY: ClaimPayerRef("ACME HEALTH", "ACME1"),
                          PayerLevel.SECONDARY: ClaimPayerRef("MEDICAID", "MCD")})

    assert claim_differences(claim(), other) == [
        "patient DOE, JANE → ROE, RICHARD",
        "secondary payer (none) → MEDICAID (MCD)",
        "line 1: procedure 99213-25 → 99214, charge 100.00 → 120.00, units 1 UN → 2 UN, "
        "date 2024-01-05 → 2024-01-06",
        "line 2 removed: 36415 x1 UN 50.00 on 2024-01-05",
        "line 3 added: 80053 x1 UN 30.00 on no date",
    ]


def test_frequency_codes_an_837p_uses_and_the_blank_one() -> None:
    assert [frequency_of(c) for c in ("1", "7", "8", "", " 7 ", "5", "X")] == [
        Frequency.ORIGINAL, Frequency.REPLACEMENT, Frequency.VOID, Frequency.ORIGINAL,
        Frequency.REPLACEMENT, None, None]  # fmt: skip


cents = st.integers(min_value=0, max_value=10**11).map(lambda c: D(c) / 100)
lines = st.lists(
    st.builds(lambda n, proc, charge, units: ServiceLine(n, proc, ("25",), charge, units),
              st.integers(1, 50), st.text("ABCDEFGHJ0123456789", min_size=1, max_size=5), cents,
              st.decimals(min_value=D("0.001"), max_value=D(9999), places=3)),
    max_size=5, unique_by=lambda ln: ln.line_number)  # fmt: skip


@given(cents, st.text(max_size=20), lines, st.sampled_from(["1", "7", "8"]))
def test_a_claim_kept_as_json_comes_back_exactly(charge, patient, service_lines, frequency) -> None:
    original = Claim("PCN-1", charge, patient, service_lines,
                     {PayerLevel.SECONDARY: ClaimPayerRef("B", None)}, date(2024, 2, 29),
                     frequency, "F8-1")  # fmt: skip
    back = claim_from_data(claim_to_data(original))
    assert back == original
    assert claim_differences(original, back) == []
