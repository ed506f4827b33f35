"""CLP02 22: a reversal undoes one earlier posting of the claim, exactly (SPEC 2.3 step 2).

"This payer" is the payer the 835's Inbound ID belongs to (every entry it posts carries it as
``payer_id``). The posting to undo is chosen among this payer's standing postings of the claim
from *earlier* 835s (never one made by the same 835):

1. by CLP07, the payer claim control number: the latest standing posting with the reversal's
   CLP07. When postings with that CLP07 exist but all are reversed already, that is an
   error-report line and nothing is reversed (no falling through to another posting);
2. else by pay level: a reversal carries no level, so it targets the level this payer holds on
   the claim. When the payer holds two levels, the level of the corrected CLP that follows the
   reversal in the same 835 decides; failing that, both levels are candidates;
3. else the latest standing posting of the claim from this payer.

One reversing CLP undoes one earlier CLP: every entry of that posting not reversed yet is
negated exactly (payments, adjustments, PR moves, transfers, patient adjustments), so the
balances return to what they were before it — other postings made since stay as they are (a
secondary's payment after a reversed primary becomes a credit, which the remittance reports).
The 835's own amounts are not posted; when CLP04 differs from the negated payment, the reversal
is still made and an error-report line says so. Charges are never reversed by an 835.
"""

from __future__ import annotations

from collections.abc import Collection

from pctui.core.codes import PayerLevel
from pctui.core.era import ClaimPayment
from pctui.core.ledger import (
    ClaimLedger,
    EntryKind,
    LedgerLine,
    PostingKind,
    PostingRecord,
    ledger_totals,
    temporary_id,
)
from pctui.core.posting.results import (
    NOTHING_TO_REVERSE,
    ErrorKind,
    ErrorLine,
    PostingOutcome,
    PostingResult,
    PostingSummary,
)


def posting_to_reverse(
    ledger: ClaimLedger,
    clp: ClaimPayment,
    payer_id: int | None,
    era_id: int | None,
    payer_levels: Collection[PayerLevel] = (),
    corrected_levels: Collection[PayerLevel] = (),
) -> PostingRecord | ErrorLine:
    """The earlier posting this reversal undoes, or the error-report line saying why none."""
    claim_id = ledger.claim_id
    mine = [
        p for p in ledger.postings
        if p.kind is PostingKind.POSTED and p.payer_id == payer_id
        and (p.era_id is None or p.era_id != era_id)
    ]  # fmt: skip
    undone = ledger.reversed_ids()
    standing = [p for p in mine if p.posting_id not in undone]
    control = (clp.payer_claim_control or "").strip()
    if control:
        same = [p for p in mine if p.payer_claim_control == control]
        if same:
            live = [p for p in same if p.posting_id not in undone]
            if live:
                return live[-1]
            return ErrorLine(
                claim_id,
                f"The posting with payer claim control number {control} (CLP07) was already "
                "reversed; nothing reversed",
                amount=clp.paid, kind=ErrorKind.ALREADY_REVERSED,
            )  # fmt: skip
    levels = set(payer_levels)
    if len(levels) > 1 and levels & set(corrected_levels):
        levels &= set(corrected_levels)
    at_level = [p for p in standing if p.level in levels]
    if at_level:
        return at_level[-1]
    if standing:
        return standing[-1]
    return ErrorLine(claim_id, NOTHING_TO_REVERSE, kind=ErrorKind.NOTHING_TO_REVERSE)


def reverse(
    ledger: ClaimLedger,
    clp: ClaimPayment,
    status: str,
    payer_id: int | None,
    era_id: int | None,
    payer_levels: Collection[PayerLevel] = (),
    corrected_levels: Collection[PayerLevel] = (),
) -> PostingResult:
    target = posting_to_reverse(ledger, clp, payer_id, era_id, payer_levels, corrected_levels)
    if isinstance(target, ErrorLine):
        return PostingResult(ledger.claim_id, status, PostingOutcome.NOT_POSTED,
                             errors=[target], balances_after=ledger.balances())  # fmt: skip
    # An entry is reversed already when a reversal of it stands — not one a void has negated.
    negated = {e.reverses_id for e in ledger.entries if e.reverses_id is not None}
    already = {
        e.reverses_id for e in ledger.entries
        if e.reverses_id is not None and e.entry_id not in negated
    }  # fmt: skip
    originals = [
        e for e in ledger.entries
        if e.posting_id == target.posting_id and e.entry_id not in already
        and e.kind is not EntryKind.CHARGE
    ]  # fmt: skip
    if any(e.entry_id is None for e in originals):
        raise ValueError("stored ledger entries need their entry_id before they can be reversed")
    record = PostingRecord(
        temporary_id(), PostingKind.REVERSAL, target.level, payer_id, era_id,
        (clp.payer_claim_control or "").strip(), reverses_id=target.posting_id,
    )  # fmt: skip
    entries = [
        LedgerLine(
            EntryKind.REVERSAL, e.party, -e.amount, line=e.line, code=e.code,
            group_code=e.group_code, reason_code=e.reason_code, payer_id=payer_id,
            era_id=era_id, entry_id=temporary_id(), reverses_id=e.entry_id,
            reversed_kind=e.effective_kind, posting_id=record.posting_id,
            memo=f"Reversal of {e.effective_kind.value}" + (f" ({e.memo})" if e.memo else ""),
        )  # fmt: skip
        for e in originals
    ]
    totals = ledger_totals(entries)
    errors = []
    if clp.paid != totals.paid:  # both negative: the 835 takes back what was paid
        errors.append(ErrorLine(
            ledger.claim_id,
            f"Reversal amount {clp.paid:.2f} does not match the earlier payment "
            f"{-totals.paid:.2f}; the earlier posting was reversed in full",
            amount=clp.paid, kind=ErrorKind.REVERSAL_AMOUNT,
        ))  # fmt: skip
    after = ledger.with_entries(entries, record)
    return PostingResult(
        ledger.claim_id, status, PostingOutcome.REVERSED, target.level, entries=entries,
        errors=errors, summary=PostingSummary(paid=totals.paid, adjusted=totals.adjusted),
        balances_after=after.balances(), record=record,
    )  # fmt: skip
