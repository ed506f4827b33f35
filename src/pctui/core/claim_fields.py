"""The claim fields a biller can correct in pctui, each tied to the X12 place edits point at.

A held or rejected claim names the place that failed (``2010AA N403``); the correction form
opens with the fields for those places first. Charges, procedures and units are not here: they
are the practice's billing record and the ledger's opening charges, so a wrong charge is fixed in
the EHR and comes back as a replacement claim (CLM05-3 = 7).

Each :class:`ClaimField` reads and writes one value of a :class:`~pctui.core.claim.Claim`
(``set`` creates the part it belongs to when it is missing, e.g. a referring provider) and says
what is wrong with a value before it is saved (:meth:`ClaimField.problem`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from pctui.core.claim import Address, Claim, Coverage, Diagnosis, Entity, Reference
from pctui.core.edits import EditFailure, npi_is_valid


@dataclass(frozen=True)
class ClaimField:
    id: str
    label: str
    places: tuple[str, ...]  # "loop segment element" the field answers for, e.g. "2010AA N4 03"
    get: Callable[[Claim], str]
    set: Callable[[Claim, str], None]
    check: Callable[[str], str | None] = lambda value: None
    line: int | None = None  # a service line's field (LX number)

    def problem(self, value: str) -> str | None:
        if any(ord(ch) < 32 for ch in value):
            return "control characters are not allowed"
        if any(ch in "*:^~" for ch in value):
            return "* : ^ and ~ separate X12 values and cannot be part of one"
        return self.check(value.strip()) if value.strip() else None


# -- parts that may be missing ---------------------------------------------------------------


def _billing(claim: Claim) -> Entity:
    if claim.billing_provider is None:
        claim.billing_provider = Entity("85", "2")
    return claim.billing_provider


def _address(entity: Entity) -> Address:
    if entity.address is None:
        entity.address = Address()
    return entity.address


def _coverage(claim: Claim) -> Coverage:
    if claim.subscriber is None:
        claim.subscriber = Coverage("P", "18")
    return claim.subscriber


def _subscriber(claim: Claim) -> Entity:
    coverage = _coverage(claim)
    if coverage.subscriber is None:
        coverage.subscriber = Entity("IL", "1", id_qualifier="MI")
    return coverage.subscriber


def _provider(claim: Claim, code: str) -> Entity:
    codes = ("DN", "P3") if code == "DN" else (code,)
    found = claim.provider(*codes)
    if found is None:
        found = Entity(code, "1", id_qualifier="XX")
        claim.providers.append(found)
    return found


def _ref_get(qualifier: str) -> Callable[[Claim], str]:
    return lambda claim: claim.reference(qualifier)


def _ref_set(qualifier: str) -> Callable[[Claim, str], None]:
    def setter(claim: Claim, value: str) -> None:
        kept = [r for r in claim.references if r.qualifier != qualifier]
        claim.references = kept + ([Reference(qualifier, value)] if value else [])

    return setter


def _entity_ref_set(entity_of: Callable[[Claim], Entity], qualifier: str
                    ) -> Callable[[Claim, str], None]:  # fmt: skip
    def setter(claim: Claim, value: str) -> None:
        entity = entity_of(claim)
        kept = [r for r in entity.references if r.qualifier != qualifier]
        entity.references = ([Reference(qualifier, value)] if value else []) + kept

    return setter


def _set_attr(part: Callable[[Claim], object], name: str) -> Callable[[Claim, str], None]:
    return lambda claim, value: setattr(part(claim), name, value)


def _get_attr(part: Callable[[Claim], object | None], name: str) -> Callable[[Claim], str]:
    def getter(claim: Claim) -> str:
        found = part(claim)
        return str(getattr(found, name, "") or "") if found is not None else ""

    return getter


def _billing_or_none(claim: Claim) -> Entity | None:
    return claim.billing_provider


def _address_or_none(claim: Claim) -> Address | None:
    return claim.billing_provider.address if claim.billing_provider else None


def _subscriber_or_none(claim: Claim) -> Entity | None:
    return claim.subscriber.subscriber if claim.subscriber else None


# -- checks ----------------------------------------------------------------------------------


def _npi(value: str) -> str | None:
    return None if npi_is_valid(value) else "an NPI is 10 digits with a valid check digit"


def _zip(value: str) -> str | None:
    return None if re.fullmatch(r"[0-9]{5}([0-9]{4})?", value) else "5 or 9 digits"


def _state(value: str) -> str | None:
    return None if re.fullmatch(r"[A-Z]{2}", value) else "two capital letters, e.g. TX"


def _taxonomy(value: str) -> str | None:
    return None if re.fullmatch(r"[0-9]{3}[0-9A-Z]{6}X", value) else (
        "10 characters ending in X, e.g. 207Q00000X")


def _date(value: str) -> str | None:
    return None if re.fullmatch(r"(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])",
                                value) else "a date as CCYYMMDD, e.g. 19800131"  # fmt: skip


def _one_of(*values: str) -> Callable[[str], str | None]:
    return lambda value: None if value in values else f"one of {', '.join(values)}"


def _diagnoses_check(value: str) -> str | None:
    codes = [c for c in re.split(r"[,\s]+", value) if c]
    if len(codes) > 12:
        return "at most 12 diagnosis codes"
    bad = [c for c in codes if not re.fullmatch(r"[A-Z][0-9A-Z]{2,6}", c.replace(".", ""))]
    return f"not a diagnosis code: {', '.join(bad)}" if bad else None


def _diagnoses_get(claim: Claim) -> str:
    return ", ".join(d.code for d in claim.diagnoses)


def _diagnoses_set(claim: Claim, value: str) -> None:
    codes = [c.replace(".", "").upper() for c in re.split(r"[,\s]+", value) if c]
    icd9 = any(d.qualifier in ("BK", "BF") for d in claim.diagnoses)
    first, other = ("BK", "BF") if icd9 else ("ABK", "ABF")
    claim.diagnoses = [Diagnosis(first if n == 0 else other, code) for n, code in enumerate(codes)]


def _pointers_check(value: str) -> str | None:
    parts = [p for p in re.split(r"[,\s]+", value) if p]
    if len(parts) > 4 or not all(p.isdigit() and 1 <= int(p) <= 12 for p in parts):
        return "up to four numbers 1-12, e.g. 1, 2"
    return None


def _line_fields(claim: Claim) -> list[ClaimField]:
    fields = []
    for line in claim.service_lines:
        number = line.line_number

        def pointers_get(c: Claim, n: int = number) -> str:
            found = next((ln for ln in c.service_lines if ln.line_number == n), None)
            return ", ".join(str(p) for p in found.diagnosis_pointers) if found else ""

        def pointers_set(c: Claim, value: str, n: int = number) -> None:
            for ln in c.service_lines:
                if ln.line_number == n:
                    ln.diagnosis_pointers = tuple(int(p) for p in re.split(r"[,\s]+", value) if p)

        def description_get(c: Claim, n: int = number) -> str:
            found = next((ln for ln in c.service_lines if ln.line_number == n), None)
            return found.description if found else ""

        def description_set(c: Claim, value: str, n: int = number) -> None:
            for ln in c.service_lines:
                if ln.line_number == n:
                    ln.description = value

        fields.append(ClaimField(f"line{number}.pointers",
                                 f"Line {number} ({line.procedure}) diagnosis pointers",
                                 ("2400 SV1 07",), pointers_get, pointers_set, _pointers_check,
                                 number))  # fmt: skip
        fields.append(ClaimField(f"line{number}.description",
                                 f"Line {number} ({line.procedure}) description",
                                 ("2400 SV1 01-7",), description_get, description_set,
                                 line=number))  # fmt: skip
    return fields


FIELDS: tuple[ClaimField, ...] = (
    ClaimField("billing.name", "Billing provider name", ("2010AA NM1 03",),
               _get_attr(_billing_or_none, "last_name"), _set_attr(_billing, "last_name")),
    ClaimField("billing.npi", "Billing provider NPI", ("2010AA NM1 09",),
               _get_attr(_billing_or_none, "identifier"),
               lambda c, v: (setattr(_billing(c), "identifier", v),
                             setattr(_billing(c), "id_qualifier", "XX")) and None, _npi),
    ClaimField("billing.tax_id", "Billing provider tax ID (EIN)", ("2010AA REF 02",),
               lambda c: c.billing_provider.reference("EI") if c.billing_provider else "",
               _entity_ref_set(_billing, "EI"),
               lambda v: None if re.fullmatch(r"[0-9]{9}", v) else "9 digits"),
    ClaimField("billing.taxonomy", "Billing provider taxonomy", ("2000A PRV 03",),
               _get_attr(_billing_or_none, "taxonomy"), _set_attr(_billing, "taxonomy"),
               _taxonomy),
    ClaimField("billing.line1", "Billing address line 1", ("2010AA N3 01",),
               _get_attr(_address_or_none, "line1"),
               lambda c, v: setattr(_address(_billing(c)), "line1", v)),
    ClaimField("billing.line2", "Billing address line 2", ("2010AA N3 02",),
               _get_attr(_address_or_none, "line2"),
               lambda c, v: setattr(_address(_billing(c)), "line2", v)),
    ClaimField("billing.city", "Billing city", ("2010AA N4 01",),
               _get_attr(_address_or_none, "city"),
               lambda c, v: setattr(_address(_billing(c)), "city", v)),
    ClaimField("billing.state", "Billing state", ("2010AA N4 02",),
               _get_attr(_address_or_none, "state"),
               lambda c, v: setattr(_address(_billing(c)), "state", v.upper()), _state),
    ClaimField("billing.zip", "Billing ZIP (9 digits)", ("2010AA N4 03",),
               _get_attr(_address_or_none, "postal_code"),
               lambda c, v: setattr(_address(_billing(c)), "postal_code", v.replace("-", "")),
               lambda v: _zip(v.replace("-", ""))),
    ClaimField("subscriber.member_id", "Subscriber member ID", ("2010BA NM1 09",),
               _get_attr(_subscriber_or_none, "identifier"),
               lambda c, v: (setattr(_subscriber(c), "identifier", v),
                             setattr(_subscriber(c), "id_qualifier", "MI")) and None),
    ClaimField("subscriber.last_name", "Subscriber last name", ("2010BA NM1 03",),
               _get_attr(_subscriber_or_none, "last_name"),
               _set_attr(_subscriber, "last_name")),
    ClaimField("subscriber.first_name", "Subscriber first name", ("2010BA NM1 04",),
               _get_attr(_subscriber_or_none, "first_name"),
               _set_attr(_subscriber, "first_name")),
    ClaimField("subscriber.birth_date", "Subscriber birth date (CCYYMMDD)", ("2010BA DMG 02",),
               _get_attr(_subscriber_or_none, "birth_date"),
               _set_attr(_subscriber, "birth_date"), _date),
    ClaimField("subscriber.group", "Group number", ("2000B SBR 03",),
               lambda c: c.subscriber.group_number if c.subscriber else "",
               _set_attr(_coverage, "group_number")),
    ClaimField("claim.place_of_service", "Place of service (CLM05-1)", ("2300 CLM 05-1",),
               lambda c: c.place_of_service, lambda c, v: setattr(c, "place_of_service", v),
               lambda v: None if re.fullmatch(r"[0-9]{2}", v) else "two digits, e.g. 11"),
    ClaimField("claim.frequency", "Frequency code (1, 7, 8)", ("2300 CLM 05-3",),
               lambda c: c.frequency_code, lambda c, v: setattr(c, "frequency_code", v),
               _one_of("1", "7", "8")),
    ClaimField("claim.payer_claim_number", "Payer's claim number (REF*F8)", ("2300 REF*F8 02",),
               lambda c: c.payer_claim_number or "",
               lambda c, v: setattr(c, "payer_claim_number", v or None)),
    ClaimField("claim.prior_authorization", "Prior authorization (REF*G1)", ("2300 REF*G1 02",),
               _ref_get("G1"), _ref_set("G1")),
    ClaimField("claim.referral", "Referral number (REF*9F)", ("2300 REF*9F 02",),
               _ref_get("9F"), _ref_set("9F")),
    ClaimField("claim.clia", "CLIA number (REF*X4)", ("2300 REF*X4 02",),
               _ref_get("X4"), _ref_set("X4"),
               lambda v: None if re.fullmatch(r"[0-9]{2}D[0-9]{7}", v) else
               "10 characters: 2 digits, D, 7 digits"),
    ClaimField("claim.diagnoses", "Diagnosis codes (principal first)", ("2300 HI",),
               _diagnoses_get, _diagnoses_set, _diagnoses_check),
    ClaimField("referring.last_name", "Referring provider last name", ("2310A NM1 03",),
               _get_attr(lambda c: c.referring_provider, "last_name"),
               lambda c, v: setattr(_provider(c, "DN"), "last_name", v)),
    ClaimField("referring.first_name", "Referring provider first name", ("2310A NM1 04",),
               _get_attr(lambda c: c.referring_provider, "first_name"),
               lambda c, v: setattr(_provider(c, "DN"), "first_name", v)),
    ClaimField("referring.npi", "Referring provider NPI", ("2310A NM1 09", "2310A NM1"),
               _get_attr(lambda c: c.referring_provider, "identifier"),
               lambda c, v: setattr(_provider(c, "DN"), "identifier", v), _npi),
    ClaimField("rendering.npi", "Rendering provider NPI", ("2310B NM1 09", "2310B NM1*82 09"),
               _get_attr(lambda c: c.rendering_provider, "identifier"),
               lambda c, v: setattr(_provider(c, "82"), "identifier", v), _npi),
    ClaimField("rendering.taxonomy", "Rendering provider taxonomy", ("2310B PRV 03",),
               _get_attr(lambda c: c.rendering_provider, "taxonomy"),
               lambda c, v: setattr(_provider(c, "82"), "taxonomy", v), _taxonomy),
)  # fmt: skip


def fields_for(claim: Claim) -> list[ClaimField]:
    """Every correctable field of ``claim`` (its lines' fields included)."""
    return [*FIELDS, *_line_fields(claim)]


def _place(failure: EditFailure) -> str:
    loc = failure.location
    elements = loc.elements
    return f"{loc.loop} {loc.segment} {elements[0] if elements else ''}".strip()


def fields_for_failures(claim: Claim, failures: list[EditFailure]) -> list[ClaimField]:
    """The fields that answer for the places ``failures`` point at, in their order."""
    chosen: list[ClaimField] = []
    every = fields_for(claim)
    for failure in failures:
        place = _place(failure)
        for field in every:
            if field.line is not None and failure.line is not None and field.line != failure.line:
                continue
            if any(_matches(p, place) for p in field.places) and field not in chosen:
                chosen.append(field)
    return chosen


def _matches(field_place: str, failure_place: str) -> bool:
    f_loop, _, f_rest = field_place.partition(" ")
    loop, _, rest = failure_place.partition(" ")
    if not loop.startswith(f_loop[:4]) or (len(f_loop) > 4 and loop != f_loop):
        return False
    f_seg, _, f_el = f_rest.partition(" ")
    seg, _, el = rest.partition(" ")
    if f_seg.partition("*")[0] != seg.partition("*")[0]:
        return False
    if f_seg.partition("*")[2] and seg.partition("*")[2] not in ("", f_seg.partition("*")[2]):
        return False
    return not el or not f_el or el == f_el or el.partition("-")[0] == f_el


def apply_changes(claim: Claim, changes: dict[str, str]) -> tuple[Claim, dict[str, str]]:
    """``claim`` with ``changes`` (field id -> new text) applied, on a copy; and the problems by
    field id (nothing is applied when there are any)."""
    fields = {f.id: f for f in fields_for(claim)}
    problems = {}
    for field_id, value in changes.items():
        field = fields.get(field_id)
        if field is None:
            problems[field_id] = "not a field pctui can correct"
            continue
        problem = field.problem(value)
        if problem:
            problems[field_id] = problem
    if problems:
        return claim, problems
    import copy

    corrected = copy.deepcopy(claim)
    for field_id, value in changes.items():
        fields[field_id].set(corrected, value.strip())
    return replace(corrected), {}
