"""One claim payment (CLP) onto its claim: SPEC 2.3 steps 1-3 decide whether and how it posts.

Checks, in order: claim found → (denial, reversal) → a posting status → payer at that level →
held → rule. Then :class:`~pctui.core.posting.adjustments.LevelPosting` posts it.

- **Denials and zero payments.** CLP02 4 posts nothing and goes on the zero-payment list with
  its claim and line CAS codes and remarks; the claim's history remembers that this payer denied
  at its level (so a later level's hold can say "denied"). A CLP that pays 0.00 under status
  1-3/19-21 is posted normally (its adjustments and PR still move) and is also on the
  zero-payment list — unless it is held.
- **Held.** A secondary or tertiary CLP whose claim has no standing posting at an earlier level
  it has insurance at (none yet, only a denial, or reversed and not posted again) posts
  nothing; its error-report line says which level and why, and it can be reworked once that
  level is posted.
- **Other statuses** (23, 25, ...) get an error-report line naming the status; nothing posted.
  So does a pay level the claim has no payer for, or one without rule settings.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from pctui.core.codes import PayerLevel
from pctui.core.era import ClaimPayment
from pctui.core.ledger import ClaimLedger, LevelState, PostingKind, PostingRecord, temporary_id
from pctui.core.posting.adjustments import LevelPosting, zero_payment
from pctui.core.posting.results import (
    PATIENT_ACCOUNT_NOT_FOUND,
    ErrorKind,
    ErrorLine,
    PostingOutcome,
    PostingResult,
)
from pctui.core.posting.reversals import reverse
from pctui.core.posting.settings import NoRule, RuleLevelSettings
from pctui.core.posting.statuses import (
    DENIED,
    LEVEL_RANK,
    PAY_LEVELS,
    REVERSAL,
    STATUS_NAMES,
    normalize_status,
)

_WHY_NOT_POSTED = {
    LevelState.NONE: "has not been posted",
    LevelState.DENIED: "has not been posted (it was denied)",
    LevelState.REVERSED: "has not been posted (it was reversed)",
}


def post_claim_payment(
    ledger: ClaimLedger | None,
    clp: ClaimPayment,
    rules: Mapping[PayerLevel, RuleLevelSettings | NoRule],
    *,
    payer_id: int | None,
    era_id: int | None,
    settle: bool = True,
    payer_levels: Collection[PayerLevel] = (),
    corrected_levels: Collection[PayerLevel] = (),
) -> PostingResult:
    """Post one CLP onto its claim (``None``: CLP01 matched no claim) per SPEC 2.3.

    ``settle`` False: a later CLP of this 835 pays the same claim at the same level (a split
    claim), so this one leaves step 7 (the remainder) to it. ``payer_levels``: the levels the
    835's payer holds on the claim; ``corrected_levels``: the levels of this 835's other CLPs for
    the claim (both steer a reversal, see :mod:`pctui.core.posting.reversals`).
    """
    claim_id = clp.patient_control_number.strip()
    status = normalize_status(clp.status_code)
    if ledger is None:
        return PostingResult(
            claim_id, status, PostingOutcome.NOT_FOUND,
            errors=[ErrorLine(claim_id, PATIENT_ACCOUNT_NOT_FOUND, amount=clp.paid,
                              kind=ErrorKind.NOT_FOUND)],
        )  # fmt: skip
    if status == DENIED:
        return _denied(ledger, clp, status, payer_id, era_id, payer_levels)
    if status == REVERSAL:
        return reverse(ledger, clp, status, payer_id, era_id, payer_levels, corrected_levels)
    level = PAY_LEVELS.get(status)
    if level is None:
        name = STATUS_NAMES.get(status, "not a posting status")
        return _not_posted(ledger, clp, status, None,
                           f"Claim status {status} ({name}) is not posted", ErrorKind.STATUS,
                           amount=False)  # fmt: skip
    if not ledger.has_level(level):
        return _not_posted(
            ledger, clp, status, level,
            f"The claim has no {level.value} insurance to post this {level.value} payment to",
            ErrorKind.NO_INSURANCE, amount=False,
        )  # fmt: skip
    held = hold_reason(ledger, level)
    if held is not None:
        return _not_posted(ledger, clp, status, level, held, ErrorKind.HELD,
                           outcome=PostingOutcome.HELD)  # fmt: skip
    settings = rules.get(level)
    if not isinstance(settings, RuleLevelSettings):
        message = settings.message if isinstance(settings, NoRule) else (
            f"No payer rule settings for the claim's {level.value} insurance")
        return _not_posted(ledger, clp, status, level, message, ErrorKind.NO_RULE)
    return LevelPosting(ledger, clp, level, settings, payer_id, era_id).run(status, settle)


def hold_reason(ledger: ClaimLedger, level: PayerLevel) -> str | None:
    """Why a CLP at ``level`` is held: an earlier level the claim has insurance at has no
    standing posting. None: every earlier level is posted."""
    for earlier in PayerLevel:
        if LEVEL_RANK[earlier] >= LEVEL_RANK[level]:
            return None
        if not ledger.has_level(earlier):
            continue
        state = ledger.level_state(earlier)
        if state is not LevelState.POSTED:
            return f"Held: the {earlier.value} payment for this claim {_WHY_NOT_POSTED[state]}"
    return None


def _not_posted(
    ledger: ClaimLedger,
    clp: ClaimPayment,
    status: str,
    level: PayerLevel | None,
    message: str,
    kind: ErrorKind,
    *,
    outcome: PostingOutcome = PostingOutcome.NOT_POSTED,
    amount: bool = True,
) -> PostingResult:
    error = ErrorLine(ledger.claim_id, message, amount=clp.paid if amount else None, kind=kind)
    return PostingResult(ledger.claim_id, status, outcome, level, errors=[error],
                         balances_after=ledger.balances())  # fmt: skip


def _denied(
    ledger: ClaimLedger,
    clp: ClaimPayment,
    status: str,
    payer_id: int | None,
    era_id: int | None,
    payer_levels: Collection[PayerLevel],
) -> PostingResult:
    level = _denied_level(ledger, payer_levels)
    record = PostingRecord(temporary_id(), PostingKind.DENIED, level, payer_id, era_id,
                           (clp.payer_claim_control or "").strip())  # fmt: skip
    return PostingResult(
        ledger.claim_id, status, PostingOutcome.DENIED, level,
        zero_payment=zero_payment(ledger.claim_id, clp, status, denied=True),
        balances_after=ledger.balances(), record=record,
    )  # fmt: skip


def _denied_level(ledger: ClaimLedger, payer_levels: Collection[PayerLevel]) -> PayerLevel | None:
    """A denial carries no level: the first level this payer holds (when not known: any level
    of the claim) that is not posted yet."""
    held = [level for level in PayerLevel
            if (level in payer_levels or not payer_levels) and ledger.has_level(level)]
    for level in held:
        if ledger.level_state(level) is not LevelState.POSTED:
            return level
    return held[0] if held else None
