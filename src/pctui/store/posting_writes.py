"""Writing what the engine posted for one 835 (a release, or a rework of some of its claim
payments) inside the caller's transaction: posting records, ledger entries, error-report lines,
PLB, and the summary the detail view reads back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from pctui.core.codes import Party
from pctui.core.era import Remittance
from pctui.core.ledger import EntryKind
from pctui.core.money import ZERO, json_amount, to_cents
from pctui.core.posting import (
    PostingResult,
    ProviderAdjustmentRecord,
    RemittancePosting,
    ZeroPayment,
)
from pctui.store.claims import ClaimForPosting
from pctui.store.db import bound_value, bulk_insert
from pctui.store.tables import ClaimPosting, ErrorReportLine, LedgerEntry, PlbEntry

_ENTRY_COLUMNS = (
    "claim_pk", "line_id", "kind", "party", "amount_cents", "code", "group_code", "reason_code",
    "era_id", "release_id", "payer_id", "reverses_id", "batch", "memo", "created_at",
    "created_by", "posting_id", "rework_id",
)  # fmt: skip


def write_posting(
    session: Session,
    posting: RemittancePosting,
    claims: Mapping[str, ClaimForPosting],
    *,
    era_id: int,
    release_id: int,
    batch: str,
    user: str,
    now: datetime,
    rework_id: int | None = None,
) -> None:
    """Posting records, then the entries that point at them, then the error-report lines."""
    posting_ids = _insert_postings(session, posting, claims, era_id, release_id, rework_id, now)
    _insert_entries(session, posting, claims, posting_ids, release_id, batch, user, now,
                    rework_id)  # fmt: skip
    _insert_error_lines(session, posting, era_id, release_id, rework_id)


_POSTING_COLUMNS = (
    "claim_pk", "era_id", "release_id", "rework_id", "clp_index", "kind", "level", "payer_id",
    "payer_claim_control", "status_code", "reverses_id", "voided", "created_at",
)  # fmt: skip


def _insert_postings(
    session: Session,
    posting: RemittancePosting,
    claims: Mapping[str, ClaimForPosting],
    era_id: int,
    release_id: int,
    rework_id: int | None,
    now: datetime,
) -> dict[int, int]:
    """Temporary posting ids (the engine's) -> stored ids.

    One bulk insert of plain tuples (COPY on PostgreSQL), then one SELECT for the new ids: within one release (or
    one rework) a CLP's position in the 835 names its posting.
    """
    made = [r for r in posting.results if r.record is not None]
    if not made:
        return {}
    connection = session.connection()
    stamp = bound_value(connection, ClaimPosting.__table__.c.created_at, now)
    rows = []
    for result in made:
        record = result.record
        assert record is not None
        rows.append((
            claims[result.claim_id].pk, era_id, release_id, rework_id, result.clp_index,
            record.kind.value, record.level.value if record.level else None, record.payer_id,
            record.payer_claim_control, result.status_code, record.reverses_id, False, stamp,
        ))  # fmt: skip
    bulk_insert(connection, "claimposting", _POSTING_COLUMNS, rows)
    query = select(ClaimPosting.clp_index, ClaimPosting.id).where(
        ClaimPosting.release_id == release_id,
        ClaimPosting.rework_id == rework_id if rework_id is not None
        else col(ClaimPosting.rework_id).is_(None),
    )
    stored = dict(session.exec(query).all())
    return {r.record.posting_id: stored[r.clp_index] for r in made}  # type: ignore[union-attr]


# An enum's .value is a property call; a release reads it for every one of 150,000 entries.
_KIND_TEXT = {kind: kind.value for kind in EntryKind}
_PARTY_TEXT = {party: party.value for party in Party}


def _insert_entries(
    session: Session,
    posting: RemittancePosting,
    claims: Mapping[str, ClaimForPosting],
    posting_ids: Mapping[int, int],
    release_id: int,
    batch: str,
    user: str,
    now: datetime,
    rework_id: int | None,
) -> None:
    """Every new entry in one bulk insert of plain tuples (COPY on PostgreSQL): a 5,000-claim
    payment writes about 40,000. ``created_at`` goes through the column's own bind processor
    once, so it is stored exactly as every other row's."""
    connection = session.connection()
    stamp = bound_value(connection, LedgerEntry.__table__.c.created_at, now)
    rows: list[tuple[Any, ...]] = []
    for result in posting.results:
        if not result.entries:
            continue
        claim = claims[result.claim_id]
        line_ids = claim.line_ids
        for e in result.entries:
            rows.append((
                claim.pk, None if e.line is None else line_ids[e.line], _KIND_TEXT[e.kind],
                _PARTY_TEXT[e.party], to_cents(e.amount), e.code, e.group_code, e.reason_code, e.era_id,
                release_id, e.payer_id, e.reverses_id, batch, e.memo, stamp, user,
                posting_ids.get(e.posting_id) if e.posting_id is not None else None, rework_id,
            ))  # fmt: skip
    bulk_insert(connection, "ledgerentry", _ENTRY_COLUMNS, rows)


def _insert_error_lines(
    session: Session,
    posting: RemittancePosting,
    era_id: int,
    release_id: int,
    rework_id: int | None,
) -> None:
    rows = [
        {"era_id": era_id, "release_id": release_id, "rework_id": rework_id,
         "clp_index": result.clp_index, "claim_id": line.claim_id, "kind": line.kind.value,
         "text": line.text, "amount_cents": to_cents(line.amount) if line.amount is not None
         else None, "reworkable": not result.outcome.touched_the_claim, "state": "open",
         "closed_by": "", "note": ""}
        for result in posting.results for line in result.errors
    ]  # fmt: skip
    if rows:
        session.connection().execute(insert(ErrorReportLine.__table__), rows)  # type: ignore[attr-defined]


def record_provider_adjustments(
    session: Session, plb: ProviderAdjustmentRecord, era_id: int, release_id: int
) -> None:
    """PLB amounts against the payment, not a claim (SPEC 2.3 step 8)."""
    rows = [
        {"era_id": era_id, "release_id": release_id, "provider_id": p.provider_id,
         "reason": p.reason, "reference": p.reference or "", "amount_cents": to_cents(p.amount)}
        for p in plb.adjustments
    ]  # fmt: skip
    if rows:
        session.connection().execute(insert(PlbEntry.__table__), rows)  # type: ignore[attr-defined]


# -- the summary kept with the release (and each rework) ----------------------------------------


def summary(
    posting: RemittancePosting,
    claims: Mapping[str, ClaimForPosting],
    remittance: Remittance,
    inbound_id: str,
    payer_pk: int | None,
) -> dict[str, Any]:
    plb = posting.provider_adjustments
    return {
        "inbound_id": inbound_id,
        "check_number": remittance.check_number,
        "payer_id": payer_pk,
        "claims": [_claim_summary(r, claims.get(r.claim_id)) for r in posting.results],
        "zero_payments": [_zero_summary(z) for z in posting.zero_payments],
        "provider_adjustments": {
            "items": [
                {
                    "provider_id": p.provider_id,
                    "reason": p.reason,
                    "reference": p.reference or "",
                    "amount": json_amount(p.amount),
                    "fiscal_date": p.fiscal_date.isoformat() if p.fiscal_date else None,
                }
                for p in plb.adjustments
            ],  # fmt: skip
            "total": json_amount(plb.total),
            "claims_paid": json_amount(plb.claims_paid),
            "payment_amount": json_amount(plb.payment_amount),
        },
        "notices": [n for r in posting.results for n in r.notices],
    }


def _claim_summary(result: PostingResult, claim: ClaimForPosting | None) -> dict[str, Any]:
    s = result.summary
    data: dict[str, Any] = {
        "claim_id": result.claim_id,
        "clp_index": result.clp_index,
        "status_code": result.status_code,
        "outcome": result.outcome.value,
        "level": result.level.value if result.level else None,
        "paid": json_amount(s.paid),
        "adjusted": json_amount(s.adjusted),
        "patient_responsibility": json_amount(s.patient_responsibility),
        "patient_responsibility_to": s.patient_responsibility_to.value
        if s.patient_responsibility_to else None,
        "transferred": json_amount(s.transferred),
        "transferred_to": s.transferred_to.value if s.transferred_to else None,
        "patient_adjusted": json_amount(s.patient_adjusted),
        "credit": json_amount(s.credit),
        "entries": len(result.entries),
    }  # fmt: skip
    if result.errors:
        data["errors"] = [e.text for e in result.errors]
    if result.skipped:
        data["skipped"] = [
            {"code": k.code, "amount": json_amount(k.amount), "line": k.line, "why": k.why.value}
            for k in result.skipped
        ]
    if result.entries:
        data["lines"] = _line_summaries(result, claim)
    return data


def _line_summaries(result: PostingResult, claim: ClaimForPosting | None) -> list[dict[str, Any]]:
    """Paid, adjusted and moved on each claim line (``line`` None: on the claim itself)."""
    paying = Party(result.level.value) if result.level else None
    procedures = {ln.line_number: ln.procedure for ln in claim.ledger.lines} if claim else {}
    lines: dict[int | None, dict[str, Decimal]] = {}
    for entry in result.entries:
        sums = lines.setdefault(entry.line, {"paid": ZERO, "adjusted": ZERO, "moved": ZERO})
        kind = entry.effective_kind
        if kind is EntryKind.PAYMENT:
            sums["paid"] -= entry.amount
        elif kind is EntryKind.ADJUSTMENT:
            sums["adjusted"] -= entry.amount
        elif kind is EntryKind.TRANSFER and entry.party is paying:
            sums["moved"] -= entry.amount
    ordered = sorted(lines.items(), key=lambda item: (item[0] is None, item[0] or 0))
    return [
        {"line": line, "procedure": procedures.get(line, "") if line is not None else "",
         "paid": json_amount(sums["paid"]), "adjusted": json_amount(sums["adjusted"]),
         "moved": json_amount(sums["moved"])}
        for line, sums in ordered
    ]  # fmt: skip


def _zero_summary(zero: ZeroPayment) -> dict[str, Any]:
    return {
        "claim_id": zero.claim_id,
        "status_code": zero.status_code,
        "denied": zero.denied,
        "charge": json_amount(zero.charge),
        "reason_codes": list(zero.reason_codes),
        "remarks": list(zero.remarks),
    }
