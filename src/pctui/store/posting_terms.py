"""What applies to each claim of an 835 when it posts: the payer rule per level and the levels the
835's payer holds on the claim (SPEC 2.3 step 3).

- **Which rule.** Each claim payment (CLP) uses the rule for the 835's Inbound ID and the payer
  of the claim's insurance at the CLP's pay level, with that level's settings and that payer's
  active excluded CARC overrides. So one 835 may post different claims under different rules.
  A CLP whose claim has no such rule gets an error-report line ("No payer rule established for
  Inbound ID 12345 and payer BCBS (the claim's secondary insurance); nothing posted") and
  nothing is posted for it; the rest of the payment is posted. A payer named on the claim that
  matched no payer in pctui (a finding at claim import) is taken to be the 835's own payer,
  which is evidently paying at that level: its rule applies and a notice says so.
- **"This payer"** (whose earlier posting a reversal undoes) is the payer the 835's Inbound ID
  belongs to: every entry of the release carries it as ``payer_id``. The levels it holds on a
  claim are those whose payer is that payer (or, when none is, those whose payer is not set up).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from pctui.core.codes import PayerLevel
from pctui.core.posting import (
    CarcExclusions,
    ClaimTerms,
    NoRule,
    PostingResult,
    RuleLevelSettings,
)
from pctui.store.claims import ClaimForPosting
from pctui.store.tables import CarcOverride, Payer, PayerRule, PayerRuleLevel


@dataclass(slots=True)
class PayerRules:
    """The rule for one Inbound ID and one payer: settings per level, or why a level is unusable."""

    payer_id: int
    payer_code: str
    levels: dict[PayerLevel, RuleLevelSettings] = field(default_factory=dict)
    problems: dict[PayerLevel, str] = field(default_factory=dict)


def load_rules(session: Session, inbound_id: str) -> dict[int, PayerRules]:
    """Active rules for an Inbound ID by payer, each level with its payer's CARC exclusions.

    Two queries for the whole payment, whatever its size.
    """
    rows = session.exec(
        select(PayerRule.payer_id, Payer.code, PayerRuleLevel)
        .join(Payer, col(Payer.id) == PayerRule.payer_id)
        .outerjoin(PayerRuleLevel, col(PayerRuleLevel.rule_id) == PayerRule.id)
        .where(PayerRule.inbound_id == inbound_id, col(PayerRule.active).is_(True))
    ).all()
    exclusions = _exclusions(session, {payer_id for payer_id, _, _ in rows})
    rules: dict[int, PayerRules] = {}
    for payer_id, code, level_row in rows:
        rule = rules.setdefault(payer_id, PayerRules(payer_id, code))
        if level_row is None:
            continue
        level = PayerLevel(level_row.level)
        try:
            rule.levels[level] = RuleLevelSettings(
                payment_code=level_row.payment_code,
                adjustment_code=level_row.adjustment_code,
                insurance_adjustments=level_row.insurance_adjustments,
                insurance_balance=level_row.insurance_balance,
                patient_balance=level_row.patient_balance,
                patient_adjustment_code=level_row.patient_adjustment_code,
                exclusions=exclusions.get(payer_id, CarcExclusions()),
            )  # fmt: skip
        except ValueError as exc:
            rule.problems[level] = str(exc)
    return rules


def _exclusions(session: Session, payer_ids: set[int]) -> dict[int, CarcExclusions]:
    if not payer_ids:
        return {}
    rows = session.exec(
        select(CarcOverride.payer_id, CarcOverride.group_code, CarcOverride.carc).where(
            col(CarcOverride.payer_id).in_(payer_ids),
            col(CarcOverride.active).is_(True),
            col(CarcOverride.excluded).is_(True),
        )
    ).all()
    pairs: dict[int, list[tuple[str, str]]] = {}
    for payer_id, group, carc in rows:
        pairs.setdefault(payer_id, []).append((group or "", carc))
    return {payer_id: CarcExclusions.of(found) for payer_id, found in pairs.items()}


def claim_terms(
    claim: ClaimForPosting, rules: Mapping[int, PayerRules], era_payer: int | None,
    inbound_id: str,
) -> ClaimTerms:  # fmt: skip
    """The rule settings per level (or why there is none) and the 835 payer's levels."""
    chosen: dict[PayerLevel, RuleLevelSettings | NoRule] = {}
    for level, payer in claim.payers.items():
        owner = payer.payer_pk if payer.payer_pk is not None else era_payer
        rule = rules.get(owner) if owner is not None else None
        if rule is not None and level in rule.levels:
            chosen[level] = rule.levels[level]
        else:
            chosen[level] = NoRule(_no_rule(claim, level, rules, inbound_id))
    held = frozenset(lv for lv, p in claim.payers.items() if p.payer_pk == era_payer)
    if not held:
        held = frozenset(lv for lv, p in claim.payers.items() if p.payer_pk is None)
    return ClaimTerms(chosen, held)


def load_terms(
    claims: Mapping[str, ClaimForPosting], rules: Mapping[int, PayerRules],
    era_payer: int | None, inbound_id: str,
) -> dict[str, ClaimTerms]:  # fmt: skip
    return {cid: claim_terms(c, rules, era_payer, inbound_id) for cid, c in claims.items()}


def assumed_payer_notice(claim: ClaimForPosting, result: PostingResult, era_payer: str) -> None:
    level = result.level
    payer = claim.payers.get(level) if level is not None else None
    if level is not None and payer is not None and payer.payer_pk is None and result.entries:
        named = f"'{payer.name}'" if payer.name else "(no name)"
        result.notices.append(
            f"{claim.ledger.claim_id}: the claim's {level.value} payer {named} is not set up in "
            f"pctui; posted under the rule of {era_payer}, the payer of this 835"
        )


def _no_rule(
    claim: ClaimForPosting, level: PayerLevel, rules: Mapping[int, PayerRules], inbound_id: str
) -> str:
    """Why a CLP at ``level`` has no rule (the claim has insurance at that level)."""
    payer = claim.payers[level]
    insurance = f"the claim's {level.value} insurance"
    if payer.payer_pk is None:
        named = f"'{payer.name}'" if payer.name else "(no name)"
        return (f"The claim's {level.value} payer {named} is not set up in pctui and the rule of "
                f"this 835's payer has no {level.value} settings; nothing posted")  # fmt: skip
    rule = rules.get(payer.payer_pk)
    if rule is None:
        return (f"No payer rule established for Inbound ID {inbound_id} and payer "
                f"{payer.payer_code} ({insurance}); nothing posted")  # fmt: skip
    problem = rule.problems.get(level, "its settings are missing")
    return (f"The payer rule for Inbound ID {inbound_id} and payer {payer.payer_code} cannot be "
            f"used at the {level.value} level ({problem}); nothing posted")  # fmt: skip
