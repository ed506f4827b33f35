"""Connection settings: what a real mailbox needs (usage, poll interval, the sftp/https object),
kept through migrations, the config document and the audit log — never a secret among them."""

from __future__ import annotations

import copy
import json
import sqlite3
from pathlib import Path

import pytest
from alembic import command

from pctui.core.connection_settings import SftpSettings, parse_settings, render_template
from pctui.store import audit, config_doc, connections, payers
from pctui.store.connections import ConnectionDraft
from pctui.store.db import Store, _make_engine
from pctui.store.errors import ValidationFailed
from pctui.store.migrate import alembic_config

FINGERPRINT = "SHA256:" + "A" * 43
SFTP = {"username": "acme", "host_key": FINGERPRINT, "upload_dir": "/SendFiles",
        "download_dir": "/ReceiveFiles", "upload_mode": "direct"}


@pytest.fixture
def payer_id(store, admin) -> int:
    with store.write() as session:
        return payers.save_payer(session, admin, payers.PayerDraft(
            "BCBS", "Blue Cross", "commercial", "BCBSX", ["12345"])).id


def sftp_draft(payer_id: int, **settings) -> ConnectionDraft:
    return ConnectionDraft(payer_id, "BCBS mailbox", "sftp", "sftp://edi.example.net:22", "SUB1",
                           "REC1", [], True, "test", 15, dict(SFTP, **settings))


def test_a_database_of_the_previous_schema_keeps_its_connections_working(tmp_path: Path) -> None:
    """An SFTP connection saved before settings existed: its endpoint's folder becomes both
    folders, it is test usage with no schedule, and it still lists and exports."""
    path = tmp_path / "old.db"
    engine = _make_engine(path)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    engine.dispose()
    raw = sqlite3.connect(path)
    raw.execute("INSERT INTO payer (id, code, name, insurance_class, outbound_id, active) "
                "VALUES (1, 'MCD', 'Medicaid', 'medicaid', '', 1)")
    for i, (kind, endpoint) in enumerate([("sftp", "sftp.medicaid.example:2222/inbound/837"),
                                          ("https", "https://svc.claim.md")], start=1):
        raw.execute(
            "INSERT INTO payerconnection (id, payer_id, name, gateway_type, endpoint, "
            "submitter_id, receiver_id, compliance_rules, api_key_set, api_key_hint, active, "
            "created_at, updated_at) VALUES (?, 1, ?, ?, ?, '', '', '[]', 1, '••••abcd', 1, "
            "'2026-01-01 00:00:00', '2026-01-01 00:00:00')", (i, f"conn {i}", kind, endpoint))
    raw.commit()
    raw.close()

    store = Store.open(path)
    try:
        sftp, api = sorted(connections.list_connections(store), key=lambda c: c.id)
        assert sftp.settings.upload_dir == sftp.settings.download_dir == "/inbound/837"
        assert sftp.settings.username == "" and sftp.address == ("sftp.medicaid.example", 2222)
        assert sftp.usage.value == "test" and sftp.poll_minutes == 0
        assert sftp.api_key_set and sftp.key_state == "set ••••abcd"
        assert "no SFTP user name" in sftp.not_ready()
        assert api.settings.profile == "claim_md" and api.settings.key_name == "AccountKey"
        doc = config_doc.export_config(store)
        assert doc["connections"][0]["sftp"]["upload_dir"] == "/inbound/837"
    finally:
        store.close()


def test_sftp_settings_are_saved_and_every_change_is_audited(store, admin, secrets,
                                                            payer_id) -> None:
    view = connections.save_connection(store, secrets, admin, sftp_draft(payer_id),
                                       api_key="correct horse")
    assert view.settings == SftpSettings(**SFTP)
    assert view.poll_minutes == 15 and view.not_ready() == []
    assert view.secret_label == "password" and view.key_state == "set ••••"  # nothing of it
    changed = sftp_draft(payer_id, upload_mode="temp_rename", download_dir="/ReceiveFiles/741")
    changed.usage = "production"
    connections.save_connection(store, secrets, admin, changed, view.id)
    assert audit.entries(store, "connection", view.id)[0].changes == {
        "usage": ["test", "production"],
        "sftp.download_dir": ["/ReceiveFiles", "/ReceiveFiles/741"],
        "sftp.upload_mode": ["direct", "temp_rename"]}
    assert audit.entries(store, "connection", view.id)[1].changes["api_key"] == "Password set"


def test_a_key_file_login_stores_its_passphrase_and_needs_none_without_one(
        store, admin, secrets, payer_id) -> None:
    view = connections.save_connection(store, secrets, admin,
                                       sftp_draft(payer_id, private_key_file="~/.ssh/id_edi"))
    assert view.secret_label == "key passphrase" and not view.secret_needed
    assert view.not_ready() == []


@pytest.mark.parametrize(("settings", "field", "problem"), [
    ({"username": "a b"}, "sftp.username", "without spaces"),
    ({"host_key": "ab:cd:ef"}, "sftp.host_key", "SHA256 fingerprint"),
    ({"upload_mode": "rename"}, "sftp.upload_mode", "temp_rename"),
    ({"file_name_template": "{name}/{oops}"}, "sftp.file_name_template", "{oops}"),
    ({"file_name_template": "{date}/x"}, "sftp.file_name_template", "plain file name"),
    ({"after_download": "move"}, "sftp.archive_dir", "required when received files are moved"),
    ({"download_dir": "/in/../etc"}, "sftp.download_dir", "'..'"),
    ({"timeout_seconds": 0}, "sftp.timeout_seconds", "1 to 600"),
    ({"private_key_file": "id_rsa"}, "sftp.private_key_file", "full path"),
    ({"password": "hunter2hunter2"}, "sftp.password", "never part of the settings"),
    ({"colour": "blue"}, "sftp.colour", "unknown key"),
])
def test_each_sftp_setting_says_what_is_wrong(store, admin, secrets, payer_id, settings, field,
                                             problem) -> None:
    with pytest.raises(ValidationFailed) as failed:
        connections.save_connection(store, secrets, admin, sftp_draft(payer_id, **settings))
    assert problem in failed.value.errors[field]
    assert connections.list_connections(store) == []


def test_file_name_templates_make_names_from_the_file_and_the_moment() -> None:
    from datetime import datetime

    name = render_template("{submitter}_{usage}{date}_{seq}{ext}", "batch 7.837",
                           datetime(2026, 3, 4, 5, 6, 7), "P", "SUB01", 42, "f" * 32)
    assert name == "SUB01_P20260304_42.837"
    _, problems = parse_settings("sftp", dict(SFTP, file_name_template="{uuid}.x12"))
    assert problems == {}


def https_entry(**https) -> dict:
    return {"payer_code": "BCBS", "name": "Claim.MD", "gateway_type": "https",
            "endpoint": "https://svc.claim.md", "usage": "production", "poll_minutes": 30,
            "https": {"profile": "claim_md", "key_in": "form", **https}}


def test_the_config_document_carries_settings_and_reads_back_the_same(store, admin, secrets,
                                                                      payer_id) -> None:
    connections.save_connection(store, secrets, admin, sftp_draft(payer_id), api_key="s3cret-pw")
    doc = config_doc.export_config(store)
    doc["connections"].append(https_entry(ca_bundle="/etc/pctui/claimmd-ca.pem"))
    report = config_doc.import_config(store, admin, copy.deepcopy(doc))
    assert report.created["connections"] == 1
    again = config_doc.export_config(store)
    api = next(c for c in again["connections"] if c["name"] == "Claim.MD")
    assert api["https"]["ca_bundle"] == "/etc/pctui/claimmd-ca.pem"
    assert api["https"]["era_list_path"] == "/services/eralist/"  # the profile's default
    assert api["usage"] == "production" and api["poll_minutes"] == 30
    assert not config_doc.import_config(store, admin, again).any_change
    assert "s3cret-pw" not in json.dumps(again)


def test_an_old_document_without_settings_leaves_them_as_they_are(store, admin, secrets,
                                                                   payer_id) -> None:
    connections.save_connection(store, secrets, admin, sftp_draft(payer_id))
    doc = config_doc.export_config(store)
    entry = doc["connections"][0]
    for key in ("sftp", "usage", "poll_minutes"):
        del entry[key]
    entry["usage"] = "test"
    config_doc.import_config(store, admin, doc)
    (view,) = connections.list_connections(store)
    assert view.settings == SftpSettings(**SFTP) and view.poll_minutes == 0


def test_a_document_naming_secrets_or_unknown_settings_is_refused_by_name(store, admin,
                                                                         payer_id) -> None:
    bad = https_entry(AccountKey="live-key-123456", colour="blue")
    bad["sftp"] = dict(SFTP)
    bad["usage"] = "live"
    bad["poll_minutes"] = "often"
    with pytest.raises(ValidationFailed) as failed:
        config_doc.import_config(store, admin, {"connections": [bad]})
    errors = failed.value.errors
    assert "never part of the settings" in errors["connections[0].https.AccountKey"]
    assert errors["connections[0].https.colour"].startswith("unknown key (expected profile,")
    assert errors["connections[0].sftp"] == ('a https connection has an "https" object, '
                                             'not "sftp"')
    assert errors["connections[0].usage"] == 'must be "test" or "production"'
    assert "whole number of minutes" in errors["connections[0].poll_minutes"]
    assert "live-key-123456" not in json.dumps(errors)
    assert connections.list_connections(store) == []
