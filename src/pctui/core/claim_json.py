"""A :class:`~pctui.core.claim.Claim` to plain JSON data and back.

Used where a claim must be kept whole outside the claim tables: a claim kept apart as a
conflict (``ClaimConflict.detail``) until the biller decides. Amounts are strings with two
decimals, units exact decimal strings, dates ISO ``YYYY-MM-DD``: nothing passes through a float.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pctui.core.claim import Claim, ClaimPayerRef, ServiceLine
from pctui.core.codes import PayerLevel
from pctui.core.money import CENT, parse_amount


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


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
    }


def claim_from_data(data: dict[str, Any]) -> Claim:
    return Claim(
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
