"""The audit log: who changed what, when. Never a secret value."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from pctui.store.db import Store
from pctui.store.tables import AuditEntry


def now() -> datetime:
    return datetime.now(UTC)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value changed, as {field: [old, new]}."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def record(
    session: Session,
    user: str,
    entity: str,
    entity_id: int | None,
    label: str,
    action: str,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=now(),
        user_login=user,
        entity=entity,
        entity_id=entity_id,
        entity_label=label,
        action=action,
        changes=json.dumps(changes or {}, default=str, sort_keys=True),
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    user: str
    entity: str
    entity_id: int | None
    label: str
    action: str
    changes: dict[str, Any]

    def describe(self) -> str:
        """One line for the screen, e.g. 'Endpoint: https://a → https://b; API key replaced'."""
        return "; ".join(self.change_lines())

    def change_lines(self) -> list[str]:
        """Each change in words, e.g. ['Endpoint: https://a → https://b', 'API key replaced']."""
        parts = []
        for field, value in self.changes.items():
            label = field_label(field)
            if isinstance(value, list) and len(value) == 2:
                old, new = (_shown(v) for v in value)
                if old != new:  # a setting left empty on both sides changed nothing
                    parts.append(f"{label}: {old} → {new}")
            elif field == "api_key":
                parts.append(str(value))  # "API key set" / "API key replaced", never a value
            else:
                parts.append(f"{label}: {_shown(value)}")
        return parts


FIELD_LABELS = {
    "api_key": "API key", "payer": "Payer", "name": "Name", "gateway_type": "Gateway type",
    "endpoint": "Endpoint", "submitter_id": "Submitter ID", "receiver_id": "Receiver ID",
    "compliance_rules": "Compliance rules", "active": "Active", "code": "Code",
    "insurance_class": "Insurance class", "outbound_id": "Outbound ID",
    "inbound_ids": "Inbound IDs", "inbound_id": "Inbound ID", "description": "Description",
    "role": "Role", "usage": "Usage", "poll_minutes": "Poll every (minutes)",
    "sftp.username": "SFTP user name", "sftp.host_key": "Host key",
    "sftp.upload_dir": "Upload folder", "sftp.download_dir": "Download folder",
    "sftp.upload_mode": "Upload mode", "sftp.file_name_template": "File name template",
    "sftp.private_key_file": "SSH key file", "sftp.after_download": "After download",
    "sftp.archive_dir": "Archive folder", "sftp.include_subfolders": "Receive from subfolders",
    "sftp.timeout_seconds": "Time-out (s)", "https.profile": "API profile",
    "https.key_in": "Key sent as", "https.key_name": "Key field/header",
    "https.upload_path": "Upload path", "https.response_path": "Response path",
    "https.era_list_path": "ERA list path", "https.era_download_path": "ERA 835 path",
    "https.ca_bundle": "CA bundle", "https.timeout_seconds": "Time-out (s)",
}


LEVEL_LABELS = {"primary": "Primary", "secondary": "Secondary", "tertiary": "Tertiary"}
LEVEL_FIELD_LABELS = {
    "payment_code": "Payment Code", "adjustment_code": "Adjustment Code",
    "insurance_adjustments": "Insurance Adjustments", "insurance_balance": "Insurance Balances",
    "patient_balance": "Patient Balances", "patient_adjustment_code": "Patient Adjustment Code",
}


def field_label(field: str) -> str:
    """A recorded field name in the words of the screen it was changed on:
    ``primary.adjustment_code`` → ``Primary Adjustment Code``."""
    if field in FIELD_LABELS:
        return FIELD_LABELS[field]
    parts = [p for p in field.split(".") if p and p != "levels"]
    words = [LEVEL_LABELS.get(p) or LEVEL_FIELD_LABELS.get(p) or FIELD_LABELS.get(p)
             or p.replace("_", " ").capitalize() for p in parts]
    return " ".join(words) or field


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    return str(value)


def entries(
    store: Store, entity: str | None = None, entity_id: int | None = None, limit: int = 200
) -> list[AuditLine]:
    with store.read() as session:
        query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)
        if entity:
            query = query.where(AuditEntry.entity == entity)
        if entity_id is not None:
            query = query.where(AuditEntry.entity_id == entity_id)
        rows = session.exec(query).all()
    return [
        AuditLine(r.at, r.user_login, r.entity, r.entity_id, r.entity_label, r.action,
                  json.loads(r.changes))
        for r in rows
    ]
