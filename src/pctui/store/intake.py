"""Importing 835 and 837 files: one result per file, each file stored in one transaction.

What a file can come out as:

- ``imported``: its payments (835) or claims (837) are stored, with any findings (problems in a
  file that still reads: counts, balance, invalid values, duplicates within it).
- ``duplicate``: nothing new was stored. Either the same bytes were imported before (sha256
  among imported files), or every payment in it is already on file (same TRN02 trace number,
  payer and amount; for 837s, every claim's CLM01 is already on file).
- ``rejected``: the file cannot be read as an 835/837 at all (empty, binary, not X12, truncated,
  missing trailer, wrong transaction set, unreadable encoding). Only an ImportedFile row with the
  reason is written, nothing else; the other files of a batch still import.

A file with some new and some already-known payments is ``imported``: ``created`` lists the new
payments, and one warning finding per skipped payment names the earlier file it came from.

Every file handed over gets an ImportedFile row (rejected and duplicate ones too, without their
content), so the Release 835 section can show what was refused and why.

Folders: every regular file directly inside, in name order. Sub-folders are not entered (an inbox
often keeps a ``processed/`` folder) and hidden files (``.DS_Store``) are skipped; a file named
explicitly is always read.

Validation: the fast structural pass runs during import. pyx12's full 5010 validation is about
twenty times slower than reading, so it is deferred: an imported 835 starts with
``validation_state = "pending"`` and :func:`validate_pending` adds its findings later (the app's
background worker, or ``pctui import`` itself, which validates files under
``INLINE_VALIDATION_MAX_SEGMENTS`` segments before printing its results).
"""

from __future__ import annotations

import bisect
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyx12.errors
from sqlalchemy import insert
from sqlmodel import Session, col, select

from pctui.core.era import Finding, FindingSource, Remittance, Severity
from pctui.core.era_json import remittance_to_data
from pctui.core.money import to_cents
from pctui.store import audit
from pctui.store.db import Store, cyclic_gc_paused
from pctui.store.tables import Era, EraFinding, ImportedFile
from pctui.store.users import Actor
from pctui.x12.envelope import FileRejected, ScannedFile, decode_x12, read_x12, scan
from pctui.x12.read835 import read_remittances
from pctui.x12.validate import validate_interchanges

INLINE_VALIDATION_MAX_SEGMENTS = 20_000
_IN_CHUNK = 500  # trace numbers per duplicate-check query

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
        return f"Payment {self.payment}: {self.finding.message}" if self.payment else (
            self.finding.message
        )

    def to_json(self) -> dict[str, Any]:
        f = self.finding
        return {
            "severity": f.severity.value,
            "source": f.source.value,
            "message": f.message,
            "segment": f.segment,
            "position": f.position,
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


def collect_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files a batch reads: named files as given, folders expanded (see module notes)."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            files.extend(
                child
                for child in sorted(path.iterdir(), key=lambda p: p.name)
                if child.is_file() and not child.name.startswith(".")
            )
        else:
            files.append(path)
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
    user.require_release()
    files = collect_files(paths)
    results: list[FileResult] = []
    for done, path in enumerate(files, start=1):
        result = import_file(store, path, user)
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
            progress(done, len(files), str(path))
    return results


def import_file(store: Store, path: Path, user: Actor) -> FileResult:
    """Read one file from disk and import it."""
    name = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return _reject(store, name, b"", user, FileRejected("file not found"))
    except IsADirectoryError:
        return _reject(store, name, b"", user, FileRejected("this is a folder, not a file"))
    except PermissionError:
        return _reject(store, name, b"", user, FileRejected("permission denied reading the file"))
    except OSError as exc:
        return _reject(store, name, b"", user, FileRejected(f"cannot read the file: {exc.strerror}"))
    return import_bytes(store, name, data, user)


def import_bytes(store: Store, name: str, data: bytes, user: Actor) -> FileResult:
    """Import one file's bytes under the name it is reported by."""
    user.require_release()
    with cyclic_gc_paused():
        return _import_bytes(store, name, data, user)


def _import_bytes(store: Store, name: str, data: bytes, user: Actor) -> FileResult:
    scanned: ScannedFile | None = None
    try:
        text = decode_x12(data)
        scanned = scan(text)
        if scanned.kind == "835":
            remittances = read_remittances(scanned)
    except FileRejected as exc:
        kind = exc.kind or (scanned.kind if scanned else "")
        return _reject(store, name, data, user, exc, kind)
    except pyx12.errors.X12Error as exc:
        return _reject(store, name, data, user, FileRejected(f"pyx12 cannot read it: {exc}"),
                       scanned.kind if scanned else "")  # fmt: skip
    if scanned.kind == "835":
        return _store_835(store, name, data, scanned, remittances, user)
    return _store_837(store, name, data, scanned, user)


# --- storing ---------------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _reject(
    store: Store, name: str, data: bytes, user: Actor, exc: FileRejected, kind: str = ""
) -> FileResult:
    message = f"{name}: {exc.reason}"
    with store.write() as session:
        row = ImportedFile(
            filename=name,
            sha256=_sha256(data),
            kind=kind,
            status=ImportStatus.REJECTED.value,
            errors=json.dumps([message]),
            loaded_at=audit.now(),
            loaded_by=user.login,
            validation_state=ValidationState.NOT_APPLICABLE.value,
        )
        session.add(row)
        session.flush()
        return FileResult(name, kind=kind, errors=[message], file_id=row.id)


def _same_content(session: Session, sha: str) -> ImportedFile | None:
    return session.exec(
        select(ImportedFile)
        .where(ImportedFile.sha256 == sha, ImportedFile.status == ImportStatus.IMPORTED.value)
        .order_by(col(ImportedFile.id))
    ).first()


def _describe_file(row: ImportedFile) -> str:
    return f"{row.filename} (file #{row.id}, loaded {row.loaded_at:%Y-%m-%d %H:%M})"


def _duplicate_row(
    session: Session,
    name: str,
    data: bytes,
    scanned: ScannedFile,
    user: Actor,
    findings: list[FileFinding],
) -> FileResult:
    row = ImportedFile(
        filename=name,
        sha256=_sha256(data),
        kind=scanned.kind,
        status=ImportStatus.DUPLICATE.value,
        errors=json.dumps([f.text for f in findings]),
        segment_count=scanned.segment_count,
        loaded_at=audit.now(),
        loaded_by=user.login,
        validation_state=ValidationState.NOT_APPLICABLE.value,
    )
    session.add(row)
    session.flush()
    return FileResult(
        name,
        kind=scanned.kind,
        status=ImportStatus.DUPLICATE,
        findings=findings,
        file_id=row.id,
        segment_count=scanned.segment_count,
    )


def _whole_file_duplicate(earlier: ImportedFile) -> FileFinding:
    return FileFinding(
        Finding(
            Severity.WARNING,
            FindingSource.STRUCTURE,
            f"The same file was already imported: {_describe_file(earlier)}; nothing new stored",
        )
    )


def payer_key(era: Remittance) -> str:
    """The payer part of a payment's identity: N1*PR N104 when sent, else the payer's name."""
    return era.payer_id or " ".join(era.payer_name.upper().split())


def _store_835(
    store: Store,
    name: str,
    data: bytes,
    scanned: ScannedFile,
    remittances: list[Remittance],
    user: Actor,
) -> FileResult:
    with store.write() as session:
        earlier = _same_content(session, _sha256(data))
        if earlier is not None:
            return _duplicate_row(session, name, data, scanned, user, [_whole_file_duplicate(earlier)])
        fresh, duplicates = _split_duplicates(session, remittances)
        if not fresh:
            return _duplicate_row(session, name, data, scanned, user, duplicates)
        now = audit.now()
        row = ImportedFile(
            filename=name,
            sha256=_sha256(data),
            kind="835",
            status=ImportStatus.IMPORTED.value,
            segment_count=scanned.segment_count,
            loaded_at=now,
            loaded_by=user.login,
            validation_state=ValidationState.PENDING.value,
            content=data,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        era_ids = _insert_eras(session, [_era_values(era, i, row.id, now) for i, era in fresh])
        several = len(remittances) > 1
        findings = [FileFinding(f) for f in scanned.findings] + duplicates
        for (_, era), era_id in zip(fresh, era_ids, strict=True):
            label = era.check_number if several else None
            findings.extend(FileFinding(f, era_id, label) for f in era.findings)
        _insert_findings(session, row.id, findings)
        return FileResult(
            name,
            kind="835",
            status=ImportStatus.IMPORTED,
            created=era_ids,
            findings=findings,
            file_id=row.id,
            segment_count=scanned.segment_count,
            validation_state=ValidationState.PENDING,
        )


def _split_duplicates(
    session: Session, remittances: list[Remittance]
) -> tuple[list[tuple[int, Remittance]], list[FileFinding]]:
    """New payments (with their position in the file) and a finding for each known one."""
    on_file = _payments_on_file(session, {era.check_number for era in remittances})
    fresh: list[tuple[int, Remittance]] = []
    duplicates: list[FileFinding] = []
    in_file: set[tuple[str, str, int]] = set()
    for index, era in enumerate(remittances):
        key = (era.check_number, payer_key(era), to_cents(era.amount))
        what = (
            f"Payment {era.check_number or '(no trace number)'} from "
            f"{era.payer_name or era.inbound_id} for {era.amount:.2f}"
        )
        if key in in_file:
            duplicates.append(_duplicate_payment(f"{what} appears twice in this file; stored once"))
        elif key in on_file:
            era_id, earlier = on_file[key]
            duplicates.append(
                _duplicate_payment(
                    f"{what} is already on file as payment #{era_id} from "
                    f"{_describe_file(earlier)}; not stored again"
                )
            )
        else:
            fresh.append((index, era))
        in_file.add(key)
    return fresh, duplicates


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


def _duplicate_payment(message: str) -> FileFinding:
    return FileFinding(Finding(Severity.WARNING, FindingSource.STRUCTURE, message, "TRN"))


def _era_values(era: Remittance, index: int, file_id: int, now: datetime) -> dict[str, Any]:
    """One Era row as plain column values (bulk insert: no ORM object per payment)."""
    return {
        "file_id": file_id,
        "transaction_index": index,
        "control_number": era.control_number,
        "check_number": era.check_number,
        "trn_originator": era.trn_originator or "",
        "payer_key": payer_key(era),
        "payer_name": era.payer_name,
        "inbound_id": era.inbound_id,
        "inbound_id_source": era.inbound_id_source.value,
        "amount_cents": to_cents(era.amount),
        "payment_method": era.payment_method,
        "payment_date": era.payment_date,
        "production_date": era.production_date,
        "payee_name": era.payee_name,
        "claim_count": len(era.claims),
        "plb_total_cents": to_cents(era.provider_adjustment_total),
        "status": "pending",
        "loaded_at": now,
        "detail": json.dumps(remittance_to_data(era), separators=(",", ":")),
    }


def _insert_eras(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert payments in bulk; their ids in the order given."""
    if not rows:
        return []
    statement = insert(Era).returning(col(Era.id), sort_by_parameter_order=True)
    return [era_id for (era_id,) in session.execute(statement, rows).all()]


def _insert_findings(session: Session, file_id: int, findings: list[FileFinding]) -> None:
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
            }
            for f in findings
        ],
    )


def _store_837(
    store: Store, name: str, data: bytes, scanned: ScannedFile, user: Actor
) -> FileResult:
    from pctui.store.claim_intake import import_claims
    from pctui.x12.read837 import read_837

    try:
        read = read_837(scanned)
    except FileRejected as exc:
        return _reject(store, name, data, user, exc, kind="837")
    with store.write() as session:
        earlier = _same_content(session, _sha256(data))
        if earlier is not None:
            return _duplicate_row(
                session, name, data, scanned, user, [_whole_file_duplicate(earlier)]
            )
        row = ImportedFile(
            filename=name,
            sha256=_sha256(data),
            kind="837",
            status=ImportStatus.IMPORTED.value,
            segment_count=scanned.segment_count,
            loaded_at=audit.now(),
            loaded_by=user.login,
            validation_state=ValidationState.NOT_APPLICABLE.value,
            content=data,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        applied = import_claims(session, read.claims, row, user.login)
        findings = [FileFinding(f) for f in scanned.findings]
        findings += [FileFinding(f) for t in scanned.transactions for f in t.findings]
        findings += [FileFinding(f) for f in (*read.findings, *applied.findings)]
        status = ImportStatus.DUPLICATE if applied.all_duplicates else ImportStatus.IMPORTED
        if status is ImportStatus.DUPLICATE:
            row.status, row.content = status.value, None
            row.errors = json.dumps([f.text for f in findings])
            session.add(row)
        else:
            _insert_findings(session, row.id, findings)
        return FileResult(
            name,
            kind="837",
            status=status,
            created=applied.created,
            findings=findings,
            file_id=row.id,
            segment_count=scanned.segment_count,
            replaced=applied.replaced,
            voided=applied.voided,
            conflicts=[c.to_json() for c in applied.conflicts],
        )


# --- deferred validation ---------------------------------------------------------------------


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
    """Run pyx12 5010 validation for imported 835s still waiting for it, oldest first.

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
    return [run for file_id in ids if (run := validate_file(store, file_id)) is not None]


def validate_file(store: Store, file_id: int) -> ValidationRun:
    """Validate one stored 835 and store its findings, marking the file ``done``."""
    with store.read() as session:
        row = session.get(ImportedFile, file_id)
        if row is None:
            raise LookupError(f"no imported file #{file_id}")
        content, filename = row.content or b"", row.filename
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
        scanned = read_x12(content)
        raw = validate_interchanges(scanned.interchanges)
        findings = _locate(raw, scanned, eras)
        segments = scanned.segment_count
    except FileRejected as exc:
        findings = [
            FileFinding(
                Finding(
                    Severity.WARNING,
                    FindingSource.VALIDATION,
                    f"Full 5010 validation could not read the stored file: {exc.reason}",
                )
            )
        ]
        segments = 0
    seconds = time.perf_counter() - started
    with store.write() as session:
        row = session.get(ImportedFile, file_id)
        if row is not None and row.validation_state == ValidationState.PENDING.value:
            _insert_findings(session, file_id, findings)
            row.validation_state = ValidationState.DONE.value
            session.add(row)
    return ValidationRun(file_id, filename, findings, segments, seconds)


def _locate(
    findings: list[Finding], scanned: ScannedFile, eras: dict[int, tuple[int | None, str]]
) -> list[FileFinding]:
    """Attach each finding to the payment whose ST..SE holds its segment, else to the file.

    Findings inside a payment that was not stored (a duplicate) are dropped: that payment's
    findings belong to the copy already on file.
    """
    starts = [t.first_segment for t in scanned.transactions]
    several = len(scanned.transactions) > 1
    located: list[FileFinding] = []
    for finding in findings:
        i = bisect.bisect_right(starts, finding.position or 0) - 1
        t = scanned.transactions[i] if i >= 0 else None
        if t is None or finding.position is None or finding.position >= t.first_segment + (
            t.segment_count
        ):
            located.append(FileFinding(finding))
        elif t.index in eras:
            era_id, check = eras[t.index]
            located.append(FileFinding(finding, era_id, check if several else None))
    return located
