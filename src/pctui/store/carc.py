"""CARC overrides (company-payer override): for a payer, a Claim Adjustment Reason Code, optionally
with its group code, marked excluded is never posted, whatever the rule says (SPEC 1.2)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from pctui.core.carc import (
    adjustment_label,
    carc_problem,
    describe_carc,
    group_problem,
    normalize_carc,
)
from pctui.store import audit, versions
from pctui.store.db import Store
from pctui.store.errors import NotFound, ValidationFailed
from pctui.store.tables import CarcOverride, Payer
from pctui.store.users import Actor


@dataclass(frozen=True)
class OverrideView:
    id: int
    payer_id: int
    payer_code: str
    carc: str
    group_code: str  # "" = any group
    excluded: bool
    active: bool
    description: str  # from the CARC catalogue
    version: int = 1  # what a form shows; saving passes it back (pctui.store.versions)

    @property
    def label(self) -> str:
        """E.g. "CO-45", or "45 (any group)"."""
        return adjustment_label(self.group_code, self.carc) + ("" if self.group_code
                                                                else " (any group)")


def _view(row: CarcOverride, payer: Payer) -> OverrideView:
    assert row.id is not None
    return OverrideView(row.id, row.payer_id, payer.code, row.carc, row.group_code, row.excluded,
                        row.active, describe_carc(row.carc), row.version)


def list_overrides(store: Store, payer_id: int | None = None) -> list[OverrideView]:
    """Overrides by payer code, CARC (numeric codes in number order) and group."""
    with store.read() as session:
        query = select(CarcOverride, Payer).join(Payer, col(Payer.id) == CarcOverride.payer_id)
        if payer_id is not None:
            query = query.where(CarcOverride.payer_id == payer_id)
        views = [_view(o, p) for o, p in session.exec(query).all()]
    return sorted(views, key=lambda v: (v.payer_code, carc_sort_key(v.carc), v.group_code))


def carc_sort_key(carc: str) -> tuple[int, int, str]:
    """Numeric CARCs in number order, then the lettered ones (A1, B13 ...)."""
    return (0, int(carc), "") if carc.isdigit() else (1, 0, carc)


def override_problems(
    session: Session, payer_id: int | None, carc: str, group_code: str,
    override_id: int | None = None,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    payer = None
    if payer_id is None:
        errors["payer"] = "required"
    else:
        payer = session.get(Payer, payer_id)
        if payer is None:
            errors["payer"] = "this payer no longer exists"
    problem = carc_problem(carc)
    if problem:
        errors["carc"] = problem
    problem = group_problem(group_code)
    if problem:
        errors["group_code"] = problem
    if override_id is not None and session.get(CarcOverride, override_id) is None:
        errors["override"] = f"override {override_id} no longer exists"
    if not errors and payer is not None:
        clash = session.exec(select(CarcOverride).where(
            CarcOverride.payer_id == payer_id, CarcOverride.carc == normalize_carc(carc),
            CarcOverride.group_code == group_code.strip().upper())).first()
        if clash is not None and clash.id != override_id:
            errors["carc"] = (f"{payer.code} already has an override for "
                              f"{adjustment_label(group_code, carc)}")
    return errors


def check_override(
    store: Store, payer_id: int | None, carc: str, group_code: str, override_id: int | None = None
) -> dict[str, str]:
    """The form's problems without saving anything."""
    with store.read() as session:
        return override_problems(session, payer_id, carc, group_code, override_id)


def write_override(
    session: Session, actor: Actor, payer_id: int, carc: str, group_code: str,
    excluded: bool = True, active: bool = True, override_id: int | None = None,
    expected_version: int | None = None,
) -> tuple[int, str | None]:
    """Validate and save an override in the caller's transaction, audited.

    Returns (id, "created" | "changed" | "deactivated" | "reactivated" | None when unchanged)."""
    actor.require_admin("CARC overrides")
    errors = override_problems(session, payer_id, carc, group_code, override_id)
    if errors:
        raise ValidationFailed(errors)
    payer = session.get(Payer, payer_id)
    assert payer is not None
    values = {"payer": payer.code, "carc": normalize_carc(carc),
              "group_code": group_code.strip().upper(), "excluded": excluded, "active": active}
    if override_id is None:
        row = CarcOverride(payer_id=payer_id, carc=values["carc"], group_code=values["group_code"],
                           excluded=excluded, active=active)
        before: dict[str, object] = {}
    else:
        found = session.get(CarcOverride, override_id)
        assert found is not None
        row = found
        old_payer = session.get(Payer, row.payer_id)
        before = {"payer": old_payer.code if old_payer else "", "carc": row.carc,
                  "group_code": row.group_code, "excluded": row.excluded, "active": row.active}
        versions.check(session, version=row.version, expected=expected_version,
                       what=f"the CARC override {before['payer']} "
                            f"{adjustment_label(row.group_code, row.carc)}",
                       entity="carc_override", entity_id=row.id, stored=before, yours=values)
        row.payer_id, row.carc, row.group_code = payer_id, values["carc"], values["group_code"]
        row.excluded, row.active = excluded, active
    changes = audit.diff(before, values)
    if not changes:
        assert row.id is not None
        return row.id, None
    if override_id is not None:
        versions.bump(row)
    session.add(row)
    session.flush()
    assert row.id is not None
    action = "created" if override_id is None else "changed"
    if override_id is not None and set(changes) == {"active"}:
        action = "reactivated" if active else "deactivated"
    audit.record(session, actor.login, "carc_override", row.id,
                 f"{payer.code} {adjustment_label(values['group_code'], values['carc'])}",
                 action, changes)
    return row.id, action


def save_override(
    store: Store, actor: Actor, payer_id: int, carc: str, group_code: str,
    excluded: bool = True, active: bool = True, override_id: int | None = None,
    expected_version: int | None = None,
) -> OverrideView:
    """Add (``override_id`` None) or change a CARC override. Admin only; audited."""
    actor.require_admin("CARC overrides")
    with store.write() as session:
        saved_id, _ = write_override(session, actor, payer_id, carc, group_code, excluded, active,
                                     override_id, expected_version)
        row = session.get(CarcOverride, saved_id)
        assert row is not None
        payer = session.get(Payer, row.payer_id)
        assert payer is not None
        return _view(row, payer)


def set_override_active(store: Store, actor: Actor, override_id: int, active: bool) -> OverrideView:
    """Deactivate (or reactivate) an override; overrides are never deleted."""
    with store.read() as session:
        row = session.get(CarcOverride, override_id)
        if row is None:
            raise NotFound(f"CARC override {override_id} does not exist")
    return save_override(store, actor, row.payer_id, row.carc, row.group_code, row.excluded,
                         active, override_id)


def exclusions_for(session: Session, payer_id: int) -> set[tuple[str, str]]:
    """The payer's active, excluded (group or "", CARC) pairs, for posting."""
    rows = session.exec(select(CarcOverride).where(
        CarcOverride.payer_id == payer_id, col(CarcOverride.active).is_(True),
        col(CarcOverride.excluded).is_(True))).all()
    return {(row.group_code, row.carc) for row in rows}
