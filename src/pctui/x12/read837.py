"""Read 837P professional claims (005010X222) into :class:`pctui.core.claim.Claim` objects.

Only what posting needs is read: CLM01/CLM02, the frequency code (CLM05-3) and the payer's claim
number for a replacement or void (REF*F8), the patient, the payer at each level (SBR01 P/S/T with
loop 2010BB or 2330B ``NM1*PR``) and the service lines (LX, SV1, DTP*472, REF*6R). A composite
written with another separator than ISA16 declares (SV101, CLM05) is read with a finding. A file
that cannot be read raises :class:`Claim837Error` (a :class:`~pctui.x12.envelope.FileRejected`)
naming the segment and the problem; problems in the claims of a readable file become
:class:`~pctui.core.era.Finding` objects. Envelopes are split by :mod:`pctui.x12.envelope`, whose
own findings (segment counts, control numbers) stay on its :class:`ScannedFile`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import pyx12.errors
from pyx12.segment import Segment
from pyx12.x12file import X12Reader

from pctui.core.claim import Claim, ClaimPayerRef, ServiceLine
from pctui.core.claim_change import Frequency, frequency_of
from pctui.core.codes import PayerLevel
from pctui.core.era import Finding, FindingSource, Severity
from pctui.core.money import ZERO, AmountError, parse_amount
from pctui.x12.envelope import FileRejected, ScannedFile, scan

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
    scanned = scan(source) if isinstance(source, str) else source
    return _Reader837(scanned).read()


def person_name(last: str, first: str = "", middle: str = "", suffix: str = "") -> str:
    """``SMITH, TED J JR`` — the way billers read a name from NM1."""
    given = " ".join(part for part in (first, middle, suffix) if part)
    return f"{last}, {given}" if given and last else (last or given)


def _el(seg: Segment, ref: str) -> str:
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


@dataclass(slots=True)
class _OpenClaim:
    claim: Claim
    position: int
    # The level of the 2320 loop being read; None until the first 2320 SBR of the claim.
    other_level: PayerLevel | None = None
    other_level_named: bool = True
    other_level_position: int = 0
    line: ServiceLine | None = None
    line_position: int = 0
    line_has_sv1: bool = True


class _Reader837:
    """One pass over the segments; ``section`` says which loop the last HL/CLM/SBR/LX opened."""

    def __init__(self, scanned: ScannedFile) -> None:
        self.result = Read837(scanned)
        self.position = 0
        self.segment_id = ""
        self.in_transaction = False
        self.section = ""
        self.subscriber_level: PayerLevel | None = None
        self.subscriber_payer: ClaimPayerRef | None = None
        self.subscriber_name = ""
        self.patient_name = ""
        self.open: _OpenClaim | None = None
        self.gs_version = ""

    # -- the pass --------------------------------------------------------------------------

    def read(self) -> Read837:
        for transaction in self.result.envelope.transactions:
            if transaction.kind != "837":
                self.position, self.segment_id = transaction.first_segment, "ST"
                raise self._error(f"transaction set {transaction.kind} is not an 837 claim")
        for interchange in self.result.envelope.interchanges:
            self._read_interchange(interchange.text, interchange.first_segment)
        if not self.result.claims:
            raise Claim837Error("no claims (CLM segments) found")
        return self.result

    def _read_interchange(self, text: str, first_segment: int) -> None:
        try:
            reader = X12Reader(io.StringIO(text))
            for seg in reader:
                self.position = first_segment + reader.get_cur_line() - 1
                self.segment_id = seg.get_seg_id() or ""
                self._segment(seg)
            self._close_claim()
        except (pyx12.errors.X12Error, pyx12.errors.EngineError) as exc:
            raise self._error(f"cannot be read: {exc}") from exc

    def _segment(self, seg: Segment) -> None:
        sid = self.segment_id
        if sid == "GS":
            self.gs_version = _el(seg, "08")
        elif sid == "ST":
            self._start_transaction(seg)
        elif sid == "SE":
            self._close_claim()
            self.in_transaction = False
        elif not self.in_transaction:
            return
        elif sid == "HL":
            self._hierarchy(seg)
        elif sid == "SBR":
            self._subscriber(seg)
        elif sid == "NM1":
            self._name(seg)
        elif sid == "CLM":
            self._start_claim(seg)
        elif sid == "LX":
            self._start_line(seg)
        elif sid == "SV1":
            self._professional_service(seg)
        elif sid == "DTP" and _el(seg, "01") == "472":
            self._service_date(seg)
        elif sid == "REF":
            self._reference(seg)

    def _error(self, problem: str) -> Claim837Error:
        return Claim837Error(
            f"segment {self.position} ({self.segment_id}): {problem}", segment=self.position
        )

    def _finding(self, message: str, severity: Severity = Severity.WARNING) -> None:
        self.result.findings.append(
            Finding(severity, FindingSource.STRUCTURE, message, self.segment_id, self.position)
        )

    # -- envelopes and hierarchy -------------------------------------------------------------

    def _start_transaction(self, seg: Segment) -> None:
        self._close_claim()
        version = _el(seg, "03") or self.gs_version
        for marker, name in _OTHER_CLAIM_KINDS.items():
            if marker in version:
                raise self._error(
                    f"{version} is an {name} claim; pctui reads professional claims "
                    "(837P, 005010X222)"
                )
        self.in_transaction = True
        self.section = "ST"
        self.subscriber_level = None
        self.subscriber_payer = None
        self.subscriber_name = ""
        self.patient_name = ""

    def _hierarchy(self, seg: Segment) -> None:
        self._close_claim()
        code = _el(seg, "03")
        if code == "20":
            self.section = "2000A"
        elif code == "22":
            self.section = "2000B"
            self.subscriber_level = None
            self.subscriber_payer = None
            self.subscriber_name = ""
            self.patient_name = ""
        elif code == "23":
            self.section = "2000C"
            self.patient_name = ""
        else:
            self.section = f"HL{code}"

    def _level(self, seg: Segment) -> PayerLevel | None:
        code = _el(seg, "01")
        level = SBR_LEVELS.get(code)
        if level is None:
            which = _LEVELS_NOT_KEPT.get(code, f"'{code}'")
            self._finding(
                f"Insurance at {which} payer responsibility (SBR01 {code or 'blank'}) is not "
                "kept: pctui follows primary, secondary and tertiary payers"
            )
        return level

    def _subscriber(self, seg: Segment) -> None:
        if self.open is None:
            if self.section == "2000B":
                self.subscriber_level = self._level(seg)
            return
        # An SBR after CLM opens loop 2320: another payer of this claim.
        self._finish_other_payer()
        self.open.line = None
        self.section = "2320"
        level = self._level(seg)
        claim = self.open.claim
        if level is not None and level in claim.payers:
            self._finding(
                f"Claim {claim.claim_id}: {level.value} payer is named twice; the first is kept"
            )
            level = None
        self.open.other_level = level
        self.open.other_level_named = level is None
        self.open.other_level_position = self.position

    def _name(self, seg: Segment) -> None:
        entity = _el(seg, "01")
        if self.section == "2000B" and entity == "IL":
            self.subscriber_name = self._person(seg)
        elif self.section == "2000B" and entity == "PR":
            self.subscriber_payer = ClaimPayerRef(_el(seg, "03"), _el(seg, "09") or None)
        elif self.section == "2000C" and entity == "QC":
            self.patient_name = self._person(seg)
        elif self.section == "2320" and entity == "PR" and self.open is not None:
            self._other_payer(seg)

    @staticmethod
    def _person(seg: Segment) -> str:
        return person_name(_el(seg, "03"), _el(seg, "04"), _el(seg, "05"), _el(seg, "07"))

    def _other_payer(self, seg: Segment) -> None:
        assert self.open is not None
        level = self.open.other_level
        if level is None or self.open.other_level_named:
            return
        self.open.claim.payers[level] = ClaimPayerRef(_el(seg, "03"), _el(seg, "09") or None)
        self.open.other_level_named = True

    def _finish_other_payer(self) -> None:
        """A 2320 loop without its 2330B payer still says the claim has insurance at that level."""
        if self.open is None or self.open.other_level is None or self.open.other_level_named:
            return
        level = self.open.other_level
        self.open.claim.payers[level] = ClaimPayerRef("", None)
        self.open.other_level_named = True
        self.result.findings.append(
            Finding(
                Severity.WARNING,
                FindingSource.STRUCTURE,
                f"Claim {self.open.claim.claim_id}: the {level.value} payer has no name or ID "
                "(loop 2330B NM1*PR is missing)",
                "SBR",
                self.open.other_level_position,
            )
        )

    # -- claims and lines ----------------------------------------------------------------------

    def _start_claim(self, seg: Segment) -> None:
        self._close_claim()
        claim_id = _el(seg, "01")
        if not claim_id:
            raise self._error("the claim has no patient control number (CLM01)")
        charge = self._amount(_el(seg, "02"), f"claim {claim_id} total charge (CLM02)")
        claim = Claim(
            claim_id=claim_id, charge=charge, patient_name=self.patient_name or self.subscriber_name
        )
        place = self._composite(seg, 5, "CLM05 (place of service and frequency)")
        code = place[2] if len(place) > 2 else ""
        frequency = frequency_of(code)
        if frequency is None:
            self._finding(
                f"Claim {claim_id}: frequency code (CLM05-3) '{code}' is not one an 837P uses "
                "(1 original, 7 replacement, 8 void); read as an original claim"
            )
            frequency = Frequency.ORIGINAL
        claim.frequency_code = frequency.value
        if self.subscriber_level is not None:
            claim.payers[self.subscriber_level] = self.subscriber_payer or ClaimPayerRef("")
            if self.subscriber_payer is None:
                self._finding(
                    f"Claim {claim_id}: the {self.subscriber_level.value} payer has no name or "
                    "ID (loop 2010BB NM1*PR is missing)"
                )
        self.open = _OpenClaim(claim, self.position)
        self.section = "2300"

    def _start_line(self, seg: Segment) -> None:
        if self.open is None:
            raise self._error("a service line (LX) comes before any claim (CLM)")
        self._finish_line()
        self._finish_other_payer()
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

    def _professional_service(self, seg: Segment) -> None:
        if self.open is None or self.open.line is None:
            raise self._error("a service (SV1) comes before its service line (LX)")
        line = self.open.line
        parts = self._composite(seg, 1, "SV101 (procedure)")
        procedure = parts[1] if len(parts) > 1 else ""
        if not procedure:
            raise self._error(f"service line {line.line_number} has no procedure code (SV101-2)")
        line.procedure = procedure
        line.modifiers = tuple(m for m in parts[2:6] if m)
        line.charge = self._amount(
            _el(seg, "02"), f"service line {line.line_number} charge (SV102)"
        )
        line.unit_code = _el(seg, "03") or "UN"
        line.units = self._units(_el(seg, "04"), line.line_number)
        self.open.line_has_sv1 = True

    def _service_date(self, seg: Segment) -> None:
        if self.section != "2400" or self.open is None or self.open.line is None:
            return
        qualifier, raw = _el(seg, "02"), _el(seg, "03")
        start = raw.split("-", 1)[0] if qualifier == "RD8" else raw
        try:
            self.open.line.service_date = datetime.strptime(start, "%Y%m%d").date()
        except ValueError:
            raise self._error(
                f"service line {self.open.line.line_number} date '{raw}' is not a date (CCYYMMDD)"
            ) from None

    def _reference(self, seg: Segment) -> None:
        if self.open is None:
            return
        qualifier = _el(seg, "01")
        if qualifier == "6R" and self.section == "2400" and self.open.line is not None:
            self.open.line.control_number = _el(seg, "02") or None
        elif qualifier == "F8" and self.section == "2300":
            self.open.claim.payer_claim_number = _el(seg, "02") or None

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
        self.result.claims.append(claim)
        self.open = None

    def _check_claim(self, claim: Claim) -> None:
        assert self.open is not None
        where = ("CLM", self.open.position)
        if PayerLevel.PRIMARY not in claim.payers:
            self.result.findings.append(Finding(
                Severity.WARNING, FindingSource.STRUCTURE,
                f"Claim {claim.claim_id} has no primary payer (no SBR*P)", *where))  # fmt: skip
        if not claim.service_lines:
            self.result.findings.append(Finding(
                Severity.WARNING, FindingSource.STRUCTURE,
                f"Claim {claim.claim_id} has no service lines", *where))  # fmt: skip
            return
        lines_total = sum((line.charge for line in claim.service_lines), ZERO)
        if lines_total != claim.charge:
            self.result.findings.append(Finding(
                Severity.WARNING, FindingSource.STRUCTURE,
                f"Claim {claim.claim_id}: total charge {claim.charge:.2f} (CLM02) does not equal "
                f"the sum of its service lines {lines_total:.2f}", *where))  # fmt: skip

    # -- values ------------------------------------------------------------------------------

    def _composite(self, seg: Segment, n: int, what: str) -> list[str]:
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
        except AmountError:
            raise self._error(f"{what} '{raw}' is not an amount") from None

    def _units(self, raw: str, line_number: int) -> Decimal:
        if not raw:
            return Decimal(1)
        try:
            units = Decimal(raw)
        except InvalidOperation:
            units = Decimal("NaN")
        if not units.is_finite() or units <= 0:
            raise self._error(f"service line {line_number} units '{raw}' is not a positive number")
        return units
