"""Reading what a release did, for the payment's detail view: per claim payment, the error report
line by line with where each stands (open, reworked, closed by hand, voided), its rework and void.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from pctui.core.money import from_cents
from pctui.store.db import Store
from pctui.store.tables import Era, ErrorReportLine, PlbEntry, Release, Rework


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class LinePostingView:
    line: int | None  # LX number; None: booked on the claim itself
    procedure: str
    paid: Decimal
    adjusted: Decimal
    moved: Decimal  # PR and remainder moved from the paying level to the next party


@dataclass(frozen=True, slots=True)
class ClaimPostingView:
    """One claim payment of a released 835, as the detail view shows it."""

    claim_id: str
    status_code: str
    outcome: str  # posted | denied | reversed | held | not_found | not_posted
    level: str | None
    paid: Decimal
    adjusted: Decimal
    transferred: Decimal  # the remainder moved by Transfer to next
    transferred_to: str | None
    patient: Decimal  # patient responsibility (PR) moved to the next party
    patient_to: str | None
    patient_adjusted: Decimal
    credit: Decimal
    errors: list[str]
    skipped: list[str]  # "CO-45 12.00 (skipped by the payer rule)"
    lines: list[LinePostingView]
    clp_index: int | None = None


@dataclass(frozen=True, slots=True)
class ErrorLineView:
    """One error-report line and where it stands."""

    id: int
    era_id: int
    check_number: str
    claim_id: str
    kind: str
    text: str
    amount: Decimal | None
    reworkable: bool
    state: str  # open | reworked | closed | voided
    closed_by: str = ""
    closed_at: datetime | None = None
    note: str = ""
    rework_id: int | None = None  # the rework that reported it (None: the release)

    @property
    def state_label(self) -> str:
        return {"open": "open", "reworked": "reworked", "closed": "closed by hand",
                "voided": "voided"}.get(self.state, self.state)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReworkView:
    id: int
    batch: str
    reworked_by: str
    reworked_at: datetime
    claims_posted: int
    claims: list[ClaimPostingView]


@dataclass(frozen=True, slots=True)
class ReleaseDetail:
    era_id: int
    deposit_date: date
    batch: str
    released_by: str
    released_at: datetime  # UTC
    status: str
    claims_posted: int
    claims: list[ClaimPostingView]
    errors: list[str]  # the error report as released
    zero_payments: list[str]  # "CLM1: denied, charge 150.00; CO-50; remarks N130"
    provider_adjustments: list[tuple[str, str, Decimal]]  # (reason, reference, amount)
    notices: list[str] = field(default_factory=list)
    release_id: int | None = None
    error_lines: list[ErrorLineView] = field(default_factory=list)
    reworks: list[ReworkView] = field(default_factory=list)
    voided_at: datetime | None = None
    voided_by: str = ""
    void_reason: str = ""

    @property
    def open_lines(self) -> list[ErrorLineView]:
        return [line for line in self.error_lines if line.state == "open"]


def release_detail(store: Store, era_id: int) -> ReleaseDetail | None:
    """What the release of one payment posted — the standing release, else the latest voided
    one — or None when it has never been released."""
    with store.read() as session:
        row = session.exec(
            select(Release).where(Release.era_id == era_id).order_by(
                col(Release.standing_era_id).is_(None), col(Release.id).desc())
        ).first()  # fmt: skip
        if row is None:
            return None
        assert row.id is not None
        plb = session.exec(
            select(PlbEntry).where(PlbEntry.release_id == row.id).order_by(col(PlbEntry.id))
        ).all()
        lines = error_lines(session, release_id=row.id)
        reworks = session.exec(
            select(Rework).where(Rework.release_id == row.id).order_by(col(Rework.id))
        ).all()
    data = json.loads(row.summary or "{}")
    return ReleaseDetail(
        era_id=era_id,
        deposit_date=row.deposit_date,
        batch=row.batch,
        released_by=row.released_by,
        released_at=_as_utc(row.released_at),
        status=row.status,
        claims_posted=row.claims_posted,
        claims=[claim_view(c) for c in data.get("claims", [])],
        errors=json.loads(row.error_report or "[]"),
        zero_payments=[_zero_text(z) for z in data.get("zero_payments", [])],
        provider_adjustments=[(p.reason, p.reference, from_cents(p.amount_cents)) for p in plb],
        notices=list(data.get("notices", [])),
        release_id=row.id,
        error_lines=lines,
        reworks=[_rework_view(r) for r in reworks],
        voided_at=_as_utc(row.voided_at) if row.voided_at else None,
        voided_by=row.voided_by,
        void_reason=row.void_reason,
    )


def error_lines(
    session: Session,
    *,
    release_id: int | None = None,
    state: str | None = None,
    limit: int | None = None,
) -> list[ErrorLineView]:
    """Error-report lines of one release, or of every payment (``state="open"``: the worklist)."""
    query = select(ErrorReportLine, Era.check_number).join(
        Era, col(Era.id) == ErrorReportLine.era_id)
    if release_id is not None:
        query = query.where(ErrorReportLine.release_id == release_id)
    if state is not None:
        query = query.where(ErrorReportLine.state == state)
    query = query.order_by(col(ErrorReportLine.era_id), col(ErrorReportLine.id))
    if limit is not None:
        query = query.limit(limit)
    return [_line_view(line, check) for line, check in session.exec(query)]


def _line_view(line: ErrorReportLine, check_number: str) -> ErrorLineView:
    assert line.id is not None
    return ErrorLineView(
        line.id, line.era_id, check_number, line.claim_id, line.kind, line.text,
        from_cents(line.amount_cents) if line.amount_cents is not None else None,
        line.reworkable, line.state, line.closed_by,
        _as_utc(line.closed_at) if line.closed_at else None, line.note, line.rework_id,
    )  # fmt: skip


def _rework_view(row: Rework) -> ReworkView:
    assert row.id is not None
    data = json.loads(row.summary or "{}")
    return ReworkView(row.id, row.batch, row.reworked_by, _as_utc(row.reworked_at),
                      row.claims_posted, [claim_view(c) for c in data.get("claims", [])])


def claim_view(data: dict[str, Any]) -> ClaimPostingView:
    return ClaimPostingView(
        claim_id=data["claim_id"],
        status_code=data["status_code"],
        outcome=data["outcome"],
        level=data.get("level"),
        paid=Decimal(data["paid"]),
        adjusted=Decimal(data["adjusted"]),
        transferred=Decimal(data["transferred"]),
        transferred_to=data.get("transferred_to"),
        patient=Decimal(data["patient_responsibility"]),
        patient_to=data.get("patient_responsibility_to"),
        patient_adjusted=Decimal(data["patient_adjusted"]),
        credit=Decimal(data["credit"]),
        errors=list(data.get("errors", [])),
        skipped=[f"{s['code']} {s['amount']} ({s['why']})" for s in data.get("skipped", [])],
        lines=[
            LinePostingView(
                ln["line"],
                ln["procedure"],
                Decimal(ln["paid"]),
                Decimal(ln["adjusted"]),
                Decimal(ln["moved"]),
            )
            for ln in data.get("lines", [])
        ],  # fmt: skip
        clp_index=data.get("clp_index"),
    )


def _zero_text(data: dict[str, Any]) -> str:
    what = "denied" if data["denied"] else "paid 0.00"
    text = f"{data['claim_id']}: {what}, charge {data['charge']}"
    if data["reason_codes"]:
        text += "; " + ", ".join(data["reason_codes"])
    if data["remarks"]:
        text += "; remarks " + ", ".join(data["remarks"])
    return text
