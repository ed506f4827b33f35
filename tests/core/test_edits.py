"""The compliance catalogue: each edit passes a good claim and fails a bad one with its words and
its X12 location; administrators' rules as data."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pctui.core.claim import Address, Claim, ClaimDate, Coverage, Entity, Reference, Segment
from pctui.core.edits import (
    CATALOGUE,
    CATALOGUE_IDS,
    EditKind,
    EditSeverity,
    RuleError,
    check_claim,
    npi_is_valid,
    rule_from_data,
    rule_to_data,
    rules_for,
)
from pctui.core.sample_claims import REFERRING_NPI, sample_claim
from pctui.x12.write837 import claim_view

BY_ID = {rule.id: rule for rule in CATALOGUE}


def failures(claim: Claim, *rule_ids: str) -> list[tuple[str, str, str | None]]:
    """(message, where, value) of each failure of ``claim`` against the named rules."""
    rules = [BY_ID[rule_id] for rule_id in rule_ids]
    return [(f.message, f.where, f.value) for f in check_claim(claim, claim_view(claim), rules)]


def good() -> Claim:
    return sample_claim("GOOD-1")


def billing(claim: Claim, **changes: object) -> Claim:
    assert claim.billing_provider is not None
    claim.billing_provider = dataclasses.replace(claim.billing_provider, **changes)
    return claim


def medicare(claim: Claim) -> Claim:
    assert claim.subscriber is not None
    claim.subscriber = dataclasses.replace(claim.subscriber, filing_indicator="MB")
    return claim


def with_lab_line(claim: Claim) -> Claim:
    claim.service_lines[1].procedure = "80053"
    return claim


def with_referral(claim: Claim) -> Claim:
    claim.references.append(Reference("9F", "REF123"))
    return claim


def with_line_referring(claim: Claim) -> Claim:
    claim.service_lines[0].providers.append(
        Entity("DN", "1", "WELBY", "MARCUS", id_qualifier="XX", identifier=REFERRING_NPI))
    return claim


def claim_referring(claim: Claim) -> Claim:
    claim.providers.insert(
        0, Entity("DN", "1", "WELBY", "MARCUS", id_qualifier="XX", identifier=REFERRING_NPI))
    return claim


def replacement(claim: Claim) -> Claim:
    claim.frequency_code = "7"
    return claim


def noc_line(claim: Claim) -> Claim:
    claim.service_lines[1].procedure = "J3490"
    return claim


def secondary_with_adjudication(claim: Claim) -> Claim:
    claim.other_coverages.append(Coverage(
        "S", "18", filing_indicator="CI",
        subscriber=Entity("IL", "1", "SMITH", "MARY", id_qualifier="MI", identifier="S1"),
        payer=Entity("PR", "2", "AETNA", id_qualifier="PI", identifier="60054"),
        extra=[Segment("OI", ("", "", "Y", "P", "", "Y"))]))  # fmt: skip
    claim.service_lines[0].adjudications.append(
        [Segment("SVD", ("60054", "50", ("HC", "99213"), "", "1")),
         Segment("DTP", ("573", "D8", "20261125"))])  # fmt: skip
    return claim


def no_rendering(claim: Claim) -> Claim:
    claim.providers = [p for p in claim.providers if p.code != "82"]
    return claim


# (rule, how a failing claim differs from the good one, how a passing variant differs,
#  the expected failures: (message, where, value))
CASES: list[tuple[str, Callable[[Claim], Claim], Callable[[Claim], Claim],
                  list[tuple[str, str, str | None]]]] = [
    ("5010-SNIP3", lambda c: dataclasses.replace(c, charge=Decimal("200.00")), lambda c: c,
     [("Claim total charge does not equal the sum of its service lines (185.00)",
       "2300 CLM02", "200.00")]),
    ("ONE-PRIMARY-PAYER",
     lambda c: dataclasses.replace(c, subscriber=dataclasses.replace(
         c.subscriber, responsibility="S")),  # type: ignore[arg-type]
     lambda c: c,
     [("The claim must name exactly one primary payer (SBR01 P)", "2000B SBR01", "0 primary")]),
    ("CLAIM-COMPLETE", lambda c: dataclasses.replace(c, billing_provider=None), lambda c: c,
     [("Claim has no billing provider", "2010AA NM1*85", None)]),
    ("NPI-CHECK-DIGIT", lambda c: billing(c, identifier="1234567890"), lambda c: c,
     [("Every NPI passes its check digit (Luhn with prefix 80840)", "2010AA NM109",
       "1234567890")]),
    ("BILLING-NO-PO-BOX",
     lambda c: billing(c, address=Address("P.O. Box 4410", "", "SPRINGFIELD", "IL", "627011234")),
     lambda c: billing(c, address=Address("4410 BOXWOOD RD", "", "SPRINGFIELD", "IL",
                                          "627011234")),
     [("Billing provider address is a PO Box or lockbox", "2010AA N301,N302", "P.O. Box 4410")]),
    ("BILLING-ZIP-9",
     lambda c: billing(c, address=Address("100 MAIN ST", "", "SPRINGFIELD", "IL", "62701")),
     lambda c: c,
     [("Billing provider ZIP code must have 9 digits", "2010AA N403", "62701")]),
    ("TAXONOMY-FORMAT", lambda c: billing(c, taxonomy="207Q0000"), lambda c: c,
     [("Taxonomy code is not 10 characters ending in X", "2000A PRV03", "207Q0000")]),
    ("BILLING-TAXONOMY", lambda c: billing(no_rendering(c), taxonomy=""), no_rendering,
     [("Billing provider taxonomy (PRV) is missing and there is no rendering provider",
       "2000A PRV*BI PRV03", None)]),
    ("RENDERING-NPI",
     lambda c: dataclasses.replace(c, providers=[Entity("82", "1", "NGUYEN", "ANH")]),
     lambda c: c, [("Rendering provider has no NPI", "2310B NM1*82 NM109", None)]),
    ("REFERRING-FOR-LINE", with_line_referring, lambda c: claim_referring(with_line_referring(c)),
     [("A line names a referring provider (2420F) but the claim does not (2310A)",
       "2310A NM1", None)]),
    ("MEDICARE-REFERRING", lambda c: medicare(with_referral(c)),
     lambda c: claim_referring(medicare(with_referral(c))),
     [("Medicare claim with a referral number has no referring provider NPI", "2310A NM109",
       None)]),
    ("CORRECTED-CLAIM-F8", replacement,
     lambda c: dataclasses.replace(replacement(c), payer_claim_number="PAYER123"),
     [("Replacement or void claim without the payer's claim number (REF*F8)", "2300 REF*F8 REF02",
       None)]),
    ("MEDICARE-LAB-CLIA", lambda c: medicare(with_lab_line(c)),
     lambda c: dataclasses.replace(medicare(with_lab_line(c)),
                                   references=[Reference("X4", "14D0123456")]),
     [("Medicare laboratory service without a CLIA number (REF*X4)", "2300 REF*X4 REF02", None)]),
    ("NOC-DESCRIPTION", noc_line,
     lambda c: (lambda x: (setattr(x.service_lines[1], "description", "INJ ONDANSETRON"), x)[1])(
         noc_line(c)),
     [("Unlisted (not otherwise classified) procedure code without a description",
       "2400 SV101-7 (line 2)", None)]),
    ("DIAGNOSIS-POINTER",
     lambda c: (lambda x: (setattr(x.service_lines[1], "diagnosis_pointers", ()), x)[1])(c),
     lambda c: c, [("Service line points at no diagnosis (SV107)", "2400 SV107-1 (line 2)",
                    None)]),
    ("SECONDARY-PAID-AMOUNT", secondary_with_adjudication,
     lambda c: (lambda x: (x.other_coverages[0].extra.insert(0, Segment("AMT", ("D", "40"))),
                           x)[1])(secondary_with_adjudication(c)),
     [("Prior payer's paid amount (2320 AMT*D) is missing", "2320 AMT*D AMT02", None)]),
]  # fmt: skip


def test_every_catalogue_edit_pctui_runs_itself_has_a_case() -> None:
    file_level = {"5010-SNIP1", "5010-SNIP2"}  # pyx12 on the written file: tests/store
    assert {rule_id for rule_id, *_ in CASES} == CATALOGUE_IDS - file_level


@pytest.mark.parametrize(("rule_id", "breaks", "fixes", "expected"), CASES,
                         ids=[case[0] for case in CASES])  # fmt: skip
def test_an_edit_passes_a_good_claim_and_names_what_a_bad_one_lacks(
    rule_id: str,
    breaks: Callable[[Claim], Claim],
    fixes: Callable[[Claim], Claim],
    expected: list[tuple[str, str, str | None]],
) -> None:
    assert failures(good(), rule_id) == []
    assert failures(fixes(good()), rule_id) == []
    assert failures(breaks(good()), rule_id) == expected


def test_an_edit_that_looks_in_every_loop_names_the_loop_of_the_value_that_failed() -> None:
    """NPI-CHECK-DIGIT reads every NM109: the biller must be told which provider's NPI is
    wrong (billing 2010AA, rendering 2310B, a line's 2420A), not only "NM109"."""
    claim = good()
    [rendering] = [p for p in claim.providers if p.code == "82"]
    claim.providers = [dataclasses.replace(p, identifier="1234567890") if p is rendering else p
                       for p in claim.providers]  # fmt: skip
    billing(claim, identifier="1999996666")

    assert failures(claim, "NPI-CHECK-DIGIT") == [
        ("Every NPI passes its check digit (Luhn with prefix 80840)", "2010AA NM109",
         "1999996666"),
        ("Every NPI passes its check digit (Luhn with prefix 80840)", "2310B NM109",
         "1234567890"),
    ]  # fmt: skip


def test_a_good_claim_passes_every_edit_of_the_catalogue() -> None:
    claim = good()
    assert check_claim(claim, claim_view(claim), CATALOGUE) == []


def test_a_claim_stored_before_pctui_kept_its_837p_is_held_with_what_to_do() -> None:
    claim = Claim("OLD-1", Decimal("10.00"), detailed=False)
    [failure] = check_claim(claim, [], [BY_ID["CLAIM-COMPLETE"]])
    assert failure.message == ("Claim was stored before pctui kept the whole 837P; import it "
                               "again from the practice's 837P file")  # fmt: skip
    assert failure.severity is EditSeverity.HOLD


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
@settings(max_examples=200)
def test_exactly_one_check_digit_makes_an_npi_valid(body: str) -> None:
    assert sum(npi_is_valid(body + str(d)) for d in range(10)) == 1


def test_the_cms_example_npi_is_valid_and_a_changed_digit_is_not() -> None:
    assert npi_is_valid("1234567893")
    assert not npi_is_valid("1234567894")
    assert not npi_is_valid("123456789")
    assert not npi_is_valid("12345678A3")


def test_a_connection_runs_the_always_rules_and_those_it_lists_and_sets_unknown_ids_aside() -> None:
    chosen = rules_for(["BILLING-ZIP-9", "MCR-NCCI", "5010-SNIP2"])
    ids = [rule.id for rule in chosen.rules]
    assert ids[:5] == ["5010-SNIP1", "5010-SNIP2", "5010-SNIP3", "ONE-PRIMARY-PAYER",
                       "CLAIM-COMPLETE"]  # fmt: skip
    assert ids[5:] == ["BILLING-ZIP-9"]
    assert chosen.unknown == ("MCR-NCCI",)


ADMIN_RULE = {
    "id": "ACME-AUTH-FOR-MRI",
    "description": "MRI services carry the prior authorization number",
    "kind": "required",
    "loop": "2300",
    "segment": "REF*G1",
    "element": "02",
    "severity": "hold",
    "message": "MRI without prior authorization (REF*G1)",
    "when": [{"loop": "2400", "segment": "SV1", "element": "01-2", "pattern": "^(70551|72148|73721)$"}],
}


def test_an_administrators_rule_runs_like_a_catalogue_edit() -> None:
    rule = rule_from_data(ADMIN_RULE)
    mri = good()
    mri.service_lines[0].procedure = "72148"

    assert check_claim(good(), claim_view(good()), [rule]) == []
    [failure] = check_claim(mri, claim_view(mri), [rule])
    assert (failure.rule, failure.message, failure.where) == (
        "ACME-AUTH-FOR-MRI", "MRI without prior authorization (REF*G1)", "2300 REF*G1 REF02")
    mri.references.append(Reference("G1", "AUTH-778"))
    assert check_claim(mri, claim_view(mri), [rule]) == []
    assert rule_from_data(rule_to_data(rule)) == rule
    assert rules_for(["ACME-AUTH-FOR-MRI"], [rule]).rules[-1] == rule


@pytest.mark.parametrize(("change", "problems"), [
    ({"colour": "red"}, {"colour": "unknown key"}),
    ({"id": "5010-SNIP3"}, {"id": "5010-SNIP3 is one of pctui's own rules; choose another id"}),
    ({"kind": "balance"}, {"kind": "one of forbidden, not_pattern, npi, one_of, pattern, "
                                   "required"}),
    ({"loop": "2300Z1"}, {"loop": "an 837P loop such as 2010AA, 2300, 2400 (or * for any)"}),
    ({"segment": "ref*g1"}, {"segment": "a segment id such as N4, or with its qualifier: "
                                        "REF*F8"}),
    ({"element": "2"}, {"element": "an element position such as 03, or 05-3 (several: 01,02)"}),
    ({"kind": "pattern"}, {"pattern": "required for a pattern rule"}),
    ({"kind": "pattern", "pattern": "(["}, {"pattern": "not a regular expression: unterminated "
                                                       "character set at position 1"}),
    ({"severity": "block"}, {"severity": "hold or warn"}),
    ({"description": " "}, {"description": "required: say what the rule asks, in a biller's "
                                           "words"}),
    ({"when": [{"loop": "2400", "segment": "SV1", "element": "01-2"}]},
     {"when[0]": "say what must hold: present, values or pattern"}),
    ({"when": [{"loop": "2400", "segment": "SV1", "size": 3, "present": True}]},
     {"when[0].size": "unknown key"}),
])  # fmt: skip
def test_an_administrators_rule_that_cannot_run_is_refused_naming_each_problem(
    change: dict[str, object], problems: dict[str, str]
) -> None:
    with pytest.raises(RuleError) as refused:
        rule_from_data({**ADMIN_RULE, **change})
    assert refused.value.problems == problems


def test_a_warn_rule_reports_without_holding() -> None:
    rule = rule_from_data({**ADMIN_RULE, "severity": "warn", "kind": "forbidden",
                           "segment": "DTP*431", "element": "03", "when": []})  # fmt: skip
    claim = good()
    claim.dates.append(ClaimDate("431", "D8", "20261101"))
    [failure] = check_claim(claim, claim_view(claim), [rule])
    assert failure.severity is EditSeverity.WARN and failure.value == "20261101"


def test_the_catalogue_lists_ids_descriptions_locations_and_severities() -> None:
    listed = [rule.to_json() for rule in CATALOGUE]
    zip9 = next(r for r in listed if r["id"] == "BILLING-ZIP-9")
    assert zip9 == {"id": "BILLING-ZIP-9",
                    "description": "The billing provider's ZIP code has 9 digits (ZIP+4)",
                    "location": {"loop": "2010AA", "segment": "N4", "element": "N403"},
                    "severity": "hold", "kind": "pattern", "always": False,
                    "source": "pctui"}  # fmt: skip
    assert all(r["description"] and r["location"]["loop"] for r in listed)
    assert {rule.kind for rule in CATALOGUE} >= {EditKind.BALANCE, EditKind.NPI}
