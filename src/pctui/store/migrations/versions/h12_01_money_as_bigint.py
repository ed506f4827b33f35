"""money columns hold 64-bit integer cents on every backend

Revision ID: h12_01
Revises: h14_01
Create Date: 2026-11-23

SQLite's INTEGER is already 64-bit whatever the declared type, so nothing changes there (no
table rebuild). PostgreSQL's INTEGER is 32-bit: $21,474,836.47 at most, less than a large
payer's single 835 payment. There the ``*_cents`` columns become BIGINT.
"""
import sqlalchemy as sa
from alembic import op

revision = 'h12_01'
down_revision = 'h14_01'
branch_labels = None
depends_on = None

MONEY = {
    'claim': ['charge_cents'],
    'claimconflict': ['charge_cents'],
    'claimline': ['charge_cents'],
    'era': ['amount_cents', 'plb_total_cents'],
    'ledgerentry': ['amount_cents'],
    'plbentry': ['amount_cents'],
}


def upgrade() -> None:
    if op.get_context().dialect.name == 'sqlite':
        return
    for table, columns in MONEY.items():
        for column in columns:
            op.alter_column(table, column, type_=sa.BigInteger(), existing_type=sa.Integer(),
                            existing_nullable=False)


def downgrade() -> None:
    if op.get_context().dialect.name == 'sqlite':
        return
    for table, columns in MONEY.items():
        for column in columns:
            op.alter_column(table, column, type_=sa.Integer(), existing_type=sa.BigInteger(),
                            existing_nullable=False)
