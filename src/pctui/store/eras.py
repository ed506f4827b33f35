"""Received 835 payments (ERAs): the Release 835 list, its filters, detail and findings.

Status is derived, never stored for unreleased payments (SPEC 1.3): a payment not yet released is
**Ready** when an active payer rule exists for its Inbound ID *and* that Inbound ID belongs to a
payer; otherwise **No Payer Rule Established**. So saving a rule turns its payments Ready at once,
in every session, without touching the payments. Released payments keep the status their release
wrote (``released`` / ``released_with_errors``).

Everything a list shows is filtered, counted and paged in SQL: the list stays fast at 10,000+
payments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, case, exists, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from pctui.core.era import Finding, FindingSource, Remittance, Severity
from pctui.core.era_json import remittance_from_data
from pctui.core.money import from_cents, json_amount
from pctui.store.db import Store
from pctui.store.errors import NotFound, ValidationFailed
from pctui.store.tables import Era, EraFinding, ImportedFile, Payer, PayerInboundId, PayerRule


class EraStatus(StrEnum):
    READY = "ready"
    NO_PAYER_RULE = "no_payer_rule"
    RELEASED = "released"
    RELEASED_WITH_ERRORS = "released_with_errors"

    @property
    def label(self) -> str:
        return {
            "ready": "Ready",
            "no_payer_rule": "No Payer Rule Established",
            "released": "Released",
            "released_with_errors": "Released with errors",
        }[self.value]

    @property
    def releasable(self) -> bool:
        return self is EraStatus.READY


_STORED_RELEASED = ("released", "released_with_errors")


def _status_expression() -> Any:
    has_rule = exists().where(
        PayerRule.inbound_id == Era.inbound_id, col(PayerRule.active).is_(True)
    )
    has_payer = exists().where(PayerInboundId.value == Era.inbound_id)
    return case(
        (col(Era.status) == "released", EraStatus.RELEASED.value),
        (col(Era.status) == "released_with_errors", EraStatus.RELEASED_WITH_ERRORS.value),
        (and_(has_rule, has_payer), EraStatus.READY.value),
        else_=EraStatus.NO_PAYER_RULE.value,
    )


@dataclass(frozen=True, slots=True)
class EraFilter:
    """What the Release 835 list is narrowed to. Empty fields do not filter."""

    paid_from: date | None = None  # payment date (BPR16) range, inclusive
    paid_to: date | None = None
    check_number: str | None = None  # part of the check/EFT number (TRN02)
    inbound: str | None = None  # an Inbound ID, a payer code, or part of the payer's name
    loaded_from: date | None = None  # load date range (UTC), inclusive
    loaded_to: date | None = None
    status: EraStatus | None = None
    file_id: int | None = None
    hide_released: bool = False  # Released and Released with errors left out (unless asked for)
    search: str | None = None  # part of the check/EFT number, Inbound ID or the 835's payer name
    era_ids: tuple[int, ...] | None = None  # or one of these (payments a claim search found)


@dataclass(frozen=True, slots=True)
class EraRow:
    """One line of the Release 835 list."""

    id: int
    file_id: int
    loaded_at: datetime
    check_number: str
    inbound_id: str
    inbound_id_source: str
    payer: str  # the payer's name as the 835 gives it (N1*PR N102)
    payer_code: str | None  # the pctui payer the Inbound ID belongs to, if any
    payment_date: date | None
    amount: Decimal
    claims: int
    status: EraStatus
    findings: int
    filename: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "check_number": self.check_number,
            "inbound_id": self.inbound_id,
            "inbound_id_source": self.inbound_id_source,
            "payer": self.payer,
            "payer_code": self.payer_code,
            "amount": json_amount(self.amount),
            "payment_date": self.payment_date.isoformat() if self.payment_date else None,
            "claims": self.claims,
            "status": self.status.value,
            "loaded_at": self.loaded_at.isoformat(timespec="seconds"),
            "file": self.filename,
            "findings": self.findings,
        }


def _base_query(filters: EraFilter | None) -> tuple[Any, Any]:
    """(select of list columns, status expression) with the filters applied."""
    status = _status_expression().label("era_status")
    finding_count = (
        select(func.count())
        .select_from(EraFinding)
        .where(EraFinding.era_id == Era.id)
        .correlate(Era)
        .scalar_subquery()
    )
    owner = aliased(PayerInboundId)
    query = (
        select(
            Era.id,
            Era.file_id,
            Era.loaded_at,
            Era.check_number,
            Era.inbound_id,
            Era.inbound_id_source,
            Era.payer_name,
            Payer.code,
            Era.payment_date,
            Era.amount_cents,
            Era.claim_count,
            status,
            finding_count,
            ImportedFile.filename,
        )
        .join(ImportedFile, col(ImportedFile.id) == Era.file_id)
        .outerjoin(owner, owner.value == Era.inbound_id)
        .outerjoin(Payer, col(Payer.id) == owner.payer_id)
    )
    return _apply(query, filters or EraFilter(), status), status


MAX_SEARCH = 200  # a check/EFT number is at most 50 characters, a payer's name about 60


def _searchable(field: str, text: str | None) -> str:
    """``text`` stripped, refused past MAX_SEARCH characters (SQLite refuses LIKE patterns
    past 50,000 bytes, as a database failure)."""
    text = (text or "").strip()
    if len(text) > MAX_SEARCH:
        raise ValidationFailed({field: f"at most {MAX_SEARCH} characters ({len(text):,} given)"})
    return text


def _apply(query: Any, f: EraFilter, status: Any) -> Any:
    _searchable("check", f.check_number)
    _searchable("inbound", f.inbound)
    _searchable("search", f.search)
    if f.paid_from is not None:
        query = query.where(col(Era.payment_date) >= f.paid_from)
    if f.paid_to is not None:
        query = query.where(col(Era.payment_date) <= f.paid_to)
    if f.loaded_from is not None:
        query = query.where(col(Era.loaded_at) >= datetime.combine(f.loaded_from, time.min, tzinfo=UTC))
    if f.loaded_to is not None:
        end = datetime.combine(f.loaded_to + timedelta(days=1), time.min, tzinfo=UTC)
        query = query.where(col(Era.loaded_at) < end)
    if f.check_number:
        # autoescape: "%" and "_" are characters of a check number, not wildcards
        query = query.where(col(Era.check_number).contains(f.check_number.strip(),
                                                           autoescape=True))
    if f.inbound:
        text = f.inbound.strip()
        query = query.where(
            or_(
                Era.inbound_id == text,
                func.upper(Payer.code) == text.upper(),
                col(Era.payer_name).icontains(text, autoescape=True),
            )
        )
    if f.status is not None:
        query = query.where(status == EraStatus(f.status).value)
    elif f.hide_released:
        query = query.where(status.not_in([EraStatus.RELEASED.value,
                                           EraStatus.RELEASED_WITH_ERRORS.value]))
    if f.search or f.era_ids is not None:
        text = (f.search or "").strip()
        found = [col(Era.id).in_(list(f.era_ids or ()))]
        if text:
            found += [col(Era.check_number).icontains(text, autoescape=True),
                      col(Era.inbound_id).icontains(text, autoescape=True),
                      col(Era.payer_name).icontains(text, autoescape=True)]
        query = query.where(or_(*found))
    if f.file_id is not None:
        query = query.where(Era.file_id == f.file_id)
    return query


def _row(r: Any) -> EraRow:
    return EraRow(
        id=r[0],
        file_id=r[1],
        loaded_at=r[2],
        check_number=r[3],
        inbound_id=r[4],
        inbound_id_source=r[5],
        payer=r[6],
        payer_code=r[7],
        payment_date=r[8],
        amount=from_cents(r[9]),
        claims=r[10],
        status=EraStatus(r[11]),
        findings=r[12],
        filename=r[13],
    )


# What the Release 835 list can be sorted by (list column → SQL), newest load first otherwise.
ERA_ORDERS = ("check", "inbound", "amount", "status", "payer", "paid", "loaded", "claims")


def _order(order: str | None, status: Any) -> Any:
    columns = {"check": col(Era.check_number), "inbound": col(Era.inbound_id),
               "amount": col(Era.amount_cents), "status": status,
               "payer": func.coalesce(Payer.code, Era.payer_name),
               "paid": col(Era.payment_date), "loaded": col(Era.loaded_at),
               "claims": col(Era.claim_count)}
    if order is not None and order not in columns:
        raise ValueError(f"payments cannot be sorted by {order!r}")
    return columns.get(order or "loaded")


def list_eras(
    store: Store,
    filters: EraFilter | None = None,
    *,
    offset: int = 0,
    limit: int | None = None,
    order: str | None = None,
    descending: bool | None = None,
) -> list[EraRow]:
    """Payments filtered and paged in SQL: newest load first, or by ``order`` (one of
    :data:`ERA_ORDERS`; ``descending`` defaults to False for it)."""
    query, status = _base_query(filters)
    by = _order(order, status)
    down = descending if descending is not None else order is None
    query = query.order_by(by.desc() if down else by.asc(),
                           col(Era.id).desc() if down else col(Era.id).asc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with store.read() as session:
        return [_row(r) for r in session.exec(query).all()]


def count_eras(store: Store, filters: EraFilter | None = None) -> int:
    query, _ = _base_query(filters)
    with store.read() as session:
        return session.exec(select(func.count()).select_from(query.subquery())).one()


def status_counts(store: Store) -> dict[EraStatus, int]:
    """How many payments have each status (for the section's header line)."""
    status = _status_expression().label("era_status")
    with store.read() as session:
        rows = session.exec(select(status, func.count()).select_from(Era).group_by(status)).all()
    counts = {s: 0 for s in EraStatus}
    counts.update({EraStatus(s): n for s, n in rows})
    return counts


def get_era(store: Store, era_id: int) -> EraRow:
    query, _ = _base_query(None)
    with store.read() as session:
        row = session.exec(query.where(Era.id == era_id)).first()
    if row is None:
        raise NotFound(f"payment #{era_id} is not on file")
    return _row(row)


# --- detail ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EraDetail:
    """Everything the detail view shows for one payment."""

    row: EraRow
    remittance: Remittance  # claims, lines, adjustments, remarks, PLB; findings filled in
    validation_state: str  # pending | done: whether pyx12's full validation has run yet


def era_detail(store: Store, era_id: int) -> EraDetail:
    row = get_era(store, era_id)
    with store.read() as session:
        era = session.get(Era, era_id)
        file_row = session.get(ImportedFile, row.file_id)
        assert era is not None and file_row is not None
        remittance = remittance_from_data(json.loads(era.detail))
        remittance.findings = findings_in(session, era_id)
    return EraDetail(row, remittance, file_row.validation_state)


_SOURCE_ORDER = {FindingSource.STRUCTURE.value: 0, FindingSource.BALANCE.value: 1}


def findings_in(session: Session, era_id: int) -> list[Finding]:
    """A payment's findings and those of its file as a whole, in file order."""
    era = session.get(Era, era_id)
    if era is None:
        raise NotFound(f"payment #{era_id} is not on file")
    rows = session.exec(
        select(EraFinding)
        .where(
            EraFinding.file_id == era.file_id,
            or_(EraFinding.era_id == era_id, col(EraFinding.era_id).is_(None)),
        )
        .order_by(col(EraFinding.id))
    ).all()
    found = [
        Finding(
            Severity(r.severity), FindingSource(r.source), r.message, r.segment or None,
            r.position, r.count,
            tuple(int(p) for p in r.positions.split(",") if p.strip().isdigit()),
        )
        for r in rows
    ]
    return sorted(found, key=lambda f: (_SOURCE_ORDER.get(f.source.value, 2), f.position or 0))


def era_findings(store: Store, era_id: int) -> list[Finding]:
    with store.read() as session:
        return findings_in(session, era_id)


def payments_of_claims(store: Store, text: str, limit: int = 2000) -> dict[int, list[str]]:
    """Payments (newest load first) that pay a claim whose claim number (CLP01), payer claim
    number (CLP07) or patient name holds ``text`` (any case), with the claims that matched
    ("PCN100 DOE, JANE"): finding a payment by what the patient's statement says.

    The stored 835s are narrowed in SQL by the text, then each candidate's claims are read, so
    an amount or a date that happens to hold the digits does not count.
    """
    needle = _searchable("search", text).casefold()
    if not needle:
        return {}
    stored = json.dumps(needle)[1:-1]  # as it is written inside the stored JSON
    pattern = "%" + stored.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    query = (select(Era.id, Era.detail)
             .where(func.lower(Era.detail).like(pattern, escape="\\"))
             .order_by(col(Era.loaded_at).desc(), col(Era.id).desc()))
    found: dict[int, list[str]] = {}
    with store.read() as session:
        for era_id, detail in session.exec(query):
            matches = []
            for claim in json.loads(detail).get("claims", []):
                fields = (claim.get("patient_control_number") or "",
                          claim.get("payer_claim_control") or "", claim.get("patient_name") or "")
                if any(needle in value.casefold() for value in fields):
                    matches.append(" ".join(v for v in (fields[0], fields[2]) if v))
            if matches:
                found[era_id] = matches
                if len(found) >= limit:
                    break
    return found


def raw_835(store: Store, era_id: int) -> tuple[str, str]:
    """(file name, text) of the file a payment came in, one segment a line, as received
    (control characters and all: the caller makes them visible). NotFound when the payment
    or its file's content is not on file."""
    from pctui.store.intake import stored_content  # intake reads eras' tables, not this

    with store.read() as session:
        era = session.get(Era, era_id)
        if era is None:
            raise NotFound(f"payment #{era_id} is not on file")
        file = session.get(ImportedFile, era.file_id)
        data = b"".join(stored_content(session, file.id)) if file is not None else b""
        if file is None or not data:
            raise NotFound(f"the file payment #{era_id} came in is not kept")
        name = file.filename
    text = data.decode("utf-8", errors="replace")
    if text.startswith("ISA") and len(text) > 105 and "\n" not in text.strip():
        terminator = text[105]  # ISA is fixed length: its last character ends every segment
        text = (terminator + "\n").join(text.split(terminator))
    return name, text


def remittance_of(session: Session, era_id: int) -> Remittance:
    """The stored payment as core objects (for posting), without findings."""
    era = session.get(Era, era_id)
    if era is None:
        raise NotFound(f"payment #{era_id} is not on file")
    return remittance_from_data(json.loads(era.detail))


# --- files and inbound ids ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RefusedFile:
    """A file that was rejected (or held nothing new), with its reasons."""

    id: int
    filename: str
    status: str  # rejected | duplicate
    loaded_at: datetime
    loaded_by: str
    reasons: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "file": self.filename,
            "status": self.status,
            "loaded_at": self.loaded_at.isoformat(timespec="seconds"),
            "loaded_by": self.loaded_by,
            "errors": self.reasons,
        }


def rejected_files(
    store: Store, *, include_duplicates: bool = False, limit: int | None = 200
) -> list[RefusedFile]:
    """Rejected files newest first (and duplicates when asked), with their reasons."""
    wanted = ["rejected", "duplicate"] if include_duplicates else ["rejected"]
    query = (
        select(ImportedFile)
        .where(col(ImportedFile.status).in_(wanted))
        .order_by(col(ImportedFile.loaded_at).desc(), col(ImportedFile.id).desc())
    )
    if limit is not None:
        query = query.limit(limit)
    with store.read() as session:
        rows = session.exec(query).all()
    return [
        RefusedFile(
            r.id or 0, r.filename, r.status, r.loaded_at, r.loaded_by, json.loads(r.errors or "[]")
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class WaitingInbound:
    """An Inbound ID that unreleased payments arrived under."""

    inbound_id: str
    payer: str  # a payer name (N1*PR) those payments carry
    payments: int
    blocked: bool  # True while those payments have no payer rule


def waiting_inbound_ids(store: Store) -> list[WaitingInbound]:
    """Inbound IDs of payments waiting on the Release 835 page: blocked ones first."""
    status = _status_expression()
    query = (
        select(
            Era.inbound_id,
            func.max(Era.payer_name),
            func.count(),
            func.max(case((status == EraStatus.NO_PAYER_RULE.value, 1), else_=0)),
        )
        .where(col(Era.status).not_in(_STORED_RELEASED), Era.inbound_id != "")
        .group_by(Era.inbound_id)
    )
    with store.read() as session:
        rows = session.exec(query).all()
    waiting = [WaitingInbound(i, p or "", n, bool(b)) for i, p, n, b in rows]
    return sorted(waiting, key=lambda w: (not w.blocked, w.inbound_id))
