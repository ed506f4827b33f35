"""A biller's story with real mailboxes on 127.0.0.1: what comes back is stored once and handed
on (835s to Release 835, acknowledgments recorded); what goes out is checked and recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from pctui import exchange
from pctui.gateways import RetryPolicy
from pctui.store import connections, eras, mailbox, payers
from pctui.store.connections import ConnectionDraft
from pctui.store.errors import PermissionDenied
from tests.exchange.samples import ack_277ca, ack_999, claims_837, era_835, ta1
from tests.servers import ClaimMdServer, SftpServer

FAST = RetryPolicy(attempts=3, first_delay=0.01, max_delay=0.02)


@pytest.fixture
def payer_id(store, admin) -> int:
    with store.write() as session:
        return payers.save_payer(session, admin, payers.PayerDraft(
            "RUSH", "Rushmore Life", "commercial", "RUSH1", ["1935665544"])).id


@pytest.fixture
def sftp(tmp_path: Path):
    root = tmp_path / "mailbox"
    for folder in ("SendFiles", "ReceiveFiles", "Archive"):
        (root / folder).mkdir(parents=True)
    with SftpServer(root) as server:
        yield server


def sftp_connection(store, admin, secrets, payer_id, server: SftpServer, **settings) -> int:
    values = {"username": server.username, "host_key": server.fingerprint,
              "upload_dir": "/SendFiles", "download_dir": "/ReceiveFiles", "timeout_seconds": 5}
    values.update(settings)
    view = connections.save_connection(store, secrets, admin, ConnectionDraft(
        payer_id, "Rushmore mailbox", "sftp", server.endpoint, "SUBMITTER01", "RUSH1", [],
        settings=values), api_key=server.password)
    return view.id


def drop(server: SftpServer, name: str, data: bytes) -> None:
    (server.root / "ReceiveFiles" / name).write_bytes(data)


def test_a_poll_stores_every_file_and_hands_each_on_by_kind(store, admin, biller, secrets,
                                                           payer_id, sftp) -> None:
    conn = sftp_connection(store, admin, secrets, payer_id, sftp)
    drop(sftp, "remit_0001.835", era_835())
    drop(sftp, "ack_0001.999", ack_999(accepted=2, rejected=1))
    drop(sftp, "ack_0002.ta1", ta1("R", "006"))
    drop(sftp, "status_0001.277", ack_277ca([("CLM1", "A1:20"), ("CLM2", "A7:562")]))
    drop(sftp, "notes.txt", b"Mailbox maintenance on Sunday")

    (result,) = exchange.poll(store, secrets, biller, [conn], retry=FAST)

    assert result.ok, result.errors
    got = {r.name: (r.kind, r.result, r.summary) for r in result.received}
    assert got == {
        "ack_0001.999": ("999", "acknowledgment",
                         "999 for group 1001: 2 of 3 transaction sets accepted, 1 rejected"),
        "ack_0002.ta1": ("TA1", "acknowledgment",
                         "TA1: interchange 000000777 rejected (note 006)"),
        "notes.txt": ("other", "stored", "kept in the mailbox (not an 835 or an acknowledgment)"),
        "remit_0001.835": ("835", "imported", "1 payment on Release 835"),
        "status_0001.277": ("277CA", "acknowledgment",
                            "277CA: 1 of 2 claims accepted, 1 rejected"),
    }
    # the 835 is on Release 835, like any imported file
    (era,) = eras.list_eras(store, eras.EraFilter())
    assert era.check_number == "7170066655"
    # every file is kept whole, with who polled
    files = mailbox.entries(store, mailbox.MailboxFilter(direction="in"))
    assert len(files) == 5 and {f.user for f in files} == {"bob"}
    remit = next(f for f in files if f.name == "remit_0001.835")
    assert mailbox.content(store, remit.id) == era_835() and remit.size == len(era_835())
    # acknowledgments are recorded with their control numbers (and the claims side applied
    # them at the end of the poll: they answer nothing sent here)
    acks = {a.kind: a for a in mailbox.acknowledgments(store)}
    assert all(a.applied_at is not None for a in acks.values())
    assert acks["999"].answers == ["1001", "0001", "0002", "0003"]
    assert (acks["999"].accepted, acks["999"].rejected) == (2, 1)
    assert acks["277CA"].items[1] == {"claim_id": "CLM2", "status": "A7:562", "category": "A7",
                                      "payer_claim": "PAYCLM2"}
    assert acks["TA1"].outcome == "rejected"
    (run,) = mailbox.runs(store)
    assert (run.action, run.user, run.status) == ("poll", "bob", "ok")
    # nothing was deleted remotely: the connection keeps received files
    assert len(list((sftp.root / "ReceiveFiles").iterdir())) == 5


def test_polling_twice_receives_each_file_once(store, admin, biller, secrets, payer_id,
                                               sftp) -> None:
    conn = sftp_connection(store, admin, secrets, payer_id, sftp)
    drop(sftp, "remit.835", era_835())
    first = exchange.poll(store, secrets, biller, [conn], retry=FAST)[0]
    drop(sftp, "ack.999", ack_999())
    second = exchange.poll(store, secrets, biller, [conn], retry=FAST)[0]
    third = exchange.poll(store, secrets, biller, [conn], retry=FAST)[0]
    assert [r.name for r in first.received] == ["remit.835"]
    assert [r.name for r in second.received] == ["ack.999"]
    assert third.received == [] and third.ok
    assert mailbox.count_entries(store) == 2
    assert len(eras.list_eras(store, eras.EraFilter())) == 1


def test_the_same_835_under_a_new_name_is_stored_and_reported_duplicate(store, admin, biller,
                                                                        secrets, payer_id,
                                                                        sftp) -> None:
    conn = sftp_connection(store, admin, secrets, payer_id, sftp)
    drop(sftp, "remit.835", era_835())
    exchange.poll(store, secrets, biller, [conn], retry=FAST)
    drop(sftp, "remit-resent.835", era_835())
    (item,) = exchange.poll(store, secrets, biller, [conn], retry=FAST)[0].received
    assert (item.name, item.result) == ("remit-resent.835", "duplicate")
    assert len(eras.list_eras(store, eras.EraFilter())) == 1


def test_a_file_appearing_while_polling_arrives_at_the_next_poll(store, admin, biller, secrets,
                                                                 payer_id, sftp) -> None:
    conn = sftp_connection(store, admin, secrets, payer_id, sftp)
    drop(sftp, "a.999", ack_999())
    sftp.behaviour.on_list = lambda root: (root / "ReceiveFiles" / "b.ta1").write_bytes(ta1())
    first = exchange.poll(store, secrets, biller, [conn], retry=FAST)[0]
    second = exchange.poll(store, secrets, biller, [conn], retry=FAST)[0]
    names = [r.name for r in first.received] + [r.name for r in second.received]
    assert sorted(names) == ["a.999", "b.ta1"] and len(names) == 2


def test_received_files_are_deleted_remotely_only_after_they_are_stored(
        store, admin, biller, secrets, payer_id, sftp, monkeypatch) -> None:
    conn = sftp_connection(store, admin, secrets, payer_id, sftp, after_download="delete")
    drop(sftp, "remit.835", era_835())

    def storage_fails(*args, **kwargs):
        raise OSError("disk full")

    with monkeypatch.context() as m:
        m.setattr(mailbox, "receive", storage_fails)
        with pytest.raises(OSError):
            exchange.poll(store, secrets, biller, [conn], retry=FAST)
    assert (sftp.root / "ReceiveFiles" / "remit.835").exists()  # not stored: not deleted
    (result,) = exchange.poll(store, secrets, biller, [conn], retry=FAST)
    assert [r.result for r in result.received] == ["imported"]
    assert not (sftp.root / "ReceiveFiles" / "remit.835").exists()
    (entry,) = mailbox.entries(store)
    assert entry.remote_state == "deleted from the server"


def test_moved_files_go_to_the_archive_folder(store, admin, biller, secrets, payer_id,
                                              sftp) -> None:
    conn = sftp_connection(store, admin, secrets, payer_id, sftp, after_download="move",
                           archive_dir="/Archive")
    drop(sftp, "ack.999", ack_999())
    exchange.poll(store, secrets, biller, [conn], retry=FAST)
    assert [p.name for p in (sftp.root / "Archive").iterdir()] == ["ack.999"]
    assert list((sftp.root / "ReceiveFiles").iterdir()) == []


def test_a_poller_that_dies_after_storing_is_finished_by_the_next_one(
        store, admin, biller, secrets, payer_id, sftp, monkeypatch) -> None:
    conn = sftp_connection(store, admin, secrets, payer_id, sftp)
    drop(sftp, "remit.835", era_835())
    import pctui.exchange as exchange_module

    def dies(*args, **kwargs):
        raise KeyboardInterrupt  # the process is gone before the hand-off

    with monkeypatch.context() as m:
        m.setattr(exchange_module, "hand_off", dies)
        with pytest.raises(KeyboardInterrupt):
            exchange.poll(store, secrets, biller, [conn], retry=FAST)
    (entry,) = mailbox.entries(store)
    assert entry.result == "pending"
    # a poll right away leaves it to its (maybe still living) poller ...
    assert exchange.poll(store, secrets, biller, [conn], retry=FAST)[0].received == []
    # ... one after the hand-off went stale takes it over, once
    monkeypatch.setattr(mailbox, "HANDOFF_STALE", mailbox.timedelta(0))
    (result,) = exchange.poll(store, secrets, biller, [conn], retry=FAST)
    assert [(r.name, r.result) for r in result.received] == [("remit.835", "imported")]
    assert exchange.poll(store, secrets, biller, [conn], retry=FAST)[0].received == []
    assert len(eras.list_eras(store, eras.EraFilter())) == 1


def test_connection_problems_are_reported_per_connection(store, admin, biller, secrets,
                                                         payer_id, sftp) -> None:
    good = sftp_connection(store, admin, secrets, payer_id, sftp)
    broken = connections.save_connection(store, secrets, admin, ConnectionDraft(
        payer_id, "Wrong password", "sftp", sftp.endpoint, settings={
            "username": sftp.username, "host_key": sftp.fingerprint, "upload_dir": "/SendFiles",
            "download_dir": "/ReceiveFiles", "timeout_seconds": 5}),
        api_key="not-the-password").id
    drop(sftp, "a.999", ack_999())
    results = {r.connection_id: r for r in exchange.poll(store, secrets, biller, retry=FAST)}
    assert results[good].ok and [r.name for r in results[good].received] == ["a.999"]
    assert results[broken].errors == [
        "Login: the server refused the login of acme (wrong user name or password)"]
    assert [(r.connection, r.status) for r in mailbox.runs(store)] == [
        ("RUSH / Wrong password", "failed"), ("RUSH / Rushmore mailbox", "ok")]


def test_sending_checks_isa15_records_every_file_and_names_it_by_the_template(
        store, admin, biller, secrets, payer_id, sftp) -> None:
    conn = sftp_connection(store, admin, secrets, payer_id, sftp, upload_mode="temp_rename",
                           file_name_template="{submitter}_{usage}_{seq}{ext}")
    results = exchange.send_files(store, secrets, biller, conn, [
        ("batch1.837", claims_837("T")), ("batch2.837", claims_837("P")),
        ("readme.txt", b"hello")], retry=FAST)
    assert [(r.status, r.remote_name) for r in results] == [
        ("sent", "SUBMITTER01_T_1.837"), ("refused", ""), ("refused", "")]
    assert results[1].errors == ["ISA15 is 'P' but RUSH / Rushmore mailbox is a test connection "
                                 "(ISA15 T): not sent"]
    assert results[2].errors == ["not an X12 interchange (no ISA segment): only X12 files are "
                                 "sent"]
    assert [p.name for p in (sftp.root / "SendFiles").iterdir()] == ["SUBMITTER01_T_1.837"]
    sent = mailbox.entries(store, mailbox.MailboxFilter(direction="out"))
    assert sorted((e.name, e.result, e.user) for e in sent) == [
        ("batch1.837", "sent", "bob"), ("batch2.837", "refused", "bob"),
        ("readme.txt", "refused", "bob")]
    (run,) = mailbox.runs(store)
    assert (run.action, run.status, run.summary["sent"], run.summary["refused"]) == (
        "send", "failed", 1, 2)


def test_only_registered_users_send_or_poll(store, admin, secrets, payer_id, sftp) -> None:
    from pctui.store import users

    stranger = users.identify(store, "mallory")
    conn = sftp_connection(store, admin, secrets, payer_id, sftp)
    with pytest.raises(PermissionDenied):
        exchange.poll(store, secrets, stranger, [conn], retry=FAST)
    with pytest.raises(PermissionDenied):
        exchange.send_files(store, secrets, stranger, conn, [("a.837", claims_837())])
    assert mailbox.runs(store) == []


# -- Claim.MD over HTTPS ---------------------------------------------------------------------


@pytest.fixture
def claimmd(tmp_path: Path):
    with ClaimMdServer(tmp_path) as server:
        yield server


def claimmd_connection(store, admin, secrets, payer_id, api: ClaimMdServer,
                       key: str | None = None) -> int:
    return connections.save_connection(store, secrets, admin, ConnectionDraft(
        payer_id, "Claim.MD", "https", api.endpoint, "SUBMITTER01", "CLAIMMD", [],
        usage="test", settings={"ca_bundle": str(api.ca_file), "timeout_seconds": 3}),
        api_key=key or api.state.key).id


def test_claim_md_responses_and_eras_continue_from_their_cursors(store, admin, biller, secrets,
                                                                 payer_id, claimmd) -> None:
    conn = claimmd_connection(store, admin, secrets, payer_id, claimmd)
    claimmd.add_response("CLM1", "A", "accepted by payer")
    claimmd.add_response("CLM2", "R", "invalid subscriber id")
    eraid = claimmd.add_era(era_835())
    (first,) = exchange.poll(store, secrets, biller, [conn], retry=FAST)
    assert [(r.name, r.kind, r.result) for r in first.received] == [
        ("claimmd-responses-1-2.json", "other", "acknowledgment"),
        (f"era-{eraid}.835", "835", "imported")]
    assert first.received[0].summary == "Claim.MD responses: 1 of 2 claims accepted, 1 rejected"
    assert mailbox.cursors(store, conn) == {"response": "2", "era": str(eraid)}
    claimmd.add_response("CLM3", "A")
    (second,) = exchange.poll(store, secrets, biller, [conn], retry=FAST)
    assert [r.name for r in second.received] == ["claimmd-responses-3-3.json"]
    eralist = [f for p, f in claimmd.state.requests if p == "/services/eralist/"]
    assert eralist[-1]["ERAID"] == str(eraid)
    (ack,) = [a for a in mailbox.acknowledgments(store) if a.answers == ["CLM3"]]
    assert ack.kind == "claim_md_responses" and ack.accepted == 1


def test_a_wrong_claim_md_key_fails_in_words_and_stores_nothing(store, admin, biller, secrets,
                                                                payer_id, claimmd) -> None:
    conn = claimmd_connection(store, admin, secrets, payer_id, claimmd, key="wrong-key-99999")
    claimmd.add_era(era_835())
    (result,) = exchange.poll(store, secrets, biller, [conn], retry=FAST)
    assert result.errors == ["Login: the API refused the key (HTTP 401): check this "
                             "connection's API key"]
    assert mailbox.count_entries(store) == 0 and mailbox.cursors(store, conn) == {}


def test_an_era_that_fails_to_download_holds_its_cursor(store, admin, biller, secrets,
                                                        payer_id, claimmd) -> None:
    conn = claimmd_connection(store, admin, secrets, payer_id, claimmd)
    eraid = claimmd.add_era(era_835())
    claimmd.state.eras[eraid + 1] = b""  # listed, but its download holds no 835
    later = claimmd.add_era(ack_999())
    (result,) = exchange.poll(store, secrets, biller, [conn], retry=FAST)
    assert [r.name for r in result.received] == [f"era-{eraid}.835"]
    assert result.errors and f"era-{eraid + 1}.835" in result.errors[0]
    assert mailbox.cursors(store, conn)["era"] == str(eraid)  # not past the missing one
    assert later > eraid + 1


def test_sending_to_claim_md_uploads_the_file(store, admin, biller, secrets, payer_id,
                                              claimmd) -> None:
    conn = claimmd_connection(store, admin, secrets, payer_id, claimmd)
    (result,) = exchange.send_files(store, secrets, biller, conn, [("b.837", claims_837("T"))],
                                    retry=FAST)
    assert (result.status, result.remote_name, result.note) == ("sent", "b.837",
                                                                "Claim.MD file 501")
    assert claimmd.state.uploads == [("b.837", claims_837("T"))]
