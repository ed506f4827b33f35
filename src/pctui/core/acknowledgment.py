"""Acknowledgments that answer a sent 837P: TA1, 999 and 277CA, in a biller's words.

- **TA1** answers an interchange (ISA13): accepted (A), accepted with errors (E) or rejected (R),
  with a note code saying what was wrong with the envelope.
- **999** answers each functional group (AK1: our GS06) and transaction set (AK2: our ST02):
  IK5/AK9 accepted (A), accepted with errors (E), partially accepted (P) or rejected (R, M, W,
  X), with IK3 (segment, position, loop) and IK4 (element, error, bad value) for each problem.
- **277CA** answers each claim (TRN02 = our CLM01): STC category A1/A2 accepted into
  adjudication, A3/A4/A6/A7/A8 rejected, with the status code and its words.

The code tables hold the meanings X12 publishes for the codes (TA105, IK304, IK403, IK501/AK901,
277 claim status category codes) and the claim status codes seen most on rejections; a code
missing from a table is shown as its code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum


class AckKind(StrEnum):
    TA1 = "TA1"
    F999 = "999"
    F277CA = "277CA"


class AckVerdict(StrEnum):
    """What an acknowledgment says about what it answers."""

    ACCEPTED = "accepted"
    ACCEPTED_WITH_ERRORS = "accepted_with_errors"  # 999 E / TA1 E: passed, with notes
    PARTIAL = "partially_accepted"  # 999 AK9 P: some sets accepted
    REJECTED = "rejected"
    PENDING = "pending"  # 277CA: neither accepted nor rejected yet

    @property
    def passed(self) -> bool:
        return self in (AckVerdict.ACCEPTED, AckVerdict.ACCEPTED_WITH_ERRORS)


TA1_NOTES = {
    "000": "No error", "001": "The interchange control number in the header and trailer do "
    "not match", "002": "This standard as noted in the control standards identifier is not "
    "supported", "003": "This version of the controls is not supported",
    "004": "The segment terminator is invalid", "005": "Invalid interchange ID qualifier for "
    "the sender", "006": "Invalid interchange sender ID", "007": "Invalid interchange ID "
    "qualifier for the receiver", "008": "Invalid interchange receiver ID",
    "009": "Unknown interchange receiver ID", "010": "Invalid authorization information "
    "qualifier value", "011": "Invalid authorization information value",
    "012": "Invalid security information qualifier value", "013": "Invalid security "
    "information value", "014": "Invalid interchange date value", "015": "Invalid "
    "interchange time value", "016": "Invalid interchange standards identifier value",
    "017": "Invalid interchange version ID value", "018": "Invalid interchange control number "
    "value", "019": "Invalid acknowledgment requested value", "020": "Invalid test indicator "
    "value", "021": "Invalid number of included groups value", "022": "Invalid control "
    "structure", "023": "Improper (premature) end-of-file (transmission)",
    "024": "Invalid interchange content (e.g. invalid GS segment)", "025": "Duplicate "
    "interchange control number", "026": "Invalid data element separator",
    "027": "Invalid component element separator", "028": "Invalid delivery date in deferred "
    "delivery request", "029": "Invalid delivery time in deferred delivery request",
    "030": "Invalid delivery time code in deferred delivery request",
    "031": "Invalid grade of service code", "032": "Duplicate functional group or transaction "
    "set control number",
}  # fmt: skip
SEGMENT_ERRORS = {
    "1": "Unrecognized segment ID", "2": "Unexpected segment", "3": "Required segment missing",
    "4": "Loop occurs over maximum times", "5": "Segment exceeds maximum use",
    "6": "Segment not in defined transaction set", "7": "Segment not in proper sequence",
    "8": "Segment has data element errors", "I4": "Implementation \"not used\" segment present",
    "I6": "Implementation dependent segment missing", "I7": "Implementation loop occurs under "
    "minimum times", "I8": "Implementation segment below minimum use",
    "I9": "Implementation dependent \"not used\" segment present",
}  # fmt: skip
ELEMENT_ERRORS = {
    "1": "Required data element missing", "2": "Conditional required data element missing",
    "3": "Too many data elements", "4": "Data element too short", "5": "Data element too long",
    "6": "Invalid character in data element", "7": "Invalid code value", "8": "Invalid date",
    "9": "Invalid time", "10": "Exclusion condition violated", "12": "Too many repetitions",
    "13": "Too many components", "I6": "Code value not used in implementation",
    "I9": "Implementation dependent data element missing", "I10": "Implementation \"not used\" "
    "data element present", "I11": "Implementation too few repetitions",
    "I12": "Implementation pattern match failure", "I13": "Implementation dependent \"not "
    "used\" data element present",
}  # fmt: skip
SET_ERRORS = {
    "1": "Transaction set not supported", "2": "Transaction set trailer missing",
    "3": "Transaction set control number in header and trailer do not match",
    "4": "Number of included segments does not match actual count", "5": "One or more "
    "segments in error", "6": "Missing or invalid transaction set identifier",
    "7": "Missing or invalid transaction set control number", "18": "Transaction set not "
    "in functional group", "19": "Invalid transaction set implementation convention "
    "reference", "23": "Transaction set control number not unique within the functional group",
    "24": "S3E security end segment missing for S3S security start segment",
    "I5": "Implementation one or more segments in error", "I6": "Implementation convention "
    "not supported",
}  # fmt: skip
GROUP_ERRORS = {
    "1": "Functional group not supported", "2": "Functional group version not supported",
    "3": "Functional group trailer missing", "4": "Group control number in the functional "
    "group header and trailer do not agree", "5": "Number of included transaction sets does "
    "not match actual count", "6": "Group control number violates syntax",
    "19": "Functional group control number not unique within interchange",
}  # fmt: skip
CATEGORIES = {
    "A0": "Acknowledgement/Forwarded: the claim was forwarded to another entity",
    "A1": "Acknowledgement/Receipt: the claim was received",
    "A2": "Acknowledgement/Acceptance into adjudication system",
    "A3": "Acknowledgement/Returned as unprocessable claim",
    "A4": "Acknowledgement/Not Found",
    "A5": "Acknowledgement/Split Claim",
    "A6": "Acknowledgement/Rejected for Missing Information",
    "A7": "Acknowledgement/Rejected for Invalid Information",
    "A8": "Acknowledgement/Rejected for relational field in error",
    "P0": "Pending: Adjudication/Details", "P1": "Pending/In Process",
    "P2": "Pending/Payer Review", "P3": "Pending/Provider Requested Information",
    "P4": "Pending/Patient Requested Information", "P5": "Pending/Payer Administrative/System "
    "hold", "F0": "Finalized", "F1": "Finalized/Payment", "F2": "Finalized/Denial",
    "E0": "Response not possible - error on submitted request data",
    "E1": "Response not possible - System Status", "E2": "Information Holder is not responding",
    "E3": "Correction required - relational fields in error", "E4": "Trading partner "
    "agreement specific requirement not met: data correction required",
    "R0": "Requests for additional information/General Requests",
}  # fmt: skip
ACCEPTED_CATEGORIES = frozenset({"A0", "A1", "A2", "A5"})
REJECTED_CATEGORIES = frozenset({"A3", "A4", "A6", "A7", "A8", "E3", "E4"})
STATUS_CODES = {
    "0": "Cannot provide further status electronically", "1": "For more detailed information, "
    "see remittance advice", "3": "Claim has been adjudicated and is awaiting payment cycle",
    "15": "Requested information not provided as described", "16": "Claim/encounter has been "
    "rejected and has not been entered into the adjudication system", "19": "Entity "
    "acknowledges receipt of claim/encounter", "20": "Accepted for processing",
    "21": "Missing or invalid information", "24": "Entity not approved as an electronic "
    "submitter", "26": "Entity not found", "27": "Policy canceled", "29": "Subscriber and "
    "policy number/contract number mismatched", "31": "Subscriber and subscriber id not "
    "found", "32": "Subscriber and policy number/contract number not found",
    "33": "Subscriber and subscriber id mismatched", "35": "Claim/encounter not found",
    "54": "Duplicate of a previously processed claim/line", "78": "Duplicate of an existing "
    "claim/line, awaiting processing", "85": "Entity's Post Office Box", "88": "Entity not "
    "eligible for benefits for submitted dates of service", "89": "Entity not eligible for "
    "dates of service", "97": "Patient eligibility not found with entity",
    "116": "Claim submitted to incorrect payer", "128": "Entity's tax id",
    "145": "Entity's specialty/taxonomy code", "153": "Entity's id number",
    "164": "Entity's contract/member number", "187": "Date(s) of service",
    "189": "Facility type code", "200": "Service line charge", "212": "Procedure code",
    "247": "Line information", "249": "Place of service", "254": "Principal diagnosis code",
    "255": "Diagnosis code", "400": "Claim is out of balance", "454": "Procedure code for "
    "services rendered", "455": "Revenue code for services rendered", "464": "Payer "
    "Assigned Claim Control Number", "474": "Service line charge does not match the sum of "
    "the line charges", "477": "Units of service", "483": "Maximum coverage amount met or "
    "exceeded for benefit period", "484": "Business Application Currently Not Available",
    "494": "Entity's name", "500": "Entity's Street Address", "501": "Entity's City, State, "
    "ZIP", "502": "Entity's Last Name", "503": "Entity's First Name", "504": "Entity's "
    "National Provider Identifier (NPI)", "510": "Future date", "511": "Invalid character",
    "512": "Length invalid for receiver's application system", "513": "Date of birth is "
    "after date of service", "535": "Entity's Taxonomy", "562": "Entity's National Provider "
    "Identifier (NPI)", "585": "Billing Provider's ZIP code is not a 9-digit ZIP+4",
    "673": "Patient Reason for Visit", "697": "Invalid Date Range", "718": "Claim/service "
    "not submitted within the required timeframe (timely filing)", "732": "Information "
    "submitted inconsistent with billing guidelines",
}  # fmt: skip
ENTITY_CODES = {
    "40": "Receiver", "41": "Submitter", "77": "Service location", "82": "Rendering provider",
    "85": "Billing provider", "87": "Pay-to provider", "DN": "Referring provider",
    "DQ": "Supervising physician", "IL": "Insured or subscriber", "PR": "Payer",
    "QC": "Patient", "1P": "Provider", "03": "Dependent",
}  # fmt: skip


# Where in the 837P each entity of a 277CA STC01-3 is written: (loop, segment).
ENTITY_PLACES = {
    "IL": ("2010BA", "NM1"), "QC": ("2010CA", "NM1"), "03": ("2010CA", "NM1"),
    "85": ("2010AA", "NM1"), "87": ("2010AB", "NM1"), "82": ("2310B", "NM1"),
    "DN": ("2310A", "NM1"), "77": ("2310C", "NM1"), "DQ": ("2310D", "NM1"), "PR": ("2010BB", "NM1"),
}  # fmt: skip
_ENTITY_BY_WORDS = {words: code for code, words in ENTITY_CODES.items()}
_AT_PLACE = re.compile(r" at ([0-9]{4}[A-Z]{0,2}) ([A-Z][A-Z0-9]{1,2}?)([0-9]{2}(?:-[0-9]{1,2})?)? "
                       r"\(segment ")  # fmt: skip
_ENTITY = re.compile(r"entity: ([^;—]+?)(?: —|;|$)")


def rejection_places(reason: str) -> list[tuple[str, str, str]]:
    """The 837P places (loop, segment, element) a rejection's words point at, in order: a 999
    error's IK3/IK4 place (``... at 2010BA NM109 (segment 17 ...)``) and a 277CA status's entity
    (``entity: Insured or subscriber`` → the subscriber, 2010BA NM1). Reads pctui's own wording
    of acknowledgments (``SetError.location``, ``StatusInfo.message``); [] when it names none."""
    found: list[tuple[str, str, str]] = []
    for match in _AT_PLACE.finditer(reason):
        place = (match.group(1), match.group(2), match.group(3) or "")
        if place not in found:
            found.append(place)
    for match in _ENTITY.finditer(reason):
        code = _ENTITY_BY_WORDS.get(match.group(1).strip())
        if code in ENTITY_PLACES:
            loop, segment = ENTITY_PLACES[code]
            if (loop, segment, "") not in found:
                found.append((loop, segment, ""))
    return found


@dataclass(frozen=True, slots=True)
class InterchangeAck:
    """TA1: the verdict on one interchange (our ISA13)."""

    interchange_control: str  # TA101
    code: str  # TA104: A, E or R
    note_code: str  # TA105

    @property
    def verdict(self) -> AckVerdict:
        return {"A": AckVerdict.ACCEPTED, "E": AckVerdict.ACCEPTED_WITH_ERRORS}.get(
            self.code, AckVerdict.REJECTED
        )

    @property
    def note(self) -> str:
        words = TA1_NOTES.get(self.note_code, "")
        return f"{words} (TA105 {self.note_code})" if words else f"note code {self.note_code}"


@dataclass(frozen=True, slots=True)
class SetError:
    """One IK3 (with its IK4s) of a 999: what is wrong where in the transaction set."""

    segment_id: str  # IK301
    position: str  # IK302: segment position in the transaction set (ST = 1)
    loop: str  # IK303
    segment_code: str  # IK304
    element: str = ""  # IK401 (position, component)
    element_reference: str = ""  # IK402
    element_code: str = ""  # IK403
    bad_value: str = ""  # IK404
    context: str = ""  # CTX (business unit, e.g. CLM01)

    @property
    def location(self) -> str:
        where = f"{self.loop} " if self.loop else ""
        element = f"{self.segment_id}{self.element.replace(':', '-').zfill(2)}" if (
            self.element) else self.segment_id
        return f"{where}{element} (segment {self.position} of the transaction)"

    @property
    def message(self) -> str:
        if self.element_code:
            words = ELEMENT_ERRORS.get(self.element_code, f"element error {self.element_code}")
            shown = f" '{self.bad_value}'" if self.bad_value else ""
            return f"{words}{shown}"
        return SEGMENT_ERRORS.get(self.segment_code, f"segment error {self.segment_code}")


@dataclass(slots=True)
class SetAck:
    """999 AK2..IK5: the verdict on one transaction set (our ST02)."""

    transaction_set: str  # AK201 (837)
    control_number: str  # AK202
    code: str = ""  # IK501: A, E, M, R, W, X
    set_error_codes: tuple[str, ...] = ()  # IK502-IK506
    errors: list[SetError] = field(default_factory=list)

    @property
    def verdict(self) -> AckVerdict:
        return _verdict(self.code)

    @property
    def summary(self) -> str:
        parts = [SET_ERRORS.get(c, f"error {c}") for c in self.set_error_codes]
        return "; ".join(parts)


@dataclass(slots=True)
class GroupAck:
    """999 AK1..AK9: the verdict on one functional group (our GS06) and its sets."""

    functional_id: str  # AK101 (HC)
    group_control: str  # AK102
    version: str = ""  # AK103
    code: str = ""  # AK901: A, E, P, R
    counts: tuple[str, str, str] = ("", "", "")  # AK902-AK904: included, received, accepted
    group_error_codes: tuple[str, ...] = ()
    sets: list[SetAck] = field(default_factory=list)

    @property
    def verdict(self) -> AckVerdict:
        return _verdict(self.code)


def _verdict(code: str) -> AckVerdict:
    return {"A": AckVerdict.ACCEPTED, "E": AckVerdict.ACCEPTED_WITH_ERRORS,
            "P": AckVerdict.PARTIAL}.get(code, AckVerdict.REJECTED)  # fmt: skip


@dataclass(frozen=True, slots=True)
class StatusInfo:
    """One STC composite: category, status and entity codes, with their words."""

    category: str
    status: str
    entity: str = ""
    free_text: str = ""  # STC12

    @property
    def message(self) -> str:
        category = CATEGORIES.get(self.category, f"category {self.category}")
        status = STATUS_CODES.get(self.status, f"status code {self.status}" if self.status
                                  else "")  # fmt: skip
        entity = ENTITY_CODES.get(self.entity, self.entity)
        parts = [f"{category} ({self.category})"]
        if status:
            parts.append(f"{status} ({self.status})")
        if entity:
            parts.append(f"entity: {entity}")
        if self.free_text:
            parts.append(self.free_text)
        return " — ".join(parts)


@dataclass(slots=True)
class ClaimAck:
    """277CA 2200D: the payer's verdict on one claim (TRN02 = our CLM01)."""

    claim_id: str  # TRN02
    statuses: list[StatusInfo] = field(default_factory=list)  # STC01 (and STC10/STC11)
    payer_claim_number: str = ""  # REF*1K
    charge: str = ""  # STC04
    line_statuses: list[tuple[str, StatusInfo]] = field(default_factory=list)  # (SVC01, STC)

    @property
    def verdict(self) -> AckVerdict:
        categories = {s.category for s in self.statuses} | {
            s.category for _, s in self.line_statuses}  # fmt: skip
        if categories & REJECTED_CATEGORIES:
            return AckVerdict.REJECTED
        if categories & ACCEPTED_CATEGORIES:
            return AckVerdict.ACCEPTED
        return AckVerdict.PENDING

    @property
    def message(self) -> str:
        texts = [s.message for s in self.statuses]
        texts += [f"line {proc}: {s.message}" for proc, s in self.line_statuses]
        return "; ".join(texts)


@dataclass(slots=True)
class Acknowledgment:
    """One acknowledgment file: TA1s, 999 groups, or 277CA claims (a file may mix them)."""

    kinds: set[AckKind] = field(default_factory=set)
    interchange_control: str = ""  # the acknowledgment's own ISA13
    sender_id: str = ""
    receiver_id: str = ""
    interchanges: list[InterchangeAck] = field(default_factory=list)
    groups: list[GroupAck] = field(default_factory=list)
    claims: list[ClaimAck] = field(default_factory=list)
    batch_references: list[tuple[str, StatusInfo]] = field(default_factory=list)  # 2200B TRN

    @property
    def kind(self) -> AckKind:
        for kind in (AckKind.F277CA, AckKind.F999, AckKind.TA1):
            if kind in self.kinds:
                return kind
        return AckKind.TA1
