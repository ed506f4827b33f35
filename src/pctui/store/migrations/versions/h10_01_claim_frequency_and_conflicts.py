"""Claims by frequency code (CLM05-3): replaced/voided claims, lines a replacement removed, and
original claims kept apart as conflicts until a biller resolves them.

Revision ID: h10_01
Revises: 0001
Create Date: 2026-12-02 13:47:50.191804
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = 'h10_01'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('claimconflict',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('claim_pk', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('frequency_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('charge_cents', sa.Integer(), nullable=False),
    sa.Column('patient_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('differences', sa.Text(), nullable=False),
    sa.Column('found_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('resolved_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('resolved_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['claim_pk'], ['claim.id'], ),
    sa.ForeignKeyConstraint(['file_id'], ['importedfile.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('claimconflict', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claimconflict_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claimconflict_claim_pk'), ['claim_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_claimconflict_file_id'), ['file_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claimconflict_status'), ['status'], unique=False)

    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.add_column(sa.Column('frequency_code', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('voided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('changed_by_file_id', sa.Integer(), nullable=True))

    with op.batch_alter_table('claimline', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed', sa.Boolean(), nullable=False, server_default='0'))



def downgrade() -> None:
    with op.batch_alter_table('claimline', schema=None) as batch_op:
        batch_op.drop_column('removed')

    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.drop_column('changed_by_file_id')
        batch_op.drop_column('voided_at')
        batch_op.drop_column('frequency_code')

    with op.batch_alter_table('claimconflict', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claimconflict_status'))
        batch_op.drop_index(batch_op.f('ix_claimconflict_file_id'))
        batch_op.drop_index(batch_op.f('ix_claimconflict_claim_pk'))
        batch_op.drop_index(batch_op.f('ix_claimconflict_claim_id'))

    op.drop_table('claimconflict')
