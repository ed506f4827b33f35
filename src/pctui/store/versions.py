"""Per-record versions: of two people editing one connection, payer, rule, CARC override or
posting code, the second to save is told — never silently overwrites the first.

Each of those rows has ``version``, raised by one with every saved change (forms, deactivate,
``config import``). A form remembers the version it showed and passes it as
``expected_version``; inside the write transaction (``BEGIN IMMEDIATE`` on SQLite, the row
lock on PostgreSQL) the service compares it with the stored one and, if another save came in
between, raises :class:`~pctui.store.errors.EditConflict` naming who saved, when, and each field
where the stored record and the form differ. The form then offers to reload their version or
to save again over it (``expected_version`` = the new version). ``None`` skips the check (a
new record, ``config import``, scripts).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from pctui.store import audit
from pctui.store.errors import EditConflict
from pctui.store.tables import AuditEntry


def check(session: Session, *, version: int, expected: int | None, what: str, entity: str,
          entity_id: int | None = None, label: str | None = None,
          stored: dict[str, Any] | None = None, yours: dict[str, Any] | None = None) -> None:
    """Raise EditConflict when the stored ``version`` is not the ``expected`` one."""
    if expected is None or version == expected:
        return
    query = select(AuditEntry).where(AuditEntry.entity == entity).order_by(
        col(AuditEntry.id).desc()).limit(1)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    if label is not None:
        query = query.where(AuditEntry.entity_label == label)
    last = session.exec(query).first()
    raise EditConflict(what, last.user_login if last else "another session",
                       last.at if last else None, audit.diff(stored or {}, yours or {}), version)


def bump(row: Any) -> None:
    row.version = (row.version or 1) + 1
