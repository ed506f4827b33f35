"""What posting one claim payment hands back: entries, error-report lines, the zero-payment list,
what was not posted and why, and a summary in the biller's terms."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from pctui.core.codes import Party, PayerLevel
from pctui.core.ledger import LedgerLine, PostingRecord
from pctui.core.money import ZERO

PATIENT_ACCOUNT_NOT_FOUND = "Patient account was not found"
LINE_NOT_FOUND = "Account, Date of Service, CPT code, and units combination was not found"
NOTHING_TO_REVERSE = "No earlier posting of this claim from this payer was found to reverse"


class PostingOutcome(StrEnum):
    POSTED = "posted"
    DENIED = "denied"
    REVERSED = "reversed"
    HELD = "held"  # a later level whose earlier level has not been posted
    NOT_FOUND = "not_found"
    NOT_POSTED = "not_posted"

    @property
    def touched_the_claim(self) -> bool:
        """The CLP was answered on the claim (posted, reversed or denied): not to be reworked."""
        return self in (PostingOutcome.POSTED, PostingOutcome.REVERSED, PostingOutcome.DENIED)


class ErrorKind(StrEnum):
    """Why an error-report line exists; the kinds whose whole CLP was not posted can be reworked
    once their cause is fixed (SPEC 2.4)."""

    NOT_FOUND = "not_found"  # CLP01 matched no claim
    NO_INSURANCE = "no_insurance"  # the claim has no payer at the CLP's level
    HELD = "held"  # the earlier level has not been posted
    NO_RULE = "no_rule"  # no payer rule for the claim's payer at that level
    STATUS = "status"  # a CLP02 that is not posted (23, 25, ...)
    NOTHING_TO_REVERSE = "nothing_to_reverse"
    ALREADY_REVERSED = "already_reversed"
    REVERSAL_AMOUNT = "reversal_amount"
    LINE_NOT_FOUND = "line_not_found"
    EXCLUDED = "excluded"  # an active excluded CARC override
    UNEXPLAINED = "unexplained"  # CLP04 its lines and claim adjustments do not explain
    CREDIT = "credit"  # a balance below zero after the payment


class SkipReason(StrEnum):
    RULE_SKIP = "skipped by the payer rule"
    EXCLUDED = "excluded by a CARC override"
    OVER_BALANCE = "more than the balance"


def _plain(units: Decimal | None) -> str:
    return format(units.normalize(), "f") if units is not None else ""


@dataclass(frozen=True, slots=True)
class ErrorLine:
    """One line of the release error report: money that did not land where the 835 says."""

    claim_id: str
    message: str
    service_date: date | None = None
    procedure: str | None = None
    units: Decimal | None = None
    amount: Decimal | None = None
    kind: ErrorKind = ErrorKind.STATUS

    @property
    def text(self) -> str:
        details = [
            str(self.service_date) if self.service_date else "",
            self.procedure or "",
            f"units {_plain(self.units)}" if self.units is not None else "",
            f"amount {self.amount:.2f}" if self.amount is not None else "",
        ]
        where = ", ".join(d for d in details if d)
        return f"{self.claim_id}: {self.message}" + (f" ({where})" if where else "")

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class SkippedAdjustment:
    """A CAS amount (or the part of one) that was not posted, and why."""

    group: str
    reason: str
    amount: Decimal  # the part not posted
    line: int | None
    why: SkipReason

    @property
    def code(self) -> str:
        return f"{self.group}-{self.reason}"


@dataclass(frozen=True, slots=True)
class ZeroPayment:
    """A denied or zero-paid claim, with the reason codes a biller works the denial from."""

    claim_id: str
    status_code: str
    denied: bool
    charge: Decimal
    reason_codes: tuple[str, ...]  # "CO-50", claim CAS then line CAS, each once
    remarks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PostingSummary:
    """What one CLP did to its claim, in the biller's terms."""

    paid: Decimal = ZERO
    adjusted: Decimal = ZERO  # insurance and patient adjustments posted, net
    patient_responsibility: Decimal = ZERO  # PR moved to the next party
    patient_responsibility_to: Party | None = None
    transferred: Decimal = ZERO  # the remainder moved by Transfer to next
    transferred_to: Party | None = None
    patient_adjusted: Decimal = ZERO  # part of ``adjusted``: Patient Balances = Adjust
    credit: Decimal = ZERO  # the paying level's balance below zero afterwards


@dataclass(slots=True)
class PostingResult:
    claim_id: str
    status_code: str
    outcome: PostingOutcome
    level: PayerLevel | None = None
    entries: list[LedgerLine] = field(default_factory=list)
    errors: list[ErrorLine] = field(default_factory=list)
    skipped: list[SkippedAdjustment] = field(default_factory=list)
    zero_payment: ZeroPayment | None = None
    summary: PostingSummary = field(default_factory=PostingSummary)
    balances_after: dict[Party, Decimal] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    record: PostingRecord | None = None  # what the claim's history keeps (None: not posted)
    clp_index: int | None = None  # the CLP's position in its 835

    @property
    def posted(self) -> bool:
        return bool(self.entries)
