"""Acknowledgments attach to what pctui sent and move each claim with the payer's words."""

from __future__ import annotations

import hashlib

from tests.store.test_scrub import configure, import_claims
from tests.store.test_submissions import Mailbox
from tests.x12.ack_samples import nine_nine_nine, ta1, two_seventy_seven

from pctui.core.claim_status import ClaimStatus
from pctui.core.sample_claims import sample_claim
from pctui.exchange.handoff import hand_off
from pctui.store import acknowledgments, claim_status, claims, connections, mailbox, submissions
from pctui.store.db import Store
from pctui.store.users import Actor, identify
from pctui.x12.interchange_summary import kind_of


def submitted(store: Store, admin: Actor, biller: Actor, *ids: str) -> str:
    configure(store, admin)
    import_claims(store, biller, *(sample_claim(c, n) for n, c in enumerate(ids)))
    run = submissions.submit_claims(store, biller, Mailbox())
    assert run.all_sent
    return run.files[0].interchange_control


def status(store: Store, claim_id: str) -> tuple[str, str]:
    [row] = claims.list_claims(store, claim_id)
    return row.status, row.status_reason


def receive(store: Store, name: str, text: str) -> acknowledgments.AckResult:
    """As a poll does: the mailbox stores the file and records the acknowledgment, then the
    claims side applies it."""
    data = text.encode()
    view = connections.list_connections(store)[0]
    kind = kind_of(data)
    file_id = mailbox.receive(store, view.id, None, name, data, hashlib.sha256(data).hexdigest(),
                              kind, "bob")  # fmt: skip
    assert file_id is not None
    hand_off(store, identify(store, "bob"), view, file_id, name, data, kind)
    [result] = acknowledgments.apply_received(store, "bob")
    return result


def test_a_999_then_a_277ca_take_claims_to_accepted_and_rejected_with_the_payers_words(
    store: Store, admin: Actor, biller: Actor
) -> None:
    control = submitted(store, admin, biller, "C-1", "C-2")

    first = receive(store, "ack.999", nine_nine_nine(str(int(control)), [("0001", "A", [])], "A"))

    assert (first.kind, first.verdict, first.submission) == (
        "999", "accepted", "PCTUI0001_000000001.837")
    assert [(m.claim_id, m.status) for m in first.claims] == [
        ("C-1", ClaimStatus.ACKNOWLEDGED), ("C-2", ClaimStatus.ACKNOWLEDGED)]
    assert status(store, "C-1")[0] == "acknowledged"

    second = receive(store, "status.277", two_seventy_seven(control, [
        ("C-1", "A2:20:PR", "PAYER0001"), ("C-2", "A7:585:85", "")]))

    # one claim accepted, one rejected: the file is partly accepted, as a 999's AK9 P says
    assert second.kind == "277CA" and second.verdict == "partially_accepted"
    assert status(store, "C-1") == (
        "accepted", "277CA: Acknowledgement/Acceptance into adjudication system (A2) — Accepted "
        "for processing (20) — entity: Payer")
    assert status(store, "C-2") == (
        "rejected", "277CA: Acknowledgement/Rejected for Invalid Information (A7) — Billing "
        "Provider's ZIP code is not a 9-digit ZIP+4 (585) — entity: Billing provider — Billing "
        "provider ZIP+4 required")
    [row] = claims.list_claims(store, "C-2")
    assert [(h.status, h.source, h.file) for h in claim_status.history(store, row.pk)] == [
        (ClaimStatus.SUBMITTED, "submission", "PCTUI0001_000000001.837"),
        (ClaimStatus.ACKNOWLEDGED, "acknowledgment", "ack.999"),
        (ClaimStatus.REJECTED, "acknowledgment", "status.277"),
    ]  # fmt: skip
    [sent] = submissions.claim_submissions(store, row.pk)
    assert sent.claim_status == "rejected"


def test_a_999_rejecting_a_transaction_set_rejects_its_claims_with_the_place(
    store: Store, admin: Actor, biller: Actor
) -> None:
    control = submitted(store, admin, biller, "C-1")

    result = receive(store, "reject.999", nine_nine_nine(control, [
        ("0001", "R", ["IK3*N4*14*2010AA*8", "IK4*3*116*5*62701"])], "R"))

    assert status(store, "C-1") == (
        "rejected", "999: transaction set 0001 rejected; Data element too long '62701' at "
        "2010AA N403 (segment 14 of the transaction)")
    assert result.verdict == "rejected"
    [sub] = submissions.list_submissions(store)
    assert sub.ack_status == "rejected"


def test_a_ta1_refusing_the_interchange_rejects_every_claim_in_the_file(
    store: Store, admin: Actor, biller: Actor
) -> None:
    control = submitted(store, admin, biller, "C-1", "C-2")

    receive(store, "env.ta1", ta1(control, "R", "006"))

    assert status(store, "C-1") == status(store, "C-2") == (
        "rejected", "TA1: Invalid interchange sender ID (TA105 006): the whole file "
        "PCTUI0001_000000001.837 was refused")


def test_an_acknowledgment_that_matches_nothing_is_kept_and_listed(
    store: Store, admin: Actor, biller: Actor
) -> None:
    submitted(store, admin, biller, "C-1")

    result = receive(store, "stray.999", nine_nine_nine("424242", [("0001", "A", [])], "A"))
    other = receive(store, "stray.277", two_seventy_seven("1", [("NOT-OURS", "A2:20:PR", "")]))

    assert not result.matched and result.unmatched == ["functional group 424242"]
    assert not other.matched and other.unmatched == ["claim NOT-OURS"]
    listed = acknowledgments.list_acknowledgments(store, unmatched_only=True)
    assert [a.file_name for a in listed] == ["stray.277", "stray.999"]
    assert status(store, "C-1")[0] == "submitted"


def test_a_late_999_never_moves_a_claim_back_and_each_is_applied_once(
    store: Store, admin: Actor, biller: Actor
) -> None:
    control = submitted(store, admin, biller, "C-1")
    receive(store, "a.277", two_seventy_seven(control, [("C-1", "A2:20:PR", "")]))

    late = receive(store, "late.999", nine_nine_nine(control, [("0001", "A", [])], "A"))

    assert status(store, "C-1")[0] == "accepted"
    assert [m.moved for m in late.claims] == [False]
    assert acknowledgments.apply_received(store, "bob") == []  # nothing left to apply
    assert [a.file_name for a in acknowledgments.list_acknowledgments(store)] == [
        "late.999", "a.277"]


def test_the_claims_story_names_the_acknowledgment_file(store: Store, admin: Actor,
                                                        biller: Actor) -> None:  # fmt: skip
    control = submitted(store, admin, biller, "C-1")
    receive(store, "status_0001.277", two_seventy_seven(control, [("C-1", "A2:20:PR", "P1")]))

    [row] = claims.list_claims(store, "C-1")
    last = claim_status.history(store, row.pk)[-1]
    assert (last.status, last.file) == (ClaimStatus.ACCEPTED, "status_0001.277")
    [sent] = submissions.claim_submissions(store, row.pk)
    assert sent.payer_claim_number == "P1"
