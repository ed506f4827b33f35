"""The mailbox: every file sent or received through a connection, every poll and send run, the
cursors of API mailboxes, and the acknowledgments received. SQL only; no network here.

Received files are stored before anything else happens to them (content, SHA-256, size, time,
connection, who ran the poll). What makes a file "already received" is its remote name and
SHA-256 from the same connection: the ``receipt_key`` column, unique per connection. Two pollers
(the app and cron, on one SQLite file or one PostgreSQL database) that fetch the same file both
try to insert it; the database lets one through and the other is told it is already there.

A received file is handed on (835 to intake, acknowledgments recorded) after it is stored. The
process that stored it marks ``handoff_started_at`` in the same transaction; if it dies before
the hand-off is recorded, the row stays ``pending`` and a later poll takes it over once the mark
is older than :data:`HANDOFF_STALE` — claimed with a conditional UPDATE, so only one poller does.

Acknowledgments (TA1, 999, 277CA, and Claim.MD's claim responses) are kept with their kind,
control numbers and accept/reject summary. The claims side reads the ones not yet applied with
:func:`unapplied_acknowledgments` and marks each with :func:`mark_acknowledgment_applied`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from pctui.store.db import Store
from pctui.store.errors import NotFound
from pctui.store.tables import (
    Acknowledgment,
    MailboxCursor,
    MailboxFile,
    MailboxRun,
    Payer,
    PayerConnection,
)

HANDOFF_STALE = timedelta(minutes=10)


class Direction:
    IN = "in"
    OUT = "out"


class Result:
    """What became of a file. Received: pending (stored, hand-off not finished), imported,
    duplicate, rejected (an 835 intake refused), acknowledgment, stored (nothing to hand on).
    Sent: sending (interrupted if it stays so), sent, refused (never left), failed."""

    PENDING = "pending"
    IMPORTED = "imported"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    ACKNOWLEDGMENT = "acknowledgment"
    STORED = "stored"
    SENDING = "sending"
    SENT = "sent"
    REFUSED = "refused"
    FAILED = "failed"


def now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back without their zone; they were stored as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


# -- runs ------------------------------------------------------------------------------------


def start_run(store: Store, connection_id: int, action: str, user: str) -> int:
    with store.write() as session:
        run = MailboxRun(connection_id=connection_id, action=action, started_at=now(),
                         user_login=user, status="running")
        session.add(run)
        session.flush()
        assert run.id is not None
        return run.id


def finish_run(store: Store, run_id: int, ok: bool, summary: dict[str, Any]) -> None:
    with store.write() as session:
        run = session.get(MailboxRun, run_id)
        if run is None:
            return
        run.finished_at = now()
        run.status = "ok" if ok else "failed"
        run.summary = json.dumps(summary, default=str, sort_keys=True)
        session.add(run)


@dataclass(frozen=True)
class RunView:
    id: int
    connection_id: int
    connection: str
    action: str
    started_at: datetime
    finished_at: datetime | None
    user: str
    status: str
    summary: dict[str, Any]


def runs(store: Store, connection_id: int | None = None, limit: int = 200) -> list[RunView]:
    with store.read() as session:
        query = (select(MailboxRun, PayerConnection, Payer)
                 .join(PayerConnection, col(MailboxRun.connection_id) == PayerConnection.id)
                 .join(Payer, col(PayerConnection.payer_id) == Payer.id)
                 .order_by(col(MailboxRun.id).desc()).limit(limit))
        if connection_id is not None:
            query = query.where(MailboxRun.connection_id == connection_id)
        return [RunView(r.id or 0, r.connection_id, f"{p.code} / {c.name}", r.action,
                        _aware(r.started_at) or now(), _aware(r.finished_at), r.user_login,
                        r.status, json.loads(r.summary or "{}"))
                for r, c, p in session.exec(query).all()]


def last_polls(store: Store) -> dict[int, datetime]:
    """When each connection was last polled (started), by anyone."""
    with store.read() as session:
        rows = session.exec(select(MailboxRun.connection_id, func.max(MailboxRun.started_at))
                            .where(MailboxRun.action == "poll")
                            .group_by(col(MailboxRun.connection_id))).all()
    return {cid: _aware(at) or now() for cid, at in rows}


# -- cursors ---------------------------------------------------------------------------------


def cursors(store: Store, connection_id: int) -> dict[str, str]:
    with store.read() as session:
        rows = session.exec(select(MailboxCursor).where(
            MailboxCursor.connection_id == connection_id)).all()
        return {r.stream: r.position for r in rows}


def _advance(session: Session, connection_id: int, stream: str, position: str) -> None:
    """Move a cursor forward (never back), under a row lock."""
    row = session.exec(select(MailboxCursor).where(
        MailboxCursor.connection_id == connection_id, MailboxCursor.stream == stream)
        .with_for_update()).first()
    if row is None:
        session.add(MailboxCursor(connection_id=connection_id, stream=stream, position=position,
                                  updated_at=now()))
        session.flush()
        return
    if _later(position, row.position):
        row.position = position
        row.updated_at = now()
        session.add(row)


def _later(new: str, old: str) -> bool:
    if new.isdigit() and old.isdigit():
        return int(new) > int(old)
    return new > old


def behind_cursor(position: str, cursor: str | None) -> bool:
    """True when an item at ``position`` was received already (its cursor has passed it)."""
    return bool(cursor) and bool(position) and not _later(position, cursor or "")


# -- receiving -------------------------------------------------------------------------------


def receipt_key(remote_name: str, sha256: str) -> str:
    return f"{sha256}:{remote_name}"


@dataclass(frozen=True)
class KnownFile:
    remote_name: str
    size: int
    remote_modified: datetime | None
    remote_state: str
    id: int


def known_files(store: Store, connection_id: int) -> dict[str, list[KnownFile]]:
    """Files received from this connection, by remote name (to skip what is already here
    without fetching it again)."""
    with store.read() as session:
        rows = session.exec(select(
            MailboxFile.id, MailboxFile.remote_name, MailboxFile.size,
            MailboxFile.remote_modified, MailboxFile.remote_state).where(
            MailboxFile.connection_id == connection_id,
            MailboxFile.direction == Direction.IN)).all()
    known: dict[str, list[KnownFile]] = {}
    for row_id, name, size, modified, state in rows:
        known.setdefault(name, []).append(KnownFile(name, size, _aware(modified), state, row_id))
    return known


def receive(store: Store, connection_id: int, run_id: int | None, remote_name: str, data: bytes,
            sha256: str, kind: str, user: str, remote_modified: datetime | None = None,
            cursor: tuple[str, str] | None = None) -> int | None:
    """Store a received file (and move its cursor) in one transaction, marked as being handed
    on by this process. Returns its id, or None when this connection already received a file of
    that name and content (another poller may have just stored it)."""
    key = receipt_key(remote_name, sha256)
    try:
        with store.write() as session:
            existing = session.exec(select(MailboxFile.id).where(
                MailboxFile.connection_id == connection_id,
                MailboxFile.receipt_key == key)).first()
            if cursor is not None:
                _advance(session, connection_id, *cursor)
            if existing is not None:
                return None
            at = now()
            row = MailboxFile(
                connection_id=connection_id, run_id=run_id, direction=Direction.IN,
                name=remote_name.rsplit("/", 1)[-1], remote_name=remote_name, kind=kind,
                sha256=sha256, size=len(data), content=data, at=at, user_login=user,
                result=Result.PENDING, receipt_key=key, remote_modified=remote_modified,
                handoff_started_at=at)
            session.add(row)
            session.flush()
            assert row.id is not None
            return row.id
    except IntegrityError:
        return None  # the other poller's insert won; it hands the file on


def advance_cursor(store: Store, connection_id: int, stream: str, position: str) -> None:
    with store.write() as session:
        _advance(session, connection_id, stream, position)


def claim_stale_handoffs(store: Store, connection_id: int) -> list[int]:
    """Pending files whose hand-off was started by a poller that has not finished it for
    :data:`HANDOFF_STALE` (it died): each is claimed for this process, one claimer only."""
    stale_before = now() - HANDOFF_STALE
    with store.read() as session:
        ids = list(session.exec(select(MailboxFile.id).where(
            MailboxFile.connection_id == connection_id, MailboxFile.result == Result.PENDING,
            col(MailboxFile.handoff_started_at) < stale_before)).all())
    claimed: list[int] = []
    for file_id in ids:
        with store.write() as session:
            done = session.execute(
                update(MailboxFile).where(
                    col(MailboxFile.id) == file_id, col(MailboxFile.result) == Result.PENDING,
                    col(MailboxFile.handoff_started_at) < stale_before)
                .values(handoff_started_at=now()))
            if done.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(file_id)  # type: ignore[arg-type]
    return claimed


def record_result(store: Store, file_id: int, result: str, detail: dict[str, Any],
                  imported_file_id: int | None = None,
                  acknowledgment: dict[str, Any] | None = None) -> None:
    """What the hand-off made of a received file; an acknowledgment is recorded with it."""
    with store.write() as session:
        row = session.get(MailboxFile, file_id)
        if row is None:
            raise NotFound(f"mailbox file {file_id} does not exist")
        row.result = result
        row.detail = json.dumps(detail, default=str, sort_keys=True)
        row.imported_file_id = imported_file_id
        session.add(row)
        if acknowledgment is not None and session.exec(select(Acknowledgment.id).where(
                Acknowledgment.mailbox_file_id == file_id)).first() is None:
            session.add(Acknowledgment(
                mailbox_file_id=file_id, connection_id=row.connection_id,
                kind=acknowledgment["kind"],
                control_number=acknowledgment.get("control_number", ""),
                answers=json.dumps(acknowledgment.get("answers", [])),
                accepted=acknowledgment.get("accepted", 0),
                rejected=acknowledgment.get("rejected", 0),
                outcome=acknowledgment.get("outcome", "unknown"),
                summary=acknowledgment.get("text", ""),
                detail=json.dumps(acknowledgment.get("items", []), default=str),
                received_at=_aware(row.at) or now()))


def record_remote_state(store: Store, file_id: int, state: str) -> None:
    with store.write() as session:
        row = session.get(MailboxFile, file_id)
        if row is not None:
            row.remote_state = state
            session.add(row)


# -- sending ---------------------------------------------------------------------------------


def start_send(store: Store, connection_id: int, run_id: int, name: str, data: bytes,
               sha256: str, kind: str, user: str) -> tuple[int, int]:
    """Record a file about to be sent; returns (its id, this connection's transmission count
    including it, refused files not counted — the ``{seq}`` of file-name templates)."""
    with store.write() as session:
        seq = session.exec(select(func.count()).select_from(MailboxFile).where(
            MailboxFile.connection_id == connection_id, MailboxFile.direction == Direction.OUT,
            MailboxFile.result != Result.REFUSED)).one() + 1
        row = MailboxFile(connection_id=connection_id, run_id=run_id, direction=Direction.OUT,
                          name=name, remote_name="", kind=kind, sha256=sha256, size=len(data),
                          content=data, at=now(), user_login=user, result=Result.SENDING)
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id, seq


def finish_send(store: Store, file_id: int, result: str, remote_name: str,
                detail: dict[str, Any]) -> None:
    with store.write() as session:
        row = session.get(MailboxFile, file_id)
        if row is None:
            raise NotFound(f"mailbox file {file_id} does not exist")
        row.result = result
        row.remote_name = remote_name
        row.detail = json.dumps(detail, default=str, sort_keys=True)
        session.add(row)


# -- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MailboxFilter:
    connection_id: int | None = None
    direction: str | None = None
    kind: str | None = None
    result: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None  # exclusive


@dataclass(frozen=True)
class MailboxEntry:
    id: int
    connection_id: int
    connection: str
    direction: str
    name: str
    remote_name: str
    kind: str
    sha256: str
    size: int
    at: datetime
    user: str
    result: str
    detail: dict[str, Any] = field(default_factory=dict)
    remote_state: str = ""

    @property
    def summary(self) -> str:
        """One line on what became of it, for lists."""
        d = self.detail
        if self.result == Result.ACKNOWLEDGMENT:
            return str(d.get("summary", ""))
        if d.get("errors"):
            return "; ".join(str(e) for e in d["errors"])
        return str(d.get("note", "") or d.get("summary", ""))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "connection": self.connection, "direction": self.direction,
                "name": self.name, "remote_name": self.remote_name, "kind": self.kind,
                "sha256": self.sha256, "size": self.size, "at": self.at.isoformat(),
                "user": self.user, "result": self.result, "detail": self.detail,
                "remote_state": self.remote_state}


ORDERS = {"when": "at", "dir": "direction", "file": "remote_name", "kind": "kind",
          "result": "result", "connection": "connection"}


def _entry_query(filters: MailboxFilter, search: str = "") -> Any:
    query = (select(MailboxFile.id, MailboxFile.connection_id, Payer.code, PayerConnection.name,
                    MailboxFile.direction, MailboxFile.name, MailboxFile.remote_name,
                    MailboxFile.kind, MailboxFile.sha256, MailboxFile.size, MailboxFile.at,
                    MailboxFile.user_login, MailboxFile.result, MailboxFile.detail,
                    MailboxFile.remote_state)
             .join(PayerConnection, col(MailboxFile.connection_id) == PayerConnection.id)
             .join(Payer, col(PayerConnection.payer_id) == Payer.id))
    f = filters
    if f.connection_id is not None:
        query = query.where(MailboxFile.connection_id == f.connection_id)
    if f.direction:
        query = query.where(MailboxFile.direction == f.direction)
    if f.kind:
        query = query.where(MailboxFile.kind == f.kind)
    if f.result:
        query = query.where(MailboxFile.result == f.result)
    if f.date_from is not None:
        query = query.where(col(MailboxFile.at) >= f.date_from)
    if f.date_to is not None:
        query = query.where(col(MailboxFile.at) < f.date_to)
    if search.strip():
        like = f"%{search.strip().lower()}%"
        query = query.where(func.lower(MailboxFile.remote_name).like(like)
                            | func.lower(MailboxFile.name).like(like)
                            | func.lower(PayerConnection.name).like(like)
                            | func.lower(Payer.code).like(like))
    return query


def entries(store: Store, filters: MailboxFilter | None = None, offset: int = 0,
            limit: int = 200, *, search: str = "", order: str | None = None,
            descending: bool = False) -> list[MailboxEntry]:
    """Newest first (or by ``order``, a key of :data:`ORDERS`), paged in SQL; ``search`` finds
    text in the file's name or its connection. The content stays in the database."""
    query = _entry_query(filters or MailboxFilter(), search)
    if order in ORDERS:
        column = PayerConnection.name if order == "connection" else getattr(
            MailboxFile, ORDERS[order])
        query = query.order_by(col(column).desc() if descending else col(column),
                               col(MailboxFile.id).desc())
    else:
        query = query.order_by(col(MailboxFile.id).desc())
    query = query.offset(offset).limit(limit)
    with store.read() as session:
        rows = session.exec(query).all()
    return [MailboxEntry(r[0], r[1], f"{r[2]} / {r[3]}", r[4], r[5], r[6], r[7], r[8], r[9],
                         _aware(r[10]) or now(), r[11], r[12], json.loads(r[13] or "{}"), r[14])
            for r in rows]


def count_entries(store: Store, filters: MailboxFilter | None = None, search: str = "") -> int:
    query = _entry_query(filters or MailboxFilter(), search).subquery()
    with store.read() as session:
        return session.exec(select(func.count()).select_from(query)).one()


def content(store: Store, file_id: int) -> bytes:
    with store.read() as session:
        row = session.get(MailboxFile, file_id)
        if row is None or row.content is None:
            raise NotFound(f"mailbox file {file_id} does not exist")
        return bytes(row.content)


# -- acknowledgments, for the claims side ----------------------------------------------------


@dataclass(frozen=True)
class AcknowledgmentView:
    id: int
    mailbox_file_id: int
    connection_id: int
    kind: str  # TA1, 999, 277CA, claim_md_responses
    control_number: str
    answers: list[str]
    accepted: int
    rejected: int
    outcome: str
    summary: str
    items: list[dict[str, Any]]
    received_at: datetime
    applied_at: datetime | None


def _ack_view(a: Acknowledgment) -> AcknowledgmentView:
    return AcknowledgmentView(a.id or 0, a.mailbox_file_id, a.connection_id, a.kind,
                              a.control_number, json.loads(a.answers or "[]"), a.accepted,
                              a.rejected, a.outcome, a.summary, json.loads(a.detail or "[]"),
                              _aware(a.received_at) or now(), _aware(a.applied_at))


def unapplied_acknowledgments(store: Store, limit: int = 500) -> list[AcknowledgmentView]:
    """Acknowledgments the claims side has not applied yet, oldest first. Its content:
    :func:`content` of ``mailbox_file_id``."""
    with store.read() as session:
        rows = session.exec(select(Acknowledgment).where(
            col(Acknowledgment.applied_at).is_(None)).order_by(col(Acknowledgment.id))
            .limit(limit)).all()
        return [_ack_view(a) for a in rows]


def acknowledgments(store: Store, connection_id: int | None = None,
                    limit: int = 200) -> list[AcknowledgmentView]:
    with store.read() as session:
        query = select(Acknowledgment).order_by(col(Acknowledgment.id).desc()).limit(limit)
        if connection_id is not None:
            query = query.where(Acknowledgment.connection_id == connection_id)
        return [_ack_view(a) for a in session.exec(query).all()]


def mark_acknowledgment_applied(session: Session, acknowledgment_id: int, note: str = "") -> bool:
    """Inside the claims side's own transaction: this acknowledgment has been applied. Returns
    False when another session applied it first (the row is locked while it is checked)."""
    row = session.exec(select(Acknowledgment).where(Acknowledgment.id == acknowledgment_id)
                       .with_for_update()).first()
    if row is None or row.applied_at is not None:
        return False
    row.applied_at = now()
    row.applied_note = note
    session.add(row)
    return True


def entry(store: Store, file_id: int) -> MailboxEntry:
    found = entries_by_id(store, [file_id])
    if not found:
        raise NotFound(f"mailbox file {file_id} does not exist")
    return found[0]


def entries_by_id(store: Store, ids: list[int]) -> list[MailboxEntry]:
    query = _entry_query(MailboxFilter()).where(col(MailboxFile.id).in_(ids))
    with store.read() as session:
        rows = session.exec(query).all()
    return [MailboxEntry(r[0], r[1], f"{r[2]} / {r[3]}", r[4], r[5], r[6], r[7], r[8], r[9],
                         _aware(r[10]) or now(), r[11], r[12], json.loads(r[13] or "{}"), r[14])
            for r in rows]


def imported_after(store: Store, sha256: str, since: datetime) -> int | None:
    """An ImportedFile of these bytes that intake imported at or after ``since``."""
    from pctui.store.tables import ImportedFile

    with store.read() as session:
        rows = session.exec(select(ImportedFile.id, ImportedFile.loaded_at).where(
            ImportedFile.sha256 == sha256, ImportedFile.status == "imported")).all()
    for file_id, loaded in rows:
        if (_aware(loaded) or since) >= since:
            return file_id
    return None
