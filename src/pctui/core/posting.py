"""The posting engine: one 835 claim payment (CLP) onto one claim's ledger, per SPEC 2.3.

Pure: it reads a :class:`~pctui.core.ledger.ClaimLedger`, the CLP, and the payer rule's
settings per level, and returns new ledger entries, error-report lines, the zero-payment list
and a summary. The store finds the claim, picks the rules and writes the entries.

Decisions where SPEC 2.3 is silent (an experienced biller's expectations):

- **Who "this payer" is.** Every entry an 835 posts carries ``payer_id`` (the store passes the
  835's payer) and ``era_id``. A reversal (CLP02 22) reverses the most recent posting of that
  claim by that payer from an *earlier* 835: every entry of it not reversed yet, negated
  exactly (payments, adjustments, PR moves, transfers, patient adjustments), so the balances
  return to what they were before it. The 835's own amounts are not posted; when CLP04 differs
  from the negated original payment, the reversal is still made and an error-report line says
  so. No earlier posting: an error-report line, nothing posted. Charges and entries made by
  hand (no ``era_id``) are never reversed by an 835.
- **CARC overrides** belong to the payer of the rule that applies, so they travel with that
  level's settings (``RuleLevelSettings.exclusions``); the store passes only active, excluded
  ones.
- **Line matching.** First by REF*6R against the claim line's REF*6R; a control number that
  matches no line falls back to procedure + date + units. Procedure is SVC01-2, or SVC06-2 (the
  code as billed) when the payer changed it. Units are SVC07 when given (units billed), else
  SVC05, else 1. The date is the line's DTM*472, else the claim's DTM*232; when neither side
  has a date it is not compared. Modifiers need not match (payers drop and reorder them) but a
  line with the same modifiers, then the same charge, is preferred. Each claim line is matched
  at most once per CLP.
- **An unmatched service line.** It gets the error-report line; its payment and adjustments
  are not posted (they are listed with it for manual posting). The rest of the claim is posted.
  The claim lines no SVC matched keep their balance with the paying level (they are left out
  of the remainder moved in step 7) because one of them is the line that needs manual posting.
  When every SVC matched, the paying level's whole claim balance is settled.
- **PR.** Patient responsibility moves to the *next party*: the next payer on the claim after
  the paying level (a claim's secondary pays the primary's deductible and coinsurance), or the
  patient when there is none. It moves whatever Insurance Balances says (Keep applies to the
  remainder only), excluded CARCs do not apply to it (an override excludes adjustments), and
  Patient Balances = Adjust does not write it off: PR is never written off. Adjust applies to
  the remainder that step 7 transfers to the patient.
- **Amounts larger than what the level owes.** The payment is always posted in full: a payment
  larger than the level's balance leaves that level with a credit (a negative balance, shown in
  the summary as ``credit`` and in the notices) and nothing is transferred. Adjustments and PR
  are posted only up to what the level still owes after the payment: a secondary's 835 repeats
  the primary's adjudication (OA-23, CO-45 already written off), and writing it off twice would
  invent a credit. A line's CAS is also held to what the level owes on that line (plus any part
  of its balance booked on the claim itself), so one line's repeated OA-23 never writes off
  another line's balance. Negative CAS amounts (they add to the balance) are applied first, then
  PR, then CO, PI, CR, OA; whatever could not be posted is listed in ``skipped`` ("more than the
  balance"), not on the error report.
- **Split claims.** When one 835 has several CLPs for the same claim at the same level, each
  posts its own lines and only the last settles the remainder (step 7); when one of its CLPs
  denies part of the claim (CLP02 4), none does, so a denied line stays with the payer.
- **Skipped adjustments.** Insurance Adjustments = Skip, or an active excluded CARC override,
  leave the amount unposted, so it stays in the level's balance and follows Insurance Balances
  (Transfer moves it on — out-of-network balance billing). Each is listed in ``skipped``; an
  excluded one also gets the error-report line "CO-50 adjustment excluded". An override without
  a group excludes the CARC in every group.
- **Denials and zero payments.** CLP02 4 posts nothing and goes on the zero-payment list with
  its claim and line CAS codes and remarks. A CLP that pays 0.00 under status 1-3/19-21 is
  posted normally (its adjustments and PR still move) and is also on the zero-payment list.
- **Other statuses** (23, 25, ...) get an error-report line naming the status; nothing posted.
  So does a pay level the claim has no payer for, or one without rule settings.
- **CLP04 vs the lines.** With service lines, each line's SVC03 is posted on its line. Claim-level
  CAS beside lines reduce the lines' payments to CLP04 (835 balancing: CLP04 = ΣSVC03 − claim
  CAS), so that difference is posted on the claim as a payment correction and the claim's paid
  total is CLP04, the money sent. Any other difference between CLP04 and ΣSVC03 is an
  error-report line. Without service lines, CLP04 is posted on the claim and claim-level CAS
  applies to the claim.
- **Where a transfer is booked.** The remainder is moved line by line (each line's positive
  balance with the paying level, in line order); what is left is moved on the claim itself.
- **Zero amounts** make no entries.
- **PLB** is returned as it came, with its total, to be recorded against the payment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from pctui.core.claim import ServiceLine
from pctui.core.codes import (
    InsuranceAdjustments,
    InsuranceBalance,
    Party,
    PatientBalance,
    PayerLevel,
)
from pctui.core.era import Adjustment, ClaimPayment, ProviderAdjustment, Remittance, ServicePayment
from pctui.core.ledger import ClaimLedger, EntryKind, LedgerLine, ledger_totals, party_of
from pctui.core.money import ZERO

PATIENT_ACCOUNT_NOT_FOUND = "Patient account was not found"
LINE_NOT_FOUND = "Account, Date of Service, CPT code, and units combination was not found"
NOTHING_TO_REVERSE = "No earlier posting of this claim from this payer was found to reverse"

PAY_LEVELS: dict[str, PayerLevel] = {
    "1": PayerLevel.PRIMARY,
    "19": PayerLevel.PRIMARY,
    "2": PayerLevel.SECONDARY,
    "20": PayerLevel.SECONDARY,
    "3": PayerLevel.TERTIARY,
    "21": PayerLevel.TERTIARY,
}
DENIED = "4"
REVERSAL = "22"
STATUS_NAMES: dict[str, str] = {
    "1": "Processed as primary",
    "2": "Processed as secondary",
    "3": "Processed as tertiary",
    "4": "Denied",
    "19": "Processed as primary, forwarded to additional payer(s)",
    "20": "Processed as secondary, forwarded to additional payer(s)",
    "21": "Processed as tertiary, forwarded to additional payer(s)",
    "22": "Reversal of previous payment",
    "23": "Not our claim, forwarded to additional payer(s)",
    "25": "Predetermination pricing only - no payment",
}
PATIENT_RESPONSIBILITY = "PR"
# Order in which positive CAS amounts get what the level still owes (see the module notes).
_GROUP_ORDER = {"PR": 0, "CO": 1, "PI": 2, "CR": 3, "OA": 4}


def normalize_status(code: str) -> str:
    """CLP02 as a plain number string: ``"01"`` and ``" 1"`` are ``"1"``."""
    text = code.strip()
    return text.lstrip("0") or "0" if text.isdigit() else text


def pay_level(status_code: str) -> PayerLevel | None:
    """The payer level a CLP02 posts at (1/19 primary, 2/20 secondary, 3/21 tertiary)."""
    return PAY_LEVELS.get(normalize_status(status_code))


# -- what the store hands in ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CarcExclusions:
    """Active, excluded CARC overrides of one payer: (group or "" for any group, CARC) pairs."""

    pairs: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> CarcExclusions:
        return cls(frozenset((g.strip().upper(), c.strip().upper()) for g, c in pairs))

    def excludes(self, group: str, carc: str) -> bool:
        group, carc = group.strip().upper(), carc.strip().upper()
        return (group, carc) in self.pairs or ("", carc) in self.pairs


NO_EXCLUSIONS = CarcExclusions()


@dataclass(frozen=True, slots=True)
class RuleLevelSettings:
    """One level of a payer rule (SPEC 1.2), plus the CARC overrides of the rule's payer."""

    payment_code: str
    adjustment_code: str
    insurance_adjustments: InsuranceAdjustments = InsuranceAdjustments.POST
    insurance_balance: InsuranceBalance = InsuranceBalance.TRANSFER
    patient_balance: PatientBalance = PatientBalance.KEEP
    patient_adjustment_code: str | None = None
    exclusions: CarcExclusions = NO_EXCLUSIONS

    def __post_init__(self) -> None:
        # The store hands in the strings it keeps; the engine works with the enums.
        object.__setattr__(
            self, "insurance_adjustments", InsuranceAdjustments(self.insurance_adjustments)
        )
        object.__setattr__(self, "insurance_balance", InsuranceBalance(self.insurance_balance))
        object.__setattr__(self, "patient_balance", PatientBalance(self.patient_balance))
        if not self.payment_code.strip() or not self.adjustment_code.strip():
            raise ValueError("a rule level needs a Payment Code and an Adjustment Code")
        if self.patient_balance is PatientBalance.ADJUST and not self.patient_adjustment_code:
            raise ValueError("Patient Balances = Adjust needs a patient Adjustment Code")


# -- what the engine hands back ------------------------------------------------------------------


class PostingOutcome(StrEnum):
    POSTED = "posted"
    DENIED = "denied"
    REVERSED = "reversed"
    NOT_FOUND = "not_found"
    NOT_POSTED = "not_posted"


class SkipReason(StrEnum):
    RULE_SKIP = "skipped by the payer rule"
    EXCLUDED = "excluded by a CARC override"
    OVER_BALANCE = "more than the balance"


@dataclass(frozen=True, slots=True)
class ErrorLine:
    """One line of the release error report: what needs manual posting, and where."""

    claim_id: str
    message: str
    service_date: date | None = None
    procedure: str | None = None
    units: Decimal | None = None
    amount: Decimal | None = None

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

    @property
    def posted(self) -> bool:
        return bool(self.entries)


# -- one claim payment ---------------------------------------------------------------------------


def post_claim_payment(
    ledger: ClaimLedger | None,
    clp: ClaimPayment,
    rules: Mapping[PayerLevel, RuleLevelSettings],
    *,
    payer_id: int | None,
    era_id: int | None,
    settle: bool = True,
) -> PostingResult:
    """Post one CLP onto its claim (``None``: CLP01 matched no claim) per SPEC 2.3.

    ``settle`` False: a later CLP of this 835 pays the same claim at the same level (a split
    claim, see :func:`paid_again_later`), so this one leaves step 7 (the remainder) to it.
    """
    claim_id = clp.patient_control_number.strip()
    status = normalize_status(clp.status_code)
    if ledger is None:
        return PostingResult(
            claim_id, status, PostingOutcome.NOT_FOUND,
            errors=[ErrorLine(claim_id, PATIENT_ACCOUNT_NOT_FOUND, amount=clp.paid)],
        )  # fmt: skip
    if status == DENIED:
        return _denied(ledger, clp, status)
    if status == REVERSAL:
        return _reverse(ledger, clp, status, payer_id, era_id)
    level = PAY_LEVELS.get(status)
    problem = _why_not_posted(ledger, status, level, rules)
    if problem is not None or level is None:
        return _not_posted(ledger, status, level, problem or "")
    return _LevelPosting(ledger, clp, level, rules[level], payer_id, era_id).run(status, settle)


def _why_not_posted(
    ledger: ClaimLedger,
    status: str,
    level: PayerLevel | None,
    rules: Mapping[PayerLevel, RuleLevelSettings],
) -> str | None:
    if level is None:
        name = STATUS_NAMES.get(status, "not a posting status")
        return f"Claim status {status} ({name}) is not posted"
    if not ledger.has_level(level):
        return f"The claim has no {level.value} insurance to post this {level.value} payment to"
    if level not in rules:
        return f"No payer rule settings for the claim's {level.value} insurance"
    return None


def _not_posted(
    ledger: ClaimLedger, status: str, level: PayerLevel | None, message: str
) -> PostingResult:
    return PostingResult(
        ledger.claim_id, status, PostingOutcome.NOT_POSTED, level,
        errors=[ErrorLine(ledger.claim_id, message)], balances_after=ledger.balances(),
    )  # fmt: skip


def _reason_codes(clp: ClaimPayment) -> tuple[str, ...]:
    cas = [*clp.adjustments, *(a for svc in clp.service_lines for a in svc.adjustments)]
    return tuple(dict.fromkeys(f"{a.group.strip().upper()}-{a.reason.strip()}" for a in cas))


def _remarks(clp: ClaimPayment) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*clp.remarks, *(r for s in clp.service_lines for r in s.remarks)]))


def _zero_payment(claim_id: str, clp: ClaimPayment, status: str, denied: bool) -> ZeroPayment:
    return ZeroPayment(claim_id, status, denied, clp.charge, _reason_codes(clp), _remarks(clp))


def _denied(ledger: ClaimLedger, clp: ClaimPayment, status: str) -> PostingResult:
    return PostingResult(
        ledger.claim_id, status, PostingOutcome.DENIED,
        zero_payment=_zero_payment(ledger.claim_id, clp, status, denied=True),
        balances_after=ledger.balances(),
    )  # fmt: skip


# -- reversal (CLP02 22) -------------------------------------------------------------------------


def posting_to_reverse(
    ledger: ClaimLedger, payer_id: int | None, era_id: int | None
) -> list[LedgerLine]:
    """The entries of the latest earlier posting of this claim by this payer not yet reversed."""
    reversed_ids = {e.reverses_id for e in ledger.entries if e.kind is EntryKind.REVERSAL}
    candidates = [
        e
        for e in ledger.entries
        if e.payer_id == payer_id
        and e.era_id is not None
        and e.era_id != era_id
        and e.kind not in (EntryKind.CHARGE, EntryKind.REVERSAL)
        and (e.entry_id is None or e.entry_id not in reversed_ids)
    ]
    if not candidates:
        return []
    latest = candidates[-1].era_id
    targets = [e for e in candidates if e.era_id == latest]
    if any(e.entry_id is None for e in targets):
        raise ValueError("stored ledger entries need their entry_id before they can be reversed")
    return targets


def _reverse(
    ledger: ClaimLedger,
    clp: ClaimPayment,
    status: str,
    payer_id: int | None,
    era_id: int | None,
) -> PostingResult:
    targets = posting_to_reverse(ledger, payer_id, era_id)
    if not targets:
        return _not_posted(ledger, status, None, NOTHING_TO_REVERSE)
    entries = [
        LedgerLine(
            EntryKind.REVERSAL,
            e.party,
            -e.amount,
            line=e.line,
            code=e.code,
            group_code=e.group_code,
            reason_code=e.reason_code,
            payer_id=payer_id,
            era_id=era_id,
            reverses_id=e.entry_id,
            reversed_kind=e.kind,
            memo=f"Reversal of {e.kind.value}" + (f" ({e.memo})" if e.memo else ""),
        )  # fmt: skip
        for e in targets
    ]
    totals = ledger_totals(entries)
    errors = []
    if clp.paid != totals.paid:  # both negative: the 835 takes back what was paid
        errors.append(ErrorLine(
            ledger.claim_id,
            f"Reversal amount {clp.paid:.2f} does not match the earlier payment "
            f"{-totals.paid:.2f}; the earlier posting was reversed in full",
            amount=clp.paid,
        ))  # fmt: skip
    after = ledger.with_entries(entries)
    return PostingResult(
        ledger.claim_id, status, PostingOutcome.REVERSED, entries=entries, errors=errors,
        summary=PostingSummary(paid=totals.paid, adjusted=totals.adjusted),
        balances_after=after.balances(),
    )  # fmt: skip


# -- line matching -------------------------------------------------------------------------------


def _norm(text: str | None) -> str:
    return (text or "").strip().upper()


def _plain(units: Decimal | None) -> str:
    return format(units.normalize(), "f") if units is not None else ""


def _svc_units(svc: ServicePayment) -> Decimal:
    return svc.original_units if svc.original_units is not None else svc.billed_units


def _same_service(
    svc: ServicePayment, clp: ClaimPayment, line: ServiceLine, claim_date: date | None
) -> bool:
    codes = {_norm(svc.procedure), _norm(svc.original_procedure)} - {""}
    if _norm(line.procedure) not in codes or _svc_units(svc) != line.units:
        return False
    paid_date = svc.service_date or clp.statement_from
    billed_date = line.service_date or claim_date
    return paid_date is None or billed_date is None or paid_date == billed_date


def _best(svc: ServicePayment, candidates: list[ServiceLine]) -> ServiceLine:
    """Among equal matches, the same modifiers win, then the same charge, then line order."""
    modifiers = tuple(_norm(m) for m in svc.modifiers)
    return min(
        candidates,
        key=lambda line: (
            tuple(_norm(m) for m in line.modifiers) != modifiers,
            line.charge != svc.charge,
        ),
    )


def match_service_lines(
    ledger: ClaimLedger, clp: ClaimPayment
) -> tuple[list[tuple[ServicePayment, ServiceLine]], list[ServicePayment]]:
    """Pair each SVC with a claim line: REF*6R first, then procedure + date + units."""
    free = list(ledger.lines)
    found: dict[int, ServiceLine] = {}
    for index, svc in enumerate(clp.service_lines):
        control = _norm(svc.control_number)
        line = next((ln for ln in free if control and _norm(ln.control_number) == control), None)
        if line is not None:
            found[index] = line
            free.remove(line)
    for index, svc in enumerate(clp.service_lines):
        if index in found:
            continue
        candidates = [ln for ln in free if _same_service(svc, clp, ln, ledger.claim.service_date)]
        if candidates:
            found[index] = _best(svc, candidates)
            free.remove(found[index])
    matched = [(svc, found[i]) for i, svc in enumerate(clp.service_lines) if i in found]
    unmatched = [svc for i, svc in enumerate(clp.service_lines) if i not in found]
    return matched, unmatched


# -- a payment at one level (CLP02 1-3, 19-21) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Cas:
    adjustment: Adjustment
    line: int | None
    procedure: str | None
    service_date: date | None

    @property
    def group(self) -> str:
        return _norm(self.adjustment.group)

    @property
    def reason(self) -> str:
        return self.adjustment.reason.strip()


class _LevelPosting:
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
        self.entries: list[LedgerLine] = []
        self.errors: list[ErrorLine] = []
        self.skipped: list[SkippedAdjustment] = []
        self.owed = ZERO  # what the paying level still owes on the lines being settled
        # What the paying level owes on each line (None: booked on the claim itself).
        self.line_owed: dict[int | None, Decimal] = {}

    def run(self, status: str, settle: bool = True) -> PostingResult:
        matched, unmatched = match_service_lines(self.ledger, self.clp)
        self.line_owed = {
            line: self.ledger.line_balance(self.party, line)
            for line in [*(ln.line_number for ln in self.ledger.lines), None]
        }
        held_back = self._held_back_lines(matched, unmatched)
        self.owed = self.ledger.balance(self.party) - sum(
            (max(self.ledger.line_balance(self.party, n), ZERO) for n in held_back), ZERO
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
        self.entries.append(LedgerLine(
            kind, party, amount, line=line, code=code, group_code=group_code,
            reason_code=reason_code, payer_id=self.payer_id, era_id=self.era_id, memo=memo,
        ))  # fmt: skip

    def _report_unmatched(self, unmatched: list[ServicePayment]) -> None:
        for svc in unmatched:
            self.errors.append(ErrorLine(
                self.ledger.claim_id, LINE_NOT_FOUND,
                service_date=svc.service_date or self.clp.statement_from,
                procedure=svc.original_procedure or svc.procedure,
                units=_svc_units(svc), amount=svc.paid,
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
        if lines_paid != self.clp.paid and self.clp.paid == lines_paid - claim_cas:
            # 835 balancing: claim-level CAS reduce the lines' payments to CLP04, the money sent.
            self._entry(EntryKind.PAYMENT, self.party, lines_paid - self.clp.paid, code=code,
                        memo="Claim-level adjustments reduce the service line payments to "
                        "the claim payment (CLP04)")  # fmt: skip
            self._consume(None, self.clp.paid - lines_paid)
        elif lines_paid != self.clp.paid:
            self.errors.append(ErrorLine(
                self.ledger.claim_id,
                f"Claim payment {self.clp.paid:.2f} (CLP04) does not equal its service lines' "
                f"payments {lines_paid:.2f}; the line payments were posted",
                amount=self.clp.paid - lines_paid,
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

    def _adjust(self, item: _Cas) -> None:
        if self.settings.exclusions.excludes(item.group, item.reason):
            self._skip(item, item.adjustment.amount, SkipReason.EXCLUDED)
            self.errors.append(ErrorLine(
                self.ledger.claim_id, f"{item.group}-{item.reason} adjustment excluded",
                service_date=item.service_date, procedure=item.procedure,
                amount=item.adjustment.amount,
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
        adjust = to is Party.PATIENT and self.settings.patient_balance is PatientBalance.ADJUST
        for line, amount in self._allocate(remainder, held_back):
            memo = f"Balance transferred from {self.party.value} to {to.value}"
            self._entry(EntryKind.TRANSFER, self.party, -amount, line=line, memo=memo)
            self._entry(EntryKind.TRANSFER, to, amount, line=line, memo=memo)
            if adjust:
                self._entry(EntryKind.ADJUSTMENT, Party.PATIENT, -amount, line=line,
                            code=self.settings.patient_adjustment_code or "",
                            memo="Patient balance adjusted to zero")  # fmt: skip
        self.owed = ZERO
        return remainder, to

    def _allocate(
        self, remainder: Decimal, held_back: set[int]
    ) -> list[tuple[int | None, Decimal]]:
        """Book the remainder on lines that still owe (line order), the rest on the claim."""
        current = self.ledger.with_entries(self.entries)
        parts: list[tuple[int | None, Decimal]] = []
        left = remainder
        for line in self.ledger.lines:
            if left <= 0:
                break
            if line.line_number in held_back:
                continue
            owed = current.line_balance(self.party, line.line_number)
            if owed > 0:
                part = min(owed, left)
                parts.append((line.line_number, part))
                left -= part
        if left > 0:
            parts.append((None, left))
        return parts

    def _result(self, status: str, transferred: Decimal, to: Party | None) -> PostingResult:
        after = self.ledger.with_entries(self.entries)
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
        credit = min(self.owed, ZERO)
        notices = []
        if credit:
            notices.append(
                f"{self.ledger.claim_id}: {self.party.value} payer overpaid; credit balance "
                f"{-credit:.2f}"
            )
        zero = None
        if not self.clp.paid:
            zero = _zero_payment(self.ledger.claim_id, self.clp, status, denied=False)
        summary = PostingSummary(
            paid=totals.paid, adjusted=totals.adjusted, patient_responsibility=pr,
            patient_responsibility_to=self.next_party if pr else None,
            transferred=transferred, transferred_to=to, patient_adjusted=patient_adjusted,
            credit=-credit,
        )  # fmt: skip
        return PostingResult(
            self.ledger.claim_id, status, PostingOutcome.POSTED, self.level,
            entries=self.entries, errors=self.errors, skipped=self.skipped, zero_payment=zero,
            summary=summary, balances_after=after.balances(), notices=notices,
        )  # fmt: skip


# -- a whole 835 payment -------------------------------------------------------------------------


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


def post_remittance(
    remittance: Remittance,
    ledgers: Mapping[str, ClaimLedger],
    rules: Mapping[str, Mapping[PayerLevel, RuleLevelSettings]],
    *,
    payer_id: int | None,
    era_id: int | None,
) -> RemittancePosting:
    """Post every CLP of one 835 in order; a claim paid twice in it sees its first posting.

    ``ledgers`` and ``rules`` are keyed by claim id (CLM01); a claim id missing from
    ``ledgers`` is "Patient account was not found".
    """
    current = dict(ledgers)
    results: list[PostingResult] = []
    split = paid_again_later(remittance.claims)
    for index, clp in enumerate(remittance.claims):
        claim_id = clp.patient_control_number.strip()
        ledger = current.get(claim_id)
        result = post_claim_payment(
            ledger, clp, rules.get(claim_id, {}), payer_id=payer_id, era_id=era_id,
            settle=index not in split,
        )  # fmt: skip
        if ledger is not None and result.entries:
            current[claim_id] = ledger.with_entries(result.entries)
        results.append(result)
    return RemittancePosting(results, record_provider_adjustments(remittance), current)


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
