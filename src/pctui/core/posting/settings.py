"""What the store hands the engine for one claim: the payer rule's settings per level (SPEC 1.2)
with the CARC overrides of the rule's payer, and which levels the 835's payer holds on it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pctui.core.codes import InsuranceAdjustments, InsuranceBalance, PatientBalance, PayerLevel


@dataclass(frozen=True, slots=True)
class CarcExclusions:
    """Active, excluded CARC overrides of one payer: (group or "" for any group, CARC) pairs."""

    pairs: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> CarcExclusions:
        return cls(frozenset((g.strip().upper(), c.strip().upper()) for g, c in pairs))

    def excludes(self, group: str, carc: str) -> bool:
        group, carc = group.strip().upper(), carc.strip().upper()
        return (group, carc) in self.pairs or ("", carc) in self.pairs


NO_EXCLUSIONS = CarcExclusions()


@dataclass(frozen=True, slots=True)
class RuleLevelSettings:
    """One level of a payer rule (SPEC 1.2), plus the CARC overrides of the rule's payer."""

    payment_code: str
    adjustment_code: str
    insurance_adjustments: InsuranceAdjustments = InsuranceAdjustments.POST
    insurance_balance: InsuranceBalance = InsuranceBalance.TRANSFER
    patient_balance: PatientBalance = PatientBalance.KEEP
    patient_adjustment_code: str | None = None
    exclusions: CarcExclusions = NO_EXCLUSIONS

    def __post_init__(self) -> None:
        # The store hands in the strings it keeps; the engine works with the enums.
        object.__setattr__(
            self, "insurance_adjustments", InsuranceAdjustments(self.insurance_adjustments)
        )
        object.__setattr__(self, "insurance_balance", InsuranceBalance(self.insurance_balance))
        object.__setattr__(self, "patient_balance", PatientBalance(self.patient_balance))
        if not self.payment_code.strip() or not self.adjustment_code.strip():
            raise ValueError("a rule level needs a Payment Code and an Adjustment Code")
        if self.patient_balance is PatientBalance.ADJUST and not self.patient_adjustment_code:
            raise ValueError("Patient Balances = Adjust needs a patient Adjustment Code")


@dataclass(frozen=True, slots=True)
class NoRule:
    """A level the claim has insurance at but no usable rule for: why, in the biller's words."""

    message: str


@dataclass(frozen=True, slots=True)
class ClaimTerms:
    """What applies to one claim in one 835: rule settings per level (or why there is none) and
    the levels the 835's payer holds on the claim (a reversal without CLP07 targets those)."""

    rules: Mapping[PayerLevel, RuleLevelSettings | NoRule] = field(default_factory=dict)
    payer_levels: frozenset[PayerLevel] = frozenset()
