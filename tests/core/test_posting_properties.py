"""Whatever 835s arrive, every claim keeps charge = payments + adjustments + balances, to the cent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pctui.core.claim import Claim, ClaimPayerRef, ServiceLine
from pctui.core.codes import Party, PayerLevel
from pctui.core.era import Adjustment, ClaimPayment, ServicePayment
from pctui.core.ledger import ClaimLedger, EntryKind, LedgerLine, opening_charges
from pctui.core.money import CENT, ZERO, from_cents
from pctui.core.posting import (
    CarcExclusions,
    PostingResult,
    RuleLevelSettings,
    post_claim_payment,
)

DOS = date(2026, 5, 4)
CODES = ("99213", "99214", "87880", "90471", "36415")
GROUPS = ("PR", "CO", "OA", "PI", "CR")
CARCS = ("1", "2", "3", "23", "45", "50", "94", "97")


def money(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(from_cents)


@st.composite
def claims(draw: st.DrawFn) -> ClaimLedger:
    charges = draw(st.lists(money(1, 300_000), min_size=1, max_size=5))
    lines = [
        ServiceLine(n, CODES[n - 1], charge=c, units=Decimal(draw(st.sampled_from([1, 1, 2]))),
                    service_date=DOS + timedelta(days=draw(st.integers(0, 1))),
                    control_number=draw(st.sampled_from([f"C{n}", None])))  # fmt: skip
        for n, c in enumerate(charges, start=1)
    ]
    extra = draw(st.sampled_from([ZERO, ZERO, ZERO, Decimal("12.34")]))
    levels = [PayerLevel.PRIMARY, *draw(st.sets(st.sampled_from(PayerLevel)))]
    model = Claim("PCN1", sum(charges, ZERO) + extra, "DOE, JO", lines,
                  {lvl: ClaimPayerRef(lvl.value) for lvl in levels}, DOS)  # fmt: skip
    entries = [
        LedgerLine(e.kind, e.party, e.amount, line=e.line, entry_id=i)
        for i, e in enumerate(opening_charges(model), start=1)
    ]
    return ClaimLedger(model, entries)


@st.composite
def rule_levels(draw: st.DrawFn) -> RuleLevelSettings:
    adjust = draw(st.booleans())
    return RuleLevelSettings(
        "PCON", "AIWO",
        insurance_adjustments=draw(st.sampled_from(["post", "post", "skip"])),
        insurance_balance=draw(st.sampled_from(["transfer", "transfer", "keep"])),
        patient_balance="adjust" if adjust else "keep",
        patient_adjustment_code="APAT" if adjust else None,
        exclusions=CarcExclusions.of(draw(st.sets(st.sampled_from(
            [("CO", "50"), ("", "97"), ("OA", "23"), ("PI", "45")])))),
    )  # fmt: skip


def cas_lists(max_size: int = 3) -> st.SearchStrategy[list[Adjustment]]:
    adjustment = st.builds(
        Adjustment, st.sampled_from(GROUPS), st.sampled_from(CARCS),
        st.one_of(money(1, 200_000), money(-5_000, -1), st.just(ZERO)),
    )  # fmt: skip
    return st.lists(adjustment, max_size=max_size)


@st.composite
def service_payments(draw: st.DrawFn, ledger: ClaimLedger) -> list[ServicePayment]:
    """SVCs for some of the claim's lines, some pointing at nothing (unmatched)."""
    chosen = draw(st.lists(st.sampled_from(ledger.lines), max_size=len(ledger.lines) + 1))
    result = []
    for line in chosen:
        astray = draw(st.integers(0, 9)) == 0
        result.append(ServicePayment(
            "00000" if astray else line.procedure,
            charge=line.charge,
            paid=draw(st.one_of(money(0, 400_000), st.just(ZERO))),
            units=line.units,
            service_date=line.service_date,
            control_number=None if astray else draw(st.sampled_from([line.control_number, None])),
            adjustments=draw(cas_lists()),
        ))  # fmt: skip
    return result


@st.composite
def claim_payments(draw: st.DrawFn, ledger: ClaimLedger) -> ClaimPayment:
    status = draw(st.sampled_from(["1", "1", "2", "2", "3", "19", "20", "4", "22", "22", "23"]))
    lines = draw(st.one_of(st.just([]), service_payments(ledger)))
    if lines:
        paid = sum((s.paid for s in lines), ZERO)
    else:
        paid = draw(money(-100_000, 400_000))
    return ClaimPayment(ledger.claim_id, status, ledger.claim.charge, paid,
                        adjustments=draw(cas_lists(2)), service_lines=lines)  # fmt: skip


@dataclass
class Step:
    payment: ClaimPayment
    payer_id: int


def assert_books_balance(ledger: ClaimLedger) -> None:
    totals = ledger.totals()
    assert totals.charge == ledger.claim.charge  # no charge is ever posted by an 835
    assert totals.charge == totals.paid + totals.adjusted + totals.balance
    # Transfers only move balance between parties: together they add up to nothing.
    transfers = [e.amount for e in ledger.entries if e.effective_kind is EntryKind.TRANSFER]
    assert sum(transfers, ZERO) == ZERO
    for entry in ledger.entries:
        assert entry.amount == entry.amount.quantize(CENT)
    # Nobody owes anything on a level the claim does not have.
    for level in PayerLevel:
        if not ledger.has_level(level):
            assert totals.balances[Party(level.value)] == ZERO


def store(ledger: ClaimLedger, result: PostingResult) -> ClaimLedger:
    """As the store keeps it: the entries (the engine has numbered them) and the posting."""
    return ledger.with_entries(result.entries, result.record)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), ledger=claims(), rules=st.fixed_dictionaries(
    {level: rule_levels() for level in PayerLevel}))  # fmt: skip
def test_any_sequence_of_835s_keeps_every_claim_balanced(data, ledger, rules):
    assert_books_balance(ledger)
    for era_id in range(1, data.draw(st.integers(1, 6)) + 1):
        payment = data.draw(claim_payments(ledger))
        payer_id = data.draw(st.sampled_from([1, 1, 2]))
        before = ledger.totals()
        result = post_claim_payment(ledger, payment, rules, payer_id=payer_id, era_id=era_id)
        event(f"outcome: {result.outcome.value}")
        event(f"moved on: {bool(result.summary.transferred or result.summary.patient_responsibility)}")
        ledger = store(ledger, result)
        assert_books_balance(ledger)
        after = ledger.totals()
        # What the parties owe changed by exactly what was paid and adjusted.
        assert after.balance - before.balance == -(after.paid - before.paid) - (
            after.adjusted - before.adjusted
        )
        assert result.balances_after == after.balances
        if payment.status_code == "4":
            assert result.entries == []


@settings(max_examples=120, deadline=None)
@given(data=st.data(), ledger=claims(), rules=st.fixed_dictionaries(
    {level: rule_levels() for level in PayerLevel}))  # fmt: skip
def test_a_reversal_puts_every_balance_back_where_it_was(data, ledger, rules):
    payment = data.draw(claim_payments(ledger))
    payment.status_code = data.draw(st.sampled_from(["1", "2", "3"]))
    before = ledger.totals()
    posted = post_claim_payment(ledger, payment, rules, payer_id=1, era_id=1)
    ledger = store(ledger, posted)
    reversal = ClaimPayment(ledger.claim_id, "22", -payment.charge, -payment.paid)
    undone = post_claim_payment(ledger, reversal, rules, payer_id=1, era_id=2)
    ledger = store(ledger, undone)
    assert_books_balance(ledger)
    assert ledger.totals() == before
    assert len(undone.entries) == len(posted.entries)
