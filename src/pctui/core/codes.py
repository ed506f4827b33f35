"""Billing vocabulary: insurance classes, payer levels, posting codes and their defaults."""

from __future__ import annotations

from enum import StrEnum


class InsuranceClass(StrEnum):
    COMMERCIAL = "commercial"
    MEDICARE = "medicare"
    MEDICAID = "medicaid"
    WORKERS_COMP = "workers_comp"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "commercial": "Commercial",
            "medicare": "Medicare",
            "medicaid": "Medicaid",
            "workers_comp": "Workers' comp",
            "other": "Other",
        }[self.value]


class PayerLevel(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    TERTIARY = "tertiary"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def next(self) -> PayerLevel | None:
        order = list(PayerLevel)
        i = order.index(self)
        return order[i + 1] if i + 1 < len(order) else None


class Party(StrEnum):
    """Who owes part of a claim's balance."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    TERTIARY = "tertiary"
    PATIENT = "patient"


class InsuranceAdjustments(StrEnum):
    POST = "post"
    SKIP = "skip"


class InsuranceBalance(StrEnum):
    KEEP = "keep"
    TRANSFER = "transfer"


class PatientBalance(StrEnum):
    KEEP = "keep"
    ADJUST = "adjust"


class CodeKind(StrEnum):
    PAYMENT = "payment"
    ADJUSTMENT = "adjustment"


STANDARD_PAYMENT_CODES: dict[str, str] = {
    "PCON": "Insurance payment (most payers)",
    "PMCR": "Medicare payment",
    "PMCD": "Medicaid payment",
    "PWCI": "Workers' compensation payment",
}

STANDARD_ADJUSTMENT_CODES: dict[str, str] = {
    "AIWO": "Insurance write-off (most payers)",
    "AMCR": "Medicare adjustment",
    "AMCD": "Medicaid adjustment",
    "AWCA": "Workers' compensation adjustment",
}

DEFAULT_CODES: dict[InsuranceClass, tuple[str, str]] = {
    InsuranceClass.COMMERCIAL: ("PCON", "AIWO"),
    InsuranceClass.MEDICARE: ("PMCR", "AMCR"),
    InsuranceClass.MEDICAID: ("PMCD", "AMCD"),
    InsuranceClass.WORKERS_COMP: ("PWCI", "AWCA"),
    InsuranceClass.OTHER: ("PCON", "AIWO"),
}


def default_codes(insurance_class: InsuranceClass | str) -> tuple[str, str]:
    """(payment code, adjustment code) a new rule level starts with for this class."""
    return DEFAULT_CODES[InsuranceClass(insurance_class)]


class GatewayType(StrEnum):
    HTTPS = "https"
    SFTP = "sftp"
    CLEARINGHOUSE = "clearinghouse"

    @property
    def label(self) -> str:
        return {"https": "HTTPS API", "sftp": "SFTP mailbox", "clearinghouse": "Clearinghouse"}[
            self.value
        ]


class Role(StrEnum):
    ADMIN = "admin"
    BILLER = "biller"


ADJUSTMENT_GROUPS: dict[str, str] = {
    "CO": "Contractual obligation",
    "PR": "Patient responsibility",
    "OA": "Other adjustment",
    "PI": "Payer initiated reduction",
    "CR": "Correction and reversal",
}
