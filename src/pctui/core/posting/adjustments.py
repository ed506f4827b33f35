"""SPEC 2.3 steps 4-7 for one CLP at one payer level: payments, adjustments (CAS), PR and what
remains of the paying level's balance.

- **Payments.** Each matched line's SVC03 is posted on its line with the rule's Payment Code.
  With service lines, a CLP04 that differs from ΣSVC03 gets a payment correction on the claim
  itself, so the claim's paid total is CLP04, the money sent; claim-level CAS beside lines
  explain that difference (835 balancing: CLP04 = ΣSVC03 − claim CAS) and are posted as
  adjustments. Whatever CLP04 differs from ΣSVC03 − claim CAS is unexplained: an error-report
  line with that amount, and it stays in the level's balance. Without service lines CLP04 is
  posted on the claim.
- **PR** (patient responsibility) moves to the *next party*: the next payer on the claim after
  the paying level, or the patient when there is none. It moves whatever Insurance Balances
  says (Keep applies to the remainder only) and excluded CARCs do not apply to it (an override
  excludes adjustments). It is never posted as an insurance adjustment.
- **Amounts larger than what the level owes.** The payment is always posted in full (a payment
  larger than the balance leaves a credit, which the remittance reports). Adjustments and PR are
  posted only up to what the level still owes after the payment: a secondary's 835 repeats the
  primary's adjudication (OA-23, CO-45 already written off), and writing it off twice would
  invent a credit. A line's CAS is also held to what the level owes on that line (plus any part
  of its balance booked on the claim itself), so one line's repeated OA-23 never writes off
  another line's balance. Negative CAS amounts (they add to the balance) are applied first, then
  PR, then CO, PI, CR, OA; whatever could not be posted is listed in ``skipped`` ("more than the
  balance"), not on the error report.
- **Skipped adjustments.** Insurance Adjustments = Skip, or an active excluded CARC override,
  leave the amount unposted, so it stays in the level's balance and follows Insurance Balances
  (Transfer moves it on — out-of-network balance billing). Each is listed in ``skipped``; an
  excluded one also gets the error-report line "CO-50 adjustment excluded". An override without
  a group excludes the CARC in every group.
- **An unmatched service line** gets the error-report line; its payment and adjustments are not
  posted. The claim lines no SVC matched are left out of step 7 entirely — their balance and any
  credit on them — because one of them is the line that needs manual posting. When every SVC
  matched, the paying level's whole claim balance is settled.
- **Step 7.** Transfer to next moves what the level still owes to the next party (line by line,
  each line's positive balance in line order, the rest on the claim); Keep leaves it.
- **Patient Balances = Adjust.** Whatever this posting moves to the patient — PR when there is
  no next payer, and the remainder Transfer to next moves to the patient — is written off at
  once with the level's patient Adjustment Code (Medicaid may not bill the patient). PR moved to
  a next payer is not the patient's yet and is not adjusted.
- **Split claims.** When one 835 has several CLPs for the same claim at the same level, each
  posts its own lines and only the last settles the remainder; when one of its CLPs denies part
  of the claim (CLP02 4), none does, so a denied line stays with the payer.
- **Zero amounts** make no entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pctui.core.claim import ServiceLine
from pctui.core.codes import (
    InsuranceAdjustments,
    InsuranceBalance,
    Party,
    PatientBalance,
    PayerLevel,
)
from pctui.core.era import Adjustment, ClaimPayment, ServicePayment
from pctui.core.ledger import (
    ClaimLedger,
    EntryKind,
    LedgerLine,
    PostingKind,
    PostingRecord,
    ledger_totals,
    party_of,
    temporary_id,
)
from pctui.core.money import ZERO
from pctui.core.posting.line_matching import (
    billed_procedure,
    billed_units,
    match_service_lines,
    norm,
)
from pctui.core.posting.results import (
    LINE_NOT_FOUND,
    ErrorKind,
    ErrorLine,
    PostingOutcome,
    PostingResult,
    PostingSummary,
    SkippedAdjustment,
    SkipReason,
    ZeroPayment,
)
from pctui.core.posting.settings import RuleLevelSettings

PATIENT_RESPONSIBILITY = "PR"
# Order in which positive CAS amounts get what the level still owes (see the module notes).
_GROUP_ORDER = {"PR": 0, "CO": 1, "PI": 2, "CR": 3, "OA": 4}


def reason_codes(clp: ClaimPayment) -> tuple[str, ...]:
    cas = [*clp.adjustments, *(a for svc in clp.service_lines for a in svc.adjustments)]
    return tuple(dict.fromkeys(f"{a.group.strip().upper()}-{a.reason.strip()}" for a in cas))


def remarks(clp: ClaimPayment) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*clp.remarks, *(r for s in clp.service_lines for r in s.remarks)]))


def zero_payment(claim_id: str, clp: ClaimPayment, status: str, denied: bool) -> ZeroPayment:
    return ZeroPayment(claim_id, status, denied, clp.charge, reason_codes(clp), remarks(clp))


@dataclass(slots=True)
class _Cas:
    adjustment: Adjustment
    line: int | None
    procedure: str | None
    service_date: date | None
    group: str = ""
    reason: str = ""

    def __post_init__(self) -> None:
        self.group = norm(self.adjustment.group)
        self.reason = self.adjustment.reason.strip()


class LevelPosting:
    """Steps 4-7 of SPEC 2.3 for one CLP at one payer level."""

    def __init__(
        self,
        ledger: ClaimLedger,
        clp: ClaimPayment,
        level: PayerLevel,
        settings: RuleLevelSettings,
        payer_id: int | None,
        era_id: int | None,
    ) -> None:
        self.ledger = ledger
        self.clp = clp
        self.level = level
        self.party = party_of(level)
        self.next_party = ledger.next_party(level)
        self.settings = settings
        self.payer_id = payer_id
        self.era_id = era_id
        self.posting_id = temporary_id()
        self.entries: list[LedgerLine] = []
        self.errors: list[ErrorLine] = []
        self.skipped: list[SkippedAdjustment] = []
        self.owed = ZERO  # what the paying level still owes on the lines being settled
        # What the paying level owes on each line (None: booked on the claim itself).
        self.line_owed: dict[int | None, Decimal] = {}

    @property
    def _adjusts_patient(self) -> bool:
        return self.settings.patient_balance is PatientBalance.ADJUST

    def run(self, status: str, settle: bool = True) -> PostingResult:
        matched, unmatched = match_service_lines(self.ledger, self.clp)
        booked = self.ledger.line_balances(self.party)
        self.line_owed = {
            line: booked.get(line, ZERO)
            for line in [*(ln.line_number for ln in self.ledger.lines), None]
        }
        held_back = self._held_back_lines(matched, unmatched)
        # A held-back line is out of this posting entirely: its balance and any credit on it.
        self.owed = sum(booked.values(), ZERO) - sum(
            (booked.get(n, ZERO) for n in held_back), ZERO
        )
        self._report_unmatched(unmatched)
        self._post_payments(matched)
        cas = self._cas_items(matched)
        for item in cas:
            if item.adjustment.amount < 0:
                self._apply(item)
        for item in sorted(cas, key=lambda c: _GROUP_ORDER.get(c.group, len(_GROUP_ORDER))):
            if item.adjustment.amount > 0:
                self._apply(item)
        transferred, to = self._settle_remainder(held_back) if settle else (ZERO, None)
        return self._result(status, transferred, to)

    def _held_back_lines(
        self,
        matched: list[tuple[ServicePayment, ServiceLine]],
        unmatched: list[ServicePayment],
    ) -> set[int]:
        if not unmatched:
            return set()
        settled = {line.line_number for _, line in matched}
        return {ln.line_number for ln in self.ledger.lines} - settled

    def _entry(
        self,
        kind: EntryKind,
        party: Party,
        amount: Decimal,
        *,
        line: int | None = None,
        code: str = "",
        group_code: str = "",
        reason_code: str = "",
        memo: str = "",
    ) -> None:
        # Positional, in LedgerLine's field order: a release makes one per ledger entry.
        self.entries.append(LedgerLine(
            kind, party, amount, line, code, group_code, reason_code, self.payer_id,
            self.era_id, temporary_id(), None, None, memo, self.posting_id,
        ))  # fmt: skip

    def _report_unmatched(self, unmatched: list[ServicePayment]) -> None:
        for svc in unmatched:
            self.errors.append(ErrorLine(
                self.ledger.claim_id, LINE_NOT_FOUND,
                service_date=svc.service_date or self.clp.statement_from,
                procedure=billed_procedure(svc), units=billed_units(svc), amount=svc.paid,
                kind=ErrorKind.LINE_NOT_FOUND,
            ))  # fmt: skip

    def _post_payments(self, matched: list[tuple[ServicePayment, ServiceLine]]) -> None:
        code = self.settings.payment_code
        if not self.clp.service_lines:
            if self.clp.paid:
                self._entry(EntryKind.PAYMENT, self.party, -self.clp.paid, code=code)
                self._consume(None, self.clp.paid)
            return
        for svc, line in matched:
            if svc.paid:
                self._entry(EntryKind.PAYMENT, self.party, -svc.paid, code=code,
                            line=line.line_number)  # fmt: skip
                self._consume(line.line_number, svc.paid)
        lines_paid = sum((svc.paid for svc in self.clp.service_lines), ZERO)
        claim_cas = sum((a.amount for a in self.clp.adjustments), ZERO)
        unexplained = lines_paid - claim_cas - self.clp.paid
        if lines_paid != self.clp.paid:
            # The money sent is CLP04: the claim's paid total is corrected to it.
            memo = ("Claim-level adjustments reduce the service line payments to the claim "
                    "payment (CLP04)" if not unexplained
                    else "Service line payments corrected to the claim payment (CLP04)")
            self._entry(EntryKind.PAYMENT, self.party, lines_paid - self.clp.paid, code=code,
                        memo=memo)  # fmt: skip
            self._consume(None, self.clp.paid - lines_paid)
        if unexplained:
            less = f" less claim-level adjustments {claim_cas:.2f}" if claim_cas else ""
            self.errors.append(ErrorLine(
                self.ledger.claim_id,
                f"Claim payment {self.clp.paid:.2f} (CLP04) does not equal its service lines' "
                f"payments {lines_paid:.2f}{less}",
                amount=unexplained, kind=ErrorKind.UNEXPLAINED,
            ))  # fmt: skip

    def _cas_items(self, matched: list[tuple[ServicePayment, ServiceLine]]) -> list[_Cas]:
        items = [
            _Cas(adj, line.line_number, line.procedure, line.service_date)
            for svc, line in matched
            for adj in svc.adjustments
            if adj.amount
        ]
        items.extend(_Cas(adj, None, None, None) for adj in self.clp.adjustments if adj.amount)
        return items

    def _consume(self, line: int | None, amount: Decimal) -> None:
        """``amount`` of what the paying level owes is settled (paid, adjusted or moved)."""
        self.owed -= amount
        self.line_owed[line] = self.line_owed.get(line, ZERO) - amount

    def _room(self, line: int | None) -> Decimal:
        """What a positive CAS amount may settle: no more than the level owes on the claim, and
        a line's CAS no more than the level owes on that line (or on the claim itself)."""
        room = max(self.owed, ZERO)
        if line is not None:
            on_claim = max(self.line_owed.get(None, ZERO), ZERO)
            room = min(room, max(self.line_owed.get(line, ZERO) + on_claim, ZERO))
        return room

    def _postable(self, item: _Cas) -> Decimal:
        """All of a negative amount; of a positive one, no more than the level still owes."""
        amount = item.adjustment.amount
        if amount < 0:
            return amount
        posted = min(amount, self._room(item.line))
        if posted < amount:
            self._skip(item, amount - posted, SkipReason.OVER_BALANCE)
        return posted

    def _skip(self, item: _Cas, amount: Decimal, why: SkipReason) -> None:
        self.skipped.append(SkippedAdjustment(item.group, item.reason, amount, item.line, why))

    def _apply(self, item: _Cas) -> None:
        if item.group == PATIENT_RESPONSIBILITY:
            self._move_patient_responsibility(item)
        else:
            self._adjust(item)

    def _move_patient_responsibility(self, item: _Cas) -> None:
        amount = self._postable(item)
        if not amount:
            return
        memo = f"PR-{item.reason} patient responsibility to {self.next_party.value}"
        for party, change in ((self.party, -amount), (self.next_party, amount)):
            self._entry(EntryKind.TRANSFER, party, change, line=item.line, group_code=item.group,
                        reason_code=item.reason, memo=memo)  # fmt: skip
        self._consume(item.line, amount)
        if self.next_party is Party.PATIENT and self._adjusts_patient:
            self._adjust_patient(amount, item.line)

    def _adjust_patient(self, amount: Decimal, line: int | None) -> None:
        self._entry(EntryKind.ADJUSTMENT, Party.PATIENT, -amount, line=line,
                    code=self.settings.patient_adjustment_code or "",
                    memo="Patient balance adjusted to zero")  # fmt: skip

    def _adjust(self, item: _Cas) -> None:
        if self.settings.exclusions.excludes(item.group, item.reason):
            self._skip(item, item.adjustment.amount, SkipReason.EXCLUDED)
            self.errors.append(ErrorLine(
                self.ledger.claim_id, f"{item.group}-{item.reason} adjustment excluded",
                service_date=item.service_date, procedure=item.procedure,
                amount=item.adjustment.amount, kind=ErrorKind.EXCLUDED,
            ))  # fmt: skip
            return
        if self.settings.insurance_adjustments is InsuranceAdjustments.SKIP:
            self._skip(item, item.adjustment.amount, SkipReason.RULE_SKIP)
            return
        amount = self._postable(item)
        if amount:
            self._entry(EntryKind.ADJUSTMENT, self.party, -amount,
                        code=self.settings.adjustment_code, line=item.line,
                        group_code=item.group, reason_code=item.reason)  # fmt: skip
            self._consume(item.line, amount)

    def _settle_remainder(self, held_back: set[int]) -> tuple[Decimal, Party | None]:
        """Step 7: Transfer to next moves what the level still owes; Keep leaves it."""
        remainder = self.owed
        if remainder <= 0 or self.settings.insurance_balance is InsuranceBalance.KEEP:
            return ZERO, None
        to = self.next_party
        adjust = to is Party.PATIENT and self._adjusts_patient
        for line, amount in self._allocate(remainder, held_back):
            memo = f"Balance transferred from {self.party.value} to {to.value}"
            self._entry(EntryKind.TRANSFER, self.party, -amount, line=line, memo=memo)
            self._entry(EntryKind.TRANSFER, to, amount, line=line, memo=memo)
            if adjust:
                self._adjust_patient(amount, line)
        self.owed = ZERO
        return remainder, to

    def _allocate(
        self, remainder: Decimal, held_back: set[int]
    ) -> list[tuple[int | None, Decimal]]:
        """Book the remainder on lines that still owe (line order), the rest on the claim."""
        parts: list[tuple[int | None, Decimal]] = []
        left = remainder
        for line in self.ledger.lines:
            if left <= 0:
                break
            if line.line_number in held_back:
                continue
            owed = self.line_owed.get(line.line_number, ZERO)  # as this posting has left it
            if owed > 0:
                part = min(owed, left)
                parts.append((line.line_number, part))
                left -= part
        if left > 0:
            parts.append((None, left))
        return parts

    def _result(self, status: str, transferred: Decimal, to: Party | None) -> PostingResult:
        after = self.ledger.balances()
        for entry in self.entries:
            after[entry.party] += entry.amount
        totals = ledger_totals(self.entries)
        pr = sum(
            (e.amount for e in self.entries
             if e.group_code == PATIENT_RESPONSIBILITY and e.party is not self.party),
            ZERO,
        )  # fmt: skip
        patient_adjusted = -sum(
            (e.amount for e in self.entries
             if e.kind is EntryKind.ADJUSTMENT and e.party is Party.PATIENT),
            ZERO,
        )  # fmt: skip
        credit = min(after[self.party], ZERO)
        zero = None
        if not self.clp.paid:
            zero = zero_payment(self.ledger.claim_id, self.clp, status, denied=False)
        summary = PostingSummary(
            paid=totals.paid, adjusted=totals.adjusted, patient_responsibility=pr,
            patient_responsibility_to=self.next_party if pr else None,
            transferred=transferred, transferred_to=to, patient_adjusted=patient_adjusted,
            credit=-credit,
        )  # fmt: skip
        record = PostingRecord(
            self.posting_id, PostingKind.POSTED, self.level, self.payer_id, self.era_id,
            (self.clp.payer_claim_control or "").strip(),
        )  # fmt: skip
        return PostingResult(
            self.ledger.claim_id, status, PostingOutcome.POSTED, self.level,
            entries=self.entries, errors=self.errors, skipped=self.skipped, zero_payment=zero,
            summary=summary, balances_after=after, record=record,
        )  # fmt: skip
