"""Payers: code, name, insurance class, Inbound IDs (835s) and outbound ID (claims)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from pctui.core.codes import InsuranceClass
from pctui.store import audit
from pctui.store.db import Store
from pctui.store.errors import NotFound, ValidationFailed
from pctui.store.tables import Payer, PayerInboundId
from pctui.store.users import Actor

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,19}$")


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

    @property
    def label(self) -> str:
        return f"{self.code} — {self.name}"


def _view(payer: Payer, inbound: list[str]) -> PayerView:
    assert payer.id is not None
    return PayerView(payer.id, payer.code, payer.name, InsuranceClass(payer.insurance_class),
                     payer.outbound_id, tuple(sorted(inbound)), payer.active)


def list_payers(store: Store, include_inactive: bool = True) -> list[PayerView]:
    with store.read() as session:
        return payers_in(session, include_inactive)


def payers_in(session: Session, include_inactive: bool = True) -> list[PayerView]:
    query = select(Payer).order_by(Payer.code)
    if not include_inactive:
        query = query.where(col(Payer.active).is_(True))
    payers = session.exec(query).all()
    inbound: dict[int, list[str]] = {}
    for row in session.exec(select(PayerInboundId)).all():
        inbound.setdefault(row.payer_id, []).append(row.value)
    return [_view(p, inbound.get(p.id or 0, [])) for p in payers]


def get_payer(store: Store, payer_id: int) -> PayerView:
    with store.read() as session:
        payer = session.get(Payer, payer_id)
        if payer is None:
            raise NotFound(f"payer {payer_id} does not exist")
        inbound = session.exec(
            select(PayerInboundId.value).where(PayerInboundId.payer_id == payer_id)
        ).all()
        return _view(payer, list(inbound))


def validate_payer(session: Session, draft: PayerDraft, payer_id: int | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    code = draft.code.strip().upper()
    if not code:
        errors["code"] = "required"
    elif not _CODE.match(code):
        errors["code"] = "letters, digits, - or _, up to 20 characters"
    else:
        other = session.exec(select(Payer).where(Payer.code == code)).first()
        if other is not None and other.id != payer_id:
            errors["code"] = f"payer code {code} is already used by {other.name}"
    if not draft.name.strip():
        errors["name"] = "required"
    if draft.insurance_class not in {c.value for c in InsuranceClass}:
        errors["insurance_class"] = (
            f'unknown insurance class "{draft.insurance_class}" '
            f"(one of {', '.join(c.value for c in InsuranceClass)})"
        )
    for value in draft.inbound_ids:
        value = value.strip()
        if not value:
            continue
        owner = session.get(PayerInboundId, value)
        if owner is not None and owner.payer_id != payer_id:
            other_payer = session.get(Payer, owner.payer_id)
            errors["inbound_ids"] = (
                f"Inbound ID {value} already belongs to payer "
                f"{other_payer.code if other_payer else owner.payer_id}"
            )
    return errors


def save_payer(
    session: Session, actor: Actor, draft: PayerDraft, payer_id: int | None = None
) -> Payer:
    """Create or change a payer inside the caller's write transaction (validates first)."""
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
        audit.record(session, actor.login, "payer", payer.id, values["code"],
                     "created" if payer_id is None else "changed", changes)
    return payer


def add_inbound_id(session: Session, actor: Actor, payer_id: int, value: str) -> None:
    """Attach one more Inbound ID to an existing payer."""
    actor.require_admin("Payers")
    value = value.strip()
    if not value:
        raise ValidationFailed({"inbound_id": "required"})
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
    audit.record(session, actor.login, "payer", payer_id, payer.code, "changed",
                 {"inbound_ids": ["", f"added {value}"]})
