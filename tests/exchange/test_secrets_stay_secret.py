"""No API key, password or passphrase in the database files, the logs, the transmission records,
the error messages or the --json output — checked on bytes, after working and failing runs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from pctui.cli import main
from pctui.secrets import SecretStore
from pctui.store import connections, mailbox, payers
from pctui.store.connections import ConnectionDraft
from tests.exchange.samples import ack_999, claims_837, era_835
from tests.servers import ClaimMdServer, SftpServer

PASSWORD = "Sftp-Pa55word-zq81"
API_KEY = "claimmd-live-key-7c41d9ee20"


def leaks(blob: bytes) -> list[str]:
    return [s for s in (PASSWORD, API_KEY, PASSWORD[:-4], API_KEY[:-4])
            if s.encode() in blob]


def test_secrets_never_leave_the_keyring(store, admin, secrets, db_path, tmp_path: Path,
                                         monkeypatch, capsys, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(SecretStore, "for_database", classmethod(lambda cls, *a: secrets))
    monkeypatch.setattr("pctui.store.users.os_login", lambda: "alice")
    root = tmp_path / "box"
    for folder in ("in", "out"):
        (root / folder).mkdir(parents=True)
    with store.write() as session:
        payer_id = payers.save_payer(session, admin, payers.PayerDraft(
            "RUSH", "Rushmore Life", "commercial", "RUSH1", ["1935665544"])).id
    with SftpServer(root, password=PASSWORD) as sftp, ClaimMdServer(tmp_path) as api:
        api.state.key = API_KEY
        sftp_settings = {"username": sftp.username, "host_key": sftp.fingerprint,
                         "upload_dir": "/in", "download_dir": "/out", "timeout_seconds": 5}
        connections.save_connection(store, secrets, admin, ConnectionDraft(
            payer_id, "box", "sftp", sftp.endpoint, settings=sftp_settings), api_key=PASSWORD)
        connections.save_connection(store, secrets, admin, ConnectionDraft(
            payer_id, "cmd", "https", api.endpoint, settings={"ca_bundle": str(api.ca_file),
                                                               "timeout_seconds": 3}),
            api_key=API_KEY)
        (root / "out" / "r.835").write_bytes(era_835())
        (root / "out" / "a.999").write_bytes(ack_999())
        api.add_era(era_835())
        api.add_response("CLM1", "R", "bad id")
        claims = tmp_path / "claims.837"
        claims.write_bytes(claims_837())
        outputs = []
        for argv in (["--db", str(db_path), "poll", "--json"],
                     ["--db", str(db_path), "send", "RUSH/box", str(claims), "--json"],
                     ["--db", str(db_path), "send", "RUSH/cmd", str(claims), "--json"],
                     ["--db", str(db_path), "connections", "test", "RUSH/box", "--json"],
                     ["--db", str(db_path), "connections", "--json"]):
            main(argv)
            captured = capsys.readouterr()
            outputs.append(captured.out + captured.err)
        # now with the wrong secrets on the servers' side: failures must not echo them either
        sftp.password, api.state.key = "changed-on-the-server", "changed-too-0000"
        main(["--db", str(db_path), "poll", "--json"])
        captured = capsys.readouterr()
        outputs.append(captured.out + captured.err)
        failed = json.loads(captured.out)
        assert all(conn["errors"] for conn in failed)  # both failed, and said why
    text = "\n".join(outputs)
    assert '"result": "imported"' in text and '"status": "sent"' in text
    assert leaks(text.encode()) == []
    assert leaks("\n".join(r.getMessage() for r in caplog.records).encode()) == []
    runs = json.dumps([r.summary for r in mailbox.runs(store)])
    records = json.dumps([e.to_json() for e in mailbox.entries(store)])
    assert leaks((runs + records).encode()) == []
    assert leaks(every_row(store)) == []
    store.close()
    if isinstance(db_path, Path):  # SQLite: the files themselves, WAL and all
        for path in db_path.parent.glob(db_path.name + "*"):
            assert leaks(path.read_bytes()) == [], path


def every_row(store) -> bytes:
    """Every value of every table, as bytes (on either backend)."""
    from sqlmodel import SQLModel, select

    out = []
    with store.read() as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in session.execute(select(table)).all():
                out.extend(v if isinstance(v, bytes) else str(v).encode() for v in row)
    return b"\n".join(out)


@pytest.mark.parametrize("secret", ["", "two\nlines"])
def test_a_secret_that_cannot_be_one_is_refused_without_echo(store, admin, secrets, secret,
                                                             monkeypatch, capsys,
                                                             db_path) -> None:
    import io

    monkeypatch.setattr(SecretStore, "for_database", classmethod(lambda cls, *a: secrets))
    with store.write() as session:
        payer_id = payers.save_payer(session, admin, payers.PayerDraft(
            "RUSH", "Rushmore Life", "commercial", "RUSH1", [])).id
    connections.save_connection(store, secrets, admin, ConnectionDraft(
        payer_id, "box", "https", "https://svc.claim.md"))
    monkeypatch.setattr("sys.stdin", io.StringIO(secret + "\n"))
    monkeypatch.setattr("pctui.store.users.os_login", lambda: "alice")
    assert main(["--db", str(db_path), "connections", "key", "box"]) == 1
    err = capsys.readouterr().err
    assert "nothing was stored" in err and (not secret or secret not in err)
