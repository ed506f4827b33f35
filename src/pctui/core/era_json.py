"""A :class:`~pctui.core.era.Remittance` to plain JSON data and back (the ``Era.detail`` column).

Amounts are strings with two decimals ("1234.50"), quantities and units exact decimal strings,
dates ISO ``YYYY-MM-DD``: nothing passes through a binary float. Service-line and claim keys whose
value is empty (None, "", [], {}) are left out to keep large payments small. Findings are not part
of the detail; they are stored as their own rows so deferred validation can add to them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from pctui.core.era import (
    Adjustment,
    ClaimPayment,
    InboundIdSource,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)
from pctui.core.money import CENT, parse_amount

DETAIL_VERSION = 1

# Reading a stored payment back parses every amount again. Amounts repeat (the same charges and
# write-offs on thousands of claims) and a Decimal is immutable, so one parse per distinct text
# serves them all: a third of reading a 20,000-claim payment's detail.
_stored_amount = lru_cache(maxsize=1 << 16)(parse_amount)


def _amt(value: Decimal) -> str:
    # Quantized to cents, str() gives exactly "1234.50" (and is the fastest way there).
    return str(value.quantize(CENT))


def _opt_amt(value: Decimal | None) -> str | None:
    return None if value is None else _amt(value)


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v or v == 0}


def _num(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _adjustments(items: list[Adjustment]) -> list[list[Any]]:
    # Compact [group, reason, amount, quantity]: a large 835 has tens of thousands of these.
    return [[a.group, a.reason, _amt(a.amount), _num(a.quantity)] for a in items]


def _line(line: ServicePayment) -> dict[str, Any]:
    data: dict[str, Any] = {
        "procedure": line.procedure,
        "qualifier": line.qualifier,
        "charge": _amt(line.charge),
        "paid": _amt(line.paid),
    }
    # Optional keys only when set: a large payment has tens of thousands of lines.
    if line.modifiers:
        data["modifiers"] = list(line.modifiers)
    if line.revenue_code:
        data["revenue_code"] = line.revenue_code
    if line.units is not None:
        data["units"] = str(line.units)
    if line.original_procedure:
        data["original_procedure"] = line.original_procedure
    if line.original_modifiers:
        data["original_modifiers"] = list(line.original_modifiers)
    if line.original_units is not None:
        data["original_units"] = str(line.original_units)
    if line.service_date is not None:
        data["service_date"] = line.service_date.isoformat()
    if line.service_date_end is not None:
        data["service_date_end"] = line.service_date_end.isoformat()
    if line.control_number:
        data["control_number"] = line.control_number
    if line.allowed is not None:
        data["allowed"] = _amt(line.allowed)
    if line.adjustments:
        data["adjustments"] = _adjustments(line.adjustments)
    if line.remarks:
        data["remarks"] = line.remarks
    return data


def _claim(claim: ClaimPayment) -> dict[str, Any]:
    return _compact(
        {
            "patient_control_number": claim.patient_control_number,
            "status_code": claim.status_code,
            "charge": _amt(claim.charge),
            "paid": _amt(claim.paid),
            "patient_responsibility": _opt_amt(claim.patient_responsibility),
            "filing_indicator": claim.filing_indicator,
            "payer_claim_control": claim.payer_claim_control,
            "facility_code": claim.facility_code,
            "frequency_code": claim.frequency_code,
            "patient_name": claim.patient_name,
            "statement_from": _day(claim.statement_from),
            "statement_to": _day(claim.statement_to),
            "adjustments": _adjustments(claim.adjustments),
            "remarks": claim.remarks,
            "amounts": {k: _amt(v) for k, v in claim.amounts.items()},
            "references": claim.references,
            "service_lines": [_line(line) for line in claim.service_lines],
        }
    )


def remittance_to_data(era: Remittance) -> dict[str, Any]:
    """Plain JSON-ready data for one payment (without its findings)."""
    return {
        "version": DETAIL_VERSION,
        "control_number": era.control_number,
        "interchange_control": era.interchange_control,
        "sender_id": era.sender_id,
        "amount": _amt(era.amount),
        "credit_debit": era.credit_debit,
        "payment_method": era.payment_method,
        "payment_date": _day(era.payment_date),
        "check_number": era.check_number,
        "trn_originator": era.trn_originator,
        "production_date": _day(era.production_date),
        "payer_name": era.payer_name,
        "payer_id": era.payer_id,
        "ref_2u": era.ref_2u,
        "payee_name": era.payee_name,
        "payee_id": era.payee_id,
        "inbound_id": era.inbound_id,
        "inbound_id_source": era.inbound_id_source.value,
        "segment_count": era.segment_count,
        "claims": [_claim(c) for c in era.claims],
        "provider_adjustments": [
            {
                "provider_id": p.provider_id,
                "fiscal_date": _day(p.fiscal_date),
                "reason": p.reason,
                "reference": p.reference,
                "amount": _amt(p.amount),
            }
            for p in era.provider_adjustments
        ],
    }


# --- back to objects ---------------------------------------------------------------------------


def _to_amt(value: str | None) -> Decimal | None:
    return None if value is None else _stored_amount(value)


def _to_num(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _to_day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _to_adjustments(items: list[list[Any]]) -> list[Adjustment]:
    return [Adjustment(g, r, _stored_amount(a), _to_num(q)) for g, r, a, q in items]


def _to_line(d: dict[str, Any]) -> ServicePayment:
    return ServicePayment(
        procedure=d.get("procedure", ""),
        qualifier=d.get("qualifier", ""),
        modifiers=tuple(d.get("modifiers", ())),
        charge=_stored_amount(d["charge"]),
        paid=_stored_amount(d["paid"]),
        revenue_code=d.get("revenue_code"),
        units=_to_num(d.get("units")),
        original_procedure=d.get("original_procedure"),
        original_modifiers=tuple(d.get("original_modifiers", ())),
        original_units=_to_num(d.get("original_units")),
        service_date=_to_day(d.get("service_date")),
        service_date_end=_to_day(d.get("service_date_end")),
        control_number=d.get("control_number"),
        allowed=_to_amt(d.get("allowed")),
        adjustments=_to_adjustments(d.get("adjustments", [])),
        remarks=list(d.get("remarks", [])),
    )


def _to_claim(d: dict[str, Any]) -> ClaimPayment:
    return ClaimPayment(
        patient_control_number=d.get("patient_control_number", ""),
        status_code=d.get("status_code", ""),
        charge=_stored_amount(d["charge"]),
        paid=_stored_amount(d["paid"]),
        patient_responsibility=_to_amt(d.get("patient_responsibility")),
        filing_indicator=d.get("filing_indicator"),
        payer_claim_control=d.get("payer_claim_control"),
        facility_code=d.get("facility_code"),
        frequency_code=d.get("frequency_code"),
        patient_name=d.get("patient_name"),
        statement_from=_to_day(d.get("statement_from")),
        statement_to=_to_day(d.get("statement_to")),
        adjustments=_to_adjustments(d.get("adjustments", [])),
        remarks=list(d.get("remarks", [])),
        amounts={k: _stored_amount(v) for k, v in d.get("amounts", {}).items()},
        references=dict(d.get("references", {})),
        service_lines=[_to_line(x) for x in d.get("service_lines", [])],
    )


def remittance_from_data(d: dict[str, Any]) -> Remittance:
    """The payment back from :func:`remittance_to_data` output (findings empty)."""
    return Remittance(
        control_number=d["control_number"],
        interchange_control=d["interchange_control"],
        sender_id=d["sender_id"],
        amount=_stored_amount(d["amount"]),
        credit_debit=d["credit_debit"],
        payment_method=d["payment_method"],
        payment_date=_to_day(d["payment_date"]),
        check_number=d["check_number"],
        trn_originator=d["trn_originator"],
        production_date=_to_day(d["production_date"]),
        payer_name=d["payer_name"],
        payer_id=d["payer_id"],
        ref_2u=d["ref_2u"],
        payee_name=d["payee_name"],
        payee_id=d["payee_id"],
        inbound_id=d["inbound_id"],
        inbound_id_source=InboundIdSource(d["inbound_id_source"]),
        segment_count=d["segment_count"],
        claims=[_to_claim(c) for c in d["claims"]],
        provider_adjustments=[
            ProviderAdjustment(
                provider_id=p["provider_id"],
                fiscal_date=_to_day(p["fiscal_date"]),
                reason=p["reason"],
                reference=p["reference"],
                amount=_stored_amount(p["amount"]),
            )
            for p in d["provider_adjustments"]
        ],
    )
