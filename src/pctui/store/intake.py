"""Importing 835 and 837 files: one result per file, each file stored in one transaction.

What a file can come out as:

- ``imported``: its payments (835) or claims (837) are stored, with any findings (problems in a
  file that still reads: counts, balance, dates, duplicates within it).
- ``duplicate``: nothing new was stored. Either the same bytes were imported before (sha256
  among imported files), or every payment in it is already on file (same TRN02 trace number,
  payer and amount; for 837s, every claim is already on file as it is, see ``claim_intake``).
- ``rejected``: the file cannot be read as an 835/837 at all (empty, binary, not X12, truncated,
  missing trailer, wrong transaction set, unreadable encoding, an amount that is not exact money,
  no payment in it, not a regular file, over the size limit). Only an ImportedFile row with the
  reason is written, nothing else; the other files of a batch still import.

A file with some new and some already-known payments is ``imported``: ``created`` lists the new
payments, and a warning finding per skipped payment names the earlier file it came from (the
same one repeated is one finding with a count).

How a file is read (one pass, bounded memory, a short lock): the first half
(``store/intake_spool.py``) reads and checks the whole file with no database lock, spooling each
payment or claim to a temporary file as soon as it is read; only then does the second half, here,
open one write transaction and store the spool: all of the file or none of it. Memory is bounded
by the largest payment or claim, never the file. The file's bytes are stored in chunks
(``ImportedFileChunk``) for the deferred validation.

Every file handed over gets an ImportedFile row (rejected and duplicate ones too, without their
content), so the Release 835 section can show what was refused and why.

Folders: every regular file directly inside, in name order; hidden files (``.DS_Store``) are
skipped. Anything else inside (a sub-folder such as ``processed/``, a named pipe, a device) is
reported by name as not read, without opening it. A file named explicitly is always tried, and
refused by name if it is not a regular file or is over the size limit (``x12/source.py``).

Validation: the fast structural pass runs during import; pyx12's full validation
(``store/validation.py``) is deferred for large files.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from pctui.core.era import Finding, FindingLog, FindingSource, Severity
from pctui.store import audit
from pctui.store.db import Store, cyclic_gc_paused
from pctui.store.intake_spool import ReadFile, Spool, SpooledPayment
from pctui.store.tables import Era, EraFinding, ImportedFile, ImportedFileChunk
from pctui.store.users import Actor
from pctui.x12.errors import FileRejected
from pctui.x12.source import FileChunks, byte_chunks, not_regular

INLINE_VALIDATION_MAX_SEGMENTS = 20_000
_IN_CHUNK = 500  # trace numbers per duplicate-check query
_PAYMENT_BATCH = 200  # payments stored per INSERT, at most
_BATCH_BYTES = 4 << 20  # and at most this much payment detail per INSERT (memory stays flat)
RESULT_FINDINGS = 1000  # findings a result carries in memory; the rest are stored only

# Told after each file: (files done, files in the batch, the file just finished).
ImportProgress = Callable[[int, int, str], None]


class ImportStatus(StrEnum):
    IMPORTED = "imported"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class ValidationState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True, slots=True)
class FileFinding:
    """A finding as reported for one file: which payment it is about, if any."""

    finding: Finding
    era_id: int | None = None
    payment: str | None = None  # the payment's check/EFT number, for files with several

    @property
    def text(self) -> str:
        text = self.finding.text
        return f"Payment {self.payment}: {text}" if self.payment else text

    def to_json(self) -> dict[str, Any]:
        f = self.finding
        return {
            "severity": f.severity.value,
            "source": f.source.value,
            "message": f.message,
            "segment": f.segment,
            "position": f.position,
            "count": f.count,
            "positions": [p for p in (f.position, *f.more_positions) if p],
            "era_id": self.era_id,
            "payment": self.payment,
        }


@dataclass(slots=True)
class FileResult:
    """What happened to one file."""

    file: str
    kind: str = ""  # "835", "837", or "" when the kind could not be told
    status: ImportStatus = ImportStatus.REJECTED
    created: list[int] = field(default_factory=list)  # Era ids (835) or Claim ids (837)
    errors: list[str] = field(default_factory=list)  # why it was rejected
    findings: list[FileFinding] = field(default_factory=list)
    file_id: int | None = None  # the ImportedFile row
    segment_count: int = 0
    validation_state: ValidationState = ValidationState.NOT_APPLICABLE
    # 837 only (store/claim_intake.py): claims replaced (CLM05-3 = 7) or voided (8), and
    # originals kept apart as conflicts for a biller ({"id", "claim_id", "differences"}).
    replaced: list[int] = field(default_factory=list)
    voided: list[int] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "kind": self.kind,
            "status": self.status.value,
            "created": self.created,
            "errors": self.errors,
            "findings": [f.text for f in self.findings],
            "finding_details": [f.to_json() for f in self.findings],
            "file_id": self.file_id,
            "segments": self.segment_count,
            "validation": self.validation_state.value,
            "replaced": self.replaced,
            "voided": self.voided,
            "conflicts": self.conflicts,
        }


# --- the batch -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _NotRead:
    """Something inside a folder that is not read, and why (reported by name)."""

    path: Path
    reason: FileRejected


def collect_files(paths: Iterable[str | Path]) -> list[Path | _NotRead]:
    """What a batch reads: named files as given; a folder's regular files in name order, and
    what else it holds (sub-folders, pipes, devices) as things not read (see module notes)."""
    files: list[Path | _NotRead] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.is_dir():
            files.append(path)
            continue
        for child in sorted(path.iterdir(), key=lambda p: p.name):
            if child.name.startswith("."):
                continue
            try:
                mode = child.stat().st_mode
            except OSError:
                files.append(child)  # gone or unreadable: the import says which
                continue
            if child.is_file():
                files.append(child)
            elif child.is_dir():
                files.append(_NotRead(child, FileRejected(
                    "a folder inside a folder is not entered: only the regular files directly "
                    "inside a folder are imported")))  # fmt: skip
            else:
                files.append(_NotRead(child, not_regular(mode)))
    return files


def import_paths(
    store: Store,
    paths: Sequence[str | Path],
    user: Actor,
    progress: ImportProgress | None = None,
    *,
    validate_below_segments: int = 0,
) -> list[FileResult]:
    """Import every file (folders: every file inside); one result per file, in order.

    835 files with fewer than ``validate_below_segments`` segments are also given pyx12's full
    validation before returning (0: leave all of it to :func:`validate_pending`).
    """
    from pctui.store.validation import validate_file

    user.require_release()
    files = collect_files(paths)
    results: list[FileResult] = []
    for done, item in enumerate(files, start=1):
        if isinstance(item, _NotRead):
            result = _reject(store, str(item.path), user, item.reason)
        else:
            result = import_file(store, item, user)
        if (
            result.validation_state is ValidationState.PENDING
            and result.file_id is not None
            and result.segment_count < validate_below_segments
        ):
            run = validate_file(store, result.file_id)
            result.findings.extend(run.findings)
            result.validation_state = ValidationState.DONE
        results.append(result)
        if progress is not None:
            progress(done, len(files), str(item.path if isinstance(item, _NotRead) else item))
    return results


def import_file(store: Store, path: Path, user: Actor) -> FileResult:
    """Read one file from disk and import it (only a regular file within the size limit)."""
    user.require_release()
    try:
        source = FileChunks(path)
    except FileRejected as exc:
        return _reject(store, str(path), user, exc)
    with source:
        return _import(store, str(path), source, user)


def import_bytes(store: Store, name: str, data: bytes, user: Actor) -> FileResult:
    """Import one file's bytes under the name it is reported by."""
    user.require_release()
    return _import(store, name, byte_chunks(data), user)


def _import(store: Store, name: str, chunks: Iterable[bytes], user: Actor) -> FileResult:
    with cyclic_gc_paused(), Spool() as spool:
        try:
            read = spool.read(chunks)
        except FileRejected as exc:
            return _reject(store, name, user, exc, spool.sha256)
        if read.kind == "835":
            return _store_835(store, name, read, spool, user)
        return _store_837(store, name, read, spool, user)


# --- storing ---------------------------------------------------------------------------------


def _reject(store: Store, name: str, user: Actor, exc: FileRejected, sha: str = "") -> FileResult:
    message = f"{name}: {exc.reason}"
    with store.write() as session:
        row = ImportedFile(
            filename=name,
            sha256=sha,
            kind=exc.kind,
            status=ImportStatus.REJECTED.value,
            errors=json.dumps([message]),
            loaded_at=audit.now(),
            loaded_by=user.login,
            validation_state=ValidationState.NOT_APPLICABLE.value,
        )
        session.add(row)
        session.flush()
        return FileResult(name, kind=exc.kind, errors=[message], file_id=row.id)


def _same_content(session: Session, sha: str) -> ImportedFile | None:
    return session.exec(
        select(ImportedFile)
        .where(ImportedFile.sha256 == sha, ImportedFile.status == ImportStatus.IMPORTED.value)
        .order_by(col(ImportedFile.id))
    ).first()


def _describe_file(row: ImportedFile) -> str:
    return f"{row.filename} (file #{row.id}, loaded {row.loaded_at:%Y-%m-%d %H:%M})"


def _file_row(name: str, read: ReadFile, user: Actor, status: ImportStatus,
              validation: ValidationState) -> ImportedFile:  # fmt: skip
    return ImportedFile(
        filename=name, sha256=read.sha256, kind=read.kind, status=status.value,
        segment_count=read.segments, loaded_at=audit.now(), loaded_by=user.login,
        validation_state=validation.value,
    )  # fmt: skip


def _as_duplicate(session: Session, row: ImportedFile, findings: list[FileFinding]) -> None:
    row.status = ImportStatus.DUPLICATE.value
    row.validation_state = ValidationState.NOT_APPLICABLE.value
    row.errors = json.dumps([f.text for f in findings[:RESULT_FINDINGS]])
    session.add(row)


def _whole_file_duplicate(earlier: ImportedFile) -> FileFinding:
    return FileFinding(
        Finding(
            Severity.WARNING,
            FindingSource.STRUCTURE,
            f"The same file was already imported: {_describe_file(earlier)}; nothing new stored",
        )
    )


def _same_file_again(session: Session, name: str, read: ReadFile, user: Actor) -> FileResult | None:
    earlier = _same_content(session, read.sha256)
    if earlier is None:
        return None
    findings = [_whole_file_duplicate(earlier)]
    row = _file_row(name, read, user, ImportStatus.DUPLICATE, ValidationState.NOT_APPLICABLE)
    row.errors = json.dumps([f.text for f in findings])
    session.add(row)
    session.flush()
    return FileResult(name, kind=read.kind, status=ImportStatus.DUPLICATE, findings=findings,
                      file_id=row.id, segment_count=read.segments)  # fmt: skip


def _store_content(session: Session, file_id: int, spool: Spool) -> None:
    """The file's bytes, a chunk per row (never the whole file in memory)."""
    for seq, chunk in enumerate(spool.raw_chunks()):
        session.execute(insert(ImportedFileChunk),
                        [{"file_id": file_id, "seq": seq, "data": chunk}])  # fmt: skip


def _store_835(store: Store, name: str, read: ReadFile, spool: Spool, user: Actor) -> FileResult:
    with store.write() as session:
        again = _same_file_again(session, name, read, user)
        if again is not None:
            return again
        row = _file_row(name, read, user, ImportStatus.IMPORTED, ValidationState.PENDING)
        session.add(row)
        session.flush()
        assert row.id is not None
        result = FileResult(name, kind="835", status=ImportStatus.IMPORTED, file_id=row.id,
                            segment_count=read.segments,
                            validation_state=ValidationState.PENDING)  # fmt: skip
        findings = _Findings(result)
        findings.add_all(FileFinding(f) for f in read.findings)
        several = read.records > 1
        duplicates = FindingLog()
        for batch in _batches(spool.payments()):
            fresh = _split_duplicates(session, batch, row.id, duplicates)
            if not fresh:
                continue
            now = audit.now()
            era_ids = _insert_eras(session, [_era_row(p, row.id, now) for p in fresh])
            result.created.extend(era_ids)
            stored: list[FileFinding] = []
            for payment, era_id in zip(fresh, era_ids, strict=True):
                label = payment.check_number if several else None
                stored.extend(FileFinding(f, era_id, label) for f in payment.findings)
            _insert_findings(session, row.id, stored)
            findings.add_all(stored, stored_already=True)
        findings.add_all(FileFinding(f) for f in duplicates.findings())
        if not result.created:
            result.status = ImportStatus.DUPLICATE
            result.validation_state = ValidationState.NOT_APPLICABLE
            _as_duplicate(session, row, result.findings)
            return result
        findings.store(session, row.id)
        _store_content(session, row.id, spool)
        return result


def _batches(payments: Iterator[SpooledPayment]) -> Iterator[list[SpooledPayment]]:
    """Payments in batches of at most :data:`_PAYMENT_BATCH`, or fewer when they are big: a
    batch holds at most about :data:`_BATCH_BYTES` of payment detail (or one payment)."""
    batch: list[SpooledPayment] = []
    size = 0
    for payment in payments:
        batch.append(payment)
        size += len(payment.values["detail"])
        if len(batch) >= _PAYMENT_BATCH or size >= _BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


class _Findings:
    """A result's findings: every one stored, the first :data:`RESULT_FINDINGS` kept in the
    result (a huge file's findings never all sit in memory), then one line saying how many more."""

    def __init__(self, result: FileResult) -> None:
        self.result = result
        self.pending: list[FileFinding] = []  # not stored yet (file-level ones)
        self.left_out = 0

    def add_all(self, findings: Iterable[FileFinding], stored_already: bool = False) -> None:
        for finding in findings:
            if not stored_already:
                self.pending.append(finding)
            if len(self.result.findings) < RESULT_FINDINGS:
                self.result.findings.append(finding)
            else:
                self.left_out += 1

    def store(self, session: Session, file_id: int) -> None:
        _insert_findings(session, file_id, self.pending)
        if self.left_out:
            self.result.findings.append(FileFinding(Finding(
                Severity.WARNING, FindingSource.STRUCTURE,
                f"{self.left_out:,} more findings are stored with their payments (see each "
                "payment's findings)")))  # fmt: skip


def _split_duplicates(
    session: Session, batch: list[SpooledPayment], file_id: int, duplicates: FindingLog
) -> list[SpooledPayment]:
    """The new payments of a batch; each known one adds a finding (the same repeated: one).

    Payments stored from earlier batches of this file are found on file like any other (same
    transaction), so no set of every key in the file is kept in memory.
    """
    on_file = _payments_on_file(session, {p.check_number for p in batch})
    fresh: list[SpooledPayment] = []
    in_batch: set[tuple[str, str, int]] = set()
    for payment in batch:
        key = (payment.check_number, payment.payer_key, payment.amount_cents)
        if key in in_batch or (key in on_file and on_file[key][1].id == file_id):
            duplicates.add(_duplicate_payment(
                f"{payment.what} is repeated in this file; stored once",
                payment.first_segment))  # fmt: skip
        elif key in on_file:
            era_id, earlier = on_file[key]
            duplicates.add(_duplicate_payment(
                f"{payment.what} is already on file as payment #{era_id} from "
                f"{_describe_file(earlier)}; not stored again", payment.first_segment))  # fmt: skip
        else:
            fresh.append(payment)
        in_batch.add(key)
    return fresh


def _payments_on_file(
    session: Session, checks: set[str]
) -> dict[tuple[str, str, int], tuple[int, ImportedFile]]:
    """Stored payments with these trace numbers, by (TRN02, payer key, cents); few queries."""
    found: dict[tuple[str, str, int], tuple[int, ImportedFile]] = {}
    wanted = sorted(checks)
    for start in range(0, len(wanted), _IN_CHUNK):
        rows = session.exec(
            select(Era.id, Era.check_number, Era.payer_key, Era.amount_cents, ImportedFile)
            .join(ImportedFile, col(ImportedFile.id) == Era.file_id)
            .where(col(Era.check_number).in_(wanted[start : start + _IN_CHUNK]))
        ).all()
        for era_id, check, payer, cents, file_row in rows:
            found[(check, payer, cents)] = (era_id, file_row)
    return found


def _duplicate_payment(message: str, position: int | None = None) -> Finding:
    return Finding(Severity.WARNING, FindingSource.STRUCTURE, message, "TRN", position)


def _era_row(payment: SpooledPayment, file_id: int, now: datetime) -> dict[str, Any]:
    values = dict(payment.values)
    for key in ("payment_date", "production_date"):
        if values[key] is not None:
            values[key] = date.fromisoformat(values[key])
    values["file_id"] = file_id
    values["loaded_at"] = now
    return values


def _insert_eras(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert payments in bulk; their ids in the order given."""
    if not rows:
        return []
    statement = insert(Era).returning(col(Era.id), sort_by_parameter_order=True)
    return [era_id for (era_id,) in session.execute(statement, rows).all()]


def _insert_findings(session: Session, file_id: int, findings: Sequence[FileFinding]) -> None:
    if not findings:
        return
    session.execute(
        insert(EraFinding),
        [
            {
                "era_id": f.era_id,
                "file_id": file_id,
                "severity": f.finding.severity.value,
                "source": f.finding.source.value,
                "segment": f.finding.segment or "",
                "position": f.finding.position,
                "message": f.finding.message,
                "count": f.finding.count,
                "positions": ",".join(str(p) for p in f.finding.more_positions),
            }
            for f in findings
        ],
    )


def _store_837(store: Store, name: str, read: ReadFile, spool: Spool, user: Actor) -> FileResult:
    from pctui.store.claim_intake import import_claims

    with store.write() as session:
        again = _same_file_again(session, name, read, user)
        if again is not None:
            return again
        row = _file_row(name, read, user, ImportStatus.IMPORTED, ValidationState.NOT_APPLICABLE)
        session.add(row)
        session.flush()
        assert row.id is not None
        applied = import_claims(session, spool.claims(), row, user.login)
        result = FileResult(
            name, kind="837", status=ImportStatus.IMPORTED, created=applied.created,
            file_id=row.id, segment_count=read.segments, replaced=applied.replaced,
            voided=applied.voided, conflicts=[c.to_json() for c in applied.conflicts],
        )  # fmt: skip
        findings = _Findings(result)
        log = FindingLog()
        log.extend(read.findings)
        log.extend(applied.findings)
        findings.add_all(FileFinding(f) for f in log.findings())
        if applied.all_duplicates:
            result.status = ImportStatus.DUPLICATE
            _as_duplicate(session, row, result.findings)
            return result
        findings.store(session, row.id)
        _store_content(session, row.id, spool)
        return result


def stored_content(session: Session, file_id: int) -> Iterator[bytes]:
    """An imported file's bytes, chunk by chunk (older rows kept them in one column)."""
    row = session.get(ImportedFile, file_id)
    if row is not None and row.content is not None:
        yield row.content
        return
    last = -1
    while True:
        chunk = session.exec(
            select(ImportedFileChunk.seq, ImportedFileChunk.data)
            .where(ImportedFileChunk.file_id == file_id, ImportedFileChunk.seq > last)
            .order_by(col(ImportedFileChunk.seq)).limit(1)).first()  # fmt: skip
        if chunk is None:
            return
        last, data = chunk
        yield data


def __getattr__(name: str) -> Any:
    # Deferred validation lives in store/validation.py; older callers import it from here.
    if name in ("ValidationRun", "validate_file", "validate_pending", "validation_pending"):
        from pctui.store import validation

        return getattr(validation, name)
    raise AttributeError(name)
