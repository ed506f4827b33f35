"""Real processes: the app and cron polling one mailbox at once, and a poller killed in the
middle. Each file lands exactly once; a file not stored is fetched again; none is lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import asyncssh
import pytest

from pctui.gateways import RetryPolicy
from pctui.secrets import SecretStore
from pctui.store import connections, eras, mailbox, payers, users
from pctui.store.connections import ConnectionDraft
from pctui.store.db import Store
from tests.exchange.samples import ack_999, era_835
from tests.servers import SftpServer

FAST = RetryPolicy(attempts=3, first_delay=0.01, max_delay=0.02)


def era_with_check(check: str) -> bytes:
    return era_835().replace(b"TRN*1*7170066655*", f"TRN*1*{check}*".encode())


@pytest.fixture
def setup(tmp_path: Path):
    """A database, one SFTP connection logging in with an SSH key file (no secret, so the
    pollers need no keyring), and this OS account registered (the pollers run as it)."""
    db = tmp_path / "shared.db"
    store = Store.open(db)
    admin = users.identify(store, "alice")
    users.add_user(store, admin, users.os_login(), "biller")
    secrets = SecretStore.in_memory()
    key = asyncssh.generate_private_key("ssh-ed25519")
    key_file = tmp_path / "id_edi"
    key_file.write_bytes(key.export_private_key())
    root = tmp_path / "box"
    (root / "out").mkdir(parents=True)
    (root / "in").mkdir()
    with SftpServer(root, authorized_key=key.export_public_key().decode()) as server:
        with store.write() as session:
            payer_id = payers.save_payer(session, admin, payers.PayerDraft(
                "RUSH", "Rushmore Life", "commercial", "RUSH1", ["1935665544"])).id
        connections.save_connection(store, secrets, admin, ConnectionDraft(
            payer_id, "mailbox", "sftp", server.endpoint, settings={
                "username": server.username, "host_key": server.fingerprint,
                "upload_dir": "/in", "download_dir": "/out", "timeout_seconds": 10,
                "private_key_file": str(key_file)}))
        yield db, store, server, secrets
    store.close()


def poller(db: Path, script: str = "") -> subprocess.Popen:
    code = ("import sys\n" + script +
            "from pctui.cli import main\nsys.exit(main(['--db', sys.argv[1], 'poll', '--json']))")
    return subprocess.Popen([sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=dict(os.environ))


def test_two_pollers_at_once_receive_each_file_exactly_once(setup) -> None:
    db, store, server, _ = setup
    for i in range(8):
        (server.root / "out" / f"ack_{i}.999").write_bytes(ack_999(group=str(2000 + i)))
    for i in range(3):
        (server.root / "out" / f"remit_{i}.835").write_bytes(era_with_check(f"EFT{i:04d}"))
    first, second = poller(db), poller(db)
    outputs = [p.communicate(timeout=120) for p in (first, second)]
    for p, (_out, err) in zip((first, second), outputs, strict=True):
        assert p.returncode == 0, err.decode()
    received = [item["name"] for out, _ in outputs for conn in json.loads(out)
                for item in conn["received"]]
    assert sorted(received) == sorted([f"ack_{i}.999" for i in range(8)]
                                      + [f"remit_{i}.835" for i in range(3)])
    names = [e.remote_name for e in mailbox.entries(store)]
    assert sorted(names) == sorted(received)  # stored once each
    assert len(eras.list_eras(store, eras.EraFilter())) == 3
    assert len(mailbox.acknowledgments(store)) == 8
    assert mailbox.unapplied_acknowledgments(store) == []  # each applied once, by one poller
    assert [r.status for r in mailbox.runs(store)] == ["ok", "ok"]


def test_a_poller_killed_between_fetch_and_store_loses_nothing(setup) -> None:
    db, store, server, _ = setup
    (server.root / "out" / "remit.835").write_bytes(era_835())
    killed = poller(db, "import os, signal\nfrom pctui.store import mailbox\n"
                        "mailbox.receive = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)\n")
    killed.communicate(timeout=120)
    assert killed.returncode == -9
    assert mailbox.count_entries(store) == 0  # it died holding the file in memory only
    assert (server.root / "out" / "remit.835").exists()
    again = poller(db)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err.decode()
    (conn,) = json.loads(out)
    assert conn["received"][0]["name"] == "remit.835" and conn["received"][0]["result"] == "imported"
    assert len(eras.list_eras(store, eras.EraFilter())) == 1


def test_a_poller_killed_after_intake_is_finished_once_by_the_next(setup, monkeypatch) -> None:
    db, store, server, secrets = setup
    (server.root / "out" / "remit.835").write_bytes(era_835())
    killed = poller(db, "import os, signal\nfrom pctui.store import mailbox\n"
                        "mailbox.record_result = lambda *a, **k: os.kill(os.getpid(), "
                        "signal.SIGKILL)\n")
    killed.communicate(timeout=120)
    assert killed.returncode == -9
    (entry,) = mailbox.entries(store)
    assert entry.result == "pending"  # stored, imported by intake, not yet marked
    assert len(eras.list_eras(store, eras.EraFilter())) == 1
    from pctui import exchange

    monkeypatch.setattr(mailbox, "HANDOFF_STALE", mailbox.timedelta(0))
    bob = users.identify(store, users.os_login())
    (result,) = exchange.poll(store, secrets, bob, retry=FAST)
    assert [(r.name, r.result) for r in result.received] == [("remit.835", "imported")]
    assert len(eras.list_eras(store, eras.EraFilter())) == 1  # not imported twice
    assert mailbox.entries(store)[0].result == "imported"
