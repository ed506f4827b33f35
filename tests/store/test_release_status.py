"""A released 835 moves each claim it pays to paid, partially paid or denied, with the 835 as
the reason; claims it does not pay keep their status. A rework that posts a claim payment later
moves its claim the same way; a void puts each claim back where it was before the payment."""

from __future__ import annotations

import pytest
from tests.store.test_release import (
    BCBS_IN,
    DEPOSIT,
    PayerLevel,
    add_claim,
    add_payer,
    add_rule,
    clp,
    import_835,
    payment,
    primary_pays,
    svc,
)

from pctui.core.claim_status import ClaimStatus
from pctui.store import claim_status, claims, release, rework, void
from pctui.store.db import Store
from pctui.store.users import Actor


@pytest.fixture
def practice(store: Store) -> None:
    add_rule(store, BCBS_IN, add_payer(store, "BCBS", "Blue Cross", [BCBS_IN]))


def status(store: Store, claim_id: str) -> tuple[str, str]:
    [row] = claims.list_claims(store, claim_id)
    return row.status, row.status_reason


def test_paid_partially_paid_and_denied_claims_after_a_release(
    store: Store, biller: Actor, practice: None
) -> None:
    for claim_id in ("PAID-1", "PART-1", "DENY-1", "WAIT-1"):
        add_claim(store, claim_id, ["120.00", "80.00"], {PayerLevel.PRIMARY: "Blue Cross"})
    era = payment(
        "CHK-1", BCBS_IN, primary_pays("PAID-1"),
        clp("PART-1", "1", svc("PART-1", 1, "99213", "120.00", "90.00", ("CO", "45", "30")),
            svc("PART-1", 2, "36415", "80.00", "0.00", ("CO", "97", "80"))),
        clp("DENY-1", "4", svc("DENY-1", 1, "99213", "120.00", "0.00", ("CO", "50", "120")),
            svc("DENY-1", 2, "36415", "80.00", "0.00", ("CO", "50", "80"))),
    )  # fmt: skip
    era_id = import_835(store, biller, era)

    [result] = release.release_eras(store, biller, [era_id], DEPOSIT, "B-1")

    assert result.released
    assert status(store, "PAID-1") == ("paid", "835 CHK-1: paid 130.00 of 200.00")
    assert status(store, "PART-1") == ("partially_paid", "835 CHK-1: paid 90.00 of 200.00")
    assert status(store, "DENY-1") == ("denied", "835 CHK-1: paid 0.00 of 200.00")
    assert status(store, "WAIT-1") == ("ready", "")
    [row] = claims.list_claims(store, "PAID-1")
    [change] = claim_status.history(store, row.pk)
    assert (change.status, change.source, change.era_id, change.file) == (
        ClaimStatus.PAID, "835", era_id, "CHK-1.835")


def test_a_claim_paid_by_rework_is_paid_with_the_835_as_the_reason(
    store: Store, biller: Actor, practice: None
) -> None:
    era_id = import_835(store, biller, payment("CHK-2", BCBS_IN, primary_pays("LATE-1")))
    [result] = release.release_eras(store, biller, [era_id], DEPOSIT, "B-2")
    assert result.released  # with an error line: the claim was not on file yet
    add_claim(store, "LATE-1", ["120.00", "80.00"], {PayerLevel.PRIMARY: "Blue Cross"})
    assert status(store, "LATE-1") == ("ready", "")
    [line] = [line for line in rework.open_lines(store) if line.claim_id == "LATE-1"]

    [done] = rework.rework_lines(store, biller, [line.id])

    assert done.status == "reworked", done.message
    assert status(store, "LATE-1") == ("paid", "835 CHK-2: paid 130.00 of 200.00")
    [row] = claims.list_claims(store, "LATE-1")
    [change] = claim_status.history(store, row.pk)
    assert (change.status, change.source, change.era_id) == (ClaimStatus.PAID, "835", era_id)


def test_voiding_a_release_puts_its_claims_back_where_they_were_before_the_payment(
    store: Store, biller: Actor, admin: Actor, practice: None
) -> None:
    for claim_id in ("SENT-1", "OLD-1"):
        add_claim(store, claim_id, ["120.00", "80.00"], {PayerLevel.PRIMARY: "Blue Cross"})
    [sent] = claims.list_claims(store, "SENT-1")
    with store.write() as session:  # accepted by the payer's 277CA before the 835 came
        claim_status.set_status(session, sent.pk, claim_status.Change(
            ClaimStatus.ACCEPTED, "277CA: accepted", "277CA"), "bob")  # fmt: skip
    era_id = import_835(store, biller, payment("CHK-3", BCBS_IN, primary_pays("SENT-1"),
                                               primary_pays("OLD-1")))  # fmt: skip
    release.release_eras(store, biller, [era_id], DEPOSIT, "B-3")
    assert status(store, "SENT-1")[0] == status(store, "OLD-1")[0] == "paid"

    void.void_release(store, admin, era_id, "posted to the wrong practice")

    assert status(store, "SENT-1") == (
        "accepted", f"payment #{era_id} (CHK-3) voided: posted to the wrong practice")
    assert status(store, "OLD-1")[0] == "ready"  # no status before the payment: as imported
    history = claim_status.history(store, sent.pk)
    assert [(h.status, h.source) for h in history] == [
        (ClaimStatus.ACCEPTED, "277CA"), (ClaimStatus.PAID, "835"), (ClaimStatus.ACCEPTED, "void")]

    # Released again: paid again.
    release.release_eras(store, biller, [era_id], DEPOSIT, "B-4")
    assert status(store, "SENT-1") == ("paid", "835 CHK-3: paid 130.00 of 200.00")
