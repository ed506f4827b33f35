"""Payers: code, name, insurance class, Inbound IDs (835s) and outbound ID (claims)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from pctui.core.codes import InsuranceClass
from pctui.store import audit, versions
from pctui.store.db import Store
from pctui.store.errors import NotFound, ValidationFailed
from pctui.store.tables import Payer, PayerInboundId
from pctui.store.users import Actor

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,19}$")
MAX_INBOUND_ID = 80


@dataclass
class PayerDraft:
    code: str
    name: str
    insurance_class: str = InsuranceClass.COMMERCIAL.value
    outbound_id: str = ""
    inbound_ids: list[str] = field(default_factory=list)
    active: bool = True


@dataclass(frozen=True)
class PayerView:
    id: int
    code: str
    name: str
    insurance_class: InsuranceClass
    outbound_id: str
    inbound_ids: tuple[str, ...]
    active: bool
    version: int = 1  # what a form shows; saving passes it back (pctui.store.versions)

    @property
    def label(self) -> str:
        return f"{self.code} — {self.name}"


def _view(payer: Payer, inbound: list[str]) -> PayerView:
    assert payer.id is not None
    return PayerView(payer.id, payer.code, payer.name, InsuranceClass(payer.insurance_class),
                     payer.outbound_id, tuple(sorted(inbound)), payer.active, payer.version)


def list_payers(
    store: Store, include_inactive: bool = True, search: str | None = None
) -> list[PayerView]:
    """Payers by code; ``search`` matches code, name or an Inbound ID, ignoring case."""
    with store.read() as session:
        return payers_in(session, include_inactive, search)


def payers_in(
    session: Session, include_inactive: bool = True, search: str | None = None
) -> list[PayerView]:
    query = select(Payer).order_by(Payer.code)
    if not include_inactive:
        query = query.where(col(Payer.active).is_(True))
    if search and search.strip():
        like = f"%{search.strip().lower()}%"
        with_inbound = select(PayerInboundId.payer_id).where(
            func.lower(PayerInboundId.value).like(like))
        query = query.where(or_(func.lower(Payer.code).like(like),
                                func.lower(Payer.name).like(like),
                                col(Payer.id).in_(with_inbound)))
    payers = session.exec(query).all()
    inbound: dict[int, list[str]] = {}
    for row in session.exec(select(PayerInboundId)).all():
        inbound.setdefault(row.payer_id, []).append(row.value)
    return [_view(p, inbound.get(p.id or 0, [])) for p in payers]


def get_payer(store: Store, payer_id: int) -> PayerView:
    with store.read() as session:
        return payer_view(session, payer_id)


def payer_view(session: Session, payer_id: int) -> PayerView:
    payer = session.get(Payer, payer_id)
    if payer is None:
        raise NotFound(f"payer {payer_id} does not exist")
    inbound = session.exec(
        select(PayerInboundId.value).where(PayerInboundId.payer_id == payer_id)
    ).all()
    return _view(payer, list(inbound))


def find_payer(session: Session, code: str) -> Payer | None:
    """The payer with this code (any case), or None."""
    return session.exec(select(Payer).where(Payer.code == code.strip().upper())).first()


def inbound_id_problem(inbound_id: str) -> str | None:
    """Why this cannot be an Inbound ID (the payer ID an 835 arrives under), or None."""
    text = inbound_id.strip()
    if not text:
        return "required"
    if len(text) > MAX_INBOUND_ID:
        return f"{MAX_INBOUND_ID} characters at most"
    if any(c.isspace() for c in text):
        return f'"{text}" has a space; an Inbound ID has none'
    return None


def payer_field_problems(draft: PayerDraft) -> dict[str, str]:
    """Problems with the payer's own fields (no database needed)."""
    errors: dict[str, str] = {}
    code = draft.code.strip().upper()
    if not code:
        errors["code"] = "required"
    elif not _CODE.match(code):
        errors["code"] = "letters, digits, - or _, up to 20 characters"
    if not draft.name.strip():
        errors["name"] = "required"
    elif len(draft.name.strip()) > 120:
        errors["name"] = "120 characters at most"
    if draft.insurance_class not in {c.value for c in InsuranceClass}:
        errors["insurance_class"] = (
            f'unknown insurance class "{draft.insurance_class}" '
            f"(one of {', '.join(c.value for c in InsuranceClass)})"
        )
    if len(draft.outbound_id.strip()) > 80:
        errors["outbound_id"] = "80 characters at most"
    for value in draft.inbound_ids:
        problem = inbound_id_problem(value) if value.strip() else None
        if problem:
            errors["inbound_ids"] = problem
    return errors


def validate_payer(session: Session, draft: PayerDraft, payer_id: int | None) -> dict[str, str]:
    errors = payer_field_problems(draft)
    code = draft.code.strip().upper()
    if "code" not in errors:
        other = session.exec(select(Payer).where(Payer.code == code)).first()
        if other is not None and other.id != payer_id:
            errors["code"] = f"payer code {code} is already used by {other.name}"
    for value in draft.inbound_ids:
        value = value.strip()
        if not value or "inbound_ids" in errors:
            continue
        owner = session.get(PayerInboundId, value)
        if owner is not None and owner.payer_id != payer_id:
            other_payer = session.get(Payer, owner.payer_id)
            errors["inbound_ids"] = (
                f"Inbound ID {value} already belongs to payer "
                f"{other_payer.code if other_payer else owner.payer_id}"
            )
    return errors


def check_payer(store: Store, draft: PayerDraft, payer_id: int | None = None) -> dict[str, str]:
    """The payer form's problems without saving anything."""
    with store.read() as session:
        return validate_payer(session, draft, payer_id)


def save_payer(
    session: Session, actor: Actor, draft: PayerDraft, payer_id: int | None = None,
    expected_version: int | None = None,
) -> Payer:
    """Create or change a payer inside the caller's write transaction (validates first).
    ``expected_version``: see pctui.store.versions."""
    actor.require_admin("Payers")
    errors = validate_payer(session, draft, payer_id)
    if errors:
        raise ValidationFailed(errors)
    values = {
        "code": draft.code.strip().upper(),
        "name": draft.name.strip(),
        "insurance_class": draft.insurance_class,
        "outbound_id": draft.outbound_id.strip(),
        "active": draft.active,
    }
    if payer_id is None:
        payer = Payer(**values)
        session.add(payer)
        session.flush()
        before: dict[str, object] = {}
    else:
        found = session.get(Payer, payer_id)
        if found is None:
            raise NotFound(f"payer {payer_id} does not exist")
        payer = found
        before = {k: getattr(payer, k) for k in values}
        stored_ids = sorted(session.exec(select(PayerInboundId.value).where(
            PayerInboundId.payer_id == payer.id)).all())
        versions.check(session, version=payer.version, expected=expected_version,
                       what=f"the payer {payer.code}", entity="payer", entity_id=payer.id,
                       stored={**before, "inbound_ids": stored_ids},
                       yours={**values, "inbound_ids": sorted(
                           {v.strip() for v in draft.inbound_ids if v.strip()})})
        for k, v in values.items():
            setattr(payer, k, v)
        session.add(payer)
    assert payer.id is not None
    existing = set(session.exec(
        select(PayerInboundId.value).where(PayerInboundId.payer_id == payer.id)).all())
    wanted = {v.strip() for v in draft.inbound_ids if v.strip()}
    for value in wanted - existing:
        session.add(PayerInboundId(value=value, payer_id=payer.id))
    for value in existing - wanted:
        row = session.get(PayerInboundId, value)
        if row is not None:
            session.delete(row)
    changes = audit.diff(before, values)
    if existing != wanted:
        changes["inbound_ids"] = [sorted(existing), sorted(wanted)]
    if changes:
        action = "created" if payer_id is None else "changed"
        if payer_id is not None and set(changes) == {"active"}:
            action = "reactivated" if draft.active else "deactivated"
        if payer_id is not None:
            versions.bump(payer)
            session.add(payer)
        audit.record(session, actor.login, "payer", payer.id, values["code"], action, changes)
    session.flush()
    return payer


def store_payer(
    store: Store, actor: Actor, draft: PayerDraft, payer_id: int | None = None,
    expected_version: int | None = None,
) -> PayerView:
    """Add or change a payer in its own write transaction (admin only, validated, audited)."""
    actor.require_admin("Payers")
    with store.write() as session:
        payer = save_payer(session, actor, draft, payer_id, expected_version)
        assert payer.id is not None
        return payer_view(session, payer.id)


def set_payer_active(store: Store, actor: Actor, payer_id: int, active: bool) -> PayerView:
    """Deactivate (or reactivate) a payer. Payers are never deleted: claims and 835s name them."""
    actor.require_admin("Payers")
    with store.write() as session:
        view = payer_view(session, payer_id)
        draft = PayerDraft(view.code, view.name, view.insurance_class.value, view.outbound_id,
                           list(view.inbound_ids), active)
        save_payer(session, actor, draft, payer_id)
        return payer_view(session, payer_id)


def add_inbound_id(session: Session, actor: Actor, payer_id: int, value: str) -> None:
    """Attach one more Inbound ID to an existing payer."""
    actor.require_admin("Payers")
    value = value.strip()
    problem = inbound_id_problem(value)
    if problem:
        raise ValidationFailed({"inbound_id": problem})
    owner = session.get(PayerInboundId, value)
    if owner is not None:
        if owner.payer_id == payer_id:
            return
        other = session.get(Payer, owner.payer_id)
        raise ValidationFailed({"inbound_id": f"Inbound ID {value} already belongs to payer "
                                              f"{other.code if other else owner.payer_id}"})
    payer = session.get(Payer, payer_id)
    if payer is None:
        raise NotFound(f"payer {payer_id} does not exist")
    session.add(PayerInboundId(value=value, payer_id=payer_id))
    versions.bump(payer)  # an open Edit payer form shows the old Inbound IDs
    session.add(payer)
    audit.record(session, actor.login, "payer", payer_id, payer.code, "changed",
                 {"inbound_ids": ["", f"added {value}"]})
