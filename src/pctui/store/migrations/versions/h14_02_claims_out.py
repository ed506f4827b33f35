"""claims out: claim status and its history, submissions, control numbers, administrators'
compliance edits

Every claim already stored starts "ready"; a claim an 835 already paid, partly paid or denied
takes that status from its ledger the first time a release touches it again (its history starts
here).

Revision ID: h14_02
Revises: h8_01
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "h14_02"
down_revision = "h8_01"
branch_labels = None
depends_on = None

_TEXT = sqlmodel.sql.sqltypes.AutoString()
_WHEN = sqlmodel.sql.sqltypes.UTCDateTime()


def upgrade() -> None:
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", _TEXT, nullable=False, server_default="ready"))
        batch_op.add_column(sa.Column("status_reason", sa.Text(), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("status_at", _WHEN, nullable=True))
        batch_op.add_column(sa.Column("edits", sa.Text(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("pending_submission_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_claim_status", ["status"], unique=False)
        batch_op.create_index("ix_claim_pending_submission_id", ["pending_submission_id"],
                              unique=False)
    counter = op.create_table(
        "controlcounter",
        sa.Column("name", _TEXT, nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    # The row every submission locks to take the next interchange control number.
    op.bulk_insert(counter, [{"name": "interchange", "value": 0}])
    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("interchange_control", _TEXT, nullable=False),
        sa.Column("usage", _TEXT, nullable=False),
        sa.Column("file_name", _TEXT, nullable=False),
        sa.Column("status", _TEXT, nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("claim_count", sa.Integer(), nullable=False),
        sa.Column("charge_cents", sa.BigInteger(), nullable=False),
        sa.Column("sha256", _TEXT, nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("created_by", _TEXT, nullable=False),
        sa.Column("sent_at", _WHEN, nullable=True),
        sa.Column("remote_name", _TEXT, nullable=False),
        sa.Column("ack_status", _TEXT, nullable=False),
        sa.Column("ack_summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["connection_id"], ["payerconnection.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("interchange_control"),
    )
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.create_index("ix_submission_connection_id", ["connection_id"], unique=False)
        batch_op.create_index("ix_submission_status", ["status"], unique=False)
        batch_op.create_index("ix_submission_created_at", ["created_at"], unique=False)
    op.create_table(
        "submissionclaim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("claim_pk", sa.Integer(), nullable=False),
        sa.Column("claim_id", _TEXT, nullable=False),
        sa.Column("transaction_control", _TEXT, nullable=False),
        sa.Column("status", _TEXT, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payer_claim_number", _TEXT, nullable=False),
        sa.ForeignKeyConstraint(["claim_pk"], ["claim.id"]),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("submission_id", "claim_pk", name="uq_submission_claim"),
    )
    with op.batch_alter_table("submissionclaim", schema=None) as batch_op:
        batch_op.create_index("ix_submissionclaim_submission_id", ["submission_id"], unique=False)
        batch_op.create_index("ix_submissionclaim_claim_pk", ["claim_pk"], unique=False)
        batch_op.create_index("ix_submissionclaim_claim_id", ["claim_id"], unique=False)
    op.create_table(
        "claimstatuschange",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_pk", sa.Integer(), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.Column("status", _TEXT, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", _TEXT, nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("acknowledgment_id", sa.Integer(), nullable=True),
        sa.Column("era_id", sa.Integer(), nullable=True),
        sa.Column("user_login", _TEXT, nullable=False),
        sa.ForeignKeyConstraint(["claim_pk"], ["claim.id"]),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"]),
        sa.ForeignKeyConstraint(["era_id"], ["era.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("claimstatuschange", schema=None) as batch_op:
        batch_op.create_index("ix_claimstatuschange_claim_pk", ["claim_pk"], unique=False)
    op.create_table(
        "compliancerule",
        sa.Column("id", _TEXT, nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("compliancerule")
    op.drop_table("claimstatuschange")
    op.drop_table("submissionclaim")
    op.drop_table("submission")
    op.drop_table("controlcounter")
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_pending_submission_id")
        batch_op.drop_index("ix_claim_status")
        for column in ("pending_submission_id", "edits", "status_at", "status_reason", "status"):
            batch_op.drop_column(column)
