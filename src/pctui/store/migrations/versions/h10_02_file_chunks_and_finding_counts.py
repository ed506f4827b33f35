"""Imported files stored in chunks (streaming import, bounded memory); a finding repeated in one
file stored once with its count and first places.

Revision ID: h10_02
Revises: h13_02
"""
import sqlalchemy as sa
from alembic import op

revision = 'h10_02'
down_revision = 'h13_02'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('importedfilechunk',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['importedfile.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('file_id', 'seq', name='uq_file_chunk')
    )
    with op.batch_alter_table('importedfilechunk', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_importedfilechunk_file_id'), ['file_id'], unique=False)

    with op.batch_alter_table('erafinding', schema=None) as batch_op:
        batch_op.add_column(sa.Column('count', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('positions', sa.String(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('erafinding', schema=None) as batch_op:
        batch_op.drop_column('positions')
        batch_op.drop_column('count')
    with op.batch_alter_table('importedfilechunk', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_importedfilechunk_file_id'))
    op.drop_table('importedfilechunk')
