"""claims an 835 paid before claims out take the status their payment gives them

h14_02 started every stored claim *ready*. A claim a released 835 had already paid, partly paid
or denied would then wait in Claims Out as "Ready to submit" — and ``pctui submit`` would send
it to the payer again. Here each such claim (still ready, with no status history yet) takes the
status its newest standing claim payment gives it, exactly as a release does
(:func:`pctui.core.claim_status.after_payment`), with one history row naming the 835, who
released it and when. Claims no 835 has touched stay ready.

Revision ID: h14_04
Revises: h14_03
Create Date: 2026-12-02
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "h14_04"
down_revision = "h14_03"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from pctui.core.claim_status import after_payment, payment_reason
    from pctui.core.era_json import remittance_from_data

    conn = op.get_bind()
    postings = conn.execute(sa.text(
        "SELECT p.claim_pk, p.era_id, p.clp_index, r.released_by, r.released_at "
        "FROM claimposting p JOIN claim c ON c.id = p.claim_pk "
        "JOIN release r ON r.id = p.release_id "
        "WHERE p.voided = :no AND p.clp_index IS NOT NULL AND c.status = 'ready' "
        "AND NOT EXISTS (SELECT 1 FROM claimstatuschange h WHERE h.claim_pk = c.id) "
        "ORDER BY p.id"), {"no": False}).all()  # fmt: skip
    newest: dict[int, Any] = {}
    for posting in postings:
        newest[posting.claim_pk] = posting
    eras: dict[int, tuple[str, Any]] = {}
    for claim_pk, posting in sorted(newest.items()):
        if posting.era_id not in eras:
            era = conn.execute(sa.text("SELECT check_number, detail FROM era WHERE id = :id"),
                               {"id": posting.era_id}).one()  # fmt: skip
            eras[posting.era_id] = (era.check_number,
                                    remittance_from_data(json.loads(era.detail or "{}")))
        check, remittance = eras[posting.era_id]
        if posting.clp_index >= len(remittance.claims):
            continue  # the 835 as stored no longer has that CLP: the claim stays ready
        clp = remittance.claims[posting.clp_index]
        lines = [(line.charge, line.paid) for line in clp.service_lines]
        status = after_payment(clp.status_code, clp.paid, clp.patient_responsibility, lines)
        reason = payment_reason(status, check, clp.charge, clp.paid, clp.patient_responsibility)
        values = {"pk": claim_pk, "status": status.value, "reason": reason,
                  "at": posting.released_at, "era": posting.era_id,
                  "user": posting.released_by}  # fmt: skip
        conn.execute(sa.text("UPDATE claim SET status = :status, status_reason = :reason, "
                             "status_at = :at WHERE id = :pk"), values)  # fmt: skip
        conn.execute(sa.text(
            "INSERT INTO claimstatuschange (claim_pk, at, status, reason, source, era_id, "
            "user_login) VALUES (:pk, :at, :status, :reason, '835', :era, :user)"), values)


def downgrade() -> None:
    pass  # the statuses stay; h14_02's downgrade removes them with their columns
