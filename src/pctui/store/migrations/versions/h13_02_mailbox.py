"""mailbox: files sent and received, poll and send runs, API cursors, acknowledgments

Revision ID: h13_02
Revises: h13_01
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "h13_02"
down_revision = "h13_01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mailboxcursor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('stream', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('position', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['payerconnection.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('connection_id', 'stream', name='uq_mailbox_cursor')
    )
    with op.batch_alter_table('mailboxcursor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mailboxcursor_connection_id'), ['connection_id'], unique=False)

    op.create_table('mailboxrun',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('user_login', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['payerconnection.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('mailboxrun', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mailboxrun_connection_id'), ['connection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mailboxrun_started_at'), ['started_at'], unique=False)

    op.create_table('mailboxfile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('direction', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('remote_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('user_login', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('result', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('receipt_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('remote_modified', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('remote_state', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('handoff_started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('imported_file_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['connection_id'], ['payerconnection.id'], ),
    sa.ForeignKeyConstraint(['imported_file_id'], ['importedfile.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['mailboxrun.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('connection_id', 'receipt_key', name='uq_mailbox_receipt')
    )
    with op.batch_alter_table('mailboxfile', schema=None) as batch_op:
        batch_op.create_index('ix_mailbox_connection_at', ['connection_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mailboxfile_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mailboxfile_direction'), ['direction'], unique=False)
        batch_op.create_index(batch_op.f('ix_mailboxfile_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_mailboxfile_result'), ['result'], unique=False)
        batch_op.create_index(batch_op.f('ix_mailboxfile_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mailboxfile_sha256'), ['sha256'], unique=False)

    op.create_table('acknowledgment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mailbox_file_id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('control_number', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('answers', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('summary', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('applied_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('applied_note', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['payerconnection.id'], ),
    sa.ForeignKeyConstraint(['mailbox_file_id'], ['mailboxfile.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('mailbox_file_id')
    )
    with op.batch_alter_table('acknowledgment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_acknowledgment_applied_at'), ['applied_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_acknowledgment_connection_id'), ['connection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_acknowledgment_received_at'), ['received_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('acknowledgment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_acknowledgment_received_at'))
        batch_op.drop_index(batch_op.f('ix_acknowledgment_connection_id'))
        batch_op.drop_index(batch_op.f('ix_acknowledgment_applied_at'))

    op.drop_table('acknowledgment')
    with op.batch_alter_table('mailboxfile', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mailboxfile_sha256'))
        batch_op.drop_index(batch_op.f('ix_mailboxfile_run_id'))
        batch_op.drop_index(batch_op.f('ix_mailboxfile_result'))
        batch_op.drop_index(batch_op.f('ix_mailboxfile_kind'))
        batch_op.drop_index(batch_op.f('ix_mailboxfile_direction'))
        batch_op.drop_index(batch_op.f('ix_mailboxfile_at'))
        batch_op.drop_index('ix_mailbox_connection_at')

    op.drop_table('mailboxfile')
    with op.batch_alter_table('mailboxrun', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mailboxrun_started_at'))
        batch_op.drop_index(batch_op.f('ix_mailboxrun_connection_id'))

    op.drop_table('mailboxrun')
    with op.batch_alter_table('mailboxcursor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mailboxcursor_connection_id'))

    op.drop_table('mailboxcursor')
