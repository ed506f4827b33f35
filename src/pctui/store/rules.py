"""Payer rules (SPEC 1.2): one rule per Inbound ID + Payer Code, with settings for each Payer Level.

Invariants kept here: all three levels are filled in; every code a level uses exists and is of the
right kind (and active while the rule is active).

A rule's Inbound ID need not belong to the rule's payer: posting picks the rule by the 835's Inbound
ID and the payer of each *claim* (SPEC 2.3 step 3), so one Inbound ID — a clearinghouse's, say —
carries rules for several payer codes. The Inbound ID must belong to *some* payer before its 835s
are Ready (SPEC 1.3); saving a rule whose Inbound ID belongs to no payer offers to attach it to the
rule's payer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from pctui.core.codes import (
    CodeKind,
    InsuranceAdjustments,
    InsuranceBalance,
    InsuranceClass,
    PatientBalance,
    PayerLevel,
    default_codes,
)
from pctui.core.posting import CarcExclusions, RuleLevelSettings
from pctui.store import audit, payers, versions
from pctui.store.carc import exclusions_for
from pctui.store.codes import CodeView, code_use_problem, codes_in, normalize_code
from pctui.store.db import Store
from pctui.store.errors import NotFound, ValidationFailed
from pctui.store.payers import inbound_id_problem
from pctui.store.tables import Era, Payer, PayerInboundId, PayerRule, PayerRuleLevel
from pctui.store.users import Actor

LEVEL_FIELDS = ("payment_code", "adjustment_code", "insurance_adjustments", "insurance_balance",
                "patient_balance", "patient_adjustment_code")
_CHOICES: dict[str, tuple[str, ...]] = {
    "insurance_adjustments": tuple(v.value for v in InsuranceAdjustments),
    "insurance_balance": tuple(v.value for v in InsuranceBalance),
    "patient_balance": tuple(v.value for v in PatientBalance),
}
MAX_DESCRIPTION = 200


@dataclass
class RuleLevelDraft:
    payment_code: str
    adjustment_code: str
    insurance_adjustments: str = InsuranceAdjustments.POST.value
    insurance_balance: str = InsuranceBalance.TRANSFER.value
    patient_balance: str = PatientBalance.KEEP.value
    patient_adjustment_code: str | None = None

    def normalized(self) -> RuleLevelDraft:
        """Codes upper-cased; the patient Adjustment Code kept only when Patient Balances is Adjust."""
        patient_code = normalize_code(self.patient_adjustment_code) or None
        if str(self.patient_balance) != PatientBalance.ADJUST.value:
            patient_code = None
        return RuleLevelDraft(normalize_code(self.payment_code),
                              normalize_code(self.adjustment_code),
                              str(self.insurance_adjustments), str(self.insurance_balance),
                              str(self.patient_balance), patient_code)

    def as_dict(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in LEVEL_FIELDS}


@dataclass
class RuleDraft:
    inbound_id: str
    payer_id: int | None
    description: str = ""
    levels: dict[PayerLevel, RuleLevelDraft] = field(default_factory=dict)
    active: bool = True


@dataclass(frozen=True)
class RuleView:
    id: int
    inbound_id: str
    payer_id: int
    payer_code: str
    payer_name: str
    insurance_class: InsuranceClass
    description: str
    active: bool
    levels: dict[PayerLevel, RuleLevelDraft]
    inbound_id_attached: bool  # the Inbound ID belongs to a payer (this one or another)
    version: int = 1  # what a form shows; saving passes it back (pctui.store.versions)

    @property
    def label(self) -> str:
        return f"{self.inbound_id} + {self.payer_code}"

    def draft(self) -> RuleDraft:
        return RuleDraft(self.inbound_id, self.payer_id, self.description,
                         {lvl: replace(settings) for lvl, settings in self.levels.items()},
                         self.active)


@dataclass(frozen=True)
class InboundIdChoice:
    value: str
    waiting: int  # 835 payments under this Inbound ID waiting for release
    payer_code: str | None  # the payer it belongs to, if any


# -- pure helpers for the drawer -------------------------------------------------------------


def default_levels(insurance_class: InsuranceClass | str) -> dict[PayerLevel, RuleLevelDraft]:
    """Each level's starting settings for a payer of this class: its codes, Post, Transfer, Keep."""
    payment, adjustment = default_codes(insurance_class)
    return {level: RuleLevelDraft(payment, adjustment) for level in PayerLevel}


def copy_level(
    levels: Mapping[PayerLevel, RuleLevelDraft], source: PayerLevel, target: PayerLevel
) -> dict[PayerLevel, RuleLevelDraft]:
    """Apply to Secondary / Tertiary: ``target`` becomes an exact copy of ``source``."""
    result = {lvl: replace(settings) for lvl, settings in levels.items()}
    result[PayerLevel(target)] = replace(levels[PayerLevel(source)])
    return result


# -- validation ------------------------------------------------------------------------------


def level_problems(
    level: RuleLevelDraft, codes: Mapping[str, CodeView], rule_active: bool = True
) -> dict[str, str]:
    """Problems with one level's settings, by field name."""
    errors: dict[str, str] = {}
    for name, choices in _CHOICES.items():
        value = str(getattr(level, name) or "")
        if value not in choices:
            errors[name] = "must be " + " or ".join(f'"{c}"' for c in choices)
    for name, kind in (("payment_code", CodeKind.PAYMENT),
                       ("adjustment_code", CodeKind.ADJUSTMENT)):
        problem = code_use_problem(codes, getattr(level, name), kind, rule_active)
        if problem:
            errors[name] = problem
    if str(level.patient_balance) == PatientBalance.ADJUST.value:
        if not normalize_code(level.patient_adjustment_code):
            errors["patient_adjustment_code"] = "required when Patient Balances is Adjust"
        else:
            problem = code_use_problem(codes, level.patient_adjustment_code,
                                       CodeKind.ADJUSTMENT, rule_active)
            if problem:
                errors["patient_adjustment_code"] = problem
    return errors


def levels_problems(
    levels: Mapping[Any, RuleLevelDraft | None], codes: Mapping[str, CodeView],
    rule_active: bool = True,
) -> dict[str, str]:
    """Problems of all three levels, keyed "levels.<level>[.<field>]"."""
    errors: dict[str, str] = {}
    for level in PayerLevel:
        settings = levels.get(level)
        if settings is None:
            errors[f"levels.{level.value}"] = (
                f"required: all three Payer Levels must be filled in ({level.label} is missing)")
            continue
        for name, problem in level_problems(settings, codes, rule_active).items():
            errors[f"levels.{level.value}.{name}"] = problem
    return errors


def _validate(session: Session, draft: RuleDraft, rule_id: int | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    inbound = draft.inbound_id.strip()
    problem = inbound_id_problem(draft.inbound_id)
    if problem:
        errors["inbound_id"] = problem
    payer: Payer | None = None
    if draft.payer_id is None:
        errors["payer"] = "required: pick the payer whose claims this rule posts"
    else:
        payer = session.get(Payer, draft.payer_id)
        if payer is None:
            errors["payer"] = "this payer no longer exists"
    if len(draft.description.strip()) > MAX_DESCRIPTION:
        errors["description"] = f"{MAX_DESCRIPTION} characters at most"
    errors.update(levels_problems(draft.levels, codes_in(session), draft.active))
    if payer is not None and "inbound_id" not in errors:
        clash = session.exec(select(PayerRule).where(
            PayerRule.inbound_id == inbound, PayerRule.payer_id == payer.id)).first()
        if clash is not None and clash.id != rule_id:
            errors["rule"] = f"a rule for Inbound ID {inbound} + {payer.code} already exists"
    if rule_id is not None and session.get(PayerRule, rule_id) is None:
        errors["rule"] = f"rule {rule_id} no longer exists"
    return errors


def check_rule(store: Store, draft: RuleDraft, rule_id: int | None = None) -> dict[str, str]:
    """Every problem with the drawer's contents, by field key; empty when it may be saved."""
    with store.read() as session:
        return _validate(session, draft, rule_id)


# -- reading ---------------------------------------------------------------------------------


def _levels_of(session: Session, rule_ids: list[int]) -> dict[int, dict[PayerLevel, RuleLevelDraft]]:
    result: dict[int, dict[PayerLevel, RuleLevelDraft]] = {}
    if not rule_ids:
        return result
    rows = session.exec(select(PayerRuleLevel).where(col(PayerRuleLevel.rule_id).in_(rule_ids)))
    for row in rows.all():
        result.setdefault(row.rule_id, {})[PayerLevel(row.level)] = RuleLevelDraft(
            row.payment_code, row.adjustment_code, row.insurance_adjustments,
            row.insurance_balance, row.patient_balance, row.patient_adjustment_code)
    return result


def _views(session: Session, pairs: list[tuple[PayerRule, Payer]]) -> list[RuleView]:
    levels = _levels_of(session, [r.id for r, _ in pairs if r.id is not None])
    owned = {row.value for row in session.exec(select(PayerInboundId)).all()}
    views = []
    for rule, payer in pairs:
        assert rule.id is not None and payer.id is not None
        ordered = {lvl: levels.get(rule.id, {})[lvl] for lvl in PayerLevel
                   if lvl in levels.get(rule.id, {})}
        views.append(RuleView(rule.id, rule.inbound_id, payer.id, payer.code, payer.name,
                              InsuranceClass(payer.insurance_class), rule.description,
                              rule.active, ordered, rule.inbound_id in owned, rule.version))
    return views


def rules_in(session: Session, search: str | None = None,
             include_inactive: bool = True) -> list[RuleView]:
    query = select(PayerRule, Payer).join(Payer, col(Payer.id) == PayerRule.payer_id)
    if search and search.strip():
        like = f"%{search.strip().lower()}%"
        query = query.where(or_(
            func.lower(PayerRule.inbound_id).like(like), func.lower(Payer.code).like(like),
            func.lower(Payer.name).like(like), func.lower(PayerRule.description).like(like)))
    if not include_inactive:
        query = query.where(col(PayerRule.active).is_(True))
    query = query.order_by(PayerRule.inbound_id, Payer.code)
    return _views(session, list(session.exec(query).all()))


def list_rules(store: Store, search: str | None = None,
               include_inactive: bool = True) -> list[RuleView]:
    """Rules by Inbound ID then payer code; ``search`` matches Inbound ID, payer code, payer
    name or description, ignoring case."""
    with store.read() as session:
        return rules_in(session, search, include_inactive)


def _get(session: Session, rule_id: int) -> RuleView:
    rule = session.get(PayerRule, rule_id)
    if rule is None:
        raise NotFound(f"payer rule {rule_id} does not exist")
    payer = session.get(Payer, rule.payer_id)
    assert payer is not None
    return _views(session, [(rule, payer)])[0]


def get_rule(store: Store, rule_id: int) -> RuleView:
    with store.read() as session:
        return _get(session, rule_id)


def inbound_id_owner(store: Store, inbound_id: str) -> payers.PayerView | None:
    """The payer an Inbound ID is attached to, or None."""
    with store.read() as session:
        row = session.get(PayerInboundId, inbound_id.strip())
        if row is None:
            return None
    return payers.get_payer(store, row.payer_id)


def inbound_id_choices(store: Store) -> list[InboundIdChoice]:
    """The Inbound ID picker: IDs of 835s waiting for release first (most waiting first), then
    the IDs attached to payers, then any other ID seen on an 835 or a rule; no repeats."""
    with store.read() as session:
        owners = {row.value: row.payer_id for row in session.exec(select(PayerInboundId)).all()}
        codes = {p.id: p.code for p in session.exec(select(Payer)).all()}
        waiting = session.exec(
            select(Era.inbound_id, func.count()).where(Era.status == "pending")
            .group_by(Era.inbound_id).order_by(func.count().desc(), Era.inbound_id)).all()
        seen_on_eras = session.exec(select(Era.inbound_id).distinct().order_by(Era.inbound_id))
        era_ids = list(seen_on_eras.all())
        rule_ids = list(session.exec(
            select(PayerRule.inbound_id).distinct().order_by(PayerRule.inbound_id)).all())
    choices: list[InboundIdChoice] = []
    seen: set[str] = set()

    def add(value: str, count: int) -> None:
        if value and value not in seen:
            seen.add(value)
            owner = owners.get(value)
            choices.append(InboundIdChoice(value, count, codes.get(owner) if owner else None))

    for value, count in waiting:
        add(value, count)
    for value in sorted(owners):
        add(value, 0)
    for value in era_ids + rule_ids:
        add(value, 0)
    return choices


# -- writing ---------------------------------------------------------------------------------


def _flat(description: str, active: bool, inbound: str, payer_code: str,
          levels: Mapping[PayerLevel, RuleLevelDraft]) -> dict[str, Any]:
    """A rule as flat fields for the audit diff, e.g. "secondary.payment_code"."""
    values: dict[str, Any] = {"inbound_id": inbound, "payer": payer_code,
                              "description": description, "active": active}
    for level in PayerLevel:
        settings = levels.get(level)
        for name in LEVEL_FIELDS:
            values[f"{level.value}.{name}"] = getattr(settings, name) if settings else None
    return values


def write_rule(
    session: Session, actor: Actor, draft: RuleDraft, rule_id: int | None = None,
    attach_inbound_id: bool = False, expected_version: int | None = None,
) -> tuple[int, str | None]:
    """Validate and save a rule inside the caller's write transaction, audited.

    Returns (rule id, "created" | "changed" | "deactivated" | "reactivated" | None if nothing
    differed)."""
    actor.require_admin("Payer Rules")
    errors = _validate(session, draft, rule_id)
    if errors:
        raise ValidationFailed(errors)
    assert draft.payer_id is not None
    payer = session.get(Payer, draft.payer_id)
    assert payer is not None and payer.id is not None
    inbound = draft.inbound_id.strip()
    levels = {lvl: draft.levels[lvl].normalized() for lvl in PayerLevel}
    after = _flat(draft.description.strip(), draft.active, inbound, payer.code, levels)
    now = audit.now()
    if rule_id is None:
        rule = PayerRule(inbound_id=inbound, payer_id=payer.id, description=after["description"],
                         active=draft.active, created_at=now, updated_at=now)
        session.add(rule)
        session.flush()
        before: dict[str, Any] = {}
        existing: dict[PayerLevel, PayerRuleLevel] = {}
    else:
        found = session.get(PayerRule, rule_id)
        assert found is not None
        rule = found
        old_payer = session.get(Payer, rule.payer_id)
        existing = {PayerLevel(row.level): row for row in session.exec(
            select(PayerRuleLevel).where(PayerRuleLevel.rule_id == rule_id)).all()}
        old_levels = _levels_of(session, [rule_id]).get(rule_id, {})
        before = _flat(rule.description, rule.active, rule.inbound_id,
                       old_payer.code if old_payer else "", old_levels)
        versions.check(session, version=rule.version, expected=expected_version,
                       what=f"the rule {rule.inbound_id} + {old_payer.code if old_payer else '?'}",
                       entity="rule", entity_id=rule.id, stored=before, yours=after)
    changes = audit.diff(before, after)
    assert rule.id is not None
    if changes:
        rule.inbound_id, rule.payer_id = inbound, payer.id
        rule.description, rule.active, rule.updated_at = after["description"], draft.active, now
        if rule_id is not None:
            versions.bump(rule)
        session.add(rule)
        for level, settings in levels.items():
            row = existing.get(level) or PayerRuleLevel(rule_id=rule.id, level=level.value,
                                                        payment_code="", adjustment_code="")
            for name, value in settings.as_dict().items():
                setattr(row, name, value)
            session.add(row)
    action: str | None = None
    if changes:
        action = "created" if rule_id is None else "changed"
        if rule_id is not None and set(changes) == {"active"}:
            action = "reactivated" if draft.active else "deactivated"
        audit.record(session, actor.login, "rule", rule.id, f"{inbound} + {payer.code}", action,
                     changes)
    if attach_inbound_id and session.get(PayerInboundId, inbound) is None:
        payers.add_inbound_id(session, actor, payer.id, inbound)
    session.flush()
    return rule.id, action


def save_rule(
    store: Store, actor: Actor, draft: RuleDraft, rule_id: int | None = None,
    attach_inbound_id: bool = False, expected_version: int | None = None,
) -> RuleView:
    """Add (``rule_id`` None) or change a rule. Admin only; audited. With ``attach_inbound_id``
    an Inbound ID attached to no payer is attached to the rule's payer in the same transaction."""
    actor.require_admin("Payer Rules")
    with store.write() as session:
        saved_id, _ = write_rule(session, actor, draft, rule_id, attach_inbound_id,
                                 expected_version)
        return _get(session, saved_id)


def set_rule_active(store: Store, actor: Actor, rule_id: int, active: bool) -> RuleView:
    """Deactivate (or reactivate) a rule; rules are never deleted."""
    actor.require_admin("Payer Rules")
    with store.write() as session:
        draft = _get(session, rule_id).draft()
        draft.active = active
        write_rule(session, actor, draft, rule_id)
        return _get(session, rule_id)


# -- for posting -----------------------------------------------------------------------------


def posting_settings(
    session: Session, inbound_id: str, payer_id: int, level: PayerLevel
) -> RuleLevelSettings | None:
    """The active rule's settings for one level with the payer's CARC exclusions, or None when
    no active rule exists for this Inbound ID + payer."""
    rule = session.exec(select(PayerRule).where(
        PayerRule.inbound_id == inbound_id.strip(), PayerRule.payer_id == payer_id,
        col(PayerRule.active).is_(True))).first()
    if rule is None or rule.id is None:
        return None
    settings = _levels_of(session, [rule.id]).get(rule.id, {}).get(PayerLevel(level))
    if settings is None:
        return None
    return RuleLevelSettings(
        settings.payment_code, settings.adjustment_code,
        InsuranceAdjustments(settings.insurance_adjustments),
        InsuranceBalance(settings.insurance_balance), PatientBalance(settings.patient_balance),
        settings.patient_adjustment_code, CarcExclusions.of(exclusions_for(session, payer_id)))
