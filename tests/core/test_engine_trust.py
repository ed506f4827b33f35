"""Issue 8, engine level: posting a biller can trust (SPEC 2.3 as revised).

Each "What was seen" item of the issue as the biller's story, on the pure engine: holds and
adjudication order, Patient Balances = Adjust, a reversal listed after its correction, down-coded
lines (SVC06), which posting a reversal undoes, an unbalanced CLP with claim-level CAS, and lines
held back with a credit on them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from test_posting import (  # the engine stories' claim, CLP and ledger helpers
    AETNA,
    BCBS,
    COMMERCIAL,
    MEDICAID,
    MEDICAID_RULE,
    PT,
    Book,
    P,
    S,
    T,
    claim,
    clp,
    every_level,
    svc,
)

from pctui.core.codes import PayerLevel
from pctui.core.era import Remittance
from pctui.core.ledger import EntryKind
from pctui.core.posting import (
    LINE_NOT_FOUND,
    ClaimTerms,
    ErrorKind,
    PaymentToOrder,
    PostingOutcome,
    RuleLevelSettings,
    adjudication_order,
    post_remittance,
)

D = Decimal
PRIMARY, SECONDARY, TERTIARY = PayerLevel.PRIMARY, PayerLevel.SECONDARY, PayerLevel.TERTIARY
TWO_LEVELS = (PRIMARY, SECONDARY)
HELD_PRIMARY = "Held: the primary payment for this claim has not been posted"


def remit(*claims, amount: str = "0.00") -> Remittance:  # noqa: ANN002
    return Remittance("0001", "000000001", "PAYER", D(amount), claims=list(claims))


def post(book: Book, remittance: Remittance, payer: int = BCBS, era: int = 2,
         rules=None, payer_levels=frozenset()):  # noqa: ANN001, ANN201
    terms = ClaimTerms(rules if rules is not None else every_level(COMMERCIAL), payer_levels)
    posting = post_remittance(remittance, {book.ledger.claim_id: book.ledger},
                              {book.ledger.claim_id: terms}, payer_id=payer, era_id=era)  # fmt: skip
    book.ledger = posting.ledgers[book.ledger.claim_id]
    assert book.ledger.totals().is_balanced
    return posting


# -- 1. holds: a later level waits for the earlier one ------------------------------------------


def test_a_secondary_payment_whose_primary_has_not_been_posted_is_held_not_posted():
    book = Book(claim("100.00", levels=TWO_LEVELS))
    result = book.post(clp("2", "100.00", "25.60", svc("99213", "100.00", "25.60",
                                                      ("OA", "23", "74.40"))), payer=AETNA)
    assert result.outcome is PostingOutcome.HELD and result.entries == []
    assert [(e.text, e.kind) for e in result.errors] == [
        (f"PCN1001: {HELD_PRIMARY} (amount 25.60)", ErrorKind.HELD)]
    assert book.owed() == {P: D("100.00")}  # never -25.60 at the secondary


def test_a_held_claim_paying_nothing_is_not_on_the_zero_payment_list():
    book = Book(claim("100.00", levels=TWO_LEVELS))
    result = book.post(clp("2", "100.00", "0.00", svc("99213", "100.00", "0.00")), payer=AETNA)
    assert result.outcome is PostingOutcome.HELD and result.zero_payment is None


def test_the_hold_says_when_the_primary_was_denied_or_reversed():
    denied = Book(claim("100.00", levels=TWO_LEVELS))
    denied.post(clp("4", "100.00", "0.00", cas=(("CO", "50", "100.00"),)), era=1)
    result = denied.post(clp("2", "100.00", "10.00"), payer=AETNA, era=2)
    assert result.errors[0].message == (
        "Held: the primary payment for this claim has not been posted (it was denied)")

    reversed_ = Book(claim("100.00", levels=TWO_LEVELS))
    reversed_.post(clp("1", "100.00", "80.00", svc("99213", "100.00", "80.00")), era=1)
    reversed_.post(clp("22", "-100.00", "-80.00"), era=2)
    result = reversed_.post(clp("2", "100.00", "20.00"), payer=AETNA, era=3)
    assert result.errors[0].message == (
        "Held: the primary payment for this claim has not been posted (it was reversed)")
    assert reversed_.owed() == {P: D("100.00")}


def test_a_tertiary_waits_for_the_secondary_and_posts_once_both_are_posted():
    book = Book(claim("100.00", levels=(PRIMARY, SECONDARY, TERTIARY)))
    book.post(clp("1", "100.00", "60.00", svc("99213", "100.00", "60.00", ("PR", "2", "40.00"))))
    held = book.post(clp("3", "100.00", "10.00"), payer=MEDICAID, era=3)
    assert held.errors[0].message == (
        "Held: the secondary payment for this claim has not been posted")
    book.post(clp("2", "100.00", "20.00", svc("99213", "100.00", "20.00", ("PR", "2", "20.00"))),
              payer=AETNA, era=2)  # fmt: skip
    assert book.owed() == {T: D("20.00")}
    assert book.post(clp("3", "100.00", "20.00"), payer=MEDICAID, era=3).errors == []
    assert book.owed() == {}


def test_within_one_835_the_primary_posts_before_the_secondary_whatever_the_file_order():
    book = Book(claim("100.00", levels=TWO_LEVELS))
    posting = post(book, remit(
        clp("2", "100.00", "20.00", svc("99213", "100.00", "20.00")),
        clp("1", "100.00", "60.00", svc("99213", "100.00", "60.00", ("PR", "2", "40.00"))),
    ), payer=BCBS, payer_levels=frozenset(TWO_LEVELS))  # fmt: skip
    assert posting.errors == []
    assert [r.outcome for r in posting.results] == [PostingOutcome.POSTED] * 2
    assert book.owed() == {PT: D("20.00")}


def payment(key: int, day: int, **claims: set[PayerLevel]) -> PaymentToOrder:
    ranks = {c: frozenset(list(PayerLevel).index(lv) for lv in levels)
             for c, levels in claims.items()}  # fmt: skip
    return PaymentToOrder(key, date(2026, 11, day), ranks)


def test_payments_post_by_payment_date_and_for_each_claim_primary_first():
    # The secondary (id 1) was paid on the 3rd, its primary (id 2) on the 5th: level wins.
    early_secondary = payment(1, 3, X={SECONDARY})
    primary = payment(2, 5, X={PRIMARY})
    other = payment(3, 4, Y={PRIMARY})
    same_day = payment(4, 4, Z={PRIMARY})
    for marked in ([early_secondary, primary, other, same_day],
                   [same_day, other, primary, early_secondary]):
        assert adjudication_order(marked) == [3, 4, 2, 1]


def test_two_payments_needing_opposite_orders_go_by_payment_date_then_id():
    a = payment(7, 5, X={PRIMARY}, Y={SECONDARY})
    b = payment(8, 4, X={SECONDARY}, Y={PRIMARY})
    assert adjudication_order([a, b]) == adjudication_order([b, a]) == [8, 7]


# -- 2. Patient Balances = Adjust ---------------------------------------------------------------


def test_adjust_writes_off_pr_when_there_is_no_next_payer_but_not_pr_moved_to_a_next_payer():
    alone = Book(claim("100.00"))
    alone.post(clp("1", "100.00", "70.00", svc("99213", "100.00", "70.00", ("CO", "45", "20.00"),
                                               ("PR", "2", "10.00"))),
               every_level(MEDICAID_RULE), payer=MEDICAID)  # fmt: skip
    assert alone.owed() == {} and alone.adjusted == D("30.00")

    crossover = Book(claim("100.00", levels=TWO_LEVELS))
    crossover.post(clp("1", "100.00", "70.00", svc("99213", "100.00", "70.00",
                                                   ("CO", "45", "20.00"), ("PR", "2", "10.00"))),
                   every_level(MEDICAID_RULE), payer=MEDICAID)  # fmt: skip
    assert crossover.owed() == {S: D("10.00")} and crossover.adjusted == D("20.00")


def test_adjust_with_keep_still_writes_off_the_pr_it_moved_to_the_patient():
    keep_adjust = RuleLevelSettings("PMCD", "AMCD", insurance_balance="keep",
                                    patient_balance="adjust", patient_adjustment_code="AMCD")
    book = Book(claim("100.00"))
    result = book.post(clp("1", "100.00", "50.00", svc("99213", "100.00", "50.00",
                                                       ("PR", "3", "5.00"))),
                       every_level(keep_adjust), payer=MEDICAID)  # fmt: skip
    assert book.owed() == {P: D("45.00")}  # Keep: the rest stays with Medicaid
    assert result.summary.patient_adjusted == D("5.00")
    assert [e.kind for e in result.entries if e.party is PT] == [EntryKind.TRANSFER,
                                                                 EntryKind.ADJUSTMENT]


# -- 3. a reversal listed after its corrected claim ---------------------------------------------


def test_a_reversal_listed_after_its_correction_still_applies_first():
    book = Book(claim("100.00"))
    book.post(clp("1", "100.00", "60.00", svc("99213", "100.00", "60.00", ("CO", "45", "20.00"),
                                              ("PR", "2", "20.00"))), era=1)  # fmt: skip
    assert book.owed() == {PT: D("20.00")}
    posting = post(book, remit(
        clp("1", "100.00", "80.00", svc("99213", "100.00", "80.00", ("CO", "45", "20.00"))),
        clp("22", "-100.00", "-60.00", svc("99213", "-100.00", "-60.00", ("CO", "45", "-20.00"),
                                           ("PR", "2", "-20.00"))),
    ))  # fmt: skip
    # The payer's final answer: paid 80 + CO-45 20. Nothing owed, nothing on the error report.
    assert book.owed() == {} and book.paid == D("80.00") and book.adjusted == D("20.00")
    assert posting.errors == []
    assert [r.outcome for r in posting.results] == [PostingOutcome.POSTED, PostingOutcome.REVERSED]


# -- 4. down-coded lines (SVC06) ----------------------------------------------------------------


def test_a_down_coded_line_is_matched_by_the_code_as_billed_only():
    # Billed 99214 then 99213; the payer paid the 99214 as 99213 (SVC06 99214) and the 99213.
    book = Book(claim("150.00", "100.00", codes=("99214", "99213")))
    down = svc("99213", "150.00", "70.00", ("CO", "45", "80.00"))
    down.original_procedure = "99214"
    result = book.post(clp("1", "250.00", "140.00", down,
                           svc("99213", "100.00", "70.00", ("CO", "45", "30.00"))))
    assert result.errors == []
    paid = {e.line: e.amount for e in result.entries if e.kind is EntryKind.PAYMENT}
    assert paid == {1: D("-70.00"), 2: D("-70.00")}
    assert book.owed() == {}


def test_with_svc06_the_paid_code_never_matches_and_svc06_modifiers_are_preferred():
    book = Book(claim("100.00", "100.00", codes=("99213", "99213")))
    only_paid_code = svc("99213", "100.00", "50.00")
    only_paid_code.original_procedure = "99215"  # billed as 99215: no such line
    result = book.post(clp("1", "200.00", "50.00", only_paid_code))
    assert [(e.message, e.procedure) for e in result.errors] == [(LINE_NOT_FOUND, "99215")]

    lines = Book(claim("100.00", "100.00", codes=("99214", "99214")))
    lines.ledger.claim.service_lines[0].modifiers = ("25",)
    lines.ledger.claim.service_lines[1].modifiers = ("59",)
    by_modifier = svc("99213", "100.00", "60.00", modifiers=("25",))
    by_modifier.original_procedure, by_modifier.original_modifiers = "99214", ("59",)
    result = lines.post(clp("1", "200.00", "60.00", by_modifier))
    assert [e.line for e in result.entries if e.kind is EntryKind.PAYMENT] == [2]


# -- 5. which posting a reversal undoes ---------------------------------------------------------


def same_payer_twice() -> Book:
    """Blue Cross is primary and secondary; it paid both levels, the secondary last."""
    book = Book(claim("100.00", levels=TWO_LEVELS))
    first = clp("1", "100.00", "60.00", svc("99213", "100.00", "60.00", ("PR", "2", "40.00")))
    first.payer_claim_control = "ICN-P"
    book.post(first, era=1)
    second = clp("2", "100.00", "30.00", svc("99213", "100.00", "30.00", ("PR", "2", "10.00")))
    second.payer_claim_control = "ICN-S"
    book.post(second, era=2)
    assert book.owed() == {PT: D("10.00")}
    return book


def test_a_reversal_undoes_the_posting_with_its_clp07_not_the_latest():
    book = same_payer_twice()
    reversal = clp("22", "-100.00", "-60.00")
    reversal.payer_claim_control = "ICN-P"
    result = book.post(reversal, era=3)
    assert result.outcome is PostingOutcome.REVERSED and result.level is PRIMARY
    # The primary's 60 paid and 40 moved are undone; the secondary's 30 stays (now a credit).
    assert book.paid == D("30.00")
    assert book.owed() == {P: D("100.00"), S: D("-40.00"), PT: D("10.00")}


def test_without_clp07_a_reversal_targets_the_level_of_its_correction():
    book = same_payer_twice()
    posting = post(book, remit(
        clp("22", "-100.00", "-60.00"),
        clp("1", "100.00", "60.00", svc("99213", "100.00", "60.00", ("PR", "2", "40.00"))),
    ), era=3, payer_levels=frozenset(TWO_LEVELS))  # fmt: skip
    reversal = posting.results[0]
    assert reversal.outcome is PostingOutcome.REVERSED and reversal.level is PRIMARY
    assert book.owed() == {PT: D("10.00")} and book.paid == D("90.00")


def test_a_clp07_whose_postings_are_all_reversed_is_an_error_not_a_fall_through():
    book = same_payer_twice()
    reversal = clp("22", "-100.00", "-30.00")
    reversal.payer_claim_control = "ICN-S"
    assert book.post(reversal, era=3).outcome is PostingOutcome.REVERSED
    again = clp("22", "-100.00", "-30.00")
    again.payer_claim_control = "ICN-S"
    result = book.post(again, era=4)
    assert result.outcome is PostingOutcome.NOT_POSTED and result.entries == []
    assert result.errors[0].kind is ErrorKind.ALREADY_REVERSED
    assert book.paid == D("60.00")  # the primary's posting still stands


def test_without_clp07_or_a_correction_a_reversal_targets_the_level_the_payer_holds():
    book = Book(claim("100.00", levels=TWO_LEVELS))
    book.post(clp("1", "100.00", "60.00", svc("99213", "100.00", "60.00", ("PR", "2", "40.00"))),
              payer=AETNA, era=1)  # fmt: skip
    book.post(clp("2", "100.00", "30.00", svc("99213", "100.00", "30.00", ("PR", "2", "10.00"))),
              payer=BCBS, era=2)  # fmt: skip
    posting = post(book, remit(clp("22", "-100.00", "-30.00")), payer=BCBS, era=3,
                   payer_levels=frozenset({SECONDARY}))  # fmt: skip
    assert posting.results[0].level is SECONDARY
    assert book.owed() == {S: D("40.00")}


# -- 6. an unbalanced CLP with claim-level CAS ---------------------------------------------------


def test_an_unbalanced_clp_posts_what_the_835_states_and_reports_only_the_difference():
    book = Book(claim("100.00", "20.00"))
    # Lines pay 60 + 10 = 70; claim CO-B4 5.00 explains 65; CLP04 is 60: 5.00 unexplained.
    result = book.post(clp("1", "120.00", "60.00",
                           svc("99213", "100.00", "60.00", ("CO", "45", "40.00")),
                           svc("87880", "20.00", "10.00", ("CO", "45", "10.00")),
                           cas=(("CO", "B4", "5.00"),)))  # fmt: skip
    assert book.paid == D("60.00")  # the money sent
    assert book.adjusted == D("55.00")  # CO-45 40 + 10 and the claim's CO-B4 5
    assert [(e.kind, e.amount) for e in result.errors] == [(ErrorKind.UNEXPLAINED, D("5.00"))]
    assert result.errors[0].message == (
        "Claim payment 60.00 (CLP04) does not equal its service lines' payments 70.00 less "
        "claim-level adjustments 5.00")
    assert book.owed() == {PT: D("5.00")}  # the unexplained 5.00 follows Transfer to next


# -- 7. lines held back keep their credit out of the posting ------------------------------------


def test_a_held_back_line_with_a_credit_does_not_shrink_what_the_matched_lines_settle():
    keep = RuleLevelSettings("PCON", "AIWO", insurance_balance="keep")
    book = Book(claim("100.00", "50.00", "30.00"))
    # An earlier payment overpaid line 2 by 10.00 (a credit on it) and left the rest (Keep).
    book.post(clp("1", "50.00", "60.00", svc("87880", "50.00", "60.00")), every_level(keep))
    assert book.ledger.line_balance(P, 2) == D("-10.00")
    # Line 1 paid 80 + CO-45 20; an SVC for a code not billed cannot be matched, so lines 2
    # and 3 are held back: line 2's credit must not eat into line 1's write-off.
    result = book.post(clp("1", "130.00", "80.00",
                           svc("99213", "100.00", "80.00", ("CO", "45", "20.00")),
                           svc("99999", "30.00", "0.00")), every_level(keep), era=2)  # fmt: skip
    assert [e.kind for e in result.errors] == [ErrorKind.LINE_NOT_FOUND]
    assert result.skipped == []
    assert book.ledger.line_balance(P, 1) == D("0.00")
    assert book.adjusted == D("20.00")


# -- 9. credits are on the error report ---------------------------------------------------------


def test_a_payment_larger_than_what_the_level_owes_is_a_credit_on_the_error_report():
    book = Book(claim("100.00"))
    posting = post(book, remit(clp("1", "100.00", "130.00", svc("99213", "100.00", "130.00"))))
    assert [(e.text, e.kind) for e in posting.errors] == [
        ("PCN1001: Credit balance with the primary: paid 30.00 more than was owed",
         ErrorKind.CREDIT)]


def test_a_negative_cas_that_explains_an_overpayment_is_not_a_credit():
    book = Book(claim("100.00"))
    posting = post(book, remit(clp("1", "100.00", "110.00",
                                   svc("99213", "100.00", "110.00", ("OA", "94", "-10.00")))))
    assert posting.errors == [] and book.owed() == {}
