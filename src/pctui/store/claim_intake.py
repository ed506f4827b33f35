"""Claims from 837P files by their frequency code (CLM05-3): new, replaced, voided or kept apart.

What each claim of an imported 837P does, decided as a biller would (SPEC 2.2):

- **Original (1)**, CLM01 not on file: a new claim with its opening charges.
  CLM01 on file with the same content (charge, patient, payers, lines): a duplicate, reported,
  not stored again. CLM01 on file with *different* content: a **conflict**. The new claim is
  kept apart (``ClaimConflict``), visible in ``pctui import --json`` and in PAYMENTS → Claim
  conflicts, never dropped; the claim on file stays as it is until a biller either keeps it
  (the conflict is closed) or takes the new one (applied as a replacement). Both are audited.
  An original for a claim that was voided is a conflict too: taking it brings the claim back.
- **Replacement (7)**: replaces the claim on file with the same CLM01. The claim keeps its
  identity (its ledger, its postings and the 835s that paid it); its charge, patient, payers and
  lines become the new ones. Service lines are kept by their LX number: a line with the same
  number is updated, a new number is added, a line the replacement leaves out is marked removed
  (its charge comes off; its history stays). The ledger is append-only, so each change of charge
  is a new ``charge`` entry (a correction, memo naming the file): an increase is owed by the
  claim's first payer; a decrease comes off what is still owed on that line, first payer first.
  A replacement identical to the claim on file changes nothing (a duplicate). A replacement whose
  CLM01 is not on file is stored as a new claim, with a finding. A replacement for a voided claim
  is a conflict (payers refuse to replace a voided claim; the biller decides).
- **Void (8)**: the claim should never have been billed. What anyone still owes on it is
  cancelled — a negative ``charge`` entry per line and party, not a write-off adjustment, so
  adjustment reports stay true — and the claim is marked voided. Money already paid or adjusted
  stays exactly as posted: a payer takes a payment back with a reversal in an 835 (CLP02 = 22),
  and the biller then sees what that leaves on a claim marked voided. A void for a claim not on
  file has nothing to cancel (a finding); a second void of the same claim is a duplicate.

Everything here runs inside the caller's transaction (the intake's one transaction per file).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from itertools import islice

from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from pctui.core.claim import Claim as ClaimModel
from pctui.core.claim import ClaimPayerRef, ServiceLine
from pctui.core.claim_change import Frequency, claim_differences, frequency_of
from pctui.core.claim_json import apply_claim_detail, claim_from_data, claim_to_data
from pctui.core.claim_status import OPEN, ClaimStatus
from pctui.core.codes import Party, PayerLevel
from pctui.core.era import Finding, FindingSource, Severity
from pctui.core.ledger import EntryKind
from pctui.core.money import from_cents, to_cents
from pctui.store import audit
from pctui.store.claim_status import Change, set_status
from pctui.store.claims import (
    SOURCE_837,
    SOURCE_DEMO,
    PayerBook,
    _claim_values,
    _insert_claims,
    _unknown_payer,
    _unknown_payer_summaries,
    units_text,
)
from pctui.store.db import Store
from pctui.store.errors import NotFound, ValidationFailed
from pctui.store.tables import Claim, ClaimConflict, ClaimLine, ImportedFile, LedgerEntry
from pctui.store.users import Actor

_CHUNK = 500  # claims looked up together
_SHOWN_DIFFERENCES = 3  # in a finding; the conflict view shows them all


class ConflictStatus:
    OPEN = "open"
    KEPT = "kept"  # the biller kept the claim on file
    TAKEN = "taken"  # the biller took the new claim (applied as a replacement)


@dataclass(frozen=True, slots=True)
class ConflictNote:
    """A claim kept apart by an import, as ``pctui import --json`` reports it."""

    id: int
    claim_id: str
    differences: list[str]

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "claim_id": self.claim_id, "differences": self.differences}


@dataclass(slots=True)
class ClaimImport:
    """What one 837P file did to the claims on file."""

    created: list[int] = field(default_factory=list)  # Claim ids
    replaced: list[int] = field(default_factory=list)
    voided: list[int] = field(default_factory=list)
    conflicts: list[ConflictNote] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    claims_read: int = 0
    duplicates: int = 0

    @property
    def all_duplicates(self) -> bool:
        """Nothing new: every claim was already on file as it is."""
        return self.claims_read > 0 and self.duplicates == self.claims_read


@dataclass(slots=True)
class _OnFile:
    pk: int
    claim: ClaimModel
    voided: bool
    filename: str
    this_file: bool = False


# -- importing ----------------------------------------------------------------------------------


def import_claims(
    session: Session, claims: Iterable[ClaimModel], file_row: ImportedFile, login: str
) -> ClaimImport:
    """Apply every claim of one file in file order, inside the caller's transaction."""
    assert file_row.id is not None
    run = _Run(session, file_row, login)
    iterator = iter(claims)
    while chunk := list(islice(iterator, _CHUNK)):
        run.chunk(chunk)
    run.result.findings.extend(_unknown_payer_summaries(run.unknown_counts))
    return run.result


class _Run:
    def __init__(self, session: Session, file_row: ImportedFile, login: str) -> None:
        self.session = session
        self.file_row = file_row
        self.login = login
        self.book = PayerBook.load(session)
        self.result = ClaimImport()
        self.unknown_counts: dict[tuple[PayerLevel, str], int] = defaultdict(int)
        self.pending: list[ClaimModel] = []
        self.on_file: dict[str, _OnFile] = {}

    def _unmatched(self, claim: ClaimModel, level: PayerLevel, ref: ClaimPayerRef,
                   problem: str) -> None:  # fmt: skip
        _unknown_payer(self.result.findings, self.unknown_counts, claim, level, ref, problem)

    def chunk(self, claims: list[ClaimModel]) -> None:
        # Claims stored from earlier chunks of this file are found in the database like any
        # other (same transaction): nothing about the whole file is kept in memory.
        self.on_file = load_on_file(self.session, [c.claim_id for c in claims],
                                    this_file=self.file_row.id)  # fmt: skip
        pending_ids: set[str] = set()
        for claim in claims:
            self.result.claims_read += 1
            if claim.claim_id in pending_ids:
                self.flush()  # the same CLM01 again in this file: compare with the stored one
                pending_ids.clear()
            self.apply(claim)
            if self.pending and self.pending[-1] is claim:
                pending_ids.add(claim.claim_id)
        self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        pks = _insert_claims(self.session, self.pending, self.book, SOURCE_837, self.file_row.id,
                             self.file_row.loaded_by or self.login, self._unmatched)  # fmt: skip
        for claim, pk in zip(self.pending, pks, strict=True):
            self.on_file[claim.claim_id] = _OnFile(pk, claim, False, self.file_row.filename, True)
        self.result.created.extend(pks)
        self.pending = []

    def apply(self, claim: ClaimModel) -> None:
        frequency = frequency_of(claim.frequency_code) or Frequency.ORIGINAL
        on_file = self.on_file.get(claim.claim_id)
        if on_file is None:
            if frequency is Frequency.VOID:
                self._note(f"Claim {claim.claim_id} is a void (CLM05-3 = 8) of a claim that is "
                           "not on file; nothing to void")  # fmt: skip
                return
            if frequency is Frequency.REPLACEMENT:
                self._note(f"Claim {claim.claim_id} is a replacement (CLM05-3 = 7) of a claim "
                           "that is not on file; stored as a new claim")  # fmt: skip
            self.pending.append(claim)
            return
        differences = claim_differences(on_file.claim, claim)
        if frequency is Frequency.VOID:
            if on_file.voided:
                self._duplicate(claim, on_file, "is already voided")
                return
            void_claim(self.session, on_file.pk, self.file_row, self.login)
            on_file.voided = True
            self.result.voided.append(on_file.pk)
            return
        if on_file.voided:
            what = "a replacement" if frequency is Frequency.REPLACEMENT else "an original"
            self._conflict(claim, on_file, [f"the claim on file is voided; this is {what}",
                                            *differences])  # fmt: skip
            return
        if not differences:
            self._duplicate(claim, on_file, "is already on file")
            return
        if frequency is Frequency.REPLACEMENT:
            replace_claim(self.session, on_file.pk, claim, self.book, self.file_row, self.login,
                          differences, self._unmatched)  # fmt: skip
            on_file.claim = claim
            self.result.replaced.append(on_file.pk)
            return
        self._conflict(claim, on_file, differences)

    def _note(self, message: str) -> None:
        self.result.findings.append(
            Finding(Severity.WARNING, FindingSource.MATCHING, message, "CLM"))  # fmt: skip

    def _duplicate(self, claim: ClaimModel, on_file: _OnFile, what: str) -> None:
        self.result.duplicates += 1
        where = "earlier in this file" if on_file.this_file else f"from {on_file.filename}"
        self._note(f"Claim {claim.claim_id} {what} ({where}); not imported again")

    def _conflict(self, claim: ClaimModel, on_file: _OnFile, differences: list[str]) -> None:
        detail = json.dumps(claim_to_data(claim), sort_keys=True)
        waiting = self.session.exec(
            select(ClaimConflict.id).where(
                ClaimConflict.claim_pk == on_file.pk,
                ClaimConflict.status == ConflictStatus.OPEN,
                ClaimConflict.detail == detail,
            )
        ).first()
        where = "earlier in this file" if on_file.this_file else f"from {on_file.filename}"
        if waiting is not None:
            self.result.duplicates += 1
            self._note(f"Claim {claim.claim_id} is already waiting for a biller as conflict "
                       f"#{waiting}; not kept apart twice")  # fmt: skip
            return
        row = ClaimConflict(
            claim_id=claim.claim_id, claim_pk=on_file.pk, file_id=self.file_row.id or 0,
            frequency_code=claim.frequency_code, charge_cents=to_cents(claim.charge),
            patient_name=claim.patient_name, detail=detail,
            differences=json.dumps(differences), found_at=audit.now(),
        )  # fmt: skip
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        self.result.conflicts.append(ConflictNote(row.id, claim.claim_id, differences))
        shown = "; ".join(differences[:_SHOWN_DIFFERENCES])
        if len(differences) > _SHOWN_DIFFERENCES:
            shown += f"; and {len(differences) - _SHOWN_DIFFERENCES} more"
        self.result.findings.append(Finding(
            Severity.WARNING, FindingSource.MATCHING,
            f"Claim {claim.claim_id} is already on file ({where}) with different content: "
            f"{shown}. Kept apart as conflict #{row.id} until a biller keeps the claim on file "
            "or takes this one (PAYMENTS → Claim conflicts)", "CLM"))  # fmt: skip


def load_on_file(session: Session, claim_ids: Iterable[str],
                 this_file: int | None = None) -> dict[str, _OnFile]:  # fmt: skip
    """The stored claims with these CLM01s, as claim models (lines a replacement removed left
    out), for comparing with an incoming claim; ``this_file``: the file being imported."""
    wanted = sorted(set(claim_ids))
    found: dict[str, _OnFile] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows = session.exec(
            select(Claim, ImportedFile.filename)
            .outerjoin(ImportedFile, col(ImportedFile.id) == Claim.file_id)
            .where(col(Claim.claim_id).in_(chunk))
        ).all()
        if not rows:
            continue
        pks = [row.id for row, _ in rows]
        lines: dict[int, list[ServiceLine]] = defaultdict(list)
        for line in session.exec(
            select(ClaimLine)
            .where(col(ClaimLine.claim_pk).in_(pks), col(ClaimLine.removed).is_(False))
            .order_by(col(ClaimLine.claim_pk), col(ClaimLine.line_number))
        ).all():
            lines[line.claim_pk].append(_service_line(line))
        for row, filename in rows:
            assert row.id is not None
            where = filename or ("demo data" if row.source == SOURCE_DEMO else "an earlier import")
            found[row.claim_id] = _OnFile(
                row.id, stored_claim(row, lines[row.id]), row.voided_at is not None, where,
                this_file is not None and this_file in (row.file_id, row.changed_by_file_id))
    return found


def stored_claim(row: Claim, lines: list[ServiceLine]) -> ClaimModel:
    """The claim on file with its whole 837P content (what an incoming claim is compared to)."""
    written: dict[str, dict] = json.loads(row.payer_names or "{}")
    claim = ClaimModel(
        claim_id=row.claim_id,
        charge=from_cents(row.charge_cents),
        patient_name=row.patient_name,
        service_lines=lines,
        payers={PayerLevel(level): ClaimPayerRef(ref.get("name") or "", ref.get("id"))
                for level, ref in written.items()},  # fmt: skip
        service_date=row.service_date,
        frequency_code=row.frequency_code,
    )
    return apply_claim_detail(claim, json.loads(row.detail or "{}"))


def _service_line(line: ClaimLine) -> ServiceLine:
    return ServiceLine(
        line_number=line.line_number,
        procedure=line.procedure,
        modifiers=tuple(m for m in line.modifiers.split(",") if m),
        charge=from_cents(line.charge_cents),
        units=Decimal(line.units),
        service_date=line.service_date,
        control_number=line.control_number,
        unit_code=line.unit_code,
    )


# -- replacing and voiding ----------------------------------------------------------------------


def _locked_claim(session: Session, pk: int) -> Claim:
    return session.exec(select(Claim).where(Claim.id == pk).with_for_update()).one()


def _owed_by_line(session: Session, pk: int) -> dict[int | None, dict[Party, int]]:
    """What each party still owes on each line (None: on the claim itself), in cents."""
    owed: dict[int | None, dict[Party, int]] = defaultdict(lambda: dict.fromkeys(Party, 0))
    for line_id, party, cents in session.exec(
        select(LedgerEntry.line_id, LedgerEntry.party, func.sum(LedgerEntry.amount_cents))
        .where(LedgerEntry.claim_pk == pk)
        .group_by(col(LedgerEntry.line_id), col(LedgerEntry.party))
    ).all():
        owed[line_id][Party(party)] += int(cents or 0)
    return owed


def _charged_by_line(session: Session, pk: int) -> dict[int | None, int]:
    """The charge now on each line (opening charges and corrections), in cents."""
    return {
        line_id: int(cents or 0)
        for line_id, cents in session.exec(
            select(LedgerEntry.line_id, func.sum(LedgerEntry.amount_cents))
            .where(LedgerEntry.claim_pk == pk, LedgerEntry.kind == EntryKind.CHARGE.value)
            .group_by(col(LedgerEntry.line_id))
        ).all()
    }


def _first_party(claim: ClaimModel) -> Party:
    return next((Party(level.value) for level in PayerLevel if level in claim.payers),
                Party.PATIENT)  # fmt: skip


def _entry(pk: int, line_id: int | None, party: Party, cents: int, memo: str, login: str,
           now: datetime) -> dict[str, object]:  # fmt: skip
    return {
        "claim_pk": pk, "line_id": line_id, "kind": EntryKind.CHARGE.value,
        "party": party.value, "amount_cents": cents, "code": "", "group_code": "",
        "reason_code": "", "era_id": None, "release_id": None, "payer_id": None,
        "reverses_id": None, "batch": "", "memo": memo, "created_at": now, "created_by": login,
    }  # fmt: skip


def _charge_change(pk: int, line_id: int | None, delta: int, owner: Party,
                   owed: dict[Party, int], memo: str, login: str,
                   now: datetime) -> Iterator[dict[str, object]]:  # fmt: skip
    """Entries that change one line's charge by ``delta`` cents: an increase is owed by the first
    payer; a decrease comes off what is still owed on the line, in party order, the rest off the
    first payer (a credit until the payer's 835 takes its payment back)."""
    if delta > 0:
        yield _entry(pk, line_id, owner, delta, memo, login, now)
        return
    left = -delta
    for party in Party:
        take = min(left, max(owed.get(party, 0), 0))
        if take:
            yield _entry(pk, line_id, party, -take, memo, login, now)
            left -= take
    if left:
        yield _entry(pk, line_id, owner, -left, memo, login, now)


def replace_claim(
    session: Session,
    pk: int,
    claim: ClaimModel,
    book: PayerBook,
    file_row: ImportedFile,
    login: str,
    differences: list[str],
    on_unmatched,  # noqa: ANN001 - claims.UnmatchedPayer
    why: str = "",
) -> None:
    """Make the stored claim ``pk`` read as ``claim`` (see the module notes)."""
    row = _locked_claim(session, pk)
    now = audit.now()
    values = _claim_values(claim, book, SOURCE_837, file_row.id, now, on_unmatched)
    for key in ("patient_name", "charge_cents", "service_date", "payer_names",
                "primary_payer_id", "secondary_payer_id", "tertiary_payer_id",
                "detail"):  # fmt: skip
        setattr(row, key, values[key])
    row.frequency_code = Frequency.REPLACEMENT.value
    row.voided_at = None
    row.changed_by_file_id = file_row.id
    session.add(row)
    source = why or f"replacement claim (CLM05-3 = 7) in {file_row.filename}"
    charged = _charged_by_line(session, pk)
    owed = _owed_by_line(session, pk)
    owner = _first_party(claim)
    existing = {
        line.line_number: line
        for line in session.exec(select(ClaimLine).where(ClaimLine.claim_pk == pk)).all()
    }
    entries: list[dict[str, object]] = []
    kept: set[int] = set()
    for line in claim.service_lines:
        stored = existing.get(line.line_number)
        if stored is None:
            stored = ClaimLine(claim_pk=pk, line_number=line.line_number, procedure="",
                               charge_cents=0)  # fmt: skip
        stored.procedure = line.procedure
        stored.modifiers = ",".join(line.modifiers)
        stored.charge_cents = to_cents(line.charge)
        stored.units = units_text(line.units)
        stored.unit_code = line.unit_code
        stored.service_date = line.service_date
        stored.control_number = line.control_number
        stored.removed = False
        session.add(stored)
        session.flush()
        assert stored.id is not None
        kept.add(stored.id)
        delta = to_cents(line.charge) - charged.get(stored.id, 0)
        if delta:
            memo = f"Line {line.line_number} charge {line.charge:.2f}: {source}"
            entries.extend(_charge_change(pk, stored.id, delta, owner, owed[stored.id], memo,
                                          login, now))  # fmt: skip
    for number, stored in existing.items():
        if stored.id in kept or stored.removed:
            continue
        stored.removed = True
        stored.charge_cents = 0
        session.add(stored)
        delta = -charged.get(stored.id, 0)
        if delta:
            memo = f"Line {number} removed: {source}"
            entries.extend(_charge_change(pk, stored.id, delta, owner, owed[stored.id], memo,
                                          login, now))  # fmt: skip
    rest = to_cents(claim.charge) - sum(to_cents(line.charge) for line in claim.service_lines)
    delta = rest - charged.get(None, 0)
    if delta:
        memo = f"Claim charge not on any service line {from_cents(rest):.2f}: {source}"
        entries.extend(_charge_change(pk, None, delta, owner, owed[None], memo, login, now))
    if entries:
        session.execute(insert(LedgerEntry), entries)
    audit.record(session, login, "claim", pk, claim.claim_id, "replaced",
                 {"by": source, "differences": differences})  # fmt: skip


def _still_an_original(session: Session, pk: int, incoming: ClaimModel, file_row: ImportedFile,
                       login: str, now: datetime) -> None:  # fmt: skip
    """A corrected claim taken before any payer adjudicated it (ready, held or rejected) goes
    out again as what it is — an original (CLM05-3 1), not a replacement of a claim the payer
    never accepted; a rejected one is ready to be sent again, with why."""
    claim = session.get(Claim, pk)
    assert claim is not None
    status = ClaimStatus(claim.status)
    if status not in OPEN or frequency_of(incoming.frequency_code) is not Frequency.ORIGINAL:
        return
    claim.frequency_code = Frequency.ORIGINAL.value
    session.add(claim)
    if status is ClaimStatus.REJECTED:
        set_status(session, pk, Change(ClaimStatus.READY, f"corrected: taken from "
                                       f"{file_row.filename}", "correction"), login, now)


def void_claim(session: Session, pk: int, file_row: ImportedFile, login: str) -> None:
    """Cancel what anyone still owes on the claim and mark it voided (see the module notes)."""
    row = _locked_claim(session, pk)
    now = audit.now()
    memo = f"Voided (CLM05-3 = 8) by {file_row.filename}: what was still owed is cancelled"
    entries = [
        _entry(pk, line_id, party, -cents, memo, login, now)
        for line_id, parties in _owed_by_line(session, pk).items()
        for party, cents in parties.items()
        if cents > 0
    ]
    if entries:
        session.execute(insert(LedgerEntry), entries)
    cancelled = sum(-int(e["amount_cents"]) for e in entries)  # type: ignore[call-overload]
    row.voided_at = now
    row.frequency_code = Frequency.VOID.value
    row.changed_by_file_id = file_row.id
    session.add(row)
    audit.record(session, login, "claim", pk, row.claim_id, "voided",
                 {"by": file_row.filename, "cancelled": f"{from_cents(cancelled):.2f}"})  # fmt: skip


def _payer_shown_on_claim(*_args: object) -> None:
    """Taking a conflict: a payer not set up is stored as written, and the claim's ledger view
    says "not set up in pctui" (as for any imported claim)."""


# -- conflicts: what the biller sees and decides ------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConflictView:
    """One conflict as the Claim conflicts view lists it."""

    id: int
    claim_id: str
    claim_pk: int
    patient_name: str
    charge_on_file_cents: int
    charge_new_cents: int
    filename: str  # the file the new claim came in
    found_at: datetime
    differences: list[str]
    status: str
    resolved_by: str
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class ConflictDetail:
    view: ConflictView
    on_file: ClaimModel
    on_file_voided: bool
    incoming: ClaimModel


def list_conflicts(store: Store, status: str | None = ConflictStatus.OPEN) -> list[ConflictView]:
    """Conflicts, oldest first (``status`` None: every one)."""
    query = (
        select(ClaimConflict, Claim.charge_cents, ImportedFile.filename)
        .join(Claim, col(Claim.id) == ClaimConflict.claim_pk)
        .join(ImportedFile, col(ImportedFile.id) == ClaimConflict.file_id)
        .order_by(col(ClaimConflict.id))
    )
    if status is not None:
        query = query.where(ClaimConflict.status == status)
    with store.read() as session:
        return [_view(row, on_file, name) for row, on_file, name in session.exec(query).all()]


def count_open_conflicts(store: Store) -> int:
    with store.read() as session:
        return int(session.exec(
            select(func.count()).select_from(ClaimConflict)
            .where(ClaimConflict.status == ConflictStatus.OPEN)).one())  # fmt: skip


def _view(row: ClaimConflict, on_file_cents: int, filename: str) -> ConflictView:
    assert row.id is not None
    return ConflictView(row.id, row.claim_id, row.claim_pk, row.patient_name, on_file_cents,
                        row.charge_cents, filename, row.found_at, json.loads(row.differences),
                        row.status, row.resolved_by, row.resolved_at)  # fmt: skip


def conflict_detail(store: Store, conflict_id: int) -> ConflictDetail:
    """Both claims side by side, their differences measured against the claim on file now."""
    with store.read() as session:
        found = session.exec(
            select(ClaimConflict, ImportedFile.filename)
            .join(ImportedFile, col(ImportedFile.id) == ClaimConflict.file_id)
            .where(ClaimConflict.id == conflict_id)
        ).first()
        if found is None:
            raise NotFound(f"no claim conflict #{conflict_id}")
        row, filename = found
        on_file = load_on_file(session, [row.claim_id])[row.claim_id]
        stored_row = session.get(Claim, row.claim_pk)
        assert stored_row is not None
    incoming = claim_from_data(json.loads(row.detail))
    differences = claim_differences(on_file.claim, incoming)
    if on_file.voided:
        differences.insert(0, "the claim on file is voided")
    view = _view(row, stored_row.charge_cents, filename)
    if row.status == ConflictStatus.OPEN:
        view = replace(view, differences=differences)
    return ConflictDetail(view, on_file.claim, on_file.voided, incoming)


def resolve_conflict(store: Store, actor: Actor, conflict_id: int, take_new: bool) -> ConflictView:
    """Keep the claim on file (``take_new`` False) or take the claim kept apart; audited.

    A conflict another biller resolved meanwhile is refused with who did it and when.
    """
    actor.require_release()
    with store.write() as session:
        row = session.exec(
            select(ClaimConflict).where(ClaimConflict.id == conflict_id).with_for_update()
        ).first()
        if row is None:
            raise NotFound(f"no claim conflict #{conflict_id}")
        if row.status != ConflictStatus.OPEN:
            when = f"{row.resolved_at:%Y-%m-%d %H:%M}" if row.resolved_at else ""
            decided = "kept the claim on file" if row.status == ConflictStatus.KEPT else (
                "took the new claim")
            raise ValidationFailed({"conflict": f"conflict #{conflict_id} is already resolved: "
                                                f"{row.resolved_by} {decided} {when} UTC".strip()})
        file_row = session.get(ImportedFile, row.file_id)
        assert file_row is not None
        now = audit.now()
        if take_new:
            incoming = claim_from_data(json.loads(row.detail))
            on_file = load_on_file(session, [row.claim_id])[row.claim_id]
            differences = claim_differences(on_file.claim, incoming)
            if on_file.voided:
                differences.insert(0, "the claim on file was voided; it stands again")
            replace_claim(session, row.claim_pk, incoming, PayerBook.load(session), file_row,
                          actor.login, differences, _payer_shown_on_claim,
                          why=f"conflict #{conflict_id} from {file_row.filename} taken by "
                              f"{actor.login}")  # fmt: skip
            _still_an_original(session, row.claim_pk, incoming, file_row, actor.login, now)
        row.status = ConflictStatus.TAKEN if take_new else ConflictStatus.KEPT
        row.resolved_at, row.resolved_by = now, actor.login
        session.add(row)
        audit.record(session, actor.login, "claim_conflict", row.id, row.claim_id,
                     "took_new_claim" if take_new else "kept_claim_on_file",
                     {"file": file_row.filename, "differences": json.loads(row.differences)})
        on_file_cents = session.get(Claim, row.claim_pk).charge_cents  # type: ignore[union-attr]
        return _view(row, on_file_cents, file_row.filename)

