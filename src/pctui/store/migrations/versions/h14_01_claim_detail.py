"""claims keep everything an 837P carries (claim.detail)

Claims stored before this revision are filled from their 837 file when pctui still has its
content (every imported 837 keeps it). A claim whose file is gone or no longer reads (demo
claims, a file read by an older, more forgiving reader) keeps an empty detail: it stays usable
for posting and is held by the "complete 837P data" edit before it can be sent.

Revision ID: h14_01
Revises: h10_01
Create Date: 2026-12-02
"""

from __future__ import annotations

import json
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "h14_01"
down_revision = "h10_01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.add_column(sa.Column("detail", sa.Text(), nullable=False, server_default="{}"))
    _fill_from_files(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_column("detail")


def _fill_from_files(conn: sa.Connection) -> None:
    from pctui.core.claim_json import claim_detail_to_data
    from pctui.x12.envelope import FileRejected, read_x12
    from pctui.x12.read837 import read_837

    rows = conn.execute(
        sa.text("SELECT id, claim_id, file_id FROM claim WHERE file_id IS NOT NULL")
    ).all()
    by_file: dict[int, dict[str, int]] = defaultdict(dict)
    for pk, claim_id, file_id in rows:
        by_file[file_id][claim_id] = pk
    update = sa.text("UPDATE claim SET detail = :detail WHERE id = :id")
    for file_id, claims in by_file.items():
        content = conn.execute(
            sa.text("SELECT content FROM importedfile WHERE id = :id"), {"id": file_id}
        ).scalar()
        if not content:
            continue
        try:
            read = read_837(read_x12(bytes(content)))
        except (FileRejected, ValueError):
            continue  # the claims stay usable; the "complete 837P data" edit holds them
        for claim in read.claims:
            pk = claims.get(claim.claim_id)
            if pk is not None:
                detail = json.dumps(claim_detail_to_data(claim), separators=(",", ":"))
                conn.execute(update, {"detail": detail, "id": pk})
