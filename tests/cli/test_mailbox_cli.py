"""pctui connections / connections key / connections test / poll / send, as cron and an
administrator use them (SPEC 3 keys and exit codes)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from tests.exchange.samples import ack_999, claims_837, era_835
from tests.servers import SftpServer

from pctui.cli import main
from pctui.secrets import SecretStore
from pctui.store import connections, payers
from pctui.store.connections import ConnectionDraft


@pytest.fixture
def env(store, admin, secrets, db_path, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(SecretStore, "for_database", classmethod(lambda cls, *a: secrets))
    monkeypatch.setattr("pctui.store.users.os_login", lambda: "alice")
    root = tmp_path / "box"
    for folder in ("SendFiles", "ReceiveFiles"):
        (root / folder).mkdir(parents=True)
    with store.write() as session:
        payer_id = payers.save_payer(session, admin, payers.PayerDraft(
            "RUSH", "Rushmore Life", "commercial", "RUSH1", ["1935665544"])).id
    with SftpServer(root) as server:
        view = connections.save_connection(store, secrets, admin, ConnectionDraft(
            payer_id, "Rushmore mailbox", "sftp", server.endpoint, "SUB01", settings={
                "username": server.username, "host_key": server.fingerprint,
                "upload_dir": "/SendFiles", "download_dir": "/ReceiveFiles",
                "timeout_seconds": 5}), api_key=server.password)
        yield server, view, ["--db", str(db_path)]


def run(capsys, argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_poll_json_has_the_spec_keys_and_exits_0(env, capsys) -> None:
    server, _, db = env
    (server.root / "ReceiveFiles" / "r.835").write_bytes(era_835())
    (server.root / "ReceiveFiles" / "a.999").write_bytes(ack_999())
    code, out, err = run(capsys, [*db, "poll", "--json"])
    assert code == 0, err
    (conn,) = json.loads(out)
    assert conn["connection"] == "RUSH / Rushmore mailbox" and conn["errors"] == []
    assert [(r["name"], r["kind"], r["result"]) for r in conn["received"]] == [
        ("a.999", "999", "acknowledgment"), ("r.835", "835", "imported")]
    code, out, _ = run(capsys, [*db, "poll", "RUSH/Rushmore mailbox"])
    assert code == 0 and out == "RUSH / Rushmore mailbox: 0 files received\n"


def test_poll_exits_1_and_says_why_when_a_connection_fails(env, capsys) -> None:
    server, _, db = env
    server.password = "rotated-by-the-provider"
    code, out, err = run(capsys, [*db, "poll"])
    assert code == 1
    assert out == "RUSH / Rushmore mailbox: failed\n"
    assert err == ("pctui: RUSH / Rushmore mailbox: Login: the server refused the login of acme "
                   "(wrong user name or password)\n")


def test_send_refuses_a_file_for_the_wrong_usage_and_exits_1(env, capsys, tmp_path) -> None:
    server, _, db = env
    good, prod = tmp_path / "good.837", tmp_path / "prod.837"
    good.write_bytes(claims_837("T"))
    prod.write_bytes(claims_837("P"))
    code, out, err = run(capsys, [*db, "send", "Rushmore mailbox", str(good), str(prod),
                                  str(tmp_path / "missing.837"), "--json"])
    assert code == 1
    rows = json.loads(out)
    assert [(Path(r["file"]).name, r["status"], r["remote_name"]) for r in rows] == [
        ("good.837", "sent", "good.837"), ("prod.837", "refused", ""),
        ("missing.837", "refused", "")]
    assert set(rows[0]) >= {"file", "connection", "remote_name", "status", "errors"}
    assert "ISA15 is 'P'" in rows[1]["errors"][0]
    assert rows[2]["errors"] == ["cannot read the file: No such file or directory"]
    assert [p.name for p in (server.root / "SendFiles").iterdir()] == ["good.837"]


def test_connections_test_says_which_step_failed(env, capsys) -> None:
    server, view, db = env
    code, out, _ = run(capsys, [*db, "connections", "test", "Rushmore mailbox"])
    assert code == 0 and out.splitlines()[0] == "RUSH / Rushmore mailbox: works"
    (server.root / "ReceiveFiles").rmdir()
    code, out, _ = run(capsys, [*db, "connections", "test", str(view.id), "--json"])
    report = json.loads(out)
    assert code == 1 and not report["ok"]
    assert report["steps"][-1] == {"step": "folder", "ok": False, "detail":
                                   "the download folder /ReceiveFiles does not exist on the server"}


def test_connections_key_reads_stdin_and_drops_one_newline(env, capsys, secrets,
                                                           monkeypatch) -> None:
    _, view, db = env
    monkeypatch.setattr("sys.stdin", io.StringIO(" new pass word \n"))
    code, out, err = run(capsys, [*db, "connections", "key", "RUSH/Rushmore mailbox"])
    assert code == 0, err
    assert out.startswith("Password stored for RUSH / Rushmore mailbox (set ••••)")
    assert secrets.get_key(view.id) == " new pass word "  # only the one newline went
    monkeypatch.setattr("sys.stdin", io.StringIO("two newlines\n\n"))
    code, _, err = run(capsys, [*db, "connections", "key", "RUSH/Rushmore mailbox"])
    assert code == 1 and "line break" in err
    assert secrets.get_key(view.id) == " new pass word "


def test_connections_lists_settings_and_readiness_as_json(env, capsys) -> None:
    _, view, db = env
    code, out, _ = run(capsys, [*db, "connections", "--json"])
    (row,) = json.loads(out)
    assert code == 0 and row["id"] == view.id and row["ready"] is True
    assert row["usage"] == "test" and row["sftp"]["upload_dir"] == "/SendFiles"
    assert row["secret"] == {"kind": "password", "set": True, "hint": "••••"}
