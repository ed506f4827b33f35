"""acknowledgments applied to claims: what each matched (acknowledgmentmatch)

Revision ID: h14_03
Revises: h14_02
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "h14_03"
down_revision = "h14_02"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "acknowledgmentmatch",
        sa.Column("acknowledgment_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("matched", sa.Boolean(), nullable=False),
        sa.Column("verdict", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("claims", sa.Text(), nullable=False),
        sa.Column("unmatched", sa.Text(), nullable=False),
        sa.Column("applied_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["acknowledgment_id"], ["acknowledgment.id"]),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"]),
        sa.PrimaryKeyConstraint("acknowledgment_id"),
    )
    with op.batch_alter_table("acknowledgmentmatch", schema=None) as batch_op:
        batch_op.create_index("ix_acknowledgmentmatch_submission_id", ["submission_id"],
                              unique=False)
        batch_op.create_index("ix_acknowledgmentmatch_matched", ["matched"], unique=False)


def downgrade() -> None:
    op.drop_table("acknowledgmentmatch")
