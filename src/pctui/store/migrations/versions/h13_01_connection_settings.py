"""connection settings: usage (ISA15), poll interval and the sftp/https object

Existing connections keep working: each gets usage "test" (nothing is sent as production
until an admin says so), no poll schedule, and its transport's default settings. An SFTP
connection whose endpoint names a folder (host/inbound) gets that folder as both its upload
and download folder; its user name stays empty until an admin fills it in.

Revision ID: h13_01
Revises: h12_01
"""
import json
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

revision = "h13_01"
down_revision = "h12_01"
branch_labels = None
depends_on = None

_HTTPS_DEFAULTS = {
    "profile": "claim_md", "key_in": "form", "key_name": "AccountKey",
    "upload_path": "/services/upload/", "response_path": "/services/response/",
    "era_list_path": "/services/eralist/", "era_download_path": "/services/era835/",
    "ca_bundle": "", "timeout_seconds": 30,
}
_SFTP_DEFAULTS = {
    "username": "", "host_key": "", "upload_dir": "", "download_dir": "",
    "upload_mode": "direct", "file_name_template": "{name}", "private_key_file": "",
    "after_download": "keep", "archive_dir": "", "include_subfolders": False,
    "timeout_seconds": 30,
}


def _sftp_folder(endpoint: str) -> str:
    text = endpoint.strip()
    if text.startswith("sftp://"):
        path = urlsplit(text).path
    else:
        _, _, path = text.partition("/")
    path = path.strip("/")
    return f"/{path}" if path else ""


def upgrade() -> None:
    with op.batch_alter_table("payerconnection", schema=None) as batch_op:
        batch_op.add_column(sa.Column("usage", sa.String(), nullable=False,
                                      server_default="test"))
        batch_op.add_column(sa.Column("poll_minutes", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("settings", sa.Text(), nullable=False,
                                      server_default="{}"))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, gateway_type, endpoint FROM payerconnection")).all()
    for row_id, gateway_type, endpoint in rows:
        if gateway_type == "sftp":
            folder = _sftp_folder(endpoint or "")
            settings = dict(_SFTP_DEFAULTS, upload_dir=folder, download_dir=folder)
        else:
            settings = dict(_HTTPS_DEFAULTS)
        conn.execute(sa.text("UPDATE payerconnection SET settings = :s WHERE id = :i"),
                     {"s": json.dumps(settings), "i": row_id})


def downgrade() -> None:
    with op.batch_alter_table("payerconnection", schema=None) as batch_op:
        batch_op.drop_column("settings")
        batch_op.drop_column("poll_minutes")
        batch_op.drop_column("usage")
