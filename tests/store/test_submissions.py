"""Submitting claims: one validated 837P per connection, sent, recorded; failures never sent;
control numbers never shared; a crash leaves each claim submitted with its file or still ready."""

from __future__ import annotations

import multiprocessing
import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from tests.store.test_scrub import configure, import_claims

from pctui.core.claim import Address
from pctui.core.claim_status import ClaimStatus
from pctui.core.sample_claims import sample_claim
from pctui.store import claim_status, claims, submissions, users
from pctui.store.db import Store
from pctui.store.submissions import SendFailed, Sent
from pctui.store.tables import Claim, Submission, SubmissionClaim
from pctui.store.users import Actor
from pctui.x12.read837 import read_837
from pctui.x12.validate837 import validate_837


class Mailbox:
    """What the clearinghouse received: file name -> bytes."""

    def __init__(self, fail: str | None = None) -> None:
        self.files: dict[str, bytes] = {}
        self.fail = fail

    def __call__(self, connection, name: str, data: bytes) -> Sent:  # noqa: ANN001
        if self.fail:
            raise SendFailed(self.fail)
        self.files[name] = data
        return Sent(f"/SendFiles/{name}")


def status_of(store: Store, claim_id: str) -> str:
    return claims.list_claims(store, claim_id)[0].status


def test_ready_claims_go_out_in_one_valid_file_and_held_ones_stay(
    store: Store, admin: Actor, biller: Actor
) -> None:
    configure(store, admin)
    bad = sample_claim("ZIP5-1", 1)
    assert bad.billing_provider is not None
    bad.billing_provider.address = Address("1 MAIN ST", "", "SPRINGFIELD", "IL", "62701")
    import_claims(store, biller, sample_claim("GOOD-1"), sample_claim("GOOD-2", 2), bad)
    mailbox = Mailbox()

    run = submissions.submit_claims(store, biller, mailbox)

    by_id = {r.claim_id: r for r in run.results}
    assert by_id["GOOD-1"].status == by_id["GOOD-2"].status == "submitted"
    assert by_id["GOOD-1"].file == "PCTUI0001_000000001.837"
    assert by_id["ZIP5-1"].status == "held"
    assert [e.rule for e in by_id["ZIP5-1"].edits] == ["BILLING-ZIP-9"]
    [name] = mailbox.files
    text = mailbox.files[name].decode()
    assert validate_837(text) == []
    assert [c.claim_id for c in read_837(text).claims] == ["GOOD-1", "GOOD-2"]
    isa = text.splitlines()[0].split("*")
    assert (isa[6].strip(), isa[8].strip(), isa[13], isa[15]) == (
        "PCTUI0001", "CLAIMMD", "000000001", "T")
    assert [status_of(store, c) for c in ("GOOD-1", "GOOD-2", "ZIP5-1")] == [
        "submitted", "submitted", "held"]
    [row] = claims.list_claims(store, "GOOD-1")
    [change] = claim_status.history(store, row.pk)
    assert (change.status, change.file) == (ClaimStatus.SUBMITTED, "PCTUI0001_000000001.837")
    [sub] = submissions.list_submissions(store)
    assert (sub.status, sub.claim_count, sub.charge_cents) == ("sent", 2, 18500 + 2700)


def test_a_file_the_gateway_refuses_is_recorded_not_sent_and_its_claims_stay_ready(
    store: Store, admin: Actor, biller: Actor
) -> None:
    configure(store, admin)
    import_claims(store, biller, sample_claim("GOOD-1"))

    run = submissions.submit_claims(store, biller, Mailbox(fail="login refused (wrong password)"))

    [result] = run.results
    assert result.status == "not_sent"
    assert result.message == "not sent through BCBS via Claim.MD: login refused (wrong password)"
    assert status_of(store, "GOOD-1") == "ready"
    [sub] = submissions.list_submissions(store)
    assert sub.status == "not_sent" and "wrong password" in sub.error
    # sent the next time, under a new control number: a number is never used twice
    run = submissions.submit_claims(store, biller, Mailbox())
    assert [r.file for r in run.results] == ["PCTUI0001_000000002.837"]


def test_submitting_again_sends_nothing_twice(store: Store, admin: Actor, biller: Actor) -> None:
    configure(store, admin)
    import_claims(store, biller, sample_claim("GOOD-1"))
    assert submissions.submit_claims(store, biller, Mailbox()).all_sent

    again = submissions.submit_claims(store, biller, Mailbox())
    assert again.results == [] and again.files == []
    named = submissions.submit_claims(store, biller, Mailbox(), ["GOOD-1"])
    assert named.not_open == [("GOOD-1", ClaimStatus.SUBMITTED)]


def _submit_in_process(db: str, claim_ids: list[str], out: str) -> None:
    os.environ["PCTUI_KEYRING"] = "memory"
    store = Store.open(db)
    biller = users.identify(store, "bob")
    mailbox = Mailbox()
    run = submissions.submit_claims(store, biller, mailbox, claim_ids)
    Path(out).write_text("\n".join(f"{r.claim_id} {r.status} {r.file}" for r in run.results))
    store.close()


def test_two_sessions_submitting_at_once_never_share_a_control_number_or_a_claim(
    store: Store, admin: Actor, biller: Actor, db_path: Path, tmp_path: Path
) -> None:
    configure(store, admin)
    ids = [f"C-{n}" for n in range(12)]
    import_claims(store, biller, *(sample_claim(c, n) for n, c in enumerate(ids)))
    ctx = multiprocessing.get_context("spawn")
    outs = [tmp_path / "a.txt", tmp_path / "b.txt"]
    procs = [ctx.Process(target=_submit_in_process, args=(str(db_path), ids, str(o)))
             for o in outs]  # fmt: skip
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0

    with store.read() as session:
        subs = session.exec(select(Submission)).all()
        members = session.exec(select(SubmissionClaim)).all()
    sent = [s for s in subs if s.status == "sent"]
    assert len({s.interchange_control for s in subs}) == len(subs)
    in_sent = [m.claim_id for m in members if m.submission_id in {s.id for s in sent}]
    assert sorted(in_sent) == sorted(ids)  # each claim in exactly one sent file
    assert all(status_of(store, c) == "submitted" for c in ids)


def _crash_while_sending(db: str) -> None:
    os.environ["PCTUI_KEYRING"] = "memory"
    store = Store.open(db)
    biller = users.identify(store, "bob")

    def dies(connection, name, data):  # noqa: ANN001, ANN202
        os._exit(9)  # the power goes out mid-upload

    submissions.submit_claims(store, biller, dies)


def test_a_crash_mid_submit_leaves_claims_ready_with_the_file_recorded_never_lost(
    store: Store, admin: Actor, biller: Actor, db_path: Path
) -> None:
    configure(store, admin)
    import_claims(store, biller, sample_claim("GOOD-1"), sample_claim("GOOD-2", 2))
    proc = multiprocessing.get_context("spawn").Process(target=_crash_while_sending,
                                                        args=(str(db_path),))
    proc.start()
    proc.join(120)
    assert proc.exitcode == 9

    assert [status_of(store, c) for c in ("GOOD-1", "GOOD-2")] == ["ready", "ready"]
    [sub] = submissions.list_submissions(store)
    assert sub.status == "prepared"  # the file is recorded; nothing says it was sent
    with store.read() as session:
        pending = {r.claim_id: r.pending_submission_id for r in session.exec(select(Claim))}
    assert pending == {"GOOD-1": sub.id, "GOOD-2": sub.id}
    # a submission right away leaves them to the one that may still be running ...
    run = submissions.submit_claims(store, biller, Mailbox())
    assert {r.status for r in run.results} == {"not_sent"}
    # ... a later one marks the stale file interrupted and sends the claims
    run = submissions.submit_claims(store, biller, Mailbox(), stale_after=timedelta(0))
    assert run.interrupted == [sub.file_name]
    assert {r.status for r in run.results} == {"submitted"}
    assert [s.status for s in submissions.list_submissions(store)] == ["sent", "interrupted"]


def test_a_biller_who_is_not_registered_cannot_submit(store: Store, admin: Actor) -> None:
    stranger = users.identify(store, "mallory")
    with pytest.raises(users.PermissionDenied):
        submissions.submit_claims(store, stranger, Mailbox())


def test_a_rejected_claim_goes_out_again_only_when_named(
    store: Store, admin: Actor, biller: Actor
) -> None:
    configure(store, admin)
    import_claims(store, biller, sample_claim("NEW-1"), sample_claim("REJ-1", 2))
    [rejected] = claims.list_claims(store, "REJ-1")
    with store.write() as session:
        claim_status.set_status(session, rejected.pk, claim_status.Change(
            ClaimStatus.REJECTED, "277CA: subscriber ID mismatch", "277CA"), "bob")  # fmt: skip
    mailbox = Mailbox()

    run = submissions.submit_claims(store, biller, mailbox)

    # Not asked for, so not reported as "not sent" (a nightly submit stays clean).
    assert [(r.claim_id, r.status) for r in run.results] == [("NEW-1", "submitted")]
    assert status_of(store, "REJ-1") == "rejected"

    named = submissions.submit_claims(store, biller, mailbox, ["REJ-1"])

    assert [(r.claim_id, r.status) for r in named.results] == [("REJ-1", "submitted")]
    assert len(mailbox.files) == 2
