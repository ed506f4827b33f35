"""A :class:`~pctui.core.claim.Claim` to plain JSON data and back.

- :func:`claim_detail_to_data` / :func:`apply_claim_detail`: the ``Claim.detail`` column. What
  posting reads has columns of its own (claim id, charge, patient, payers, service lines with
  procedure, modifiers, charge, units, date, control number); the detail holds everything else a
  claim needs to be written out again. Empty values are left out, so a small claim stays small.
  Segments kept as read are ``[id, element, ...]`` with composites as lists.
- :func:`claim_to_data` / :func:`claim_from_data`: a whole claim kept outside the claim tables
  (a claim kept apart as a conflict, ``ClaimConflict.detail``, until the biller decides).

Amounts are strings with two decimals, units exact decimal strings, dates ISO ``YYYY-MM-DD``:
nothing passes through a float.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

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
from pctui.core.codes import PayerLevel
from pctui.core.money import CENT, parse_amount

DETAIL_VERSION = 1
_LINE_DEFAULTS = ServiceLine(0, "")


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, "", [], {}, ())}


# -- segments, references, dates ----------------------------------------------------------------


def _element_out(element: Element) -> str | list[str]:
    return list(element) if isinstance(element, tuple) else element


def _element_in(value: Any) -> Element:
    return tuple(str(v) for v in value) if isinstance(value, list) else str(value)


def segment_to_data(seg: Segment) -> list[Any]:
    return [seg.id, *(_element_out(e) for e in seg.elements)]


def segment_from_data(data: list[Any]) -> Segment:
    return Segment(str(data[0]), tuple(_element_in(v) for v in data[1:]))


def _segments(items: list[Segment]) -> list[list[Any]]:
    return [segment_to_data(s) for s in items]


def _segments_in(data: list[Any] | None) -> list[Segment]:
    return [segment_from_data(s) for s in data or []]


def _refs(items: list[Reference]) -> list[list[Any]]:
    return [[r.qualifier, r.value, *(_element_out(e) for e in r.extra)] for r in items]


def _refs_in(data: list[Any] | None) -> list[Reference]:
    return [
        Reference(str(r[0]), str(r[1]), tuple(_element_in(e) for e in r[2:])) for r in data or []
    ]


def _dates(items: list[ClaimDate]) -> list[list[str]]:
    return [[d.qualifier, d.format, d.value] for d in items]


def _dates_in(data: list[Any] | None) -> list[ClaimDate]:
    return [ClaimDate(str(d[0]), str(d[1]), str(d[2])) for d in data or []]


# -- entities -----------------------------------------------------------------------------------


def _address(address: Address | None) -> dict[str, str] | None:
    if address is None:
        return None
    return {k: getattr(address, k) for k in Address.__slots__ if getattr(address, k)} or {
        "line1": ""
    }


def _address_in(data: dict[str, Any] | None) -> Address | None:
    if data is None:
        return None
    return Address(**{k: str(v) for k, v in data.items() if k in Address.__slots__})


_ENTITY_TEXT = ("kind", "last_name", "first_name", "middle_name", "suffix", "id_qualifier",
                "identifier", "taxonomy", "birth_date", "gender")  # fmt: skip


def entity_to_data(entity: Entity | None) -> dict[str, Any] | None:
    if entity is None:
        return None
    data: dict[str, Any] = {"code": entity.code}
    data.update({k: getattr(entity, k) for k in _ENTITY_TEXT})
    data["address"] = _address(entity.address)
    data["references"] = _refs(entity.references)
    data["extra"] = _segments(entity.extra)
    return {"code": entity.code, "kind": entity.kind, **_compact(data)}


def entity_from_data(data: dict[str, Any] | None) -> Entity | None:
    if data is None:
        return None
    return Entity(
        code=str(data["code"]),
        **{k: str(data.get(k, "")) for k in _ENTITY_TEXT if k in data},
        address=_address_in(data.get("address")),
        references=_refs_in(data.get("references")),
        extra=_segments_in(data.get("extra")),
    )


def _entities(items: list[Entity]) -> list[dict[str, Any]]:
    return [entity_to_data(e) for e in items]  # type: ignore[misc]


def _entities_in(data: list[Any] | None) -> list[Entity]:
    return [e for e in (entity_from_data(d) for d in data or []) if e is not None]


_COVERAGE_TEXT = ("relationship", "group_number", "group_name", "insurance_type",
                  "filing_indicator")  # fmt: skip


def _coverage(coverage: Coverage | None) -> dict[str, Any] | None:
    if coverage is None:
        return None
    data: dict[str, Any] = {k: getattr(coverage, k) for k in _COVERAGE_TEXT}
    data["subscriber"] = entity_to_data(coverage.subscriber)
    data["payer"] = entity_to_data(coverage.payer)
    data["extra"] = _segments(coverage.extra)
    data["other_entities"] = _entities(coverage.other_entities)
    return {"responsibility": coverage.responsibility, **_compact(data)}


def _coverage_in(data: dict[str, Any] | None) -> Coverage | None:
    if data is None:
        return None
    return Coverage(
        responsibility=str(data["responsibility"]),
        **{k: str(data[k]) for k in _COVERAGE_TEXT if k in data},
        subscriber=entity_from_data(data.get("subscriber")),
        payer=entity_from_data(data.get("payer")),
        extra=_segments_in(data.get("extra")),
        other_entities=_entities_in(data.get("other_entities")),
    )


# -- the claim ----------------------------------------------------------------------------------

# frequency_code has a column of its own (the version on file: 1, 7 replaced, 8 voided).
_CLAIM_TEXT = ("place_of_service", "facility_qualifier", "provider_signature",
               "assignment", "benefits_assignment", "release_of_information",
               "patient_signature_source", "accident_state", "accident_country",
               "special_program", "delay_reason", "transaction_type")  # fmt: skip
_LINE_TEXT = ("procedure_qualifier", "description", "place_of_service", "emergency", "epsdt",
              "family_planning", "copay_exempt")  # fmt: skip


def claim_detail_to_data(claim: Claim) -> dict[str, Any]:
    """Everything of ``claim`` that has no column of its own, as JSON-ready data."""
    data: dict[str, Any] = {"version": DETAIL_VERSION}
    # Text fields always written (even when equal to the default) so a stored claim reads back
    # as it was read, whatever later defaults become.
    data.update({k: getattr(claim, k) for k in _CLAIM_TEXT})
    data["related_causes"] = list(claim.related_causes)
    data["payer_claim_number"] = claim.payer_claim_number
    data["submitter"] = entity_to_data(claim.submitter)
    data["billing_provider"] = entity_to_data(claim.billing_provider)
    data["pay_to"] = entity_to_data(claim.pay_to)
    data["pay_to_plan"] = entity_to_data(claim.pay_to_plan)
    data["billing_extra"] = _segments(claim.billing_extra)
    data["subscriber"] = _coverage(claim.subscriber)
    if claim.patient is not None:
        data["patient"] = {
            "relationship": claim.patient.relationship,
            "entity": entity_to_data(claim.patient.entity),
            "pat_rest": [_element_out(e) for e in claim.patient.pat_rest],
        }
    data["other_coverages"] = [_coverage(c) for c in claim.other_coverages]
    data["dates"] = _dates(claim.dates)
    data["references"] = _refs(claim.references)
    data["diagnoses"] = [[d.qualifier, d.code] for d in claim.diagnoses]
    data["providers"] = _entities(claim.providers)
    data["extra"] = _segments(claim.extra)
    lines = {str(line.line_number): _line(line) for line in claim.service_lines}
    data["lines"] = {k: v for k, v in lines.items() if v}
    return {k: v for k, v in data.items() if k in _CLAIM_TEXT or v not in (None, [], {}, "")}


def _line(line: ServiceLine) -> dict[str, Any]:
    data: dict[str, Any] = {k: getattr(line, k) for k in _LINE_TEXT}
    data["diagnosis_pointers"] = list(line.diagnosis_pointers)
    data["service_date_end"] = _day(line.service_date_end)
    data["dates"] = _dates(line.dates)
    data["references"] = _refs(line.references)
    if line.drug is not None:
        data["drug"] = _compact({
            "ndc": line.drug.ndc, "qualifier": line.drug.qualifier,
            "quantity": line.drug.quantity, "unit": line.drug.unit,
            "references": _refs(line.drug.references),
        }) | {"ndc": line.drug.ndc}  # fmt: skip
    data["providers"] = _entities(line.providers)
    data["extra"] = _segments(line.extra)
    data["adjudications"] = [_segments(loop) for loop in line.adjudications]
    data["forms"] = [_segments(loop) for loop in line.forms]
    compact = _compact(data)
    if compact.get("procedure_qualifier") == _LINE_DEFAULTS.procedure_qualifier:
        del compact["procedure_qualifier"]
    return compact


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def apply_claim_detail(claim: Claim, data: dict[str, Any] | None) -> Claim:
    """Fill ``claim`` (built from the columns) with its stored detail; returns it.

    An empty detail (a claim stored before pctui kept 837P content) marks it ``detailed=False``.
    """
    if not data:
        claim.detailed = False
        return claim
    for key in _CLAIM_TEXT:
        if key in data:
            setattr(claim, key, str(data[key]))
    claim.related_causes = tuple(str(c) for c in data.get("related_causes", []))
    if data.get("payer_claim_number"):
        claim.payer_claim_number = str(data["payer_claim_number"])
    claim.submitter = entity_from_data(data.get("submitter"))
    claim.billing_provider = entity_from_data(data.get("billing_provider"))
    claim.pay_to = entity_from_data(data.get("pay_to"))
    claim.pay_to_plan = entity_from_data(data.get("pay_to_plan"))
    claim.billing_extra = _segments_in(data.get("billing_extra"))
    claim.subscriber = _coverage_in(data.get("subscriber"))
    patient = data.get("patient")
    if patient is not None:
        entity = entity_from_data(patient.get("entity")) or Entity("QC", "1")
        claim.patient = Patient(
            str(patient.get("relationship", "")), entity,
            tuple(_element_in(e) for e in patient.get("pat_rest", [])),
        )  # fmt: skip
    claim.other_coverages = [
        c for c in (_coverage_in(d) for d in data.get("other_coverages", [])) if c is not None
    ]
    claim.dates = _dates_in(data.get("dates"))
    claim.references = _refs_in(data.get("references"))
    claim.diagnoses = [Diagnosis(str(q), str(c)) for q, c in data.get("diagnoses", [])]
    claim.providers = _entities_in(data.get("providers"))
    claim.extra = _segments_in(data.get("extra"))
    lines = data.get("lines", {})
    for line in claim.service_lines:
        _apply_line(line, lines.get(str(line.line_number), {}))
    claim.detailed = True
    return claim


def _apply_line(line: ServiceLine, data: dict[str, Any]) -> None:
    for key in _LINE_TEXT:
        if key in data:
            setattr(line, key, str(data[key]))
    line.diagnosis_pointers = tuple(int(p) for p in data.get("diagnosis_pointers", []))
    end = data.get("service_date_end")
    line.service_date_end = date.fromisoformat(end) if end else None
    line.dates = _dates_in(data.get("dates"))
    line.references = _refs_in(data.get("references"))
    drug = data.get("drug")
    if drug is not None:
        line.drug = Drug(
            ndc=str(drug["ndc"]), qualifier=str(drug.get("qualifier", "")),
            quantity=str(drug.get("quantity", "")), unit=str(drug.get("unit", "")),
            references=_refs_in(drug.get("references")),
        )  # fmt: skip
    line.providers = _entities_in(data.get("providers"))
    line.extra = _segments_in(data.get("extra"))
    line.adjudications = [_segments_in(loop) for loop in data.get("adjudications", [])]
    line.forms = [_segments_in(loop) for loop in data.get("forms", [])]


# -- a whole claim ------------------------------------------------------------------------------


def _from_day(value: str | None) -> date | None:
    return None if not value else date.fromisoformat(value)


def claim_to_data(claim: Claim) -> dict[str, Any]:
    return {
        "claim_id": claim.claim_id,
        "charge": str(claim.charge.quantize(CENT)),
        "patient_name": claim.patient_name,
        "service_date": _day(claim.service_date),
        "frequency_code": claim.frequency_code,
        "payer_claim_number": claim.payer_claim_number,
        "payers": {
            level.value: {"name": ref.name, "id": ref.payer_id}
            for level, ref in claim.payers.items()
        },
        "lines": [
            {
                "line_number": line.line_number,
                "procedure": line.procedure,
                "modifiers": list(line.modifiers),
                "charge": str(line.charge.quantize(CENT)),
                "units": str(line.units),
                "unit_code": line.unit_code,
                "service_date": _day(line.service_date),
                "control_number": line.control_number,
            }
            for line in claim.service_lines
        ],
        "detail": claim_detail_to_data(claim) if claim.detailed else {},
    }


def claim_from_data(data: dict[str, Any]) -> Claim:
    claim = Claim(
        claim_id=data["claim_id"],
        charge=parse_amount(data["charge"]),
        patient_name=data.get("patient_name", ""),
        service_date=_from_day(data.get("service_date")),
        frequency_code=data.get("frequency_code") or "1",
        payer_claim_number=data.get("payer_claim_number"),
        payers={
            PayerLevel(level): ClaimPayerRef(ref.get("name", ""), ref.get("id"))
            for level, ref in data.get("payers", {}).items()
        },
        service_lines=[
            ServiceLine(
                line_number=int(line["line_number"]),
                procedure=line["procedure"],
                modifiers=tuple(line.get("modifiers", ())),
                charge=parse_amount(line["charge"]),
                units=Decimal(line.get("units", "1")),
                service_date=_from_day(line.get("service_date")),
                control_number=line.get("control_number"),
                unit_code=line.get("unit_code", "UN"),
            )
            for line in data.get("lines", [])
        ],
    )
    if "detail" in data:  # kept by a pctui that keeps the whole 837P
        apply_claim_detail(claim, data["detail"])
    return claim
