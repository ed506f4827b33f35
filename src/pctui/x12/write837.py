"""Write claims as one 837P 005010X222A1 interchange (ISA/GS/ST/BHT ... SE/GE/IEA).

The file is laid out the way the implementation guide asks:

- one ST per claim kind (BHT06 CH for claims, RP for encounters), at most 5,000 claims each;
- in each ST, one billing-provider HL (2000A) per distinct billing provider (with its pay-to
  provider), a subscriber HL (2000B) per claim under it and, when the patient is not the
  subscriber, a patient HL (2000C) under that; HL01 counts up from 1 in each ST, HL02 names the
  parent, HL04 says whether a child follows;
- every loop's segments in guide order (``_RANK``); segments with the same id keep their order.

Envelope values come from the connection the file is sent through (:class:`Envelope`): sender
and receiver IDs (ISA06/ISA08, GS02/GS03, NM1*41/NM1*40), usage (ISA15 T or P) and the control
numbers, which the caller allocates in the database so no two files share one.

A value that holds one of the file's delimiters cannot be written: :class:`Write837Error` names
the claim and the place. :func:`claim_view` gives the segments of one claim with the loop each
belongs to, for the compliance edits (``pctui.core.edits``) to check the claim as the payer will
read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from pctui.core.claim import (
    Claim,
    ClaimDate,
    Coverage,
    Element,
    Entity,
    Reference,
    Segment,
    ServiceLine,
)

VERSION = "005010X222A1"
MAX_CLAIMS_PER_TRANSACTION = 5_000
ELEMENT, COMPONENT, REPETITION, TERMINATOR = "*", ":", "^", "~"
_DELIMITERS = frozenset(ELEMENT + COMPONENT + REPETITION + TERMINATOR)

# Guide order of segments inside a loop (lower first); unknown ids go last, in read order.
_RANK_2300 = {sid: n for n, sid in enumerate(
    ("CLM", "DTP", "PWK", "CN1", "AMT", "REF", "K3", "NTE", "CR1", "CR2", "CRC", "HI", "HCP"))}
_RANK_2400 = {sid: n for n, sid in enumerate(
    ("LX", "SV1", "SV5", "PWK", "CR1", "CR3", "CRC", "DTP", "QTY", "MEA", "CN1", "REF", "AMT",
     "K3", "NTE", "PS1", "HCP"))}
_RANK_ENTITY = {sid: n for n, sid in enumerate(
    ("NM1", "PRV", "N2", "N3", "N4", "DMG", "DTP", "REF", "PER"))}
_RANK_2320 = {sid: n for n, sid in enumerate(("SBR", "CAS", "AMT", "OI", "MOA"))}
_RANK_2000 = {sid: n for n, sid in enumerate(("HL", "PRV", "CUR", "SBR", "PAT"))}
# 2310A-F and 2420A-H loops in guide order, by NM101.
_CLAIM_PROVIDERS = {code: n for n, code in enumerate(("DN", "P3", "82", "77", "DQ", "PW", "45"))}
_LINE_PROVIDERS = {code: n for n, code in enumerate(
    ("82", "QB", "77", "DQ", "DK", "DN", "P3", "PW", "45"))}  # fmt: skip
_CLAIM_PROVIDER_LOOPS = {"DN": "2310A", "P3": "2310A", "82": "2310B", "77": "2310C",
                         "DQ": "2310D", "PW": "2310E", "45": "2310F"}  # fmt: skip
_LINE_PROVIDER_LOOPS = {"82": "2420A", "QB": "2420B", "77": "2420C", "DQ": "2420D",
                        "DK": "2420E", "DN": "2420F", "P3": "2420F", "PW": "2420G",
                        "45": "2420H"}  # fmt: skip
_OTHER_PAYER_LOOPS = {"DN": "2330C", "P3": "2330C", "82": "2330D", "77": "2330E",
                      "DQ": "2330F", "85": "2330G"}  # fmt: skip


class Write837Error(ValueError):
    """A claim cannot be written; the message names the claim, the place and the value."""

    def __init__(self, claim_id: str, loop: str, segment: str, message: str) -> None:
        super().__init__(f"Claim {claim_id}: {message} ({loop} {segment})")
        self.claim_id, self.loop, self.segment, self.problem = claim_id, loop, segment, message


@dataclass(frozen=True, slots=True)
class Envelope:
    """What the connection and the database give a file: IDs, usage, control numbers."""

    sender_id: str  # ISA06 / GS02 / NM1*41 NM109: the submitter ID
    receiver_id: str  # ISA08 / GS03 / NM1*40 NM109
    interchange_control: int  # ISA13, also used as GS06 and BHT03
    usage: str = "P"  # ISA15: T test, P production
    receiver_name: str = ""  # NM1*40 NM103 (the payer or clearinghouse)
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    created: datetime = field(default_factory=lambda: datetime(2026, 1, 1))
    submitter_name: str = ""  # NM1*41 NM103 when the claims carry none
    submitter_contact: tuple[str, ...] = ()  # PER elements when the claims carry none
    acknowledgment_requested: str = "0"  # ISA14: 1 asks for a TA1 on every interchange


@dataclass(frozen=True, slots=True)
class WrittenTransaction:
    control_number: str  # ST02
    claim_ids: tuple[str, ...]  # CLM01 in file order
    first: int = 0  # segment positions of its ST and SE
    last: int = 0


@dataclass(slots=True)
class Written837:
    """The file and where each claim sits in it (segments counted from ISA = 1)."""

    text: str
    interchange_control: str
    group_control: str
    transactions: list[WrittenTransaction]
    segment_count: int
    # (first, last) segment of each claim's subscriber/patient/claim HLs; the billing-provider
    # HL they share is in ``billing_ranges`` with the claims under it.
    claim_ranges: dict[str, tuple[int, int]] = field(default_factory=dict)
    billing_ranges: list[tuple[int, int, tuple[str, ...]]] = field(default_factory=list)
    places: list[tuple[str, int | None]] = field(default_factory=list)  # by position - 1

    def place(self, position: int) -> tuple[str, int | None]:
        """The loop and service line of the segment at ``position`` ("" outside claims)."""
        return self.places[position - 1] if 0 < position <= len(self.places) else ("", None)

    def claims_at(self, position: int) -> tuple[str, ...]:
        """The claims a problem at segment ``position`` is about (none for the envelopes)."""
        for claim_id, (first, last) in self.claim_ranges.items():
            if first <= position <= last:
                return (claim_id,)
        for first, last, claim_ids in self.billing_ranges:
            if first <= position <= last:
                return claim_ids
        for transaction in self.transactions:  # the header (1000A/B): every claim under it
            if transaction.first <= position <= transaction.last:
                return transaction.claim_ids
        return ()


# (loop, segment, the service line's LX number in pctui or None)
LoopSegment = tuple[str, Segment, int | None]


def amount(value: Decimal) -> str:
    """``127.80`` -> ``127.8``, ``945.00`` -> ``945`` (as payers and the guide write them)."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _seg(sid: str, *elements: Element | None) -> Segment:
    kept: list[Element] = []
    for e in elements:
        if isinstance(e, tuple):
            parts = list(e)
            while len(parts) > 1 and parts[-1] == "":
                parts.pop()
            kept.append(parts[0] if len(parts) == 1 else tuple(parts))
        else:
            kept.append(e or "")
    while kept and kept[-1] == "":
        kept.pop()
    return Segment(sid, tuple(kept))


def _ranked(items: Iterable[LoopSegment], rank: dict[str, int]) -> list[LoopSegment]:
    """In guide order; a segment the guide does not place here stays after the one before it
    (so a claim read from a file with such a segment writes it where it was)."""
    keyed = []
    last = -1
    for n, item in enumerate(items):
        last = rank.get(item[1].id, last)
        keyed.append((last, n, item))
    return [item for _, _, item in sorted(keyed, key=lambda k: (k[0], k[1]))]


def _at(loop: str, segments: Iterable[Segment], line: int | None = None) -> list[LoopSegment]:
    return [(loop, seg, line) for seg in segments]


# -- the loops of one claim -------------------------------------------------------------------


def _entity(loop: str, entity: Entity, *, prv: str = "", line: int | None = None
            ) -> list[LoopSegment]:  # fmt: skip
    items: list[LoopSegment] = [(loop, _seg(
        "NM1", entity.code, entity.kind, entity.last_name, entity.first_name,
        entity.middle_name, "", entity.suffix, entity.id_qualifier, entity.identifier), line)]
    if prv and entity.taxonomy:
        items.append((loop, _seg("PRV", prv, "PXC", entity.taxonomy), line))
    if entity.address is not None:
        a = entity.address
        if a.line1 or a.line2:
            items.append((loop, _seg("N3", a.line1, a.line2), line))
        if a.city or a.state or a.postal_code or a.country or a.country_subdivision:
            items.append((loop, _seg("N4", a.city, a.state, a.postal_code, a.country, "", "",
                                     a.country_subdivision), line))
    if entity.birth_date or entity.gender:
        items.append((loop, _seg("DMG", "D8", entity.birth_date, entity.gender), line))
    items += _at(loop, (_ref(r) for r in entity.references), line)
    items += _at(loop, entity.extra, line)
    return _ranked(items, _RANK_ENTITY)


def _ref(ref: Reference) -> Segment:
    return _seg("REF", ref.qualifier, ref.value, *ref.extra)


def _dtp(date: ClaimDate) -> Segment:
    return _seg("DTP", date.qualifier, date.format, date.value)


def billing_loops(claim: Claim) -> list[LoopSegment]:
    """2000A (without its HL) and 2010AA/AB/AC: shared by every claim of one billing provider."""
    items: list[LoopSegment] = []
    billing = claim.billing_provider
    if billing is not None and billing.taxonomy:
        items.append(("2000A", _seg("PRV", "BI", "PXC", billing.taxonomy), None))
    items = _ranked(items + _at("2000A", claim.billing_extra), _RANK_2000)
    if billing is not None:
        items += _entity("2010AA", billing)
    if claim.pay_to is not None:
        items += _entity("2010AB", claim.pay_to)
    if claim.pay_to_plan is not None:
        items += _entity("2010AC", claim.pay_to_plan)
    return items


def _sbr(coverage: Coverage) -> Segment:
    return _seg("SBR", coverage.responsibility, coverage.relationship, coverage.group_number,
                coverage.group_name, coverage.insurance_type, "", "", "",
                coverage.filing_indicator)  # fmt: skip


def subscriber_loops(claim: Claim) -> list[LoopSegment]:
    """2000B (without its HL), 2010BA subscriber and 2010BB payer."""
    coverage = claim.subscriber
    if coverage is None:
        return []
    items = _ranked([("2000B", _sbr(coverage), None), *_at("2000B", coverage.extra)], _RANK_2000)
    if coverage.subscriber is not None:
        items += _entity("2010BA", coverage.subscriber)
    if coverage.payer is not None:
        items += _entity("2010BB", coverage.payer)
    return items


def patient_loops(claim: Claim) -> list[LoopSegment]:
    """2000C (without its HL) and 2010CA, when the patient is not the subscriber."""
    patient = claim.patient
    if patient is None:
        return []
    return [("2000C", _seg("PAT", patient.relationship, *patient.pat_rest), None),
            *_entity("2010CA", patient.entity)]  # fmt: skip


def _clm(claim: Claim) -> Segment:
    facility = (claim.place_of_service, claim.facility_qualifier, claim.frequency_code)
    causes = (*claim.related_causes, *([""] * (3 - len(claim.related_causes))))
    related = (*causes[:3], claim.accident_state, claim.accident_country)
    return _seg("CLM", claim.claim_id, amount(claim.charge), "", "", facility,
                claim.provider_signature, claim.assignment, claim.benefits_assignment,
                claim.release_of_information, claim.patient_signature_source,
                related if any(related) else "", claim.special_program, "", "", "", "", "",
                "", "", claim.delay_reason)  # fmt: skip


def _diagnoses(claim: Claim) -> list[Segment]:
    codes = [(d.qualifier, d.code) for d in claim.diagnoses]
    return [_seg("HI", *codes[start : start + 12]) for start in range(0, len(codes), 12)]


def claim_loops(claim: Claim) -> list[LoopSegment]:
    """2300 with its 2310, 2320/2330 and 2400-2440 loops (LX01 written 1, 2, 3, ...)."""
    header = [("2300", _clm(claim), None)]
    header += _at("2300", (_dtp(d) for d in claim.dates))
    if claim.payer_claim_number:
        header.append(("2300", _seg("REF", "F8", claim.payer_claim_number), None))
    header += _at("2300", (_ref(r) for r in claim.references))
    header += _at("2300", _diagnoses(claim))
    header += _at("2300", claim.extra)
    items = _ranked(header, _RANK_2300)
    for provider in sorted(claim.providers, key=lambda p: _CLAIM_PROVIDERS.get(p.code, 99)):
        loop = _CLAIM_PROVIDER_LOOPS.get(provider.code, "2310")
        items += _entity(loop, provider, prv="PE" if provider.code == "82" else "")
    for other in claim.other_coverages:
        items += _other_payer(other)
    for number, line in enumerate(claim.service_lines, start=1):
        items += _line(line, number)
    return items


def _other_payer(coverage: Coverage) -> list[LoopSegment]:
    items = _ranked([("2320", _sbr(coverage), None), *_at("2320", coverage.extra)], _RANK_2320)
    if coverage.subscriber is not None:
        items += _entity("2330A", coverage.subscriber)
    if coverage.payer is not None:
        items += _entity("2330B", coverage.payer)
    for entity in coverage.other_entities:
        items += _entity(_OTHER_PAYER_LOOPS.get(entity.code, "2330"), entity)
    return items


def _sv1(line: ServiceLine) -> Segment:
    procedure = (line.procedure_qualifier, line.procedure, *line.modifiers,
                 *([""] * (4 - len(line.modifiers))), line.description)
    pointers = tuple(str(p) for p in line.diagnosis_pointers)
    return _seg("SV1", procedure, amount(line.charge), line.unit_code, amount(line.units),
                line.place_of_service, "", pointers or "", "", line.emergency, "", line.epsdt,
                line.family_planning, "", "", line.copay_exempt)  # fmt: skip


def _line(line: ServiceLine, number: int) -> list[LoopSegment]:
    n = line.line_number
    body: list[LoopSegment] = [("2400", _seg("LX", str(number)), n), ("2400", _sv1(line), n)]
    if line.service_date is not None:
        if line.service_date_end is not None:
            when = f"{line.service_date:%Y%m%d}-{line.service_date_end:%Y%m%d}"
            body.append(("2400", _seg("DTP", "472", "RD8", when), n))
        else:
            body.append(("2400", _seg("DTP", "472", "D8", f"{line.service_date:%Y%m%d}"), n))
    body += _at("2400", (_dtp(d) for d in line.dates), n)
    if line.control_number:
        body.append(("2400", _seg("REF", "6R", line.control_number), n))
    body += _at("2400", (_ref(r) for r in line.references), n)
    body += _at("2400", line.extra, n)
    items = _ranked(body, _RANK_2400)
    if line.drug is not None:
        drug = line.drug
        items.append(("2410", _seg("LIN", "", drug.qualifier, drug.ndc), n))
        if drug.quantity or drug.unit:
            items.append(("2410", _seg("CTP", "", "", "", drug.quantity, drug.unit), n))
        items += _at("2410", (_ref(r) for r in drug.references), n)
    for provider in sorted(line.providers, key=lambda p: _LINE_PROVIDERS.get(p.code, 99)):
        loop = _LINE_PROVIDER_LOOPS.get(provider.code, "2420")
        items += _entity(loop, provider, prv="PE" if provider.code == "82" else "", line=n)
    for loop_segments in line.adjudications:
        items += _at("2430", loop_segments, n)
    for loop_segments in line.forms:
        items += _at("2440", loop_segments, n)
    return items


def claim_view(claim: Claim) -> list[LoopSegment]:
    """Every segment the claim puts in a file, with its loop and line (HL segments left out)."""
    return [*billing_loops(claim), *subscriber_loops(claim), *patient_loops(claim),
            *claim_loops(claim)]  # fmt: skip


# -- the file ---------------------------------------------------------------------------------


def _text(seg: Segment, claim_id: str, loop: str) -> str:
    parts = [seg.id]
    for element in seg.elements:
        values = element if isinstance(element, tuple) else (element,)
        for value in values:
            if _DELIMITERS.intersection(value):
                bad = next(c for c in value if c in _DELIMITERS)
                raise Write837Error(claim_id, loop, seg.id,
                                    f"'{value}' holds '{bad}', which separates X12 values")
        parts.append(COMPONENT.join(values))
    return ELEMENT.join(parts)


class _File:
    def __init__(self, line_break: str) -> None:
        self.out: list[str] = []
        self.end = TERMINATOR + line_break
        self.position = 0  # segments written, ISA = 1
        self.in_transaction = 0
        self.places: list[tuple[str, int | None]] = []  # (loop, line) of each segment

    def raw(self, text: str, loop: str = "", line: int | None = None) -> None:
        self.out.append(text + self.end)
        self.position += 1
        self.in_transaction += 1
        self.places.append((loop, line))

    def put(self, seg: Segment, claim_id: str = "", loop: str = "", line: int | None = None
            ) -> None:  # fmt: skip
        self.raw(_text(seg, claim_id, loop), loop, line)


def write_837(claims: list[Claim], envelope: Envelope, *, line_break: str = "\n") -> Written837:
    """One interchange with one functional group holding every claim of ``claims``."""
    if not claims:
        raise ValueError("an 837P needs at least one claim")
    f = _File(line_break)
    control = f"{envelope.interchange_control:09d}"
    group = str(envelope.interchange_control)
    when = envelope.created
    f.raw(ELEMENT.join([
        "ISA", "00", " " * 10, "00", " " * 10, envelope.sender_qualifier,
        envelope.sender_id.ljust(15)[:15], envelope.receiver_qualifier,
        envelope.receiver_id.ljust(15)[:15], f"{when:%y%m%d}", f"{when:%H%M}", REPETITION,
        "00501", control, envelope.acknowledgment_requested, envelope.usage, COMPONENT,
    ]))  # fmt: skip
    f.put(_seg("GS", "HC", envelope.sender_id, envelope.receiver_id, f"{when:%Y%m%d}",
               f"{when:%H%M}", group, "X", VERSION))  # fmt: skip
    written = Written837("", control, group, [], 0)
    for number, (kind, chunk) in enumerate(_transactions(claims), start=1):
        st = f"{number:04d}"
        first = f.position + 1
        _transaction(f, written, st, kind, chunk, envelope)
        written.transactions.append(
            WrittenTransaction(st, tuple(c.claim_id for c in chunk), first, f.position))
    f.put(_seg("GE", str(len(written.transactions)), group))
    f.put(_seg("IEA", "1", control))
    written.text = "".join(f.out)
    written.segment_count = f.position
    written.places = f.places
    return written


def _transactions(claims: list[Claim]) -> Iterator[tuple[str, list[Claim]]]:
    by_kind: dict[str, list[Claim]] = {}
    for claim in claims:
        by_kind.setdefault(claim.transaction_type or "CH", []).append(claim)
    for kind, members in by_kind.items():
        for start in range(0, len(members), MAX_CLAIMS_PER_TRANSACTION):
            yield kind, members[start : start + MAX_CLAIMS_PER_TRANSACTION]


def _submitter(claims: list[Claim], envelope: Envelope) -> tuple[str, list[Segment]]:
    """NM1*41 name and its PER from the first claim that carries them (the EHR's file)."""
    fallback = [Segment("PER", envelope.submitter_contact)] if envelope.submitter_contact else []
    for claim in claims:
        if claim.submitter is not None:
            contacts = [s for s in claim.submitter.extra if s.id == "PER"] or fallback
            return claim.submitter.last_name or envelope.submitter_name, contacts
    return envelope.submitter_name, fallback


def _transaction(f: _File, written: Written837, st: str, kind: str, claims: list[Claim],
                 envelope: Envelope) -> None:  # fmt: skip
    f.in_transaction = 0
    when = envelope.created
    f.put(_seg("ST", "837", st, VERSION))
    f.put(_seg("BHT", "0019", "00", written.interchange_control, f"{when:%Y%m%d}",
               f"{when:%H%M}", kind))  # fmt: skip
    name, contacts = _submitter(claims, envelope)
    f.put(_seg("NM1", "41", "2", name, "", "", "", "", "46", envelope.sender_id), "", "1000A")
    for contact in contacts:
        f.put(contact, claims[0].claim_id, "1000A")
    f.put(_seg("NM1", "40", "2", envelope.receiver_name, "", "", "", "", "46",
               envelope.receiver_id), "", "1000B")  # fmt: skip
    groups: dict[tuple[LoopSegment, ...], list[Claim]] = {}
    for claim in claims:
        groups.setdefault(tuple(billing_loops(claim)), []).append(claim)
    hl = 0
    for billing, members in groups.items():
        hl += 1
        billing_hl, first = hl, f.position + 1
        f.put(_seg("HL", str(billing_hl), "", "20", "1"), "", "2000A")
        for loop, seg, _ in billing:
            f.put(seg, members[0].claim_id, loop)
        written.billing_ranges.append(
            (first, f.position, tuple(c.claim_id for c in members)))
        for claim in members:
            hl = _claim_hls(f, written, claim, billing_hl, hl)
    f.put(_seg("SE", str(f.in_transaction + 1), st))


def _claim_hls(f: _File, written: Written837, claim: Claim, parent: int, hl: int) -> int:
    first = f.position + 1
    hl += 1
    subscriber_hl = hl
    has_patient = claim.patient is not None
    f.put(_seg("HL", str(subscriber_hl), str(parent), "22", "1" if has_patient else "0"),
          claim.claim_id, "2000B")
    for loop, seg, line in subscriber_loops(claim):
        f.put(seg, claim.claim_id, loop, line)
    if has_patient:
        hl += 1
        f.put(_seg("HL", str(hl), str(subscriber_hl), "23", "0"), claim.claim_id, "2000C")
        for loop, seg, line in patient_loops(claim):
            f.put(seg, claim.claim_id, loop, line)
    for loop, seg, line in claim_loops(claim):
        f.put(seg, claim.claim_id, loop, line)
    written.claim_ranges[claim.claim_id] = (first, f.position)
    return hl
