"""Payer connections for electronic claims. API keys go to the keyring, only a hint stays here."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlmodel import Session, select

from pctui.core.codes import GatewayType
from pctui.core.gateway import compliance_rule_problem, endpoint_problem, x12_id_problem
from pctui.secrets import KeyringLocked, KeyringUnavailable, SecretStore
from pctui.store import audit, versions
from pctui.store.db import Store
from pctui.store.errors import NotFound, ValidationFailed
from pctui.store.tables import Payer, PayerConnection
from pctui.store.users import Actor


@dataclass
class ConnectionDraft:
    """What the Add/Edit Payer Connection form holds (the API key travels separately)."""

    payer_id: int | None
    name: str
    gateway_type: str
    endpoint: str
    submitter_id: str = ""
    receiver_id: str = ""
    compliance_rules: list[str] = field(default_factory=list)
    active: bool = True


@dataclass(frozen=True)
class ConnectionView:
    id: int
    payer_id: int
    payer_code: str
    payer_name: str
    name: str
    gateway_type: GatewayType
    endpoint: str
    submitter_id: str
    receiver_id: str
    compliance_rules: tuple[str, ...]
    api_key_set: bool
    api_key_hint: str
    active: bool
    version: int = 1  # what a form shows; saving passes it back (pctui.store.versions)

    @property
    def key_state(self) -> str:
        return f"set {self.api_key_hint}" if self.api_key_set else "missing"

    def draft(self) -> ConnectionDraft:
        return ConnectionDraft(self.payer_id, self.name, self.gateway_type.value, self.endpoint,
                               self.submitter_id, self.receiver_id, list(self.compliance_rules),
                               self.active)


def _view(row: PayerConnection, payer: Payer) -> ConnectionView:
    assert row.id is not None
    return ConnectionView(
        row.id, row.payer_id, payer.code, payer.name, row.name, GatewayType(row.gateway_type),
        row.endpoint, row.submitter_id, row.receiver_id, tuple(json.loads(row.compliance_rules)),
        row.api_key_set, row.api_key_hint, row.active, row.version,
    )


def list_connections(store: Store, include_inactive: bool = True) -> list[ConnectionView]:
    with store.read() as session:
        query = select(PayerConnection, Payer).join(Payer).order_by(
            PayerConnection.active.desc(), Payer.code, PayerConnection.name)  # type: ignore[attr-defined]
        if not include_inactive:
            query = query.where(PayerConnection.active == True)  # noqa: E712
        return [_view(c, p) for c, p in session.exec(query).all()]


def get_connection(store: Store, connection_id: int) -> ConnectionView:
    with store.read() as session:
        row = session.get(PayerConnection, connection_id)
        if row is None:
            raise NotFound(f"connection {connection_id} does not exist")
        payer = session.get(Payer, row.payer_id)
        assert payer is not None
        return _view(row, payer)


def validate_connection(
    session: Session, draft: ConnectionDraft, api_key: str | None,
    connection_id: int | None = None,
) -> dict[str, str]:
    """Every problem with the form, by field name; empty when it may be saved.

    The API key is optional: a connection may be saved with its key "missing" (e.g. while
    the keyring is locked) and the key added later."""
    errors: dict[str, str] = {}
    if draft.payer_id is None:
        errors["payer"] = "required: pick the payer this connection reaches"
    elif session.get(Payer, draft.payer_id) is None:
        errors["payer"] = "this payer no longer exists"
    name = draft.name.strip()
    if not name:
        errors["name"] = "required"
    elif len(name) > 80:
        errors["name"] = "80 characters at most"
    elif draft.payer_id is not None:
        clash = session.exec(select(PayerConnection).where(
            PayerConnection.payer_id == draft.payer_id, PayerConnection.name == name)).first()
        if clash is not None and clash.id != connection_id:
            errors["name"] = "this payer already has a connection with that name"
    if draft.gateway_type not in {g.value for g in GatewayType}:
        errors["gateway_type"] = "required: HTTPS API, SFTP mailbox or clearinghouse"
        if not draft.endpoint.strip():
            errors["endpoint"] = "required"
    else:
        problem = endpoint_problem(draft.gateway_type, draft.endpoint)
        if problem:
            errors["endpoint"] = problem
    for key in ("submitter_id", "receiver_id"):
        problem = x12_id_problem(getattr(draft, key).strip())
        if problem:
            errors[key] = problem
    for rule in draft.compliance_rules:
        problem = compliance_rule_problem(rule)
        if problem:
            errors["compliance_rules"] = problem
            break
    if api_key is not None:
        if api_key != api_key.strip() or not api_key:
            errors["api_key"] = "the key is empty or has spaces at either end"
        elif len(api_key) < 8:
            errors["api_key"] = "too short for an API key (8 characters at least)"
    return errors


def _values(draft: ConnectionDraft) -> dict[str, object]:
    return {
        "payer_id": draft.payer_id,
        "name": draft.name.strip(),
        "gateway_type": draft.gateway_type,
        "endpoint": draft.endpoint.strip(),
        "submitter_id": draft.submitter_id.strip(),
        "receiver_id": draft.receiver_id.strip(),
        "compliance_rules": json.dumps(draft.compliance_rules),
        "active": draft.active,
    }


def save_connection(
    store: Store,
    secrets: SecretStore,
    actor: Actor,
    draft: ConnectionDraft,
    connection_id: int | None = None,
    api_key: str | None = None,
    expected_version: int | None = None,
) -> ConnectionView:
    """Create (``connection_id`` None) or change a connection; ``api_key`` sets/replaces the key.

    The row, its audit entry and the keyring write succeed together or not at all. With
    ``expected_version`` (the version the form showed) a save over someone else's newer one
    raises EditConflict instead (pctui.store.versions).
    """
    actor.require_admin("Insurance Payers")
    if api_key is not None and secrets.locked:
        raise KeyringLocked("the keyring is locked: unlock it before saving an API key")
    undo_key: Callable[[], None] | None = None
    try:
        with store.write() as session:
            errors = validate_connection(session, draft, api_key, connection_id)
            if errors:
                raise ValidationFailed(errors)
            values = _values(draft)
            now = audit.now()
            if connection_id is None:
                row = PayerConnection(**values, created_at=now, updated_at=now)  # type: ignore[arg-type]
                before: dict[str, object] = {}
            else:
                found = session.get(PayerConnection, connection_id)
                if found is None:
                    raise NotFound(f"connection {connection_id} does not exist")
                row = found
                before = {k: getattr(row, k) for k in values}
                old_payer = session.get(Payer, row.payer_id)
                versions.check(
                    session, version=row.version, expected=expected_version,
                    what=f"the connection {old_payer.code if old_payer else '?'} / {row.name}",
                    entity="connection", entity_id=row.id,
                    stored=_shown(session, before), yours=_shown(session, values))
                for k, v in values.items():
                    setattr(row, k, v)
                row.updated_at = now
            session.add(row)
            session.flush()
            assert row.id is not None
            changes: dict[str, object] = audit.diff(before, values)
            if "compliance_rules" in changes:
                old, new = changes["compliance_rules"]  # type: ignore[misc]
                changes["compliance_rules"] = [json.loads(old) if old else None, json.loads(new)]
            if "active" in changes and connection_id is not None:
                changes["active"] = [bool(before["active"]), draft.active]
            if "payer_id" in changes:  # the audit names payers by code, not by row id
                old_id, new_id = changes.pop("payer_id")  # type: ignore[misc]
                old_payer = session.get(Payer, old_id) if old_id is not None else None
                new_payer = session.get(Payer, new_id)
                changes["payer"] = [old_payer.code if old_payer else None,
                                    new_payer.code if new_payer else None]
            if api_key is not None:
                changes["api_key"] = "API key replaced" if row.api_key_set else "API key set"
                try:
                    previous = secrets.get_key(row.id) if row.api_key_set else None
                    row.api_key_hint = secrets.set_key(row.id, api_key)
                except KeyringUnavailable as exc:
                    raise ValidationFailed({"api_key": str(exc)}) from None
                undo_key = _key_restorer(secrets, row.id, previous)
                row.api_key_set = True
                session.add(row)
            payer = session.get(Payer, row.payer_id)
            assert payer is not None
            if changes and connection_id is not None:
                versions.bump(row)
                session.add(row)
            if changes:
                action = "created" if connection_id is None else "changed"
                audit.record(session, actor.login, "connection", row.id,
                             f"{payer.code} / {row.name}", action, changes)
            view = _view(row, payer)
    except BaseException:
        if undo_key is not None:  # the database kept its old state: so must the keyring
            undo_key()
        raise
    return view


def _shown(session: Session, values: dict[str, object]) -> dict[str, object]:
    """Connection fields as a person reads them (payer code, rules as a list)."""
    shown = dict(values)
    payer = session.get(Payer, shown.pop("payer_id")) if shown.get("payer_id") else None
    shown["payer"] = payer.code if payer else None
    shown["compliance_rules"] = json.loads(str(shown.get("compliance_rules") or "[]"))
    return shown


def _key_restorer(secrets: SecretStore, connection_id: int,
                  previous: str | None) -> Callable[[], None]:
    """Undo a key write: put back the key it replaced, or remove a first key."""
    if previous is not None:
        return lambda: secrets.set_key(connection_id, previous)
    return lambda: secrets.delete_key(connection_id)


def set_active(store: Store, actor: Actor, connection_id: int, active: bool) -> ConnectionView:
    """Deactivate (or reactivate) a connection. Connections are never deleted."""
    actor.require_admin("Insurance Payers")
    with store.write() as session:
        row = session.get(PayerConnection, connection_id)
        if row is None:
            raise NotFound(f"connection {connection_id} does not exist")
        payer = session.get(Payer, row.payer_id)
        assert payer is not None
        if row.active != active:
            row.active = active
            row.updated_at = audit.now()
            versions.bump(row)
            session.add(row)
            audit.record(session, actor.login, "connection", row.id, f"{payer.code} / {row.name}",
                         "reactivated" if active else "deactivated",
                         {"active": [not active, active]})
        return _view(row, payer)


def check_connection(
    store: Store, draft: ConnectionDraft, api_key: str | None, connection_id: int | None = None
) -> dict[str, str]:
    """The form's problems without saving anything (the form asks before it saves)."""
    with store.read() as session:
        return validate_connection(session, draft, api_key, connection_id)
