"""Read 837P professional claims (005010X222) into :class:`pctui.core.claim.Claim` objects.

Everything a claim carries is read, so that pctui can write the claim out again
(``pctui.x12.write837``): the billing and pay-to provider (2000A/2010Ax), the subscriber and the
payer it is billed to (2000B/2010Bx), the patient (2000C), CLM, dates, references, diagnoses,
the claim's providers (2310x), the other payers (2320/2330x) and the service lines (2400) with
their drug (2410), providers (2420x) and adjudication loops (2430/2440). Segments pctui does not
model field by field are kept as read in the ``extra`` list of their loop. The frequency code
(CLM05-3) is 1, 7 or 8 (any other is read as 1, with a finding); REF*F8 is the payer's claim
number a replacement or void refers to. A composite written with another separator than ISA16
declares (SV101, CLM05) is read with a finding.

A file that cannot be read raises :class:`Claim837Error` (a
:class:`~pctui.x12.envelope.FileRejected`) naming the segment and the problem; problems in the
claims of a readable file become :class:`~pctui.core.era.Finding` objects. Envelopes are split by
:mod:`pctui.x12.envelope`, whose own findings (segment counts, control numbers) stay on its
:class:`ScannedFile`.

Claims under one billing provider or subscriber HL share those objects: treat a read claim's
parts as values (replace them, don't change them in place).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from pyx12.segment import Segment as X12Segment

from pctui.core.claim import (
    Address,
    Claim,
    ClaimDate,
    ClaimPayerRef,
    Coverage,
    Diagnosis,
    Drug,
    Element,
    Entity,
    Patient,
    Reference,
    Segment,
    ServiceLine,
)
from pctui.core.claim_change import Frequency, frequency_of
from pctui.core.codes import PayerLevel
from pctui.core.era import Finding, FindingSource, Severity
from pctui.core.money import ZERO, AmountError, is_plain_decimal, parse_amount
from pctui.x12.envelope import FileRejected, ScannedFile, X12Stream

SBR_LEVELS: dict[str, PayerLevel] = {
    "P": PayerLevel.PRIMARY,
    "S": PayerLevel.SECONDARY,
    "T": PayerLevel.TERTIARY,
}
# SBR01 values beyond tertiary (payer responsibility four to eleven) and "unknown".
_LEVELS_NOT_KEPT = {
    "A": "fourth", "B": "fifth", "C": "sixth", "D": "seventh", "E": "eighth",
    "F": "ninth", "G": "tenth", "H": "eleventh", "U": "unknown",
}  # fmt: skip
_OTHER_CLAIM_KINDS = {"X223": "837I (institutional)", "X224": "837D (dental)"}
DIAGNOSIS_QUALIFIERS = frozenset({"ABK", "ABF", "BK", "BF"})
# What an NM1 loop carries after its NM1; anything else ends the loop.
_ENTITY_SEGMENTS = frozenset({"N2", "N3", "N4", "REF", "DMG", "PRV", "PER", "DTP"})


class Claim837Error(FileRejected):
    """The file is not a readable 837P; the reason names the segment and the problem."""


@dataclass(slots=True)
class Read837:
    """Every claim in a file, in file order, and the problems found in the claims."""

    envelope: ScannedFile
    claims: list[Claim] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def read_837(source: str | ScannedFile) -> Read837:
    """Read every claim in every ISA/GS/ST envelope of an 837P file (text or an envelope scan)."""
    text = source.text if isinstance(source, ScannedFile) else source
    stream = X12Stream([text], text=True, keep=True)
    reader = Reader837(stream)
    claims = list(reader)
    scanned = ScannedFile(stream.interchanges, stream.transactions, list(stream.findings), text)
    return Read837(scanned, claims, reader.findings)


def person_name(last: str, first: str = "", middle: str = "", suffix: str = "") -> str:
    """``SMITH, TED J JR`` — the way billers read a name from NM1."""
    given = " ".join(part for part in (first, middle, suffix) if part)
    return f"{last}, {given}" if given and last else (last or given)


def _el(seg: X12Segment, ref: str) -> str:
    """``"02"`` (a whole element) or ``"01-2"`` (a component), stripped; "" when absent.

    Reads pyx12's parsed elements directly: ``Segment.get_value`` re-parses the reference on
    every call, which was most of the reading time on big files.
    """
    position, component = _reference(ref)
    elements = seg.elements
    if position > len(elements):
        return ""
    composite = elements[position - 1]
    if component is None:
        whole = composite.elements[0].value if len(composite) == 1 else composite.format()
        return whole.strip()
    if component > len(composite):
        return ""
    return composite[component - 1].value.strip()


@lru_cache(maxsize=64)
def _reference(ref: str) -> tuple[int, int | None]:
    element, _, component = ref.partition("-")
    return int(element), int(component) if component else None


def kept_segment(seg: X12Segment) -> Segment:
    """A pyx12 segment as a :class:`Segment`: trailing empty elements and components dropped,
    a composite of one component kept as plain text."""
    elements: list[Element] = []
    for composite in seg.elements:
        parts = [e.value.strip() for e in composite.elements]
        while len(parts) > 1 and parts[-1] == "":
            parts.pop()
        elements.append(parts[0] if len(parts) == 1 else tuple(parts))
    while elements and elements[-1] == "":
        elements.pop()
    return Segment(seg.get_seg_id() or "", tuple(elements))


def _rest(seg: X12Segment, start: int) -> tuple[Element, ...]:
    """Elements from position ``start`` on, as kept (for REF03-04, PAT02-09)."""
    return kept_segment(seg).elements[start - 1 :]


@dataclass(slots=True)
class _OpenClaim:
    claim: Claim
    position: int
    # The 2320 loop being read, and its level; None until the first 2320 SBR of the claim.
    other: Coverage | None = None
    other_level: PayerLevel | None = None
    other_level_named: bool = True
    other_level_position: int = 0
    line: ServiceLine | None = None
    line_position: int = 0
    line_has_sv1: bool = True
    loop: list[Segment] | None = None  # an open 2430 or 2440 loop of the line


class Reader837:
    """One pass over the segments.

    ``section`` says which loop the last HL/NM1/CLM/SBR/LX/LIN/SVD/LQ opened; ``entity`` is the
    NM1 loop that N3, N4, REF, DMG, PRV, PER and DTP belong to while one is open.

    Iterate it for the claims, each handed over when the next claim (or its transaction set)
    begins: memory holds one claim at a time. ``findings`` collects problems in the claims.
    """

    def __init__(self, stream: X12Stream) -> None:
        self.stream = stream
        self.findings: list[Finding] = []
        self.transaction_findings: list[Finding] = []  # each ST..SE's envelope problems
        self.claims_read = 0
        self.position = 0
        self.segment_id = ""
        self.in_transaction = False
        self.section = ""
        self.entity: Entity | None = None
        self.transaction_type = "CH"
        self.submitter: Entity | None = None
        self.billing: Entity | None = None
        self.billing_taxonomy = ""
        self.billing_extra: list[Segment] = []
        self.pay_to: Entity | None = None
        self.pay_to_plan: Entity | None = None
        self.coverage: Coverage | None = None
        self.subscriber_level: PayerLevel | None = None
        self.subscriber_payer: ClaimPayerRef | None = None
        self.subscriber_name = ""
        self.patient: Patient | None = None
        self.patient_name = ""
        self.open: _OpenClaim | None = None
        self.closed: list[Claim] = []
        self.gs_version = ""
        self.noted_4010 = False

    # -- the pass --------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Claim]:
        for number, seg in self.stream:
            self.position = number
            self.segment_id = seg.seg_id or ""
            self._segment(seg)
            if self.segment_id == "SE" and self.stream.closed_set is not None:
                self.transaction_findings.extend(self.stream.closed_set.findings)
            if self.closed:
                yield from self.closed
                self.claims_read += len(self.closed)
                self.closed = []
        self._close_claim()
        yield from self.closed
        self.claims_read += len(self.closed)
        self.closed = []
        if not self.claims_read:
            raise Claim837Error("no claims (CLM segments) found", kind="837")

    def _segment(self, seg: X12Segment) -> None:
        sid = self.segment_id
        if sid == "GS":
            self.gs_version = _el(seg, "08")
        elif sid == "ST":
            self._start_transaction(seg)
        elif sid == "SE":
            self._close_claim()
            self.in_transaction = False
        elif not self.in_transaction or sid in ("GE", "IEA"):
            return
        elif sid == "BHT":
            self.transaction_type = _el(seg, "06") or "CH"
        elif sid == "HL":
            self._hierarchy(seg)
        elif sid == "NM1":
            self._name(seg)
        elif self.entity is not None and sid in _ENTITY_SEGMENTS:
            self._entity_segment(self.entity, seg)
        elif sid == "SBR":
            self._subscriber(seg)
        elif sid == "CLM":
            self._start_claim(seg)
        elif sid == "LX":
            self._start_line(seg)
        elif self.open is None:
            self._outside_claim(seg)
        elif self.open.line is None:
            self._claim_segment(seg)
        else:
            self._line_segment(seg)

    def _error(self, problem: str) -> Claim837Error:
        return Claim837Error(
            f"segment {self.position} ({self.segment_id}): {problem}", segment=self.position,
            kind="837")

    def _finding(self, message: str, severity: Severity = Severity.WARNING) -> None:
        self.findings.append(
            Finding(severity, FindingSource.STRUCTURE, message, self.segment_id, self.position)
        )

    # -- envelopes and hierarchy -------------------------------------------------------------

    def _start_transaction(self, seg: X12Segment) -> None:
        self._close_claim()
        kind = _el(seg, "01")
        if kind != "837":
            raise self._error(f"transaction set {kind} is not an 837 claim")
        version = _el(seg, "03") or self.gs_version
        if version.startswith("004010") and not self.noted_4010:
            self.noted_4010 = True
            self._finding(
                f"This is a 4010 claim file ({version}), the format used before 5010; pctui "
                "reads the claim data it keeps the same way")
        for marker, name in _OTHER_CLAIM_KINDS.items():
            if marker in version:
                raise self._error(
                    f"{version} is an {name} claim; pctui reads professional claims "
                    "(837P, 005010X222)"
                )
        self.in_transaction = True
        self.section = "ST"
        self.entity = None
        self.transaction_type = "CH"
        self.submitter = None
        self._new_billing_provider()
        self._new_subscriber()

    def _new_billing_provider(self) -> None:
        self.billing = None
        self.billing_taxonomy = ""
        self.billing_extra = []
        self.pay_to = None
        self.pay_to_plan = None

    def _new_subscriber(self) -> None:
        self.coverage = None
        self.subscriber_level = None
        self.subscriber_payer = None
        self.subscriber_name = ""
        self.patient = None
        self.patient_name = ""

    def _hierarchy(self, seg: X12Segment) -> None:
        self._close_claim()
        self.entity = None
        code = _el(seg, "03")
        if code == "20":
            self.section = "2000A"
            self._new_billing_provider()
            self._new_subscriber()
        elif code == "22":
            self.section = "2000B"
            self._new_subscriber()
        elif code == "23":
            self.section = "2000C"
            self.patient = None
            self.patient_name = ""
        else:
            self.section = f"HL{code}"

    def _level(self, seg: X12Segment) -> PayerLevel | None:
        code = _el(seg, "01")
        level = SBR_LEVELS.get(code)
        if level is None:
            which = _LEVELS_NOT_KEPT.get(code, f"'{code}'")
            self._finding(
                f"Insurance at {which} payer responsibility (SBR01 {code or 'blank'}) is not "
                "kept: pctui follows primary, secondary and tertiary payers"
            )
        return level

    @staticmethod
    def _coverage(seg: X12Segment) -> Coverage:
        return Coverage(
            responsibility=_el(seg, "01"),
            relationship=_el(seg, "02"),
            group_number=_el(seg, "03"),
            group_name=_el(seg, "04"),
            insurance_type=_el(seg, "05"),
            filing_indicator=_el(seg, "09"),
        )

    def _subscriber(self, seg: X12Segment) -> None:
        self.entity = None
        if self.open is None:
            if self.section == "2000B":
                self.subscriber_level = self._level(seg)
                self.coverage = self._coverage(seg)
            return
        # An SBR after CLM opens loop 2320: another payer of this claim.
        self._finish_other_payer()
        self._finish_line()
        self.open.line = None
        self.open.loop = None
        self.section = "2320"
        level = self._level(seg)
        claim = self.open.claim
        self.open.other = self._coverage(seg)
        claim.other_coverages.append(self.open.other)
        if level is not None and level in claim.payers:
            self._finding(
                f"Claim {claim.claim_id}: {level.value} payer is named twice; the first is kept"
            )
            level = None
        self.open.other_level = level
        self.open.other_level_named = level is None
        self.open.other_level_position = self.position

    # -- NM1 loops -----------------------------------------------------------------------------

    def _name(self, seg: X12Segment) -> None:
        entity = self._entity(seg)
        code = entity.code
        self.entity = entity
        if self.open is not None:
            self._claim_name(entity, seg)
        elif self.section in ("2000A", "2010AA", "2010AB", "2010AC"):
            if code == "87":
                self.pay_to, self.section = entity, "2010AB"
            elif code == "PE":
                self.pay_to_plan, self.section = entity, "2010AC"
            else:
                entity.taxonomy = self.billing_taxonomy
                self.billing, self.section = entity, "2010AA"
        elif self.section in ("2000B", "2010BA", "2010BB"):
            if self.coverage is None:
                self.coverage = Coverage("")
            if code == "PR":
                self.coverage.payer, self.section = entity, "2010BB"
                self.subscriber_payer = ClaimPayerRef(entity.last_name, entity.identifier or None)
            else:
                self.coverage.subscriber, self.section = entity, "2010BA"
                if code == "IL":
                    self.subscriber_name = entity.name
        elif self.section in ("2000C", "2010CA"):
            if self.patient is None:
                self.patient = Patient("", entity)
            else:
                self.patient.entity = entity
            self.section = "2010CA"
            if code == "QC":
                self.patient_name = entity.name
        elif code == "41":
            self.submitter = entity  # 1000A: its PER is the practice's EDI contact
        else:
            self.entity = None  # 1000B receiver: the connection names its own

    def _claim_name(self, entity: Entity, seg: X12Segment) -> None:
        assert self.open is not None
        if self.open.line is not None:
            self._finish_line_loop()
            self.open.line.providers.append(entity)
            self.section = "2420"
        elif self.open.other is not None:
            other = self.open.other
            self.section = "2330"
            if entity.code == "IL" and other.subscriber is None:
                other.subscriber = entity
            elif entity.code == "PR" and other.payer is None:
                other.payer = entity
                self._other_payer(entity)
            else:
                other.other_entities.append(entity)
        else:
            self.open.claim.providers.append(entity)
            self.section = "2310"

    @staticmethod
    def _entity(seg: X12Segment) -> Entity:
        return Entity(
            code=_el(seg, "01"),
            kind=_el(seg, "02"),
            last_name=_el(seg, "03"),
            first_name=_el(seg, "04"),
            middle_name=_el(seg, "05"),
            suffix=_el(seg, "07"),
            id_qualifier=_el(seg, "08"),
            identifier=_el(seg, "09"),
        )

    def _entity_segment(self, entity: Entity, seg: X12Segment) -> None:
        sid = self.segment_id
        if sid == "N3":
            address = entity.address = entity.address or Address()
            address.line1, address.line2 = _el(seg, "01"), _el(seg, "02")
        elif sid == "N4":
            address = entity.address = entity.address or Address()
            address.city, address.state = _el(seg, "01"), _el(seg, "02")
            address.postal_code, address.country = _el(seg, "03"), _el(seg, "04")
            address.country_subdivision = _el(seg, "07")
        elif sid == "REF":
            entity.references.append(_ref(seg))
        elif sid == "PRV" and not entity.taxonomy and _el(seg, "02") in ("PXC", ""):
            entity.taxonomy = _el(seg, "03")
        elif sid == "DMG" and _el(seg, "01") == "D8" and not entity.birth_date and not (
            entity.gender
        ):
            entity.birth_date, entity.gender = _el(seg, "02"), _el(seg, "03")
        else:
            entity.extra.append(kept_segment(seg))

    # -- outside claims: the billing provider, subscriber and patient levels -------------------

    def _outside_claim(self, seg: X12Segment) -> None:
        sid = self.segment_id
        if self.section == "2000A" and sid == "PRV":
            self.billing_taxonomy = _el(seg, "03")
            if self.billing is not None:
                self.billing.taxonomy = self.billing_taxonomy
        elif self.section in ("2000A", "2010AA", "2010AB", "2010AC"):
            self.billing_extra.append(kept_segment(seg))
        elif self.section in ("2000B", "2010BA", "2010BB") and self.coverage is not None:
            self.coverage.extra.append(kept_segment(seg))
        elif self.section in ("2000C", "2010CA") and sid == "PAT":
            entity = self.patient.entity if self.patient else Entity("QC", "1")
            self.patient = Patient(_el(seg, "01"), entity, _rest(seg, 2))

    def _other_payer(self, entity: Entity) -> None:
        assert self.open is not None
        level = self.open.other_level
        if level is None or self.open.other_level_named:
            return
        self.open.claim.payers[level] = ClaimPayerRef(entity.last_name, entity.identifier or None)
        self.open.other_level_named = True

    def _finish_other_payer(self) -> None:
        """A 2320 loop without its 2330B payer still says the claim has insurance at that level."""
        if self.open is None or self.open.other_level is None or self.open.other_level_named:
            return
        level = self.open.other_level
        self.open.claim.payers[level] = ClaimPayerRef("", None)
        self.open.other_level_named = True
        self.findings.append(
            Finding(
                Severity.WARNING,
                FindingSource.STRUCTURE,
                f"Claim {self.open.claim.claim_id}: the {level.value} payer has no name or ID "
                "(loop 2330B NM1*PR is missing)",
                "SBR",
                self.open.other_level_position,
            )
        )

    # -- claims --------------------------------------------------------------------------------

    def _start_claim(self, seg: X12Segment) -> None:
        self._close_claim()
        self.entity = None
        claim_id = _el(seg, "01")
        if not claim_id:
            raise self._error("the claim has no patient control number (CLM01)")
        charge = self._amount(_el(seg, "02"), f"claim {claim_id} total charge (CLM02)")
        place = self._composite(seg, 5, "CLM05 (place of service and frequency)")
        place += [""] * (3 - len(place))
        frequency = frequency_of(place[2])
        if frequency is None:
            self._finding(
                f"Claim {claim_id}: frequency code (CLM05-3) '{place[2]}' is not one an 837P uses "
                "(1 original, 7 replacement, 8 void); read as an original claim"
            )
            frequency = Frequency.ORIGINAL
        related = tuple(_el(seg, f"11-{i}") for i in (1, 2, 3))
        while related and not related[-1]:
            related = related[:-1]
        claim = Claim(
            claim_id=claim_id,
            charge=charge,
            patient_name=self.patient_name or self.subscriber_name,
            billing_provider=self.billing,
            pay_to=self.pay_to,
            pay_to_plan=self.pay_to_plan,
            billing_extra=self.billing_extra,
            subscriber=self.coverage,
            patient=self.patient,
            place_of_service=place[0],
            facility_qualifier=place[1],
            frequency_code=frequency.value,
            provider_signature=_el(seg, "06"),
            assignment=_el(seg, "07"),
            benefits_assignment=_el(seg, "08"),
            release_of_information=_el(seg, "09"),
            patient_signature_source=_el(seg, "10"),
            related_causes=related,
            accident_state=_el(seg, "11-4"),
            accident_country=_el(seg, "11-5"),
            special_program=_el(seg, "12"),
            delay_reason=_el(seg, "20"),
            transaction_type=self.transaction_type,
            submitter=self.submitter,
        )
        for position in (3, 4, 13, 14, 15, 16, 17, 18, 19):
            if _el(seg, f"{position:02d}"):
                self._finding(
                    f"Claim {claim_id}: CLM{position:02d} is not used in a professional claim "
                    "and is not kept"
                )
        if self.subscriber_level is not None:
            claim.payers[self.subscriber_level] = self.subscriber_payer or ClaimPayerRef("")
            if self.subscriber_payer is None:
                self._finding(
                    f"Claim {claim_id}: the {self.subscriber_level.value} payer has no name or "
                    "ID (loop 2010BB NM1*PR is missing)"
                )
        self.open = _OpenClaim(claim, self.position)
        self.section = "2300"

    def _claim_segment(self, seg: X12Segment) -> None:
        """A segment of loop 2300 (or of an open 2320 loop) that is not an NM1 loop's."""
        assert self.open is not None
        self.entity = None
        sid, claim = self.segment_id, self.open.claim
        if self.open.other is not None:
            self.open.other.extra.append(kept_segment(seg))
        elif sid == "DTP":
            claim.dates.append(ClaimDate(_el(seg, "01"), _el(seg, "02"), _el(seg, "03")))
        elif sid == "REF" and _el(seg, "01") == "F8" and claim.payer_claim_number is None:
            claim.payer_claim_number = _el(seg, "02") or None
        elif sid == "REF":
            claim.references.append(_ref(seg))
        elif sid == "HI" and _el(seg, "01-1") in DIAGNOSIS_QUALIFIERS:
            self._diagnoses(claim, seg)
        else:
            claim.extra.append(kept_segment(seg))

    def _diagnoses(self, claim: Claim, seg: X12Segment) -> None:
        kept = kept_segment(seg)
        for element in kept.elements:
            parts = element if isinstance(element, tuple) else (element,)
            if not parts[0]:
                continue
            if parts[0] not in DIAGNOSIS_QUALIFIERS or len(parts) > 2:
                self._finding(
                    f"Claim {claim.claim_id}: diagnosis entry '{':'.join(parts)}' is not a "
                    "diagnosis code (ABK/ABF/BK/BF and a code) and is not kept"
                )
                continue
            claim.diagnoses.append(Diagnosis(parts[0], parts[1] if len(parts) > 1 else ""))

    # -- lines ---------------------------------------------------------------------------------

    def _start_line(self, seg: X12Segment) -> None:
        if self.open is None:
            raise self._error("a service line (LX) comes before any claim (CLM)")
        self._finish_line()
        self._finish_other_payer()
        self.entity = None
        self.open.other = None
        self.open.loop = None
        raw = _el(seg, "01")
        try:
            number = int(raw)
        except ValueError:
            raise self._error(f"service line number '{raw}' is not a whole number") from None
        claim = self.open.claim
        if any(line.line_number == number for line in claim.service_lines):
            raise self._error(f"claim {claim.claim_id} has service line {number} twice")
        self.open.line = ServiceLine(line_number=number, procedure="")
        self.open.line_position = self.position
        self.open.line_has_sv1 = False
        claim.service_lines.append(self.open.line)
        self.section = "2400"

    def _line_segment(self, seg: X12Segment) -> None:
        assert self.open is not None and self.open.line is not None
        self.entity = None
        sid, line = self.segment_id, self.open.line
        if sid == "SV1":
            self._professional_service(seg)
        elif sid == "LIN":
            self._finish_line_loop()
            line.drug = Drug(ndc=_el(seg, "03"), qualifier=_el(seg, "02"))
            self.section = "2410"
        elif sid == "CTP" and self.section == "2410" and line.drug is not None:
            line.drug.quantity, line.drug.unit = _el(seg, "04"), _el(seg, "05-1")
        elif sid == "REF" and self.section == "2410" and line.drug is not None:
            line.drug.references.append(_ref(seg))
        elif sid in ("SVD", "LQ"):
            self.open.loop = [kept_segment(seg)]
            (line.adjudications if sid == "SVD" else line.forms).append(self.open.loop)
            self.section = "2430" if sid == "SVD" else "2440"
        elif self.open.loop is not None:
            self.open.loop.append(kept_segment(seg))
        elif sid == "DTP" and _el(seg, "01") == "472" and line.service_date is None:
            self._service_date(seg)
        elif sid == "DTP":
            line.dates.append(ClaimDate(_el(seg, "01"), _el(seg, "02"), _el(seg, "03")))
        elif sid == "REF" and _el(seg, "01") == "6R" and line.control_number is None:
            line.control_number = _el(seg, "02") or None
        elif sid == "REF":
            line.references.append(_ref(seg))
        else:
            line.extra.append(kept_segment(seg))

    def _finish_line_loop(self) -> None:
        if self.open is not None:
            self.open.loop = None

    def _professional_service(self, seg: X12Segment) -> None:
        if self.open is None or self.open.line is None:
            raise self._error("a service (SV1) comes before its service line (LX)")
        line = self.open.line
        parts = self._composite(seg, 1, "SV101 (procedure)")
        parts += [""] * (7 - len(parts))
        procedure = parts[1]
        if not procedure:
            raise self._error(f"service line {line.line_number} has no procedure code (SV101-2)")
        line.procedure = procedure
        line.procedure_qualifier = parts[0]
        line.modifiers = tuple(m for m in parts[2:6] if m)
        line.description = parts[6]
        line.charge = self._amount(
            _el(seg, "02"), f"service line {line.line_number} charge (SV102)"
        )
        line.unit_code = _el(seg, "03") or "UN"
        line.units = self._units(_el(seg, "04"), line.line_number)
        line.place_of_service = _el(seg, "05")
        line.diagnosis_pointers = self._pointers(seg, line.line_number)
        line.emergency = _el(seg, "09")
        line.epsdt = _el(seg, "11")
        line.family_planning = _el(seg, "12")
        line.copay_exempt = _el(seg, "15")
        self.open.line_has_sv1 = True

    def _pointers(self, seg: X12Segment, line_number: int) -> tuple[int, ...]:
        pointers: list[int] = []
        for i in range(1, 5):
            raw = _el(seg, f"07-{i}")
            if not raw:
                continue
            if raw.isdigit():
                pointers.append(int(raw))
            else:
                self._finding(
                    f"Service line {line_number}: diagnosis pointer '{raw}' (SV107-{i}) is not "
                    "a number and is not kept"
                )
        return tuple(pointers)

    def _service_date(self, seg: X12Segment) -> None:
        assert self.open is not None and self.open.line is not None
        qualifier, raw = _el(seg, "02"), _el(seg, "03")
        start, _, end = raw.partition("-") if qualifier == "RD8" else (raw, "", "")
        line = self.open.line
        line.service_date = self._date(start, raw, line.line_number)
        if end:
            line.service_date_end = self._date(end, raw, line.line_number)

    def _date(self, text: str, raw: str, line_number: int) -> date:
        try:
            return datetime.strptime(text, "%Y%m%d").date()
        except ValueError:
            raise self._error(
                f"service line {line_number} date '{raw}' is not a date (CCYYMMDD)"
            ) from None

    def _finish_line(self) -> None:
        if self.open is not None and self.open.line is not None and not self.open.line_has_sv1:
            raise Claim837Error(
                f"segment {self.open.line_position} (LX): claim {self.open.claim.claim_id} "
                f"service line {self.open.line.line_number} has no professional service (SV1)",
                segment=self.open.line_position,
            )

    def _close_claim(self) -> None:
        if self.open is None:
            return
        self._finish_line()
        self._finish_other_payer()
        claim = self.open.claim
        dates = [line.service_date for line in claim.service_lines if line.service_date]
        claim.service_date = min(dates) if dates else None
        self._check_claim(claim)
        self.closed.append(claim)
        self.open = None
        self.entity = None

    def _check_claim(self, claim: Claim) -> None:
        assert self.open is not None
        where = ("CLM", self.open.position)
        if PayerLevel.PRIMARY not in claim.payers:
            self.findings.append(Finding(
                Severity.WARNING, FindingSource.STRUCTURE,
                f"Claim {claim.claim_id} has no primary payer (no SBR*P)", *where))  # fmt: skip
        if not claim.service_lines:
            self.findings.append(Finding(
                Severity.WARNING, FindingSource.STRUCTURE,
                f"Claim {claim.claim_id} has no service lines", *where))  # fmt: skip
            return
        lines_total = sum((line.charge for line in claim.service_lines), ZERO)
        if lines_total != claim.charge:
            self.findings.append(Finding(
                Severity.WARNING, FindingSource.STRUCTURE,
                f"Claim {claim.claim_id}: total charge {claim.charge:.2f} (CLM02) does not equal "
                f"the sum of its service lines {lines_total:.2f}", *where))  # fmt: skip

    # -- values ------------------------------------------------------------------------------

    def _composite(self, seg: X12Segment, n: int, what: str) -> list[str]:
        """A composite's parts, stripped. One written with another separator than the ISA16 the
        file declares (``HC>99213`` under ``:``) is still split, with a finding: the meaning is
        certain, as a clearinghouse would read it."""
        elements = seg.elements
        if n > len(elements):
            return []
        parts = [c.value.strip() for c in elements[n - 1].elements]
        if len(parts) == 1 and parts[0]:
            stray = next((ch for ch in parts[0] if not ch.isalnum() and ch not in " -."), None)
            if stray is not None:
                self._finding(
                    f"{what} separates its parts with {stray!r} but the file declares "
                    f"{seg.subele_term!r} (ISA16); read with {stray!r}"
                )
                return [part.strip() for part in parts[0].split(stray)]
        return parts

    def _amount(self, raw: str, what: str) -> Decimal:
        try:
            return parse_amount(raw)
        except AmountError as exc:
            shown = raw if len(raw) <= 40 else raw[:37] + "..."
            raise self._error(f"{what} '{shown}' {exc.problem}") from None

    def _units(self, raw: str, line_number: int) -> Decimal:
        if not raw:
            return Decimal(1)
        try:
            units = Decimal(raw) if len(raw) <= 18 and is_plain_decimal(raw) else Decimal("NaN")
        except InvalidOperation:
            units = Decimal("NaN")
        if not units.is_finite() or units <= 0:
            raise self._error(f"service line {line_number} units '{raw}' is not a positive number")
        return units


def _ref(seg: X12Segment) -> Reference:
    return Reference(_el(seg, "01"), _el(seg, "02"), _rest(seg, 3))
