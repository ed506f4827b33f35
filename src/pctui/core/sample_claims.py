"""Realistic professional claims built from parts (demo data, tests, the submission benchmark).

Every claim here is a valid 837P claim: billing provider with NPI, tax ID, taxonomy and a
9-digit ZIP; subscriber and payer; diagnoses with pointers; service lines with dates. The NPIs
pass their check digit. Change what a test needs with ``dataclasses.replace``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pctui.core.claim import (
    Address,
    Claim,
    ClaimPayerRef,
    Coverage,
    Diagnosis,
    Entity,
    Patient,
    Reference,
    Segment,
    ServiceLine,
)
from pctui.core.codes import PayerLevel

BILLING_NPI = "1234567893"
RENDERING_NPI = "1245319599"
REFERRING_NPI = "1003000126"

_PROCEDURES = (("99213", "75.00"), ("99214", "110.00"), ("36415", "15.00"), ("81002", "12.00"),
               ("93000", "45.00"), ("90471", "25.00"), ("97110", "60.00"), ("71046", "90.00"))
_DIAGNOSES = ("E119", "I10", "J069", "M545", "Z0000", "R0789", "E785", "K219")
_LAST = ("SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS")
_FIRST = ("MARY", "JAMES", "PATRICIA", "ROBERT", "LINDA", "MICHAEL", "SUSAN", "DAVID")


def billing_provider() -> Entity:
    return Entity("85", "2", "RIVERSIDE FAMILY MEDICINE", id_qualifier="XX",
                  identifier=BILLING_NPI,
                  address=Address("100 MAIN ST", "", "SPRINGFIELD", "IL", "627011234"),
                  taxonomy="207Q00000X", references=[Reference("EI", "371234567")])  # fmt: skip


def submitter() -> Entity:
    return Entity("41", "2", "RIVERSIDE FAMILY MEDICINE", id_qualifier="46",
                  identifier="RIVERSIDE",
                  extra=[Segment("PER", ("IC", "BILLING OFFICE", "TE", "5555550100"))])  # fmt: skip


def sample_claim(
    claim_id: str,
    n: int = 0,
    *,
    payer: tuple[str, str] = ("BLUE CROSS BLUE SHIELD", "84980"),
    filing_indicator: str = "BL",
    lines: int = 2,
    service_date: date = date(2026, 11, 20),
) -> Claim:
    """Claim ``claim_id``; ``n`` varies the patient, procedures and diagnoses."""
    last, first = _LAST[n % len(_LAST)], _FIRST[(n // 3) % len(_FIRST)]
    subscriber = Entity("IL", "1", last, first, id_qualifier="MI", identifier=f"XYZ{n:09d}",
                        address=Address("12 OAK AVE", "", "SPRINGFIELD", "IL", "62704"),
                        birth_date=f"19{50 + n % 45:02d}0{1 + n % 9}15",
                        gender="F" if n % 2 else "M")  # fmt: skip
    payer_entity = Entity("PR", "2", payer[0], id_qualifier="PI", identifier=payer[1])
    diagnoses = [Diagnosis("ABK", _DIAGNOSES[n % len(_DIAGNOSES)]),
                 Diagnosis("ABF", _DIAGNOSES[(n + 3) % len(_DIAGNOSES)])]  # fmt: skip
    service_lines = []
    for i in range(lines):
        procedure, charge = _PROCEDURES[(n + i) % len(_PROCEDURES)]
        service_lines.append(ServiceLine(
            line_number=i + 1, procedure=procedure, charge=Decimal(charge),
            service_date=service_date, control_number=f"{claim_id}-{i + 1}",
            diagnosis_pointers=(1, 2) if i == 0 else (1,),
        ))  # fmt: skip
    total = sum((line.charge for line in service_lines), Decimal("0.00"))
    return Claim(
        claim_id=claim_id,
        charge=total,
        patient_name=f"{last}, {first}",
        service_lines=service_lines,
        payers={PayerLevel.PRIMARY: ClaimPayerRef(payer[0], payer[1])},
        service_date=service_date,
        billing_provider=billing_provider(),
        subscriber=Coverage("P", "18", f"GRP{n % 50:04d}", filing_indicator=filing_indicator,
                            subscriber=subscriber, payer=payer_entity),  # fmt: skip
        place_of_service="11",
        patient_signature_source="",
        diagnoses=diagnoses,
        providers=[Entity("82", "1", "NGUYEN", "ANH", id_qualifier="XX",
                          identifier=RENDERING_NPI, taxonomy="207Q00000X")],  # fmt: skip
        submitter=submitter(),
    )


def dependent_claim(claim_id: str, n: int = 0, **options: object) -> Claim:
    """A claim for a child on a parent's plan (a 2000C patient level)."""
    claim = sample_claim(claim_id, n, **options)  # type: ignore[arg-type]
    assert claim.subscriber is not None and claim.subscriber.subscriber is not None
    claim.subscriber.relationship = ""
    child = Entity("QC", "1", claim.subscriber.subscriber.last_name, "EMMA",
                   address=Address("12 OAK AVE", "", "SPRINGFIELD", "IL", "62704"),
                   birth_date="20150610", gender="F")  # fmt: skip
    claim.patient = Patient("19", child)
    claim.patient_name = child.name
    return claim
