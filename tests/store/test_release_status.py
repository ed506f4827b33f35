"""A released 835 moves each claim it pays to paid, partially paid or denied, with the 835 as
the reason; claims it does not pay keep their status."""

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
from pctui.store import claim_status, claims, release
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
