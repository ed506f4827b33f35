"""The claim status ladder (SPEC 6): from import to paid, and what moves a claim up or back.

::

    ready ──(edits fail)──> held ──(corrected, edits pass)──> ready
    ready ──(file sent)──> submitted ──(TA1/999 pass)──> acknowledged ──(277CA A1/A2)──> accepted
    submitted / acknowledged / accepted ──(TA1 R, 999 R, 277CA A3-A8)──> rejected
    rejected ──(corrected, edits pass)──> ready        (resubmitted as a new original claim)
    any ──(a released 835)──> paid / partially_paid / denied

Decisions where the spec is silent:

- A claim is *ready* when imported; the edits run when the biller checks or submits, so a
  ready claim may still be held at submission.
- An acknowledgment never moves a claim back down the ladder: a late 999 for a claim the
  277CA already accepted is recorded but leaves it accepted; a rejection after payment is
  recorded on the submission only.
- From an 835 (the claim's CLP): CLP02 4 is *denied*; nothing paid and nothing left to the
  patient is *denied*; nothing paid but a patient share (a deductible) is *paid* — the payer
  finished with it; something paid while a billed line got nothing is *partially paid*;
  otherwise *paid*. A reversal (CLP02 22) puts the claim back to *accepted*, awaiting the
  corrected payment.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum

from pctui.core.acknowledgment import AckVerdict
from pctui.core.money import ZERO


class ClaimStatus(StrEnum):
    READY = "ready"
    HELD = "held"
    SUBMITTED = "submitted"
    ACKNOWLEDGED = "acknowledged"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"
    DENIED = "denied"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def rank(self) -> int:
        """How far along the ladder: acknowledgments only ever move a claim up."""
        return _RANK[self]


_LABELS = {
    ClaimStatus.READY: "Ready to submit",
    ClaimStatus.HELD: "Held by edits",
    ClaimStatus.SUBMITTED: "Submitted",
    ClaimStatus.ACKNOWLEDGED: "Acknowledged",
    ClaimStatus.ACCEPTED: "Accepted",
    ClaimStatus.REJECTED: "Rejected",
    ClaimStatus.PAID: "Paid",
    ClaimStatus.PARTIALLY_PAID: "Partially paid",
    ClaimStatus.DENIED: "Denied",
}
_RANK = {
    ClaimStatus.READY: 0, ClaimStatus.HELD: 0, ClaimStatus.REJECTED: 0,
    ClaimStatus.SUBMITTED: 1, ClaimStatus.ACKNOWLEDGED: 2, ClaimStatus.ACCEPTED: 3,
    ClaimStatus.PAID: 4, ClaimStatus.PARTIALLY_PAID: 4, ClaimStatus.DENIED: 4,
}  # fmt: skip

# Claims the biller may check, correct and (re)submit.
OPEN = frozenset({ClaimStatus.READY, ClaimStatus.HELD, ClaimStatus.REJECTED})
# Claims out with the payer, waiting for an acknowledgment.
AWAITING = frozenset({ClaimStatus.SUBMITTED, ClaimStatus.ACKNOWLEDGED, ClaimStatus.ACCEPTED})
# The queue's groups, in the order a biller works them.
QUEUE_ORDER = (
    ClaimStatus.HELD, ClaimStatus.REJECTED, ClaimStatus.READY, ClaimStatus.SUBMITTED,
    ClaimStatus.ACKNOWLEDGED, ClaimStatus.ACCEPTED, ClaimStatus.PARTIALLY_PAID,
    ClaimStatus.DENIED, ClaimStatus.PAID,
)  # fmt: skip


def after_check(current: ClaimStatus, holds: bool) -> ClaimStatus:
    """An open claim after its edits ran: held when any hold-severity edit failed."""
    if current not in OPEN:
        return current
    if holds:
        return ClaimStatus.HELD
    return ClaimStatus.READY if current is ClaimStatus.HELD else current


def after_correction(current: ClaimStatus) -> ClaimStatus:
    """A corrected claim is checked again from ready (a rejected one is sent anew)."""
    return ClaimStatus.READY if current in OPEN else current


def after_acknowledgment(current: ClaimStatus, verdict: AckVerdict, *, claim_level: bool
                         ) -> ClaimStatus | None:  # fmt: skip
    """The status an acknowledgment gives a claim, or None when it changes nothing.

    ``claim_level`` is True for a 277CA (a verdict on the claim itself), False for a TA1 or
    999 (a verdict on the file or transaction set the claim was in).
    """
    if current not in AWAITING:
        return None
    if verdict is AckVerdict.REJECTED:
        return ClaimStatus.REJECTED
    if claim_level and verdict is AckVerdict.ACCEPTED:
        return ClaimStatus.ACCEPTED if current.rank < ClaimStatus.ACCEPTED.rank else None
    if not claim_level and verdict.passed and current is ClaimStatus.SUBMITTED:
        return ClaimStatus.ACKNOWLEDGED
    return None


def after_payment(status_code: str, paid: Decimal, patient_share: Decimal | None,
                  lines: Iterable[tuple[Decimal, Decimal]]) -> ClaimStatus:  # fmt: skip
    """The status a released 835 CLP gives its claim; ``lines`` are (charge, paid) of SVCs."""
    code = status_code.strip()
    if code == "22":
        return ClaimStatus.ACCEPTED
    if code == "4":
        return ClaimStatus.DENIED
    if paid <= ZERO:
        return ClaimStatus.PAID if (patient_share or ZERO) > ZERO else ClaimStatus.DENIED
    if any(charge > ZERO and line_paid <= ZERO for charge, line_paid in lines):
        return ClaimStatus.PARTIALLY_PAID
    return ClaimStatus.PAID


def payment_reason(status: ClaimStatus, check: str, charge: Decimal, paid: Decimal,
                   patient: Decimal | None) -> str:  # fmt: skip
    """Why a released 835 gave a claim ``status``: the check, paid of charged, the patient's
    share."""
    share = f"; patient responsibility {patient:.2f}" if patient else ""
    if status is ClaimStatus.ACCEPTED:
        return f"835 {check}: the payer reversed its payment"
    return f"835 {check}: paid {paid:.2f} of {charge:.2f}{share}"
