"""The posting engine, told as a biller's stories: each CLP and what every party owes after it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from pctui.core.claim import Claim, ClaimPayerRef, ServiceLine
from pctui.core.codes import Party, PayerLevel
from pctui.core.era import Adjustment, ClaimPayment, ProviderAdjustment, Remittance, ServicePayment
from pctui.core.ledger import ClaimLedger, EntryKind, LedgerLine, ledger_totals, opening_charges
from pctui.core.posting import (
    LINE_NOT_FOUND,
    NOTHING_TO_REVERSE,
    PATIENT_ACCOUNT_NOT_FOUND,
    CarcExclusions,
    ClaimTerms,
    PostingOutcome,
    RuleLevelSettings,
    SkipReason,
    pay_level,
    post_claim_payment,
    post_remittance,
)

D = Decimal
DOS = date(2026, 3, 2)
BCBS, MEDICAID, AETNA = 11, 22, 33
P, S, T, PT = Party.PRIMARY, Party.SECONDARY, Party.TERTIARY, Party.PATIENT

COMMERCIAL = RuleLevelSettings("PCON", "AIWO")
MEDICAID_RULE = RuleLevelSettings("PMCD", "AMCD", patient_balance="adjust",
                                  patient_adjustment_code="AMCD")  # fmt: skip


def every_level(settings: RuleLevelSettings) -> dict[PayerLevel, RuleLevelSettings]:
    return dict.fromkeys(PayerLevel, settings)


def claim(
    *charges: str,
    levels: tuple[PayerLevel, ...] = (PayerLevel.PRIMARY,),
    claim_id: str = "PCN1001",
    codes: tuple[str, ...] = ("99213", "87880", "90471", "36415", "81002"),
    total: str | None = None,
) -> ClaimLedger:
    """A stored claim with its opening charges, owed by the first payer."""
    lines = [
        ServiceLine(n, codes[n - 1], charge=D(c), units=D(1), service_date=DOS,
                    control_number=f"{claim_id}-{n}")  # fmt: skip
        for n, c in enumerate(charges, start=1)
    ]
    charge = D(total) if total is not None else sum((ln.charge for ln in lines), D("0.00"))
    model = Claim(claim_id, charge, "DOE, JANE", lines,
                  {lvl: ClaimPayerRef(lvl.value.upper()) for lvl in levels}, DOS)  # fmt: skip
    entries = [
        LedgerLine(e.kind, e.party, e.amount, line=e.line, entry_id=i)
        for i, e in enumerate(opening_charges(model), start=1)
    ]
    return ClaimLedger(model, entries)


def svc(
    code: str, charge: str, paid: str, *cas: tuple[str, str, str], control: str | None = None,
    units: str = "1", on: date | None = DOS, modifiers: tuple[str, ...] = (),
) -> ServicePayment:  # fmt: skip
    return ServicePayment(
        code, modifiers=modifiers, charge=D(charge), paid=D(paid), units=D(units),
        service_date=on, control_number=control,
        adjustments=[Adjustment(g, r, D(a)) for g, r, a in cas],
    )  # fmt: skip


def clp(
    status: str, charge: str, paid: str, *lines: ServicePayment,
    cas: tuple[tuple[str, str, str], ...] = (), claim_id: str = "PCN1001",
) -> ClaimPayment:  # fmt: skip
    return ClaimPayment(
        claim_id, status, D(charge), D(paid), service_lines=list(lines),
        adjustments=[Adjustment(g, r, D(a)) for g, r, a in cas],
    )  # fmt: skip


class Book:
    """A claim's ledger as the store keeps it: every posting appended with its record."""

    def __init__(self, ledger: ClaimLedger) -> None:
        self.ledger = ledger

    def post(self, payment: ClaimPayment, rules=None, payer: int = BCBS, era: int = 1):  # noqa: ANN001, ANN201
        result = post_claim_payment(
            self.ledger, payment, rules if rules is not None else every_level(COMMERCIAL),
            payer_id=payer, era_id=era,
        )  # fmt: skip
        self.ledger = self.ledger.with_entries(result.entries, result.record)
        assert self.ledger.totals().is_balanced
        return result

    def owed(self) -> dict[Party, Decimal]:
        return {party: amount for party, amount in self.ledger.balances().items() if amount}

    @property
    def paid(self) -> Decimal:
        return self.ledger.totals().paid

    @property
    def adjusted(self) -> Decimal:
        return self.ledger.totals().adjusted


# -- primary, secondary, patient ---------------------------------------------------------------


def test_primary_payment_writes_off_the_contractual_amount_and_moves_coinsurance_to_the_patient():
    book = Book(claim("150.00", "50.00"))
    result = book.post(clp("1", "200.00", "120.00",
                           svc("99213", "150.00", "90.00", ("CO", "45", "40.00"), ("PR", "2", "20.00")),
                           svc("87880", "50.00", "30.00", ("CO", "45", "10.00"), ("PR", "1", "10.00"))))  # fmt: skip
    assert result.outcome is PostingOutcome.POSTED and result.level is PayerLevel.PRIMARY
    assert book.paid == D("120.00") and book.adjusted == D("50.00")
    assert book.owed() == {PT: D("30.00")}
    assert result.summary.patient_responsibility == D("30.00")
    assert result.summary.patient_responsibility_to is PT
    assert result.summary.transferred == D("0.00")
    assert result.errors == []
    payments = [e for e in result.entries if e.kind is EntryKind.PAYMENT]
    assert [(e.line, e.amount, e.code) for e in payments] == [
        (1, D("-90.00"), "PCON"), (2, D("-30.00"), "PCON")]  # fmt: skip
    adjustments = [e for e in result.entries if e.kind is EntryKind.ADJUSTMENT]
    assert {(e.code, e.group_code, e.reason_code) for e in adjustments} == {("AIWO", "CO", "45")}


def test_secondary_pays_after_primary_moved_the_coinsurance_to_it():
    book = Book(claim("200.00", levels=(PayerLevel.PRIMARY, PayerLevel.SECONDARY)))
    book.post(clp("1", "200.00", "100.00",
                  svc("99213", "200.00", "100.00", ("CO", "45", "60.00"), ("PR", "2", "25.00"),
                      ("PR", "3", "15.00"))), era=1)  # fmt: skip
    assert book.owed() == {S: D("40.00")}

    result = book.post(clp("2", "200.00", "30.00",
                           svc("99213", "200.00", "30.00", ("PR", "2", "10.00"))),
                       payer=AETNA, era=2)  # fmt: skip
    assert result.level is PayerLevel.SECONDARY
    assert book.owed() == {PT: D("10.00")}
    assert book.paid == D("130.00") and book.adjusted == D("60.00")


def test_secondary_835_repeating_the_primary_adjudication_is_not_written_off_twice():
    book = Book(claim("200.00", levels=(PayerLevel.PRIMARY, PayerLevel.SECONDARY)))
    book.post(clp("1", "200.00", "100.00",
                  svc("99213", "200.00", "100.00", ("CO", "45", "60.00"), ("PR", "2", "40.00"))))  # fmt: skip
    # A real secondary 835 balances its CLP with OA-23, the impact of the prior payer.
    result = book.post(clp("2", "200.00", "35.00",
                           svc("99213", "200.00", "35.00", ("OA", "23", "160.00"),
                               ("PR", "2", "5.00"))), payer=AETNA, era=2)  # fmt: skip
    assert book.owed() == {PT: D("5.00")}
    assert book.adjusted == D("60.00")
    assert [(s.code, s.amount, s.why) for s in result.skipped] == [
        ("OA-23", D("160.00"), SkipReason.OVER_BALANCE)]  # fmt: skip
    assert result.errors == []


def test_transfer_to_next_sends_the_remainder_to_the_patient_when_there_is_no_next_payer():
    book = Book(claim("100.00"))
    result = book.post(clp("1", "100.00", "60.00", svc("99213", "100.00", "60.00", ("CO", "45", "15.00"))))  # fmt: skip
    assert book.owed() == {PT: D("25.00")}
    assert result.summary.transferred == D("25.00") and result.summary.transferred_to is PT
    transfers = [(e.party, e.amount, e.line) for e in result.entries if e.kind is EntryKind.TRANSFER]
    assert transfers == [(P, D("-25.00"), 1), (PT, D("25.00"), 1)]


def test_transfer_to_next_sends_the_remainder_to_the_secondary_when_there_is_one():
    book = Book(claim("100.00", levels=(PayerLevel.PRIMARY, PayerLevel.SECONDARY)))
    book.post(clp("1", "100.00", "60.00", svc("99213", "100.00", "60.00", ("CO", "45", "15.00"))))  # fmt: skip
    assert book.owed() == {S: D("25.00")}


def test_tertiary_is_next_after_the_secondary_and_its_remainder_goes_to_the_patient():
    book = Book(claim("100.00", levels=tuple(PayerLevel)))
    book.post(clp("1", "100.00", "50.00", svc("99213", "100.00", "50.00", ("CO", "45", "10.00"))))  # fmt: skip
    assert book.owed() == {S: D("40.00")}
    book.post(clp("2", "100.00", "30.00", svc("99213", "100.00", "30.00")), payer=AETNA, era=2)  # fmt: skip
    assert book.owed() == {T: D("10.00")}
    result = book.post(clp("3", "100.00", "4.00", svc("99213", "100.00", "4.00")), payer=MEDICAID, era=3)  # fmt: skip
    assert result.level is PayerLevel.TERTIARY
    assert book.owed() == {PT: D("6.00")}


def test_keep_leaves_the_remainder_with_the_payer_while_transfer_moves_it():
    payment = clp("1", "100.00", "60.00", svc("99213", "100.00", "60.00", ("CO", "45", "15.00")))
    keep = Book(claim("100.00"))
    result = keep.post(payment, every_level(RuleLevelSettings("PCON", "AIWO", insurance_balance="keep")))
    assert keep.owed() == {P: D("25.00")}
    assert result.summary.transferred == D("0.00")
    transfer = Book(claim("100.00"))
    transfer.post(payment)
    assert transfer.owed() == {PT: D("25.00")}


def test_keep_still_moves_patient_responsibility_to_the_patient():
    book = Book(claim("100.00"))
    book.post(clp("1", "100.00", "60.00",
                  svc("99213", "100.00", "60.00", ("CO", "45", "15.00"), ("PR", "1", "20.00"))),
              every_level(RuleLevelSettings("PCON", "AIWO", insurance_balance="keep")))  # fmt: skip
    assert book.owed() == {P: D("5.00"), PT: D("20.00")}


def test_crossover_status_19_posts_as_primary():
    book = Book(claim("100.00", levels=(PayerLevel.PRIMARY, PayerLevel.SECONDARY)))
    result = book.post(clp("19", "100.00", "80.00", svc("99213", "100.00", "80.00", ("PR", "2", "20.00"))))  # fmt: skip
    assert result.level is PayerLevel.PRIMARY
    assert book.owed() == {S: D("20.00")}


# -- adjustments: skip, exclusions, patient adjust, negatives, claim level ---------------------


def test_skip_adjustments_leaves_the_contractual_amount_owed_and_transfers_it():
    book = Book(claim("100.00"))
    result = book.post(clp("1", "100.00", "60.00", svc("99213", "100.00", "60.00", ("CO", "45", "30.00"),
                                                       ("PR", "2", "10.00"))),
                       every_level(RuleLevelSettings("PCON", "AIWO", insurance_adjustments="skip")))  # fmt: skip
    assert book.adjusted == D("0.00")
    assert book.owed() == {PT: D("40.00")}
    assert [(s.code, s.amount, s.why) for s in result.skipped] == [
        ("CO-45", D("30.00"), SkipReason.RULE_SKIP)]  # fmt: skip
    assert result.errors == []


def test_skip_and_keep_leave_the_unposted_adjustment_with_the_payer():
    book = Book(claim("100.00"))
    book.post(clp("1", "100.00", "60.00", svc("99213", "100.00", "60.00", ("CO", "45", "30.00"))),
              every_level(RuleLevelSettings("PCON", "AIWO", insurance_adjustments="skip",
                                            insurance_balance="keep")))  # fmt: skip
    assert book.owed() == {P: D("40.00")}


def test_an_excluded_carc_is_never_posted_and_appears_on_the_error_report():
    rule = RuleLevelSettings("PCON", "AIWO", exclusions=CarcExclusions.of([("CO", "50")]))
    book = Book(claim("100.00", "40.00"))
    result = book.post(clp("1", "140.00", "70.00",
                           svc("99213", "100.00", "70.00", ("CO", "45", "20.00")),
                           svc("87880", "40.00", "0.00", ("CO", "50", "40.00"))),
                       every_level(rule))  # fmt: skip
    assert book.adjusted == D("20.00")
    assert book.owed() == {PT: D("50.00")}
    assert [e.text for e in result.errors] == [
        "PCN1001: CO-50 adjustment excluded (2026-03-02, 87880, amount 40.00)"]  # fmt: skip
    assert [(s.code, s.why) for s in result.skipped] == [("CO-50", SkipReason.EXCLUDED)]


def test_an_exclusion_without_a_group_excludes_the_carc_in_every_group_but_not_others():
    rule = RuleLevelSettings("PCON", "AIWO", insurance_balance="keep",
                             exclusions=CarcExclusions.of([("", "97"), ("CO", "50")]))  # fmt: skip
    book = Book(claim("100.00"))
    result = book.post(clp("1", "100.00", "50.00",
                           svc("99213", "100.00", "50.00", ("OA", "97", "10.00"), ("PI", "50", "5.00"),
                               ("CO", "45", "20.00"))), every_level(rule))  # fmt: skip
    assert book.adjusted == D("25.00")
    assert book.owed() == {P: D("25.00")}
    assert [e.message for e in result.errors] == ["OA-97 adjustment excluded"]


def test_medicaid_patient_balance_is_adjusted_to_zero_with_the_patient_adjustment_code():
    book = Book(claim("120.00"))
    result = book.post(clp("1", "120.00", "70.00", svc("99213", "120.00", "70.00", ("CO", "45", "30.00"))),
                       every_level(MEDICAID_RULE), payer=MEDICAID)  # fmt: skip
    assert book.owed() == {}
    assert book.paid == D("70.00") and book.adjusted == D("50.00")
    assert result.summary.patient_adjusted == D("20.00")
    patient_adjustments = [(e.party, e.amount, e.code) for e in result.entries
                           if e.kind is EntryKind.ADJUSTMENT and e.party is PT]  # fmt: skip
    assert patient_adjustments == [(PT, D("-20.00"), "AMCD")]


def test_patient_adjust_writes_off_patient_responsibility_moved_to_the_patient():
    book = Book(claim("120.00"))
    result = book.post(clp("1", "120.00", "70.00", svc("99213", "120.00", "70.00", ("CO", "45", "30.00"),
                                                       ("PR", "3", "3.00"))),
                       every_level(MEDICAID_RULE), payer=MEDICAID)  # fmt: skip
    # PR-3 3.00 and the 17.00 remainder go to the patient, and Adjust writes both off (AMCD).
    assert book.owed() == {}
    assert book.adjusted == D("50.00") and result.summary.patient_adjusted == D("20.00")
    patient = [(e.kind, e.amount, e.code) for e in result.entries if e.party is PT]
    assert patient == [(EntryKind.TRANSFER, D("3.00"), ""), (EntryKind.ADJUSTMENT, D("-3.00"), "AMCD"),
                       (EntryKind.TRANSFER, D("17.00"), ""), (EntryKind.ADJUSTMENT, D("-17.00"), "AMCD")]


def test_patient_adjust_does_not_apply_when_the_remainder_goes_to_a_next_payer():
    book = Book(claim("120.00", levels=(PayerLevel.PRIMARY, PayerLevel.SECONDARY)))
    book.post(clp("1", "120.00", "70.00", svc("99213", "120.00", "70.00", ("CO", "45", "30.00"))),
              every_level(MEDICAID_RULE))  # fmt: skip
    assert book.owed() == {S: D("20.00")}


def test_adjust_requires_a_patient_adjustment_code():
    with pytest.raises(ValueError, match="patient Adjustment Code"):
        RuleLevelSettings("PMCD", "AMCD", patient_balance="adjust")


def test_a_negative_adjustment_adds_back_to_the_balance():
    book = Book(claim("100.00"))
    result = book.post(clp("1", "100.00", "90.00",
                           svc("99213", "100.00", "90.00", ("CO", "45", "15.00"), ("CO", "45", "-5.00"))))  # fmt: skip
    assert book.adjusted == D("10.00")
    assert book.owed() == {}
    assert sorted(e.amount for e in result.entries if e.kind is EntryKind.ADJUSTMENT) == [
        D("-15.00"), D("5.00")]  # fmt: skip


def test_a_payment_over_the_charge_with_a_negative_adjustment_balances_to_zero():
    book = Book(claim("100.00"))
    book.post(clp("1", "100.00", "110.00", svc("99213", "100.00", "110.00", ("OA", "94", "-10.00"))))  # fmt: skip
    assert book.paid == D("110.00") and book.adjusted == D("-10.00")
    assert book.owed() == {}


def test_a_negative_patient_responsibility_moves_back_from_the_patient():
    book = Book(claim("100.00"))
    book.post(clp("1", "100.00", "60.00", svc("99213", "100.00", "60.00", ("CO", "45", "10.00"),
                                              ("PR", "1", "30.00"))), era=1)  # fmt: skip
    assert book.owed() == {PT: D("30.00")}
    book.post(clp("1", "100.00", "10.00", svc("99213", "100.00", "10.00", ("PR", "1", "-10.00"))),
              era=2)  # fmt: skip
    assert book.owed() == {PT: D("20.00")}
    assert book.paid == D("70.00")


def test_claim_level_payment_and_cas_apply_to_the_claim():
    book = Book(claim("100.00", "50.00"))
    result = book.post(clp("1", "150.00", "90.00", cas=(("CO", "45", "35.00"), ("PR", "1", "25.00"))))  # fmt: skip
    assert book.paid == D("90.00") and book.adjusted == D("35.00")
    assert book.owed() == {PT: D("25.00")}
    assert {e.line for e in result.entries if e.kind is not EntryKind.TRANSFER} == {None}


def test_claim_level_cas_beside_service_lines_applies_to_the_claim():
    book = Book(claim("100.00", "50.00"))
    result = book.post(clp("1", "150.00", "120.00",
                           svc("99213", "100.00", "80.00", ("CO", "45", "10.00")),
                           svc("87880", "50.00", "40.00"),
                           cas=(("PR", "1", "20.00"),)))  # fmt: skip
    assert book.owed() == {PT: D("20.00")}
    pr = [e for e in result.entries if e.group_code == "PR"]
    assert {e.line for e in pr} == {None}


def test_a_payment_larger_than_the_balance_leaves_a_credit_and_transfers_nothing():
    book = Book(claim("100.00"))
    result = book.post(clp("1", "100.00", "130.00", svc("99213", "100.00", "130.00", ("CO", "45", "20.00"))))  # fmt: skip
    assert book.owed() == {P: D("-30.00")}
    assert book.adjusted == D("0.00")
    assert result.summary.credit == D("30.00")


def test_zero_payment_is_posted_and_listed():
    book = Book(claim("100.00"))
    result = book.post(clp("1", "100.00", "0.00", svc("99213", "100.00", "0.00", ("PR", "1", "100.00"))))  # fmt: skip
    assert book.owed() == {PT: D("100.00")}
    assert result.zero_payment is not None and not result.zero_payment.denied
    assert result.zero_payment.reason_codes == ("PR-1",)


# -- denials, other statuses, missing claims and rules -----------------------------------------


def test_a_denied_claim_posts_nothing_and_goes_on_the_zero_payment_list_with_its_reasons():
    book = Book(claim("100.00", "50.00"))
    result = book.post(clp("4", "150.00", "0.00",
                           svc("99213", "100.00", "0.00", ("CO", "50", "100.00")),
                           svc("87880", "50.00", "0.00", ("CO", "50", "50.00")),
                           cas=(("CO", "16", "0.00"),)))  # fmt: skip
    assert result.outcome is PostingOutcome.DENIED
    assert result.entries == [] and result.errors == []
    assert book.owed() == {P: D("150.00")}
    assert result.zero_payment is not None and result.zero_payment.denied
    assert result.zero_payment.reason_codes == ("CO-16", "CO-50")


@pytest.mark.parametrize("status", ["23", "25"])
def test_other_statuses_are_reported_not_posted(status):
    book = Book(claim("100.00"))
    result = book.post(clp(status, "100.00", "0.00"))
    assert result.outcome is PostingOutcome.NOT_POSTED and result.entries == []
    assert result.errors[0].message.startswith(f"Claim status {status} (")
    assert book.owed() == {P: D("100.00")}


def test_a_claim_that_is_not_on_file_is_reported_and_nothing_is_posted():
    result = post_claim_payment(None, clp("1", "100.00", "80.00", claim_id=" NOPE77 "),
                                every_level(COMMERCIAL), payer_id=BCBS, era_id=1)  # fmt: skip
    assert result.outcome is PostingOutcome.NOT_FOUND and result.entries == []
    assert [e.text for e in result.errors] == [f"NOPE77: {PATIENT_ACCOUNT_NOT_FOUND} (amount 80.00)"]


def test_a_secondary_payment_on_a_claim_without_secondary_insurance_is_reported():
    book = Book(claim("100.00"))
    result = book.post(clp("2", "100.00", "20.00"))
    assert result.entries == []
    assert result.errors[0].message == (
        "The claim has no secondary insurance to post this secondary payment to")


def test_a_level_without_rule_settings_is_reported():
    book = Book(claim("100.00"))
    result = book.post(clp("1", "100.00", "20.00"), rules={})
    assert result.entries == []
    assert result.errors[0].message == "No payer rule settings for the claim's primary insurance"


def test_pay_levels_from_clp02():
    assert [pay_level(c) for c in ("1", "19", "2", "20", "3", "21", "01", "4", "22", "23")] == [
        PayerLevel.PRIMARY, PayerLevel.PRIMARY, PayerLevel.SECONDARY, PayerLevel.SECONDARY,
        PayerLevel.TERTIARY, PayerLevel.TERTIARY, PayerLevel.PRIMARY, None, None, None]  # fmt: skip


# -- reversals --------------------------------------------------------------------------------


def test_a_reversal_undoes_the_earlier_posting_from_that_payer_exactly():
    book = Book(claim("100.00", "50.00", levels=(PayerLevel.PRIMARY, PayerLevel.SECONDARY)))
    book.post(clp("1", "150.00", "100.00",
                  svc("99213", "100.00", "70.00", ("CO", "45", "10.00"), ("PR", "2", "20.00")),
                  svc("87880", "50.00", "30.00", ("CO", "45", "15.00"))), era=1)  # fmt: skip
    assert book.owed() == {S: D("25.00")}
    result = book.post(clp("22", "-150.00", "-100.00",
                           svc("99213", "-100.00", "-70.00", ("CO", "45", "-10.00"), ("PR", "2", "-20.00")),
                           svc("87880", "-50.00", "-30.00", ("CO", "45", "-15.00"))), era=2)  # fmt: skip
    assert result.outcome is PostingOutcome.REVERSED and result.errors == []
    assert book.owed() == {P: D("150.00")}
    assert book.paid == D("0.00") and book.adjusted == D("0.00")
    assert result.summary.paid == D("-100.00") and result.summary.adjusted == D("-25.00")
    assert all(e.kind is EntryKind.REVERSAL and e.reverses_id for e in result.entries)


def test_a_reversal_and_correction_in_one_835_replace_the_first_payment():
    book = Book(claim("100.00"))
    book.post(clp("1", "100.00", "80.00", svc("99213", "100.00", "80.00", ("CO", "45", "20.00"))), era=1)  # fmt: skip
    remittance = Remittance("0001", "000000001", "BCBS", D("5.00"), claims=[
        clp("22", "-100.00", "-80.00", svc("99213", "-100.00", "-80.00", ("CO", "45", "-20.00"))),
        clp("1", "100.00", "85.00", svc("99213", "100.00", "85.00", ("CO", "45", "15.00"))),
    ])  # fmt: skip
    posting = post_remittance(remittance, {"PCN1001": book.ledger},
                              {"PCN1001": ClaimTerms(every_level(COMMERCIAL))}, payer_id=BCBS, era_id=2)  # fmt: skip
    after = posting.ledgers["PCN1001"].totals()
    assert [r.outcome for r in posting.results] == [PostingOutcome.REVERSED, PostingOutcome.POSTED]
    assert after.paid == D("85.00") and after.adjusted == D("15.00")
    assert {k: v for k, v in after.balances.items() if v} == {}
    assert posting.claims_posted == 2 and posting.errors == []


def test_a_second_reversal_undoes_the_correction_not_the_original_again():
    book = Book(claim("100.00"))
    book.post(clp("1", "100.00", "80.00", svc("99213", "100.00", "80.00")), era=1)
    book.post(clp("22", "-100.00", "-80.00"), era=2)
    book.post(clp("1", "100.00", "60.00", svc("99213", "100.00", "60.00")), era=2)
    assert book.paid == D("60.00")
    book.post(clp("22", "-100.00", "-60.00"), era=3)
    assert book.paid == D("0.00") and book.owed() == {P: D("100.00")}


def test_a_reversal_leaves_other_payers_postings_alone():
    book = Book(claim("100.00", levels=(PayerLevel.PRIMARY, PayerLevel.SECONDARY)))
    book.post(clp("1", "100.00", "60.00", svc("99213", "100.00", "60.00", ("CO", "45", "10.00"))), era=1)  # fmt: skip
    book.post(clp("2", "100.00", "25.00", svc("99213", "100.00", "25.00")), payer=AETNA, era=2)
    assert book.owed() == {PT: D("5.00")}
    book.post(clp("22", "-100.00", "-25.00"), payer=AETNA, era=3)
    assert book.owed() == {S: D("30.00")} and book.paid == D("60.00")


def test_a_reversal_with_nothing_to_reverse_is_reported():
    book = Book(claim("100.00"))
    result = book.post(clp("22", "-100.00", "-80.00"))
    assert result.entries == [] and [e.message for e in result.errors] == [NOTHING_TO_REVERSE]


def test_a_reversal_amount_that_differs_from_the_payment_is_reported_but_reversed():
    book = Book(claim("100.00"))
    book.post(clp("1", "100.00", "80.00", svc("99213", "100.00", "80.00")), era=1)
    result = book.post(clp("22", "-100.00", "-75.00"), era=2)
    assert book.paid == D("0.00")
    assert result.errors[0].message.startswith(
        "Reversal amount -75.00 does not match the earlier payment 80.00")


# -- line matching ----------------------------------------------------------------------------


def test_ref_6r_matches_the_line_even_when_procedure_and_units_differ():
    book = Book(claim("100.00", "50.00"))
    result = book.post(clp("1", "150.00", "40.00",
                           svc("99999", "50.00", "40.00", ("CO", "45", "10.00"), control="PCN1001-2",
                               units="3")))  # fmt: skip
    assert {e.line for e in result.entries if e.kind is EntryKind.PAYMENT} == {2}
    assert result.errors == []


def test_without_ref_6r_lines_match_by_procedure_date_and_units():
    book = Book(claim("100.00", "50.00"))
    result = book.post(clp("1", "150.00", "120.00",
                           svc("87880", "50.00", "40.00", ("CO", "45", "10.00")),
                           svc("99213", "100.00", "80.00", ("CO", "45", "20.00"))))  # fmt: skip
    payments = {e.line: e.amount for e in result.entries if e.kind is EntryKind.PAYMENT}
    assert payments == {1: D("-80.00"), 2: D("-40.00")}
    assert book.owed() == {}


def test_an_unknown_ref_6r_falls_back_to_procedure_date_and_units():
    book = Book(claim("100.00"))
    result = book.post(clp("1", "100.00", "100.00", svc("99213", "100.00", "100.00", control="XYZ")))  # fmt: skip
    assert result.errors == [] and book.owed() == {}


def test_the_code_as_billed_matches_when_the_payer_changed_it():
    book = Book(claim("100.00"))
    paid = svc("99212", "100.00", "70.00", ("CO", "45", "30.00"))
    paid.original_procedure = "99213"
    book.post(clp("1", "100.00", "70.00", paid))
    assert book.owed() == {}


def test_modifiers_need_not_match_but_break_ties():
    book = Book(claim("60.00", "60.00", codes=("97110", "97110")))
    book.ledger.claim.service_lines[1].modifiers = ("GP",)
    result = book.post(clp("1", "120.00", "50.00",
                           svc("97110", "60.00", "50.00", ("CO", "45", "10.00"), modifiers=("GP",))),
                       every_level(RuleLevelSettings("PCON", "AIWO", insurance_balance="keep")))  # fmt: skip
    assert {e.line for e in result.entries} == {2}
    two_alike = Book(claim("60.00", "60.00", codes=("97110", "97110")))
    result = two_alike.post(clp("1", "120.00", "100.00",
                                svc("97110", "60.00", "50.00", modifiers=("59",)),
                                svc("97110", "60.00", "50.00")))  # fmt: skip
    assert sorted(e.line for e in result.entries if e.kind is EntryKind.PAYMENT) == [1, 2]


def test_an_unmatched_line_is_reported_and_the_rest_of_the_claim_is_posted():
    book = Book(claim("100.00", "50.00"))
    result = book.post(clp("1", "150.00", "110.00",
                           svc("99213", "100.00", "80.00", ("CO", "45", "20.00")),
                           svc("87880", "50.00", "30.00", ("CO", "45", "10.00"), units="2")))  # fmt: skip
    assert [e.text for e in result.errors] == [
        f"PCN1001: {LINE_NOT_FOUND} (2026-03-02, 87880, units 2, amount 30.00)"]  # fmt: skip
    assert book.paid == D("80.00") and book.adjusted == D("20.00")
    # Line 2 is left with the primary for manual posting; nothing of it moved.
    assert book.owed() == {P: D("50.00")}


def test_a_line_with_another_date_of_service_is_not_matched():
    book = Book(claim("100.00"))
    result = book.post(clp("1", "100.00", "80.00", svc("99213", "100.00", "80.00", on=date(2026, 3, 3))))  # fmt: skip
    assert [e.message for e in result.errors] == [LINE_NOT_FOUND]
    assert result.entries == [] and book.owed() == {P: D("100.00")}


def test_lines_without_a_date_use_the_claim_statement_date():
    book = Book(claim("100.00"))
    payment = clp("1", "100.00", "100.00", svc("99213", "100.00", "100.00", on=None))
    payment.statement_from = DOS
    assert book.post(payment).errors == [] and book.owed() == {}


def test_clp04_that_differs_from_its_lines_is_reported():
    book = Book(claim("100.00"))
    result = book.post(clp("1", "100.00", "90.00", svc("99213", "100.00", "80.00", ("CO", "45", "20.00"))))  # fmt: skip
    # The claim's paid total is the money sent (CLP04); the 10.00 nothing explains is reported,
    # and CO-45 writes off only what Blue Cross still owed (10.00), inventing no credit.
    assert book.paid == D("90.00") and book.adjusted == D("10.00") and book.owed() == {}
    assert [e.text for e in result.errors] == [
        "PCN1001: Claim payment 90.00 (CLP04) does not equal its service lines' payments 80.00 "
        "(amount -10.00)"]


# -- a whole 835 ------------------------------------------------------------------------------


def test_plb_is_recorded_against_the_payment_not_a_claim():
    book = Book(claim("100.00"))
    remittance = Remittance(
        "0001", "000000001", "BCBS", D("55.00"),
        claims=[clp("1", "100.00", "80.00", svc("99213", "100.00", "80.00", ("CO", "45", "20.00")))],
        provider_adjustments=[
            ProviderAdjustment("1234567890", date(2026, 12, 31), "L6", "INT", D("-5.00")),
            ProviderAdjustment("1234567890", date(2026, 12, 31), "WO", "PCN0999", D("30.00")),
        ],
    )  # fmt: skip
    posting = post_remittance(remittance, {"PCN1001": book.ledger},
                              {"PCN1001": ClaimTerms(every_level(COMMERCIAL))}, payer_id=BCBS, era_id=7)  # fmt: skip
    plb = posting.provider_adjustments
    assert plb.total == D("25.00") and plb.claims_paid == D("80.00") and plb.payment_amount == D("55.00")
    assert [a.reason for a in plb.adjustments] == ["L6", "WO"]
    after = posting.ledgers["PCN1001"].totals()
    assert after.paid == D("80.00") and after.adjusted == D("20.00")
    assert all(e.era_id == 7 and e.payer_id == BCBS for e in posting.entries_by_claim()["PCN1001"])


def test_a_remittance_reports_every_claim_it_could_not_post():
    book = Book(claim("100.00"))
    remittance = Remittance("0001", "000000001", "BCBS", D("80.00"), claims=[
        clp("1", "100.00", "80.00", svc("99213", "100.00", "80.00", ("CO", "45", "20.00"))),
        clp("1", "75.00", "0.00", claim_id="GHOST1"),
        clp("4", "10.00", "0.00", cas=(("CO", "29", "10.00"),), claim_id="PCN1001"),
    ])  # fmt: skip
    posting = post_remittance(remittance, {"PCN1001": book.ledger},
                              {"PCN1001": ClaimTerms(every_level(COMMERCIAL))}, payer_id=BCBS, era_id=2)  # fmt: skip
    assert [str(e) for e in posting.errors] == [f"GHOST1: {PATIENT_ACCOUNT_NOT_FOUND} (amount 0.00)"]
    assert [(z.claim_id, z.reason_codes) for z in posting.zero_payments] == [("PCN1001", ("CO-29",))]
    assert posting.claims_posted == 1


def test_a_claim_total_above_its_lines_keeps_the_difference_on_the_claim():
    ledger = claim("100.00", total="110.00")
    assert ledger_totals(ledger.entries).charge == D("110.00")
    assert [(e.line, e.amount) for e in ledger.entries] == [(1, D("100.00")), (None, D("10.00"))]
    book = Book(ledger)
    book.post(clp("1", "110.00", "80.00", svc("99213", "100.00", "80.00", ("CO", "45", "20.00"))))  # fmt: skip
    assert book.owed() == {PT: D("10.00")}
