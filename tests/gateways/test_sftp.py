"""The SFTP transport against a real SSH/SFTP server the test starts on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import asyncssh
import pytest

from pctui.core.connection_settings import SftpSettings
from pctui.gateways import GatewayConfig, GatewayError, RetryPolicy, Step, open_transport
from tests.servers import SftpServer

FAST = RetryPolicy(attempts=3, first_delay=0.01, max_delay=0.02)


@pytest.fixture
def server(tmp_path: Path):
    root = tmp_path / "mailbox"
    (root / "SendFiles").mkdir(parents=True)
    (root / "ReceiveFiles").mkdir()
    with SftpServer(root) as s:
        yield s


def config(server: SftpServer, secret: str | None = None, **settings) -> GatewayConfig:
    values = dict(username=server.username, host_key=server.fingerprint,
                  upload_dir="/SendFiles", download_dir="/ReceiveFiles", timeout_seconds=5)
    values.update(settings)
    return GatewayConfig("sftp", server.endpoint, SftpSettings(**values),
                         server.password if secret is None else secret, "BCBS / mailbox")


def test_a_file_waiting_in_the_download_folder_is_listed_and_fetched(server) -> None:
    (server.root / "ReceiveFiles" / "era-0001.835").write_bytes(b"ISA*835 payload")
    (server.root / "ReceiveFiles" / ".hidden").write_bytes(b"x")
    (server.root / "ReceiveFiles" / "half.tmp").write_bytes(b"x")
    with open_transport(config(server), FAST) as t:
        (remote,) = t.list({})
        assert (remote.name, remote.size) == ("era-0001.835", 15)
        assert t.fetch(remote) == b"ISA*835 payload"
        assert t.dispose(remote) == ""  # kept: the connection says nothing about deleting
    assert (server.root / "ReceiveFiles" / "era-0001.835").exists()


def test_subfolders_are_read_when_the_connection_says_so(server) -> None:
    sub = server.root / "ReceiveFiles" / "741111111"
    sub.mkdir()
    (sub / "a.835").write_bytes(b"ISA*A")
    with open_transport(config(server), FAST) as t:
        assert t.list({}) == []
    with open_transport(config(server, include_subfolders=True), FAST) as t:
        assert [r.name for r in t.list({})] == ["741111111/a.835"]


@pytest.mark.parametrize("mode", ["direct", "temp_rename"])
def test_an_upload_lands_under_its_final_name(server, mode) -> None:
    with open_transport(config(server, upload_mode=mode), FAST) as t:
        sent = t.put("claims_001.837", b"ISA*claim file")
    assert sent.remote_name == "claims_001.837" and sent.note == ""
    assert (server.root / "SendFiles" / "claims_001.837").read_bytes() == b"ISA*claim file"
    assert not (server.root / "SendFiles" / "claims_001.837.tmp").exists()
    if mode == "temp_rename":
        assert server.behaviour.uploads == ["SendFiles/claims_001.837.tmp"]
        assert server.behaviour.renames == [("SendFiles/claims_001.837.tmp",
                                             "SendFiles/claims_001.837")]
    else:
        assert server.behaviour.uploads == ["SendFiles/claims_001.837"]
        assert server.behaviour.renames == []


def test_a_server_that_takes_files_away_on_arrival_is_not_an_error(server) -> None:
    server.behaviour.move_on_arrival = True
    with open_transport(config(server), FAST) as t:
        sent = t.put("claims.837", b"ISA*x")
    assert "took the file away on arrival" in sent.note
    assert (server.root / ".processed" / "SendFiles" / "claims.837").read_bytes() == b"ISA*x"


def test_a_server_that_forbids_renames_says_to_upload_directly(server) -> None:
    server.behaviour.forbid_rename = True
    with open_transport(config(server, upload_mode="temp_rename"), FAST) as t:
        with pytest.raises(GatewayError) as failed:
            t.put("claims.837", b"ISA*x")
    assert "set the upload mode to direct" in failed.value.message
    assert list((server.root / "SendFiles").iterdir()) == []  # the temporary file is removed


def test_a_name_already_waiting_is_never_overwritten(server) -> None:
    (server.root / "SendFiles" / "claims.837").write_bytes(b"earlier")
    with open_transport(config(server), FAST) as t:
        with pytest.raises(GatewayError, match="already waiting"):
            t.put("claims.837", b"ISA*new")
    assert (server.root / "SendFiles" / "claims.837").read_bytes() == b"earlier"


def test_a_changed_host_key_is_refused_with_both_fingerprints(server) -> None:
    pinned = "SHA256:" + "Q" * 43
    with open_transport(config(server, host_key=pinned), FAST) as t:
        with pytest.raises(GatewayError) as failed:
            t.list({})
        report = t.test({})
    error = failed.value
    assert error.step is Step.HOST_KEY
    assert pinned in error.message and server.fingerprint in error.message
    assert server.logins == []  # the password was never offered to the impostor
    assert report.failed is not None and report.failed.step is Step.HOST_KEY
    assert report.offered_host_key == server.fingerprint


def test_without_a_pinned_key_nothing_is_exchanged_and_the_offered_key_is_shown(server) -> None:
    with open_transport(config(server, host_key=""), FAST) as t:
        report = t.test({})
    assert [s.step for s in report.steps] == [Step.NAME, Step.NETWORK, Step.HOST_KEY]
    assert not report.ok and report.offered_host_key == server.fingerprint
    assert "no host key is pinned" in report.failed.detail
    assert server.logins == []


def test_a_wrong_password_is_a_login_failure_in_words(server) -> None:
    with open_transport(config(server, secret="not-the-password"), FAST) as t:
        report = t.test({})
        with pytest.raises(GatewayError) as failed:
            t.list({})
    assert report.failed.step is Step.LOGIN
    assert "refused the login of acme (wrong user name or password)" in report.failed.detail
    assert failed.value.step is Step.LOGIN
    assert "not-the-password" not in str(failed.value) + repr(report)


def test_a_missing_folder_is_named(server) -> None:
    with open_transport(config(server, download_dir="/Outbox"), FAST) as t:
        report = t.test({})
    assert report.failed.step is Step.FOLDER
    assert report.failed.detail == "the download folder /Outbox does not exist on the server"
    assert [s.step for s in report.steps if s.ok] == [Step.NAME, Step.NETWORK, Step.HOST_KEY,
                                                       Step.LOGIN]


def test_every_step_passes_on_a_working_mailbox(server) -> None:
    (server.root / "ReceiveFiles" / "a.999").write_bytes(b"ISA")
    with open_transport(config(server), FAST) as t:
        report = t.test({})
    assert report.ok, report.lines()
    assert report.lines()[-1] == "✓ Folders / API: /SendFiles and /ReceiveFiles exist; 1 file waiting"


def test_nothing_listening_is_a_network_failure(tmp_path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    cfg = GatewayConfig("sftp", f"127.0.0.1:{port}", SftpSettings(
        username="u", host_key="SHA256:" + "A" * 43, upload_dir="/a", download_dir="/b",
        timeout_seconds=2), "pw")
    with open_transport(cfg, FAST) as t:
        report = t.test({})
    assert report.failed.step is Step.NETWORK
    assert "refused the connection" in report.failed.detail


def test_an_unknown_host_name_is_a_name_failure() -> None:
    cfg = GatewayConfig("sftp", "no-such-host.invalid:22", SftpSettings(
        username="u", host_key="SHA256:" + "A" * 43, upload_dir="/a", download_dir="/b",
        timeout_seconds=2), "pw")
    with open_transport(cfg, FAST) as t:
        report = t.test({})
    assert report.failed.step is Step.NAME
    assert "no-such-host.invalid cannot be found" in report.failed.detail


def test_a_connection_dropped_mid_download_is_retried_and_the_file_arrives_whole(server) -> None:
    payload = b"ISA*" + b"9" * 200_000
    (server.root / "ReceiveFiles" / "big.835").write_bytes(payload)
    with open_transport(config(server), FAST) as t:
        (remote,) = t.list({})
        server.behaviour.drop_reads = 1
        assert t.fetch(remote) == payload
    assert server.behaviour.drop_reads == 0  # it did drop once


def test_a_connection_that_keeps_dropping_is_reported_after_bounded_tries(server) -> None:
    (server.root / "ReceiveFiles" / "big.835").write_bytes(b"ISA*" + b"9" * 100_000)
    with open_transport(config(server), FAST) as t:
        (remote,) = t.list({})
        server.behaviour.drop_reads = 10
        with pytest.raises(GatewayError) as failed:
            t.fetch(remote)
    assert failed.value.step is Step.TRANSFER
    assert "tried 3 times" in failed.value.message
    assert server.behaviour.drop_reads == 7


def test_a_connection_dropped_mid_upload_is_not_resent_blindly(server) -> None:
    server.behaviour.drop_writes = 1
    with open_transport(config(server, upload_mode="temp_rename"), FAST) as t:
        with pytest.raises(GatewayError) as failed:
            t.put("claims.837", b"ISA*" + b"7" * 50_000)
    assert "look before sending it again" in failed.value.message
    assert not (server.root / "SendFiles" / "claims.837").exists()  # never under its real name


def test_delete_and_move_happen_only_when_asked(server) -> None:
    (server.root / "ReceiveFiles" / "a.835").write_bytes(b"A")
    (server.root / "ReceiveFiles" / "b.835").write_bytes(b"B")
    (server.root / "Archive").mkdir()
    with open_transport(config(server, after_download="delete"), FAST) as t:
        first = t.list({})[0]
        assert t.dispose(first) == "deleted from the server"
    with open_transport(config(server, after_download="move", archive_dir="/Archive"), FAST) as t:
        second = t.list({})[0]
        assert t.dispose(second) == "moved to /Archive/b.835"
    assert sorted(p.name for p in (server.root / "ReceiveFiles").iterdir()) == []
    assert (server.root / "Archive" / "b.835").read_bytes() == b"B"


def test_an_ssh_key_with_a_passphrase_logs_in(tmp_path) -> None:
    key = asyncssh.generate_private_key("ssh-ed25519")
    key_file = tmp_path / "id_edi"
    key_file.write_bytes(key.export_private_key(passphrase="key-passphrase-9"))
    root = tmp_path / "box"
    (root / "in").mkdir(parents=True)
    (root / "out").mkdir()
    public = key.export_public_key().decode()
    with SftpServer(root, authorized_key=public) as server:
        cfg = GatewayConfig("sftp", server.endpoint, SftpSettings(
            username=server.username, host_key=server.fingerprint, upload_dir="/in",
            download_dir="/out", private_key_file=str(key_file), timeout_seconds=5),
            "key-passphrase-9")
        with open_transport(cfg, FAST) as t:
            assert t.test({}).ok
        wrong = GatewayConfig("sftp", server.endpoint, cfg.settings, "wrong-passphrase")
        with open_transport(wrong, FAST) as t:
            report = t.test({})
    assert report.failed.step is Step.LOGIN and "passphrase" in report.failed.detail
