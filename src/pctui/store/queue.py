"""The submission queue: claims by status, with why each is where it is (SPEC 6)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import case, func
from sqlmodel import col, select

from pctui.core.claim_status import QUEUE_ORDER, ClaimStatus
from pctui.core.money import from_cents
from pctui.store.db import Store
from pctui.store.tables import Claim, Payer

QUEUE_LIMIT = 2_000
# Shown when no status is chosen: what still needs a biller or a payer.
WORKING = (ClaimStatus.HELD, ClaimStatus.REJECTED, ClaimStatus.READY, ClaimStatus.SUBMITTED,
           ClaimStatus.ACKNOWLEDGED, ClaimStatus.ACCEPTED)  # fmt: skip


@dataclass(frozen=True, slots=True)
class QueueRow:
    pk: int
    claim_id: str
    patient_name: str
    service_date: date | None
    charge: Decimal
    payer: str  # the pctui payer code of the primary payer, else the name on the claim
    status: ClaimStatus
    reason: str
    status_at: datetime | None
    edits: tuple[dict[str, object], ...]  # the last check's failures

    @property
    def label(self) -> str:
        return self.status.label


def queue(store: Store, status: ClaimStatus | None = None, limit: int = QUEUE_LIMIT
          ) -> list[QueueRow]:  # fmt: skip
    """Claims in queue order (held, rejected, ready, submitted, ... ), then by claim id."""
    statuses = [status] if status is not None else list(WORKING)
    order = case({s.value: n for n, s in enumerate(QUEUE_ORDER)}, value=Claim.status, else_=99)
    query = (select(Claim, Payer.code)
             .outerjoin(Payer, col(Payer.id) == Claim.primary_payer_id)
             .where(col(Claim.status).in_([s.value for s in statuses]))
             .order_by(order, col(Claim.claim_id)).limit(limit))  # fmt: skip
    rows = []
    with store.read() as session:
        for claim, payer_code in session.exec(query):
            assert claim.id is not None
            written = json.loads(claim.payer_names or "{}").get("primary") or {}
            rows.append(QueueRow(
                claim.id, claim.claim_id, claim.patient_name, claim.service_date,
                from_cents(claim.charge_cents), payer_code or written.get("name") or "",
                ClaimStatus(claim.status), claim.status_reason, claim.status_at,
                tuple(json.loads(claim.edits or "[]")),
            ))  # fmt: skip
    return rows


def status_counts(store: Store) -> dict[ClaimStatus, int]:
    with store.read() as session:
        found = dict(session.exec(select(Claim.status, func.count()).group_by(Claim.status)).all())
    return {s: int(found.get(s.value, 0)) for s in QUEUE_ORDER}
