"""Payer connections: validation per gateway type, keys only in the keyring, the audit trail."""

from __future__ import annotations

import pytest

from pctui.secrets import KeyringLocked, SecretStore
from pctui.store import audit, connections, payers
from pctui.store.connections import ConnectionDraft
from pctui.store.errors import PermissionDenied, ValidationFailed

KEY = "sk_live_4f9b2c7d1e8a6305"


@pytest.fixture
def payer_id(store, admin) -> int:
    with store.write() as session:
        payer = payers.save_payer(session, admin, payers.PayerDraft("BCBS", "Blue Cross", "commercial",
                                                                   "BCBSX", ["12345"]))
        return payer.id


def draft(payer_id: int, **changes) -> ConnectionDraft:
    values = dict(payer_id=payer_id, name="BCBS via clearinghouse", gateway_type="https",
                  endpoint="https://gateway.example/claims", submitter_id="SUB01",
                  receiver_id="REC01", compliance_rules=["5010-SNIP2"], active=True)
    values.update(changes)
    return ConnectionDraft(**values)


def test_saving_a_connection_puts_the_key_in_the_keyring_and_only_a_hint_in_the_database(
    store, admin, secrets, payer_id, stored_bytes
) -> None:
    view = connections.save_connection(store, secrets, admin, draft(payer_id), api_key=KEY)
    assert view.api_key_set and view.api_key_hint == "••••6305"
    assert secrets.get_key(view.id) == KEY
    store.close()
    everything = stored_bytes()
    assert "••••6305".encode() in everything  # the dump does hold the stored rows
    assert KEY.encode() not in everything
    assert KEY[:-4].encode() not in everything


@pytest.mark.parametrize(
    ("gateway", "endpoint", "problem"),
    [
        ("https", "http://gateway.example/claims", "https://"),
        ("https", "https://", "no valid host"),
        ("https", "https://user:pw@gateway.example/", "credentials"),
        ("clearinghouse", "gateway.example/claims", "https://"),
        ("sftp", "https://sftp.payer.example", "not a web URL"),
        ("sftp", "sftp.payer.example:99999/in", "port"),
        ("sftp", "bad host!/in", "host[:port]"),
        ("sftp", "", "required"),
    ],
)
def test_each_gateway_type_checks_its_endpoint(store, admin, secrets, payer_id, gateway,
                                               endpoint, problem) -> None:
    with pytest.raises(ValidationFailed) as failed:
        connections.save_connection(store, secrets, admin,
                                    draft(payer_id, gateway_type=gateway, endpoint=endpoint))
    assert problem in failed.value.errors["endpoint"]
    assert connections.list_connections(store) == []


@pytest.mark.parametrize(("endpoint", "folder"), [
    ("sftp.payer.example/inbound", "/inbound"), ("sftp://sftp.payer.example:2222/in/837", "/in/837"),
    ("sftp.payer.example", "")])
def test_sftp_endpoints_are_host_port_and_an_optional_folder(store, admin, secrets, payer_id,
                                                             endpoint, folder) -> None:
    view = connections.save_connection(store, secrets, admin,
                                       draft(payer_id, gateway_type="sftp", endpoint=endpoint))
    assert view.endpoint == endpoint
    # saved without SFTP settings: the endpoint's folder serves both ways until they are set
    assert (view.settings.upload_dir, view.settings.download_dir) == (folder, folder)
    assert "no SFTP user name" in view.not_ready()


def test_every_problem_is_named_at_once(store, admin, secrets) -> None:
    bad = ConnectionDraft(None, "", "", "", "THIS ID IS FAR TOO LONG", "", ["ok", "not ok!"])
    with pytest.raises(ValidationFailed) as failed:
        connections.save_connection(store, secrets, admin, bad, api_key="short")
    assert set(failed.value.errors) == {"payer", "name", "gateway_type", "endpoint",
                                        "submitter_id", "compliance_rules", "api_key"}


def test_a_biller_cannot_change_connections(store, biller, secrets, payer_id) -> None:
    with pytest.raises(PermissionDenied, match="only an admin"):
        connections.save_connection(store, secrets, biller, draft(payer_id), api_key=KEY)
    assert connections.list_connections(store) == []


def test_replacing_a_key_is_audited_without_its_value(store, admin, secrets, payer_id) -> None:
    view = connections.save_connection(store, secrets, admin, draft(payer_id), api_key=KEY)
    new_key = "sk_live_00000000aaaa9999"
    connections.save_connection(store, secrets, admin, view.draft(), view.id, api_key=new_key)
    assert secrets.get_key(view.id) == new_key
    lines = audit.entries(store, "connection", view.id)
    assert [line.action for line in lines] == ["changed", "created"]
    assert lines[0].changes == {"api_key": "API key replaced"}
    assert lines[1].changes["api_key"] == "API key set"
    everything = repr(audit.entries(store))
    assert KEY not in everything and new_key not in everything


def test_an_edit_records_the_fields_changed(store, admin, secrets, payer_id) -> None:
    view = connections.save_connection(store, secrets, admin, draft(payer_id))
    changed = draft(payer_id, endpoint="https://new.example/claims",
                    compliance_rules=["5010-SNIP2", "HIPAA"])
    connections.save_connection(store, secrets, admin, changed, view.id)
    last = audit.entries(store, "connection", view.id)[0]
    assert last.user == "alice" and last.action == "changed"
    assert last.changes == {
        "endpoint": ["https://gateway.example/claims", "https://new.example/claims"],
        "compliance_rules": [["5010-SNIP2"], ["5010-SNIP2", "HIPAA"]],
    }


def test_connections_are_deactivated_not_deleted(store, admin, secrets, payer_id) -> None:
    view = connections.save_connection(store, secrets, admin, draft(payer_id))
    connections.set_active(store, admin, view.id, False)
    (row,) = connections.list_connections(store)
    assert not row.active
    assert connections.list_connections(store, include_inactive=False) == []
    assert audit.entries(store, "connection", view.id)[0].action == "deactivated"


def test_a_locked_keyring_refuses_keys_but_saves_nothing_half_way(
    store, admin, payer_id, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("PCTUI_KEYRING", "file")
    locked = SecretStore.for_database(tmp_path / "other.db", "x")
    assert locked.locked
    with pytest.raises(KeyringLocked):
        connections.save_connection(store, locked, admin, draft(payer_id), api_key=KEY)
    assert connections.list_connections(store) == []


def test_a_failed_commit_puts_the_old_key_back(store, admin, secrets, payer_id, monkeypatch) -> None:
    from sqlmodel import Session

    view = connections.save_connection(store, secrets, admin, draft(payer_id), api_key=KEY)

    def failing_commit(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Session, "commit", failing_commit)
    with pytest.raises(RuntimeError, match="disk full"):
        connections.save_connection(store, secrets, admin, view.draft(), view.id,
                                    api_key="sk_live_new_key_00009999")
    with pytest.raises(RuntimeError, match="disk full"):
        connections.save_connection(store, secrets, admin, draft(payer_id, name="Second"),
                                    api_key="sk_live_other_key_0001")
    monkeypatch.undo()
    assert secrets.get_key(view.id) == KEY  # the database still says ••••6305: so does the keyring
    (row,) = connections.list_connections(store)
    assert row.api_key_hint == "••••6305"
    assert secrets.get_key(view.id + 1) is None  # the failed new connection left no key behind
