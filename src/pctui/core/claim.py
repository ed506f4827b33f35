"""A professional claim (837P) as plain domain objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from pctui.core.codes import PayerLevel
from pctui.core.money import ZERO


@dataclass(frozen=True, slots=True)
class ClaimPayerRef:
    """The payer named on a claim at one level (loop 2010BB / 2330B)."""

    name: str
    payer_id: str | None = None  # NM109, matched against a payer's outbound ID


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


@dataclass(slots=True)
class Claim:
    """Loop 2300: one claim with the payer at each level (SBR01 P/S/T)."""

    claim_id: str  # CLM01, the patient control number
    charge: Decimal  # CLM02
    patient_name: str = ""
    service_lines: list[ServiceLine] = field(default_factory=list)
    payers: dict[PayerLevel, ClaimPayerRef] = field(default_factory=dict)
    service_date: date | None = None  # earliest line date
    frequency_code: str = "1"  # CLM05-3: 1 original, 7 replacement, 8 void
    payer_claim_number: str | None = None  # REF*F8: the payer's number for the claim replaced/voided
