"""Claim statuses at rest: every change written with when, why and what caused it.

The ladder itself (what may follow what) is :mod:`pctui.core.claim_status`; this module writes
a change onto the claim row and a :class:`ClaimStatusChange` row in the caller's transaction,
and reads the history back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from pctui.core.claim_status import ClaimStatus, after_payment, payment_reason
from pctui.core.era import Remittance
from pctui.core.era_json import remittance_from_data
from pctui.store import audit
from pctui.store.db import Store, bound_value, bulk_insert, bulk_update
from pctui.store.tables import (
    Acknowledgment,
    Claim,
    ClaimPosting,
    ClaimStatusChange,
    Era,
    ImportedFile,
    MailboxFile,
    Submission,
)


@dataclass(frozen=True, slots=True)
class Change:
    """Why a claim's status changes, and what caused it (a file, an acknowledgment, an 835)."""

    status: ClaimStatus
    reason: str
    source: str
    submission_id: int | None = None
    acknowledgment_id: int | None = None
    era_id: int | None = None


def set_status(session: Session, claim_pk: int, change: Change, user: str,
               at: datetime | None = None, *, edits: str | None = None) -> None:  # fmt: skip
    """Move one claim to ``change.status`` (also when it stays: the reason may be new)."""
    when = at or audit.now()
    values: dict[str, object] = {"status": change.status.value, "status_reason": change.reason,
                                 "status_at": when}  # fmt: skip
    if edits is not None:
        values["edits"] = edits
    session.execute(update(Claim).where(col(Claim.id) == claim_pk).values(**values))
    session.add(ClaimStatusChange(
        claim_pk=claim_pk, at=when, status=change.status.value, reason=change.reason,
        source=change.source, submission_id=change.submission_id,
        acknowledgment_id=change.acknowledgment_id, era_id=change.era_id, user_login=user,
    ))  # fmt: skip


_CHANGE_COLUMNS = ("claim_pk", "at", "status", "reason", "source", "submission_id",
                   "acknowledgment_id", "era_id", "user_login")  # fmt: skip


def set_statuses(session: Session, changes: Sequence[tuple[int, Change]], user: str,
                 at: datetime | None = None) -> None:  # fmt: skip
    """:func:`set_status` for many claims at once (a release moves thousands): one UPDATE run
    over every claim and one bulk insert of their history rows, in the caller's transaction."""
    if not changes:
        return
    when = at or audit.now()
    connection = session.connection()
    claim = Claim.__table__  # type: ignore[attr-defined]
    at_claim = bound_value(connection, claim.c.status_at, when)
    bulk_update(connection, "claim", ("status", "status_reason", "status_at"), [
        (c.status.value, c.reason, at_claim, pk) for pk, c in changes
    ])  # fmt: skip
    stamp = bound_value(connection, ClaimStatusChange.__table__.c.at, when)  # type: ignore[attr-defined]
    bulk_insert(connection, "claimstatuschange", _CHANGE_COLUMNS, [
        (pk, stamp, c.status.value, c.reason, c.source, c.submission_id, c.acknowledgment_id,
         c.era_id, user)
        for pk, c in changes
    ])  # fmt: skip


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    status: ClaimStatus
    reason: str
    source: str
    user: str
    file: str | None  # the submission's file or the acknowledgment's, or the 835's
    submission_id: int | None
    acknowledgment_id: int | None
    era_id: int | None

    def to_json(self) -> dict[str, object]:
        return {"at": self.at.isoformat(), "status": self.status.value, "reason": self.reason,
                "source": self.source, "user": self.user, "file": self.file,
                "submission": self.submission_id, "acknowledgment": self.acknowledgment_id,
                "era": self.era_id}  # fmt: skip


def history(store: Store, claim_pk: int) -> list[HistoryEntry]:
    """Every status change of one claim, oldest first."""
    with store.read() as session:
        return claim_history(session, claim_pk)


def claim_history(session: Session, claim_pk: int) -> list[HistoryEntry]:
    query = (
        select(ClaimStatusChange, Submission.file_name, MailboxFile.name, ImportedFile.filename)
        .outerjoin(Submission, col(Submission.id) == ClaimStatusChange.submission_id)
        .outerjoin(Acknowledgment, col(Acknowledgment.id) == ClaimStatusChange.acknowledgment_id)
        .outerjoin(MailboxFile, col(MailboxFile.id) == Acknowledgment.mailbox_file_id)
        .outerjoin(Era, col(Era.id) == ClaimStatusChange.era_id)
        .outerjoin(ImportedFile, col(ImportedFile.id) == Era.file_id)
        .where(ClaimStatusChange.claim_pk == claim_pk)
        .order_by(col(ClaimStatusChange.id))
    )  # fmt: skip
    out = []
    for change, sent, ack_file, era_file in session.exec(query):
        out.append(HistoryEntry(change.at, ClaimStatus(change.status), change.reason,
                                change.source, change.user_login, ack_file or sent or era_file,
                                change.submission_id, change.acknowledgment_id,
                                change.era_id))  # fmt: skip
    return out


def after_release(session: Session, remittance: Remittance, claim_pks: Mapping[str, int],
                  posted: Mapping[str, str], era_id: int, user: str, at: datetime) -> None:
    """Paid, partially paid or denied for every claim a released 835 posted onto.

    ``claim_pks`` maps CLM01 to the claim's key; ``posted`` maps CLM01 to the posting outcome
    (only posted, denied and reversed CLPs move a claim).
    """
    era = session.get(Era, era_id)
    check = era.check_number if era is not None else ""
    changes: list[tuple[int, Change]] = []
    for clp in remittance.claims:
        claim_id = clp.patient_control_number.strip()
        pk = claim_pks.get(claim_id)
        if pk is None or posted.get(claim_id) not in ("posted", "denied", "reversed"):
            continue
        lines = [(line.charge, line.paid) for line in clp.service_lines]
        status = after_payment(clp.status_code, clp.paid, clp.patient_responsibility, lines)
        reason = payment_reason(status, check, clp.charge, clp.paid, clp.patient_responsibility)
        changes.append((pk, Change(status, reason, "835", era_id=era_id)))
    set_statuses(session, changes, user, at)


def restate_from_postings(session: Session, claim_pks: Iterable[int], user: str, at: datetime,
                          *, voided: tuple[int, str] | None = None) -> None:  # fmt: skip
    """Each claim's status from the claim payments standing on it now (after a rework or a
    void): the newest standing posting's 835 decides, as a release does; with none left (its
    only payment voided), the status it had before any 835, or ready when it never had one.

    ``voided`` is (era id, the void's words) when a void is what changed the claims.
    """
    pks = sorted(set(claim_pks))
    if not pks:
        return
    newest: dict[int, ClaimPosting] = {}
    for posting in session.exec(select(ClaimPosting).where(
            col(ClaimPosting.claim_pk).in_(pks), col(ClaimPosting.voided).is_(False),
            col(ClaimPosting.clp_index).is_not(None)).order_by(col(ClaimPosting.id))):
        newest[posting.claim_pk] = posting  # fmt: skip
    current: dict[int, tuple[str, str]] = {}
    for start in range(0, len(pks), 500):
        current.update((pk, (status, reason)) for pk, status, reason in session.exec(
            select(Claim.id, Claim.status, Claim.status_reason)
            .where(col(Claim.id).in_(pks[start:start + 500]))))  # fmt: skip
    remittances: dict[int, tuple[Era, Remittance]] = {}
    before = _before_payments(session, [pk for pk in pks if pk not in newest]) if voided else {}
    changes: list[tuple[int, Change]] = []
    for pk in pks:
        if pk not in current:
            continue
        posting = newest.get(pk)
        if posting is not None and posting.clp_index is not None:
            if posting.era_id not in remittances:
                era = session.get(Era, posting.era_id)
                assert era is not None
                remittances[posting.era_id] = (era, remittance_from_data(json.loads(era.detail)))
            era, remittance = remittances[posting.era_id]
            clp = remittance.claims[posting.clp_index]
            lines = [(line.charge, line.paid) for line in clp.service_lines]
            status = after_payment(clp.status_code, clp.paid, clp.patient_responsibility, lines)
            reason = payment_reason(status, era.check_number, clp.charge, clp.paid,
                                    clp.patient_responsibility)  # fmt: skip
            change = Change(status, reason, "835", era_id=posting.era_id)
        elif voided is not None:
            era_id, words = voided
            era = session.get(Era, era_id)
            check = f" ({era.check_number})" if era is not None and era.check_number else ""
            change = Change(before.get(pk, ClaimStatus.READY), f"payment #{era_id}{check} voided: "
                            f"{words}", "void", era_id=era_id)  # fmt: skip
        else:
            continue
        if current[pk] != (change.status.value, change.reason):
            changes.append((pk, change))
    set_statuses(session, changes, user, at)


def _before_payments(session: Session, claim_pks: list[int]) -> dict[int, ClaimStatus]:
    """Each claim's last status that no 835 gave it (absent: it never had one — ready)."""
    found: dict[int, ClaimStatus] = {}
    for start in range(0, len(claim_pks), 500):
        rows = session.exec(
            select(ClaimStatusChange.claim_pk, ClaimStatusChange.status)
            .where(col(ClaimStatusChange.claim_pk).in_(claim_pks[start:start + 500]),
                   col(ClaimStatusChange.era_id).is_(None))
            .order_by(col(ClaimStatusChange.id))
        ).all()  # fmt: skip
        found.update((pk, ClaimStatus(status)) for pk, status in rows if status)
    return found
