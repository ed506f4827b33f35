"""per-record versions: a second editor saving over a changed record is told

Payers, connections, rules, CARC overrides and posting codes get ``version`` (1 for every
existing row), raised by one with each saved change.

Revision ID: h9_01
Revises: h14_04
"""
import sqlalchemy as sa
from alembic import op

revision = "h9_01"
down_revision = "h14_04"
branch_labels = None
depends_on = None

TABLES = ("payer", "payerconnection", "payerrule", "carcoverride", "postingcode")


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    for table in TABLES:
        # a database stamped back to an earlier revision (a test of a later migration) may
        # already have the column: add it only where it is missing
        if "version" not in {c["name"] for c in inspector.get_columns(table)}:
            op.add_column(table, sa.Column("version", sa.Integer(), nullable=False,
                                           server_default=sa.text("1")))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("version")
