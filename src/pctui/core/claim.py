"""A professional claim (837P) as plain domain objects: everything a 005010X222A1 claim carries.

What posting reads (claim id, charge, payers per level, service lines with their dates, units and
control numbers) sits in the first fields of :class:`Claim` and :class:`ServiceLine`, as before.
What sending a claim on needs follows: billing and pay-to provider, subscriber and payer of the
billed level (loop 2000B), the patient (2000C), CLM elements, dates, references, diagnoses, the
claim's providers (2310x), the other payers (2320/2330x) and, per line, SV1 details, diagnosis
pointers, the drug (2410), line providers (2420x) and the adjudication loops (2430/2440).

Segments pctui does not model field by field (PER, CUR, CR1, CRC, NTE, CAS, AMT, OI, SVD, ...)
are kept as :class:`Segment` values in the ``extra`` list of the loop they came from, so a claim
written out again carries them unchanged. Each loop writes its segments in implementation-guide
order (see ``pctui.x12.write837``); segments with the same id keep their order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from pctui.core.codes import PayerLevel
from pctui.core.money import ZERO

# An element is text, or a composite: a tuple of its components.
Element = str | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Segment:
    """One X12 segment kept as read: its id and elements (composites as tuples), no delimiters."""

    id: str
    elements: tuple[Element, ...] = ()

    def value(self, position: int, component: int | None = None) -> str:
        """Element ``position`` (1-based), or one component of it; "" when absent."""
        if position > len(self.elements):
            return ""
        element = self.elements[position - 1]
        if isinstance(element, tuple):
            index = (component or 1) - 1
            return element[index] if index < len(element) else ""
        return element if component in (None, 1) else ""


@dataclass(frozen=True, slots=True)
class ClaimPayerRef:
    """The payer named on a claim at one level (loop 2010BB / 2330B)."""

    name: str
    payer_id: str | None = None  # NM109, matched against a payer's outbound ID


@dataclass(slots=True)
class Address:
    """N3/N4: street lines, city, state, ZIP (5 or 9 digits), country and its subdivision."""

    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""  # N404, only outside the US
    country_subdivision: str = ""  # N407


@dataclass(frozen=True, slots=True)
class Reference:
    """REF: a qualifier (G1 prior authorization, 9F referral, F8 payer claim number, ...)."""

    qualifier: str
    value: str
    extra: tuple[Element, ...] = ()  # REF03/REF04 when present


@dataclass(slots=True)
class Entity:
    """An NM1 loop: a provider, person, payer or place, with what its loop carries.

    ``kind`` is NM102 (1 a person, 2 an organization). ``last_name`` is NM103, the organization's
    name when ``kind`` is 2. ``identifier`` is NM109 under qualifier NM108 (XX: an NPI, MI: a
    member ID, PI/XV: a payer ID, 46: an electronic transmitter ID).
    """

    code: str  # NM101: 85 billing provider, 87 pay-to, IL subscriber, QC patient, PR payer, ...
    kind: str = "2"
    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    suffix: str = ""  # NM107
    id_qualifier: str = ""
    identifier: str = ""
    address: Address | None = None  # N3/N4
    taxonomy: str = ""  # PRV03: 2310B/2420A PRV*PE; for the billing provider, 2000A PRV*BI
    birth_date: str = ""  # DMG02 as written (CCYYMMDD)
    gender: str = ""  # DMG03: F, M, U
    references: list[Reference] = field(default_factory=list)
    extra: list[Segment] = field(default_factory=list)  # PER, DTP, ... kept as read

    @property
    def name(self) -> str:
        """``SMITH, TED J JR`` for a person, the organization's name otherwise."""
        given = " ".join(p for p in (self.first_name, self.middle_name, self.suffix) if p)
        return f"{self.last_name}, {given}" if given and self.last_name else (
            self.last_name or given
        )

    @property
    def npi(self) -> str:
        return self.identifier if self.id_qualifier == "XX" else ""

    def reference(self, qualifier: str) -> str:
        return next((r.value for r in self.references if r.qualifier == qualifier), "")


@dataclass(slots=True)
class Coverage:
    """One payer of the claim: SBR with its subscriber and payer (2000B, or 2320 with 2330x).

    ``responsibility`` is SBR01 (P, S, T, or A-H/U for payers beyond the third).
    """

    responsibility: str
    relationship: str = ""  # SBR02: 18 when the subscriber is the patient
    group_number: str = ""  # SBR03
    group_name: str = ""  # SBR04
    insurance_type: str = ""  # SBR05 (MB Medicare secondary types, ...)
    filing_indicator: str = ""  # SBR09: CI commercial, MB Medicare Part B, MC Medicaid, ...
    subscriber: Entity | None = None  # 2010BA / 2330A NM1*IL
    payer: Entity | None = None  # 2010BB / 2330B NM1*PR
    extra: list[Segment] = field(default_factory=list)  # 2000B PAT; 2320 CAS, AMT, OI, MOA
    other_entities: list[Entity] = field(default_factory=list)  # 2010BB-less 2330C-G loops

    @property
    def level(self) -> PayerLevel | None:
        return {"P": PayerLevel.PRIMARY, "S": PayerLevel.SECONDARY,
                "T": PayerLevel.TERTIARY}.get(self.responsibility)  # fmt: skip


@dataclass(slots=True)
class Patient:
    """Loop 2000C: a patient who is not the subscriber (PAT01 their relationship)."""

    relationship: str  # PAT01: 01 spouse, 19 child, 20 employee, 21 unknown, ...
    entity: Entity  # 2010CA NM1*QC
    pat_rest: tuple[Element, ...] = ()  # PAT02.. as read (death date, weight, pregnancy)


@dataclass(frozen=True, slots=True)
class ClaimDate:
    """DTP: qualifier (431 onset, 454 initial treatment, 472 service, ...), D8 or RD8, value."""

    qualifier: str
    format: str
    value: str


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """One HI diagnosis: ABK principal / ABF other (ICD-10), BK / BF (ICD-9)."""

    qualifier: str
    code: str


@dataclass(slots=True)
class Drug:
    """Loop 2410: the national drug code given with a line (LIN, CTP, REF)."""

    ndc: str  # LIN03
    qualifier: str = "N4"  # LIN02
    quantity: str = ""  # CTP04
    unit: str = ""  # CTP05-1: F2, GR, ME, ML, UN
    references: list[Reference] = field(default_factory=list)  # VY link, XZ prescription


@dataclass(slots=True)
class ServiceLine:
    """Loop 2400: one billed service."""

    line_number: int  # LX01
    procedure: str  # SV101-2
    modifiers: tuple[str, ...] = ()
    charge: Decimal = ZERO  # SV102
    units: Decimal = Decimal(1)  # SV104
    service_date: date | None = None  # DTP*472 (the start of a range)
    control_number: str | None = None  # REF*6R
    unit_code: str = "UN"  # SV103: UN units, MJ minutes (last, so positional use stays valid)
    # -- what an 837P carries beyond posting --
    procedure_qualifier: str = "HC"  # SV101-1: HC (CPT/HCPCS), ER, IV, WK
    description: str = ""  # SV101-7 (required for not-otherwise-classified codes)
    place_of_service: str = ""  # SV105, when it differs from the claim's
    diagnosis_pointers: tuple[int, ...] = ()  # SV107: 1-based positions in the claim's HI
    emergency: str = ""  # SV109
    epsdt: str = ""  # SV111
    family_planning: str = ""  # SV112
    copay_exempt: str = ""  # SV115
    service_date_end: date | None = None  # DTP*472 RD8 end
    dates: list[ClaimDate] = field(default_factory=list)  # other line DTPs
    references: list[Reference] = field(default_factory=list)  # line REFs other than 6R
    drug: Drug | None = None  # 2410
    providers: list[Entity] = field(default_factory=list)  # 2420A-H
    extra: list[Segment] = field(default_factory=list)  # SV5, PWK, CR1, QTY, NTE, AMT, ...
    adjudications: list[list[Segment]] = field(default_factory=list)  # 2430 SVD loops
    forms: list[list[Segment]] = field(default_factory=list)  # 2440 LQ loops
    # A replacement claim (CLM05-3 = 7) left this line out: its charge was taken off, and an
    # 835 line can no longer be matched to it (it stays for the entries already on it).
    removed: bool = False

    @property
    def ndc(self) -> str:
        return self.drug.ndc if self.drug else ""


@dataclass(slots=True)
class Claim:
    """Loop 2300: one claim with the payer at each level (SBR01 P/S/T) and its full 837P content.

    ``detailed`` is False for a claim stored before pctui kept full 837P content and whose file
    could not be read again: such a claim cannot be written out and is held by an edit.
    """

    claim_id: str  # CLM01, the patient control number
    charge: Decimal  # CLM02
    patient_name: str = ""
    service_lines: list[ServiceLine] = field(default_factory=list)
    payers: dict[PayerLevel, ClaimPayerRef] = field(default_factory=dict)
    service_date: date | None = None  # earliest line date
    frequency_code: str = "1"  # CLM05-3: 1 original, 7 replacement, 8 void
    payer_claim_number: str | None = None  # REF*F8: the payer's number for the claim replaced/voided
    # -- providers --
    billing_provider: Entity | None = None  # 2010AA (taxonomy: 2000A PRV*BI)
    pay_to: Entity | None = None  # 2010AB
    pay_to_plan: Entity | None = None  # 2010AC
    billing_extra: list[Segment] = field(default_factory=list)  # 2000A CUR
    # -- who is covered, by whom --
    subscriber: Coverage | None = None  # 2000B: the payer this claim is billed to
    patient: Patient | None = None  # 2000C, when the patient is not the subscriber
    other_coverages: list[Coverage] = field(default_factory=list)  # 2320/2330
    # -- CLM --
    place_of_service: str = ""  # CLM05-1
    facility_qualifier: str = "B"  # CLM05-2
    provider_signature: str = "Y"  # CLM06
    assignment: str = "A"  # CLM07
    benefits_assignment: str = "Y"  # CLM08
    release_of_information: str = "Y"  # CLM09
    patient_signature_source: str = ""  # CLM10
    related_causes: tuple[str, ...] = ()  # CLM11-1..3: AA auto accident, EM employment, OA
    accident_state: str = ""  # CLM11-4
    accident_country: str = ""  # CLM11-5
    special_program: str = ""  # CLM12
    delay_reason: str = ""  # CLM20
    transaction_type: str = "CH"  # BHT06: CH a claim, RP an encounter (reporting)
    submitter: Entity | None = None  # 1000A NM1*41 (with its PER) of the file it came in
    dates: list[ClaimDate] = field(default_factory=list)  # 2300 DTP
    references: list[Reference] = field(default_factory=list)  # 2300 REF
    diagnoses: list[Diagnosis] = field(default_factory=list)  # HI (principal first)
    providers: list[Entity] = field(default_factory=list)  # 2310A-F
    extra: list[Segment] = field(default_factory=list)  # PWK, CN1, AMT, K3, NTE, CR*, HI, HCP
    detailed: bool = True

    def reference(self, qualifier: str) -> str:
        return next((r.value for r in self.references if r.qualifier == qualifier), "")

    @property
    def prior_authorization(self) -> str:
        return self.reference("G1")

    @property
    def referral_number(self) -> str:
        return self.reference("9F")

    @property
    def clia_number(self) -> str:
        return self.reference("X4")

    def provider(self, *codes: str) -> Entity | None:
        """The claim's 2310 provider with NM101 in ``codes`` (DN/P3 referring, 82 rendering)."""
        return next((p for p in self.providers if p.code in codes), None)

    @property
    def rendering_provider(self) -> Entity | None:
        return self.provider("82")

    @property
    def referring_provider(self) -> Entity | None:
        return self.provider("DN", "P3")
