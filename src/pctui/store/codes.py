"""Posting codes: the standard payment/adjustment codes and the custom ones an admin adds.

Decisions: the eight standard codes (PCON PMCR PMCD PWCI / AIWO AMCR AMCD AWCA) are fixed, so
every database means the same thing by them and the configuration document never carries them.
A custom code cannot change kind while a rule uses it, nor be deactivated while an active rule
uses it (the rule would then post with a code nobody may pick).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlmodel import Session, col, select

from pctui.core.codes import CodeKind
from pctui.store import audit, versions
from pctui.store.db import Store
from pctui.store.errors import ValidationFailed
from pctui.store.tables import Payer, PayerRule, PayerRuleLevel, PostingCode
from pctui.store.users import Actor

_CODE = re.compile(r"^[A-Z0-9]{2,10}$")
_KIND_WORDS = {CodeKind.PAYMENT: "a payment code", CodeKind.ADJUSTMENT: "an adjustment code"}


@dataclass(frozen=True)
class CodeView:
    code: str
    kind: CodeKind
    description: str
    standard: bool
    active: bool
    version: int = 1  # what a form shows; saving passes it back (pctui.store.versions)

    @property
    def label(self) -> str:
        return f"{self.code} — {self.description}" if self.description else self.code


def _view(row: PostingCode) -> CodeView:
    return CodeView(row.code, CodeKind(row.kind), row.description, row.standard, row.active,
                    row.version)


def normalize_code(code: str | None) -> str:
    return (code or "").strip().upper()


def codes_in(session: Session) -> dict[str, CodeView]:
    """Every posting code by code (the catalogue rules are checked against)."""
    return {row.code: _view(row) for row in session.exec(select(PostingCode)).all()}


def list_codes(
    store: Store, kind: CodeKind | None = None, include_inactive: bool = False
) -> list[CodeView]:
    """Standard codes first, then custom ones, each by code."""
    with store.read() as session:
        query = select(PostingCode).order_by(col(PostingCode.standard).desc(), PostingCode.code)
        if kind is not None:
            query = query.where(PostingCode.kind == CodeKind(kind).value)
        if not include_inactive:
            query = query.where(col(PostingCode.active).is_(True))
        return [_view(row) for row in session.exec(query).all()]


def code_use_problem(
    codes: Mapping[str, CodeView], code: str | None, kind: CodeKind, must_be_active: bool = True
) -> str | None:
    """Why ``code`` cannot be used where a ``kind`` code is needed, or None when it can."""
    code = normalize_code(code)
    if not code:
        return "required"
    found = codes.get(code)
    if found is None:
        return f'unknown code "{code}"'
    if found.kind is not kind:
        return f"{code} is {_KIND_WORDS[found.kind]}, not {_KIND_WORDS[kind]}"
    if must_be_active and not found.active:
        return f"{code} is inactive"
    return None


def code_fields_problems(code: str, kind: str, description: str) -> dict[str, str]:
    """Problems with a custom code's own fields (no database needed)."""
    errors: dict[str, str] = {}
    text = normalize_code(code)
    if not text:
        errors["code"] = "required"
    elif not _CODE.match(text):
        errors["code"] = "2 to 10 letters or digits, e.g. PSELF or AWO2"
    if kind not in {k.value for k in CodeKind}:
        errors["kind"] = 'must be "payment" or "adjustment"'
    if len(description.strip()) > 80:
        errors["description"] = "80 characters at most"
    return errors


@dataclass(frozen=True)
class _RuleUse:
    label: str  # "12345 + BCBS"
    active: bool
    kind: CodeKind


def rule_uses(session: Session, code: str) -> list[_RuleUse]:
    """The rules whose levels use ``code``, with the kind of use."""
    rows = session.exec(
        select(PayerRuleLevel, PayerRule, Payer)
        .join(PayerRule, col(PayerRule.id) == PayerRuleLevel.rule_id)
        .join(Payer, col(Payer.id) == PayerRule.payer_id)
    ).all()
    uses: dict[tuple[str, CodeKind], _RuleUse] = {}
    for level, rule, payer in rows:
        label = f"{rule.inbound_id} + {payer.code}"
        for used, kind in ((level.payment_code, CodeKind.PAYMENT),
                           (level.adjustment_code, CodeKind.ADJUSTMENT),
                           (level.patient_adjustment_code, CodeKind.ADJUSTMENT)):
            if used == code:
                seen = uses.get((label, kind))
                uses[(label, kind)] = _RuleUse(label, rule.active or bool(seen and seen.active),
                                               kind)
    return sorted(uses.values(), key=lambda u: u.label)


def _labels(uses: Iterable[_RuleUse]) -> str:
    labels = sorted({u.label for u in uses})
    shown = ", ".join(labels[:3])
    return shown + (f" and {len(labels) - 3} more" if len(labels) > 3 else "")


def check_code(
    session: Session, code: str, kind: str, description: str, active: bool = True,
    must_be_new: bool = False,
) -> dict[str, str]:
    """Every problem with saving this custom code, by field."""
    errors = code_fields_problems(code, kind, description)
    if errors.get("code"):
        return errors
    text = normalize_code(code)
    row = session.get(PostingCode, text)
    if row is None:
        return errors
    if row.standard:
        errors["code"] = f"{text} is a standard code and cannot be changed"
    elif must_be_new:
        errors["code"] = f"code {text} already exists"
    elif "kind" not in errors:
        uses = rule_uses(session, text)
        if kind != row.kind and uses:
            errors["kind"] = f"{text} is used by the rule(s) {_labels(uses)}; change them first"
        active_uses = [u for u in uses if u.active]
        if not active and row.active and active_uses:
            errors["active"] = (f"{text} is used by the active rule(s) {_labels(active_uses)}; "
                                "change them first")
    return errors


def write_code(
    session: Session, actor: Actor, code: str, kind: str, description: str, active: bool = True,
    expected_version: int | None = None,
) -> str | None:
    """Create or change a custom code in the caller's transaction, audited.

    Returns "created", "changed" or None when nothing differed. The caller has validated."""
    text = normalize_code(code)
    values = {"kind": CodeKind(kind).value, "description": description.strip(), "active": active}
    row = session.get(PostingCode, text)
    if row is None:
        session.add(PostingCode(code=text, standard=False, **values))  # type: ignore[arg-type]
        audit.record(session, actor.login, "code", None, text, "created", audit.diff({}, values))
        return "created"
    before = {k: getattr(row, k) for k in values}
    versions.check(session, version=row.version, expected=expected_version,
                   what=f"the posting code {text}", entity="code", label=text,
                   stored=before, yours=values)
    changes = audit.diff(before, values)
    if not changes:
        return None
    for key, value in values.items():
        setattr(row, key, value)
    versions.bump(row)
    session.add(row)
    action = "changed"
    if set(changes) == {"active"}:
        action = "reactivated" if active else "deactivated"
    audit.record(session, actor.login, "code", None, text, action, changes)
    return action


def save_code(
    store: Store, actor: Actor, code: str, kind: CodeKind | str, description: str,
    active: bool = True, must_be_new: bool = False, expected_version: int | None = None,
) -> CodeView:
    """Add or change a custom posting code (admin only, audited)."""
    actor.require_admin("Posting codes")
    kind = str(kind.value if isinstance(kind, CodeKind) else kind)
    with store.write() as session:
        errors = check_code(session, code, kind, description, active, must_be_new)
        if errors:
            raise ValidationFailed(errors)
        write_code(session, actor, code, kind, description, active, expected_version)
        session.flush()
        row = session.get(PostingCode, normalize_code(code))
        assert row is not None
        return _view(row)
