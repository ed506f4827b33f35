"""Payer connections for electronic claims. Secrets go to the keyring, only a hint stays here.

A connection's secret is what its transport logs in with: the API key of an HTTPS API, the
password of an SFTP login, or the passphrase of the SSH private key an SFTP login uses instead
(``sftp.private_key_file``). It is kept in the keyring under the connection's id, whatever its
kind; the database keeps only whether it is set and a hint (the last 4 characters of a long API
key, nothing of a password). The transport settings (``usage``, ``poll_minutes`` and the
``sftp``/``https`` object, see :mod:`pctui.core.connection_settings`) live in the row.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from pctui.core.codes import GatewayType
from pctui.core.connection_settings import (
    HttpsSettings,
    Settings,
    SftpSettings,
    Usage,
    default_settings,
    parse_settings,
    poll_minutes_problem,
    settings_from_dict,
    settings_key,
)
from pctui.core.gateway import (
    compliance_rule_problem,
    endpoint_problem,
    sftp_address,
    x12_id_problem,
)
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
    usage: str = Usage.TEST.value
    poll_minutes: int = 0
    # The sftp/https object; None keeps what the connection has (a new one gets defaults).
    settings: dict[str, Any] | None = None


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
    usage: Usage = Usage.TEST
    poll_minutes: int = 0
    settings: Settings = field(default_factory=HttpsSettings)
    version: int = 1  # what a form shows; saving passes it back (pctui.store.versions)

    @property
    def key_state(self) -> str:
        return f"set {self.api_key_hint}" if self.api_key_set else "missing"

    @property
    def label(self) -> str:
        return f"{self.payer_code} / {self.name}"

    @property
    def secret_label(self) -> str:
        """What the keyring holds for this connection, in the form's words."""
        return secret_label(self.gateway_type, self.settings)

    @property
    def secret_needed(self) -> bool:
        """An SFTP login with an unencrypted key file needs no secret; everything else does."""
        return not (isinstance(self.settings, SftpSettings) and self.settings.private_key_file)

    def not_ready(self) -> list[str]:
        """Why this connection cannot send or receive yet, in an administrator's words."""
        reasons: list[str] = []
        if not self.active:
            reasons.append("the connection is deactivated")
        s = self.settings
        if isinstance(s, SftpSettings):
            if not s.username:
                reasons.append("no SFTP user name")
            if not s.upload_dir or not s.download_dir:
                reasons.append("no upload or download folder")
            if not s.host_key:
                reasons.append("the server's host key is not pinned (Test connection shows it)")
        if self.secret_needed and not self.api_key_set:
            reasons.append(f"no {self.secret_label} in the keyring")
        return reasons

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) of an SFTP connection."""
        host, port, _ = sftp_address(self.endpoint)
        return host, port

    def draft(self) -> ConnectionDraft:
        return ConnectionDraft(self.payer_id, self.name, self.gateway_type.value, self.endpoint,
                               self.submitter_id, self.receiver_id, list(self.compliance_rules),
                               self.active, self.usage.value, self.poll_minutes,
                               self.settings.to_dict())


def secret_label(gateway_type: GatewayType | str, settings: Settings | None) -> str:
    if GatewayType(gateway_type) is not GatewayType.SFTP:
        return "API key"
    if isinstance(settings, SftpSettings) and settings.private_key_file:
        return "key passphrase"
    return "password"


def _view(row: PayerConnection, payer: Payer) -> ConnectionView:
    assert row.id is not None
    kind = GatewayType(row.gateway_type)
    try:
        usage = Usage(row.usage)
    except ValueError:
        usage = Usage.TEST
    return ConnectionView(
        row.id, row.payer_id, payer.code, payer.name, row.name, kind,
        row.endpoint, row.submitter_id, row.receiver_id, tuple(json.loads(row.compliance_rules)),
        row.api_key_set, row.api_key_hint, row.active, usage, row.poll_minutes,
        settings_from_dict(kind, json.loads(row.settings or "{}")), row.version,
    )


def list_connections(store: Store, include_inactive: bool = True) -> list[ConnectionView]:
    with store.read() as session:
        query = select(PayerConnection, Payer).join(Payer).order_by(
            PayerConnection.active.desc(), Payer.code, PayerConnection.name)  # type: ignore[attr-defined]
        if not include_inactive:
            query = query.where(PayerConnection.active == True)  # noqa: E712
        return [_view(c, p) for c, p in session.exec(query).all()]


def find_connection(store: Store, name: str) -> ConnectionView:
    """A connection named on the command line: its id, its name (when only one payer has a
    connection by that name) or ``PAYER/NAME``. NotFound says which names exist."""
    text = name.strip()
    rows = list_connections(store)
    if text.isdigit():
        for row in rows:
            if row.id == int(text):
                return row
    matches = [r for r in rows if r.name == text]
    if not matches and "/" in text:
        code, _, rest = text.partition("/")
        matches = [r for r in rows if r.payer_code == code.strip().upper()
                   and r.name == rest.strip()]
    if not matches:
        matches = [r for r in rows if r.name.casefold() == text.casefold()]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise NotFound(f'several connections are named "{text}": say which, as '
                       + " or ".join(f'"{r.payer_code}/{r.name}"' for r in matches))
    known = ", ".join(f'"{r.payer_code}/{r.name}"' for r in rows) or "none yet"
    raise NotFound(f'no connection is named "{text}" (connections: {known})')


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
    if draft.usage not in {u.value for u in Usage}:
        errors["usage"] = 'must be "test" or "production" (ISA15 T or P)'
    problem = poll_minutes_problem(draft.poll_minutes)
    if problem:
        errors["poll_minutes"] = problem
    settings: Settings | None = None
    if "gateway_type" not in errors:
        settings, problems = _settings_for(session, draft, connection_id)
        prefix = settings_key(draft.gateway_type)
        for key, problem in problems.items():
            errors[f"{prefix}.{key}" if key else prefix] = problem
    if api_key is not None:
        label = "API key" if settings is None else secret_label(draft.gateway_type, settings)
        problem = secret_problem(label, api_key)
        if problem:
            errors["api_key"] = problem
    return errors


def secret_problem(label: str, secret: str) -> str | None:
    """Why ``secret`` cannot be this connection's API key, password or passphrase."""
    if not secret:
        return f"the {label} is empty"
    if len(secret) > 4096:
        return f"too long for {'an' if label[:1] in 'AEIOU' else 'a'} {label}"
    if any(ord(c) < 32 or ord(c) == 127 for c in secret):
        return f"the {label} has a line break or control character in it"
    half = next((c for c in secret if 0xD800 <= ord(c) <= 0xDFFF), None)
    if half is not None:  # bytes that were not UTF-8, or half a character: not storable text
        return f"the {label} has a character that is not text (\\u{ord(half):04x}) in it"
    if label == "API key":
        if secret != secret.strip():
            return "the key has spaces at either end"
        if len(secret) < 8:
            return "too short for an API key (8 characters at least)"
    return None


def _settings_for(session: Session, draft: ConnectionDraft,
                  connection_id: int | None) -> tuple[Settings, dict[str, str]]:
    """The settings this draft saves, with their problems. A draft without settings keeps the
    connection's (when its gateway type stays), else starts from the defaults, taking an SFTP
    endpoint's folder (``host/inbound``) as both folders."""
    kind = GatewayType(draft.gateway_type)
    if draft.settings is not None:  # the user name and folders may wait (the form asks)
        return parse_settings(kind, draft.settings, partial=True)
    row = session.get(PayerConnection, connection_id) if connection_id is not None else None
    if row is not None and settings_key(row.gateway_type) == settings_key(kind):
        return settings_from_dict(kind, json.loads(row.settings or "{}")), {}
    settings = default_settings(kind)
    if isinstance(settings, SftpSettings) and endpoint_problem(kind, draft.endpoint) is None:
        folder = sftp_address(draft.endpoint)[2]
        settings = SftpSettings(upload_dir=folder, download_dir=folder)
    return settings, {}


def connection_values(session: Session, draft: ConnectionDraft,
            connection_id: int | None) -> dict[str, object]:
    settings, _ = _settings_for(session, draft, connection_id)
    return {
        "payer_id": draft.payer_id,
        "name": draft.name.strip(),
        "gateway_type": draft.gateway_type,
        "endpoint": draft.endpoint.strip(),
        "submitter_id": draft.submitter_id.strip(),
        "receiver_id": draft.receiver_id.strip(),
        "compliance_rules": json.dumps(draft.compliance_rules),
        "active": draft.active,
        "usage": draft.usage,
        "poll_minutes": draft.poll_minutes,
        "settings": json.dumps(settings.to_dict(), sort_keys=True),
    }


def settings_changes(changes: dict[str, Any], gateway_type: str) -> None:
    """Replace a ``settings`` JSON change in an audit diff by one entry per setting that
    changed (``sftp.upload_dir: /in → /SendFiles``)."""
    if "settings" not in changes:
        return
    old, new = changes.pop("settings")
    before = json.loads(old) if old else {}
    after = json.loads(new)
    prefix = settings_key(gateway_type)
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            changes[f"{prefix}.{key}"] = [before.get(key), after.get(key)]


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
            values = connection_values(session, draft, connection_id)
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
            changes: dict[str, Any] = audit.diff(before, values)
            settings_changes(changes, draft.gateway_type)
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
                label = secret_label(draft.gateway_type, settings_from_dict(
                    draft.gateway_type, json.loads(row.settings)))
                what = label[0].upper() + label[1:]
                changes["api_key"] = f"{what} replaced" if row.api_key_set else f"{what} set"
                try:
                    previous = secrets.get_key(row.id) if row.api_key_set else None
                    row.api_key_hint = secrets.set_key(row.id, api_key)
                    if label != "API key":  # nothing of a password or passphrase is shown
                        row.api_key_hint = "••••"
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
