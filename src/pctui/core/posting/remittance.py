"""A whole 835 payment: every CLP in posting order, credits, and the PLB record.

- **Order within one 835.** For each claim its reversals (CLP02 22) apply first, then its other
  CLPs by pay level (primary, secondary, tertiary), otherwise in file order — so a reversal
  listed after its corrected claim still undoes the old posting before the correction posts.
  Results are handed back in file order.
- **Credits.** After all of a claim's CLPs in the 835 have posted, a party whose balance is
  below zero — and lower than before this 835 — is a credit: an error-report line (SPEC 2.3
  step 9). A negative CAS that explains an overpayment leaves no credit; a reversal followed
  by its correction in the same 835 is judged by where both leave the claim.
- **PLB** is returned as it came, with its total, to be recorded against the payment.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from pctui.core.codes import Party, PayerLevel
from pctui.core.era import ClaimPayment, ProviderAdjustment, Remittance
from pctui.core.ledger import ClaimLedger, LedgerLine
from pctui.core.money import ZERO
from pctui.core.posting.claim_payment import post_claim_payment
from pctui.core.posting.results import ErrorKind, ErrorLine, PostingResult, ZeroPayment
from pctui.core.posting.settings import ClaimTerms
from pctui.core.posting.statuses import (
    DENIED,
    LEVEL_RANK,
    PAY_LEVELS,
    REVERSAL,
    normalize_status,
    pay_level,
)


@dataclass(frozen=True, slots=True)
class ProviderAdjustmentRecord:
    """PLB amounts, recorded against the payment (not a claim)."""

    adjustments: tuple[ProviderAdjustment, ...]
    total: Decimal  # positive reduces the payment
    claims_paid: Decimal  # sum of CLP04
    payment_amount: Decimal  # BPR02


def record_provider_adjustments(remittance: Remittance) -> ProviderAdjustmentRecord:
    return ProviderAdjustmentRecord(
        tuple(remittance.provider_adjustments),
        remittance.provider_adjustment_total,
        remittance.claims_paid_total,
        remittance.amount,
    )


@dataclass(slots=True)
class RemittancePosting:
    """Everything one 835 payment posts: per-CLP results, PLB, and the claims' new ledgers."""

    results: list[PostingResult]
    provider_adjustments: ProviderAdjustmentRecord
    ledgers: dict[str, ClaimLedger]

    @property
    def errors(self) -> list[ErrorLine]:
        return [line for r in self.results for line in r.errors]

    @property
    def zero_payments(self) -> list[ZeroPayment]:
        return [r.zero_payment for r in self.results if r.zero_payment is not None]

    @property
    def claims_posted(self) -> int:
        """Claim payments that changed a ledger (posted or reversed)."""
        return sum(1 for r in self.results if r.posted)

    def entries_by_claim(self) -> dict[str, list[LedgerLine]]:
        grouped: dict[str, list[LedgerLine]] = {}
        for result in self.results:
            if result.entries:
                grouped.setdefault(result.claim_id, []).extend(result.entries)
        return grouped


def _rank(clp: ClaimPayment) -> int:
    status = normalize_status(clp.status_code)
    if status == REVERSAL:
        return 0
    level = PAY_LEVELS.get(status)
    return 1 + LEVEL_RANK[level] if level is not None else 1


def posting_order(claim_payments: Sequence[ClaimPayment]) -> list[int]:
    """Positions of an 835's CLPs in the order they post (module notes). Claims never affect
    each other, so one stable sort by kind (reversal, then level) orders every claim's CLPs."""
    return sorted(range(len(claim_payments)), key=lambda i: _rank(claim_payments[i]))


def post_remittance(
    remittance: Remittance,
    ledgers: Mapping[str, ClaimLedger],
    terms: Mapping[str, ClaimTerms],
    *,
    payer_id: int | None,
    era_id: int | None,
    only: Collection[int] | None = None,
) -> RemittancePosting:
    """Post the CLPs of one 835 (``only``: just those positions, for rework) in posting order.

    ``ledgers`` and ``terms`` are keyed by claim id (CLM01); a claim id missing from
    ``ledgers`` is "Patient account was not found". A claim paid twice sees its first posting.
    """
    clps = remittance.claims
    order = [i for i in posting_order(clps) if only is None or i in only]
    split = paid_again_later([clps[i] for i in order])
    corrected: dict[str, set[PayerLevel]] = {}
    for i in order:
        level = pay_level(clps[i].status_code)
        if level is not None:
            corrected.setdefault(clps[i].patient_control_number.strip(), set()).add(level)
    current = dict(ledgers)
    before: dict[str, dict[Party, Decimal]] = {}
    results: list[PostingResult] = []
    for position, index in enumerate(order):
        clp = clps[index]
        claim_id = clp.patient_control_number.strip()
        ledger = current.get(claim_id)
        claim_terms = terms.get(claim_id) or ClaimTerms()
        if ledger is not None and claim_id not in before:
            before[claim_id] = ledger.balances()
        result = post_claim_payment(
            ledger, clp, claim_terms.rules, payer_id=payer_id, era_id=era_id,
            settle=position not in split, payer_levels=claim_terms.payer_levels,
            corrected_levels=corrected.get(claim_id, ()),
        )  # fmt: skip
        result.clp_index = index
        if ledger is not None and (result.entries or result.record is not None):
            current[claim_id] = ledger.with_entries(result.entries, result.record)
        results.append(result)
    _report_credits(results, before, current)
    results.sort(key=lambda r: r.clp_index or 0)
    return RemittancePosting(results, record_provider_adjustments(remittance), current)


def _report_credits(
    results: list[PostingResult],
    before: Mapping[str, dict[Party, Decimal]],
    after: Mapping[str, ClaimLedger],
) -> None:
    """A balance below zero that this 835 made: an error-report line on the claim's last
    posting in it."""
    last: dict[str, PostingResult] = {}
    for result in results:
        if result.entries:
            last[result.claim_id] = result
    for claim_id, result in last.items():
        balances = after[claim_id].balances()
        for party, owed in balances.items():
            was = before[claim_id].get(party, ZERO)
            if owed < 0 and owed < was:
                result.errors.append(ErrorLine(
                    claim_id,
                    f"Credit balance with the {party.value}: paid {-owed:.2f} more than was "
                    "owed",
                    kind=ErrorKind.CREDIT,
                ))  # fmt: skip


def paid_again_later(claim_payments: Sequence[ClaimPayment]) -> set[int]:
    """Positions of the CLPs that leave the remainder (step 7) alone because the same 835 pays
    their claim again (a split claim): only the last CLP at a level settles it, and none does
    when a CLP of the 835 denies part of the claim, so a line the payer pays or denies in
    another CLP is never transferred as if it were unpaid."""
    denied = {
        c.patient_control_number.strip()
        for c in claim_payments
        if normalize_status(c.status_code) == DENIED
    }
    later: set[int] = set()
    seen: set[tuple[str, PayerLevel]] = set()
    for index in range(len(claim_payments) - 1, -1, -1):
        clp = claim_payments[index]
        claim_id, level = clp.patient_control_number.strip(), pay_level(clp.status_code)
        if level is None:
            continue
        if (claim_id, level) in seen or claim_id in denied:
            later.add(index)
        seen.add((claim_id, level))
    return later


def claims_in(remittance: Remittance) -> Sequence[str]:
    """The claim ids (CLP01) an 835 pays, each once, in file order."""
    return list(dict.fromkeys(c.patient_control_number.strip() for c in remittance.claims))
