"""An 835 remittance (ERA) as plain domain objects, read by ``pctui.x12.read835``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from pctui.core.money import ZERO


class InboundIdSource(StrEnum):
    """Where an 835's Inbound ID came from, in order of preference (SPEC 2.1)."""

    REF_2U = "REF*2U"
    N1_PR_N104 = "N1*PR N104"
    TRN03 = "TRN03"
    GS02 = "GS02"


def choose_inbound_id(
    ref_2u: str | None, n104: str | None, trn03: str | None, gs02: str | None
) -> tuple[str, InboundIdSource] | None:
    for value, source in (
        (ref_2u, InboundIdSource.REF_2U),
        (n104, InboundIdSource.N1_PR_N104),
        (trn03, InboundIdSource.TRN03),
        (gs02, InboundIdSource.GS02),
    ):
        if value and value.strip():
            return value.strip(), source
    return None


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class FindingSource(StrEnum):
    STRUCTURE = "structure"  # our own fast pass: envelopes, counts, required segments
    BALANCE = "balance"  # BPR02 = sum(CLP04) - sum(PLB)
    VALIDATION = "validation"  # pyx12 5010 X221A1 / X222A1 map
    MATCHING = "matching"  # the file against what pctui knows: payers set up, claims on file


PLACES_SHOWN = 5  # a repeated finding names its first few places
NAMES_A_PLACE = re.compile(r"\bsegments? \d", re.IGNORECASE)  # "Segment 5 (BPR)", "segments 3-4"


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem found in a file that was still imported, in words a biller understands.

    The same problem repeated in one file is one finding: ``count`` times, first at
    ``position``, then at ``more_positions`` (the first few; see :func:`collapse`).
    """

    severity: Severity
    source: FindingSource
    message: str
    segment: str | None = None  # segment id, e.g. "BPR"
    position: int | None = None  # 1-based segment number within the file
    count: int = 1
    more_positions: tuple[int, ...] = ()

    @property
    def text(self) -> str:
        """The message with its place (when the words do not already name one), and how often
        and where when it repeats."""
        if self.count <= 1:
            if self.position and not NAMES_A_PLACE.search(self.message):
                return f"{self.message} (at segment {self.position:,})"
            return self.message
        places = [p for p in (self.position, *self.more_positions) if p]
        where = ""
        if places:
            where = (": segment " if len(places) == 1 else ": segments ") + ", ".join(
                f"{p:,}" for p in places)  # fmt: skip
            if self.count > len(places) and len(places) >= PLACES_SHOWN:
                where += " and more"
        return f"{self.message} ({self.count:,} times{where})"


def collapse(findings: Iterable[Finding]) -> list[Finding]:
    """The same finding (severity, source, segment, words) repeated becomes one, with its count
    and first places, in the order each was first found."""
    log = FindingLog()
    for finding in findings:
        log.add(finding)
    return log.findings()


class FindingLog:
    """Findings collapsed as they are added: memory grows with distinct findings only."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str, str | None, str], list] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, finding: Finding) -> None:
        key = (finding.severity.value, finding.source.value, finding.segment, finding.message)
        entry = self._seen.get(key)
        if entry is None:
            self._seen[key] = [finding, finding.count, []]
            return
        entry[1] += finding.count
        places: list[int] = entry[2]
        first_place = entry[0].position
        for place in (finding.position, *finding.more_positions):
            if place and place != first_place and place not in places and (
                    len(places) < PLACES_SHOWN - 1):  # fmt: skip
                places.append(place)

    append = add  # a FindingLog stands in for a list of findings

    def extend(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            self.add(finding)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings())

    def __getitem__(self, index: int) -> Finding:
        return self.findings()[index]

    def findings(self) -> list[Finding]:
        out = []
        for first, count, places in self._seen.values():
            if count == 1:
                out.append(first)
                continue
            more = tuple((*first.more_positions, *places)[: PLACES_SHOWN - 1])
            out.append(replace(first, count=count, more_positions=more))
        return out


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One CAS reason/amount triple."""

    group: str  # CO, PR, OA, PI, CR
    reason: str  # CARC
    amount: Decimal
    quantity: Decimal | None = None


@dataclass(slots=True)
class ServicePayment:
    """Loop 2110: one SVC service line payment."""

    procedure: str  # SVC01-2
    qualifier: str = "HC"  # SVC01-1
    modifiers: tuple[str, ...] = ()
    charge: Decimal = ZERO  # SVC02
    paid: Decimal = ZERO  # SVC03
    revenue_code: str | None = None  # SVC04
    units: Decimal | None = None  # SVC05 (absent means 1)
    original_procedure: str | None = None  # SVC06-2 when the payer changed the code
    original_modifiers: tuple[str, ...] = ()  # SVC06-3..6, the modifiers as billed
    original_units: Decimal | None = None  # SVC07: units billed, when the payer paid other units
    service_date: date | None = None  # DTM*472, or DTM*150
    service_date_end: date | None = None  # DTM*151
    control_number: str | None = None  # REF*6R: the line item control number from the 837
    allowed: Decimal | None = None  # AMT*B6
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)  # LQ*HE remark codes

    @property
    def billed_units(self) -> Decimal:
        return self.units if self.units is not None else Decimal(1)


@dataclass(slots=True)
class ClaimPayment:
    """Loop 2100: one CLP claim payment."""

    patient_control_number: str  # CLP01, the claim's CLM01
    status_code: str  # CLP02
    charge: Decimal  # CLP03
    paid: Decimal  # CLP04
    patient_responsibility: Decimal | None = None  # CLP05
    filing_indicator: str | None = None  # CLP06
    payer_claim_control: str | None = None  # CLP07
    facility_code: str | None = None  # CLP08
    frequency_code: str | None = None  # CLP09
    patient_name: str | None = None  # NM1*QC "LAST, FIRST"
    statement_from: date | None = None  # DTM*232
    statement_to: date | None = None  # DTM*233
    adjustments: list[Adjustment] = field(default_factory=list)  # claim-level CAS
    remarks: list[str] = field(default_factory=list)  # MIA/MOA remark codes
    amounts: dict[str, Decimal] = field(default_factory=dict)  # AMT qualifier -> amount
    references: dict[str, str] = field(default_factory=dict)  # REF qualifier -> value
    service_lines: list[ServicePayment] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ProviderAdjustment:
    """One PLB adjustment: positive reduces the payment, negative adds to it."""

    provider_id: str
    fiscal_date: date | None
    reason: str  # PLB03-1, e.g. WO, L6, FB
    reference: str | None  # PLB03-2
    amount: Decimal


@dataclass(slots=True)
class Remittance:
    """One 835 transaction set (ST..SE): one payment from one payer."""

    control_number: str  # ST02
    interchange_control: str  # ISA13
    sender_id: str  # GS02
    amount: Decimal  # BPR02
    credit_debit: str = "C"  # BPR03
    payment_method: str = ""  # BPR04: ACH, CHK, NON, ...
    payment_date: date | None = None  # BPR16
    check_number: str = ""  # TRN02: check or EFT trace number
    trn_originator: str | None = None  # TRN03
    production_date: date | None = None  # DTM*405
    payer_name: str = ""  # N1*PR N102
    payer_id: str | None = None  # N1*PR N104
    ref_2u: str | None = None  # REF*2U in loop 1000A
    payee_name: str = ""  # N1*PE N102
    payee_id: str | None = None  # N1*PE N104 (NPI or TIN)
    inbound_id: str = ""
    inbound_id_source: InboundIdSource = InboundIdSource.GS02
    claims: list[ClaimPayment] = field(default_factory=list)
    provider_adjustments: list[ProviderAdjustment] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    segment_count: int = 0  # segments ST..SE inclusive
    # Where the ST is: its place in the file (1-based) and among the file's transaction sets.
    first_segment: int = field(default=0, compare=False)
    transaction_index: int = field(default=0, compare=False)

    @property
    def claims_paid_total(self) -> Decimal:
        return sum((c.paid for c in self.claims), ZERO)

    @property
    def provider_adjustment_total(self) -> Decimal:
        return sum((p.amount for p in self.provider_adjustments), ZERO)

    def balance_finding(self) -> Finding | None:
        """BPR02 must equal the sum of CLP04 minus the sum of PLB amounts."""
        expected = self.claims_paid_total - self.provider_adjustment_total
        if expected == self.amount:
            return None
        return Finding(
            Severity.ERROR,
            FindingSource.BALANCE,
            f"Payment amount {self.amount:.2f} (BPR02) does not equal claim payments "
            f"{self.claims_paid_total:.2f} minus provider adjustments "
            f"{self.provider_adjustment_total:.2f} = {expected:.2f}",
            segment="BPR",
        )
