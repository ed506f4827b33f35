"""Deposit batches: numbers, and the batch report that is matched against the bank deposit.

- **Numbers.** A batch number the biller types is used as typed (and joins the batch of that
  number, which must be for the same deposit date). When none is given, one is generated —
  ``B<deposit date>-NN``, the next free number for that date — *inside the release's own
  transaction*, and the ``batch`` table's UNIQUE number makes it the session's own: two sessions
  releasing at the same moment never share a generated batch (SQLite's write lock orders them;
  on PostgreSQL a number another release is taking at that moment is skipped without waiting
  for it, and the loser of an insert race takes the next number). Every payment released in one
  run shares the run's batch.
- **Report** (SPEC 2.4, ``pctui batches``): per deposit date and batch, the payments released in
  it with their amounts (BPR02) and the total, to match the bank deposit. A voided release is
  listed as voided and left out of the total: its money is not in that deposit any more as far as
  the ledger knows. Rework is recorded under a batch too (by default its release's), but it posts
  money the payment already brought, so it is listed without adding to the total.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from pctui.core.money import ZERO, from_cents, json_amount
from pctui.store.db import Store
from pctui.store.errors import ValidationFailed
from pctui.store.tables import Batch, Era, Payer, PayerInboundId, Release, Rework

BATCH_MAX_LENGTH = 30


class BatchRefused(Exception):
    """A typed batch number cannot be used for this deposit date; the message says why."""


def _prefix(deposit_date: date) -> str:
    return f"B{deposit_date:%Y%m%d}-"


def check_batch(batch: str) -> str:
    """The batch number as stored, or ValidationFailed saying what is wrong with it."""
    text = (batch or "").strip()
    if not text:
        raise ValidationFailed({"batch": "a batch number is required"})
    if len(text) > BATCH_MAX_LENGTH:
        raise ValidationFailed({"batch": f"at most {BATCH_MAX_LENGTH} characters"})
    if not text.isprintable():
        raise ValidationFailed({"batch": "letters, digits and punctuation only"})
    return text


def _next_number(session: Session, deposit_date: date, skip: Iterable[str] = ()) -> str:
    prefix = _prefix(deposit_date)
    used = session.exec(select(Batch.number).where(col(Batch.number).startswith(prefix))).all()
    numbers = [int(b[len(prefix):]) for b in [*used, *skip] if b[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:02d}"


_BATCH_LOCKS = 0x7063_7462  # "pctb": the advisory-lock class of generated batch numbers


def _claim_number(session: Session, candidate: str) -> bool:
    """On PostgreSQL, releases run side by side: a number another transaction is inserting
    right now is not visible yet, and inserting it too would wait for that whole release. So
    each generating transaction first takes a try-lock on the number (held to its end) and
    moves on to the next number when another holds it. SQLite has one writer: always True."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return True
    key = zlib.crc32(candidate.encode()) & 0x7FFF_FFFF
    return bool(connection.exec_driver_sql(
        "SELECT pg_try_advisory_xact_lock(%s, %s)", (_BATCH_LOCKS, key)).scalar())  # fmt: skip


def next_batch_number(store: Store, deposit_date: date) -> str:
    """What the next generated batch for a deposit date would be — a hint for the screen only;
    the number itself is taken when the release runs (:func:`take_batch`)."""
    with store.read() as session:
        return _next_number(session, deposit_date)


def batch_conflict(store: Store, number: str, deposit_date: date) -> str | None:
    """Why a typed batch cannot take a payment deposited on ``deposit_date`` (it exists for
    another deposit date), or None. A look before releasing; the release checks again."""
    with store.read() as session:
        existing = session.exec(select(Batch.deposit_date).where(Batch.number == number)).first()
    if existing is None or existing == deposit_date:
        return None
    return (f"batch {number} is for deposit date {existing}, not {deposit_date}: use another "
            "number, or leave it empty to have one generated")


def take_batch(
    session: Session, number: str | None, deposit_date: date, user: str, now: datetime
) -> str:
    """Inside the caller's write transaction: the batch the release or rework goes into.

    ``number`` None: a new generated batch, unique. A typed number joins its batch when that is
    for the same deposit date (BatchRefused otherwise) or starts it.
    """
    if number is None:
        skip: set[str] = set()
        for _attempt in range(100):
            candidate = _next_number(session, deposit_date, skip)
            if not _claim_number(session, candidate):
                skip.add(candidate)  # another release is taking it right now: the next one
                continue
            if _insert(session, candidate, deposit_date, True, user, now):
                return candidate
            skip.add(candidate)
        raise RuntimeError("no free batch number")  # a hundred lost races in a row
    # FOR SHARE: releases joining one typed batch run side by side on PostgreSQL (a batch row
    # is never changed; the lock only keeps it in place until this transaction ends).
    existing = session.exec(
        select(Batch).where(Batch.number == number).with_for_update(read=True)
    ).first()
    if existing is None and _insert(session, number, deposit_date, False, user, now):
        return number
    existing = existing or session.exec(select(Batch).where(Batch.number == number)).one()
    if existing.deposit_date != deposit_date:
        raise BatchRefused(
            f"Batch {number} is for deposit date {existing.deposit_date}, not {deposit_date}; "
            "use another batch number (or leave it empty to have one generated)"
        )
    return number


def _insert(
    session: Session, number: str, deposit_date: date, generated: bool, user: str, now: datetime
) -> bool:
    """Add the batch in a savepoint; False when another session took the number first."""
    try:
        with session.begin_nested():
            session.add(Batch(number=number, deposit_date=deposit_date, generated=generated,
                              created_at=now, created_by=user))  # fmt: skip
    except IntegrityError:
        return False
    return True


# -- the batch report -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BatchPayment:
    era_id: int
    check_number: str
    payer: str
    payment_date: date | None
    amount: Decimal  # BPR02
    status: str  # released | released_with_errors | voided
    released_by: str


@dataclass(frozen=True, slots=True)
class BatchRework:
    rework_id: int
    era_id: int
    check_number: str
    claims_posted: int
    reworked_by: str
    reworked_at: datetime
    voided: bool = False  # its release was voided: what it posted was negated with it


@dataclass(slots=True)
class BatchReport:
    """One batch: its deposit date, payments and total (voided releases not counted)."""

    number: str
    deposit_date: date
    payments: list[BatchPayment] = field(default_factory=list)
    reworks: list[BatchRework] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((p.amount for p in self.payments if p.status != "voided"), ZERO)

    @property
    def payment_count(self) -> int:
        return sum(1 for p in self.payments if p.status != "voided")

    def to_json(self) -> dict[str, Any]:
        return {
            "deposit_date": self.deposit_date.isoformat(),
            "batch": self.number,
            "payments": [
                {"id": p.era_id, "check_number": p.check_number, "payer": p.payer,
                 "payment_date": p.payment_date.isoformat() if p.payment_date else None,
                 "amount": json_amount(p.amount), "status": p.status,
                 "released_by": p.released_by}
                for p in self.payments
            ],
            "reworks": [
                {"id": r.rework_id, "payment": r.era_id, "check_number": r.check_number,
                 "claims_posted": r.claims_posted, "by": r.reworked_by,
                 "at": r.reworked_at.isoformat(), "voided": r.voided}
                for r in self.reworks
            ],
            "count": self.payment_count,
            "total": json_amount(self.total),
        }  # fmt: skip


def batch_reports(
    store: Store, deposit_from: date | None = None, deposit_to: date | None = None
) -> list[BatchReport]:
    """Every batch (newest deposit date first, then batch number) with its payments and total."""
    with store.read() as session:
        query = select(Batch)
        if deposit_from is not None:
            query = query.where(Batch.deposit_date >= deposit_from)
        if deposit_to is not None:
            query = query.where(Batch.deposit_date <= deposit_to)
        batches = session.exec(
            query.order_by(col(Batch.deposit_date).desc(), col(Batch.number))
        ).all()
        numbers = [b.number for b in batches]
        payments = _payments_in(session, numbers)
        reworks = _reworks_in(session, numbers)
    reports = []
    for batch in batches:
        report = BatchReport(batch.number, batch.deposit_date,
                             payments.get(batch.number, []), reworks.get(batch.number, []))
        reports.append(report)
    return reports


def _payments_in(session: Session, numbers: Iterable[str]) -> dict[str, list[BatchPayment]]:
    rows = session.exec(
        select(Release, Era, Payer.code)
        .join(Era, col(Era.id) == Release.era_id)
        .outerjoin(PayerInboundId, col(PayerInboundId.value) == Era.inbound_id)
        .outerjoin(Payer, col(Payer.id) == PayerInboundId.payer_id)
        .where(col(Release.batch).in_(list(numbers)))
        .order_by(col(Release.id))
    ).all()
    found: dict[str, list[BatchPayment]] = {}
    for release, era, payer_code in rows:
        assert era.id is not None
        status = "voided" if release.voided_at is not None else release.status
        found.setdefault(release.batch, []).append(BatchPayment(
            era.id, era.check_number, payer_code or era.payer_name, era.payment_date,
            from_cents(era.amount_cents), status, release.released_by,
        ))  # fmt: skip
    return found


def _reworks_in(session: Session, numbers: Iterable[str]) -> dict[str, list[BatchRework]]:
    rows = session.exec(
        select(Rework, Era.check_number, Release.voided_at)
        .join(Era, col(Era.id) == Rework.era_id)
        .join(Release, col(Release.id) == Rework.release_id)
        .where(col(Rework.batch).in_(list(numbers)))
        .order_by(col(Rework.id))
    ).all()
    found: dict[str, list[BatchRework]] = {}
    for rework, check, voided_at in rows:
        assert rework.id is not None
        found.setdefault(rework.batch, []).append(BatchRework(
            rework.id, rework.era_id, check, rework.claims_posted, rework.reworked_by,
            rework.reworked_at, voided_at is not None,
        ))  # fmt: skip
    return found
