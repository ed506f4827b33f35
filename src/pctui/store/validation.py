"""Deferred full validation of imported 835s with pyx12's implementation-guide maps.

pyx12's full validation is about twenty times slower than reading, so import does not wait for
it on large files: an imported 835 starts with ``validation_state = "pending"`` and
:func:`validate_pending` adds its findings later (the app's background worker, ``pctui import``
itself for files under ``INLINE_VALIDATION_MAX_SEGMENTS`` segments, or ``pctui import
--validate-pending``). The stored file is read back chunk by chunk and handed to pyx12 once per
run of interchanges that share delimiters (``x12/validate.py``), so its maps load once per file.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from pctui.core.era import Finding, FindingSource, Severity, collapse
from pctui.store.db import Store
from pctui.store.intake import (
    FileFinding,
    ImportStatus,
    ValidationState,
    _insert_findings,
    stored_content,
)
from pctui.store.tables import Era, ImportedFile
from pctui.x12.errors import FileRejected
from pctui.x12.validate import PreparedFile, prepare


@dataclass(slots=True)
class ValidationRun:
    """pyx12's full validation of one stored file."""

    file_id: int
    filename: str
    findings: list[FileFinding]
    segments: int
    seconds: float


def _pending_query() -> Any:
    return (
        select(ImportedFile.id)
        .where(
            ImportedFile.validation_state == ValidationState.PENDING.value,
            ImportedFile.status == ImportStatus.IMPORTED.value,
            ImportedFile.kind == "835",
        )
        .order_by(col(ImportedFile.id))
    )


def validation_pending(store: Store) -> bool:
    """Whether any imported 835 still waits for its full 5010 validation (imports from the
    command line leave big files to the app)."""
    with store.read() as session:
        return session.exec(_pending_query().limit(1)).first() is not None


def validate_pending(
    store: Store,
    limit: int | None = None,
    *,
    file_ids: Sequence[int] | None = None,
    max_segments: int | None = None,
) -> list[ValidationRun]:
    """Run pyx12 validation for imported 835s still waiting for it, oldest first.

    Each file is validated outside any transaction (it can take seconds) and its findings are
    written in a short one afterwards; a file another process validated meanwhile is skipped.
    """
    query = _pending_query()
    if file_ids is not None:
        query = query.where(col(ImportedFile.id).in_(list(file_ids)))
    if max_segments is not None:
        query = query.where(ImportedFile.segment_count <= max_segments)
    if limit is not None:
        query = query.limit(limit)
    with store.read() as session:
        ids = [i for i in session.exec(query).all() if i is not None]
    return [validate_file(store, file_id) for file_id in ids]


def validate_file(store: Store, file_id: int) -> ValidationRun:
    """Validate one stored 835 and store its findings, marking the file ``done``."""
    with store.read() as session:
        row = session.get(ImportedFile, file_id)
        if row is None:
            raise LookupError(f"no imported file #{file_id}")
        filename = row.filename
        eras = {
            index: (era_id, check)
            for index, era_id, check in session.exec(
                select(Era.transaction_index, Era.id, Era.check_number).where(
                    Era.file_id == file_id
                )
            ).all()
        }
        started = time.perf_counter()
        try:
            # Read the stored bytes in this short read; pyx12 runs after it (seconds, no lock).
            prepared: PreparedFile | None = prepare(stored_content(session, file_id))
        except FileRejected as exc:
            prepared = None
            findings = [FileFinding(Finding(
                Severity.WARNING, FindingSource.VALIDATION,
                f"Full validation could not read the stored file: {exc.reason}"))]  # fmt: skip
            segments = 0
    if prepared is not None:
        with prepared:
            raw = prepared.validate()
        findings = _collapsed(_locate(raw, prepared.transactions, eras))
        segments = prepared.segments
    seconds = time.perf_counter() - started
    with store.write() as session:
        row = session.get(ImportedFile, file_id)
        if row is not None and row.validation_state == ValidationState.PENDING.value:
            _insert_findings(session, file_id, findings)
            row.validation_state = ValidationState.DONE.value
            session.add(row)
    return ValidationRun(file_id, filename, findings, segments, seconds)


def _collapsed(located: list[FileFinding]) -> list[FileFinding]:
    """The same finding repeated within one payment (or the file) once, with its count."""
    groups: dict[int | None, tuple[str | None, list[Finding]]] = {}
    for item in located:
        groups.setdefault(item.era_id, (item.payment, []))[1].append(item.finding)
    return [FileFinding(finding, era_id, payment)
            for era_id, (payment, found) in groups.items() for finding in collapse(found)]


def _locate(
    findings: list[Finding],
    transactions: list[tuple[int, int, int]],
    eras: dict[int, tuple[int | None, str]],
) -> list[FileFinding]:
    """Attach each finding to the payment whose ST..SE holds its segment, else to the file.

    ``transactions`` are (index, first segment, segment count). Findings inside a payment that
    was not stored (a duplicate, or not a payment) are dropped: a duplicate's findings belong to
    the copy already on file.
    """
    starts = [first for _, first, _ in transactions]
    several = len(transactions) > 1
    located: list[FileFinding] = []
    for finding in findings:
        i = bisect.bisect_right(starts, finding.position or 0) - 1
        t = transactions[i] if i >= 0 else None
        if t is None or finding.position is None or finding.position >= t[1] + t[2]:
            located.append(FileFinding(finding))
        elif t[0] in eras:
            era_id, check = eras[t[0]]
            located.append(FileFinding(finding, era_id, check if several else None))
    return located
