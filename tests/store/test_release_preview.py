"""The release preview (SPEC 2.3 step 9, issue 8): what a release will do, before it posts —
claims found and not found, held, credits — counted as the release would count them, nothing
written. The first look (no engine) agrees with the full preview on found, not found and held."""

from __future__ import annotations

from datetime import date

import pytest
from test_release import (  # the store stories' practice and 835 builders
    BCBS_IN,
    MCD_IN,
    add_claim,
    clp,
    count,
    import_835,
    payment,
    practice,  # noqa: F401 - the fixture: Blue Cross and Medi-Cal with rules
    primary_pays,
    svc,
)

from pctui.core.codes import PayerLevel
from pctui.store import release
from pctui.store.release_preview import first_look, preview_release
from pctui.store.tables import LedgerEntry

BOTH = {PayerLevel.PRIMARY: "Blue Cross", PayerLevel.SECONDARY: "Medi-Cal"}


def secondary_pays(claim_id: str):  # noqa: ANN201
    return clp(claim_id, "2", svc(claim_id, 1, "99213", "120.00", "20.00", ("CO", "45", "5")),
               svc(claim_id, 2, "36415", "80.00", "10.00"))  # fmt: skip


@pytest.mark.usefixtures("practice")
def test_the_preview_counts_found_not_found_held_and_credits_and_writes_nothing(
    store, biller
) -> None:
    add_claim(store, "PCN1", ["120.00", "80.00"], BOTH)
    add_claim(store, "PCN2", ["120.00", "80.00"], BOTH)
    primary = import_835(store, biller, payment("P1", BCBS_IN, primary_pays("PCN1"),
                                                primary_pays("GHOST")))  # fmt: skip
    over = clp("PCN2", "1", svc("PCN2", 1, "99213", "120.00", "150.00"),
               svc("PCN2", 2, "36415", "80.00", "80.00"))  # pays 30.00 more than the charge
    secondary = import_835(store, biller, payment("S1", MCD_IN, secondary_pays("PCN1"),
                                                  secondary_pays("PCN2"), payer="MEDI-CAL"))
    credit = import_835(store, biller, payment("O1", BCBS_IN, over))
    entries = count(store, LedgerEntry)

    alone = preview_release(store, [secondary])
    assert [(p.found, p.not_found, p.held) for p in alone.payments] == [(2, 0, 2)]
    together = preview_release(store, [secondary, primary, credit])
    by_id = {p.era_id: p for p in together.payments}
    assert [p.era_id for p in together.payments] == [primary, credit, secondary]  # posting order
    assert (by_id[primary].found, by_id[primary].not_found, by_id[primary].held) == (1, 1, 0)
    assert (by_id[credit].credits, by_id[secondary].held) == (1, 0)
    # P1: GHOST not found. O1 overpays PCN2 by 30.00; Medi-Cal then pays PCN2 what it no
    # longer owes: two credits.
    assert together.complete and together.describe() == (
        "4 claims found · 1 not found · 0 held · 2 credits · 3 error-report lines")
    for ids in ([secondary], [secondary, primary, credit]):
        quick = first_look(store, ids)
        full = preview_release(store, ids)
        assert [(p.era_id, p.found, p.not_found, p.held) for p in quick.payments] == [
            (p.era_id, p.found, p.not_found, p.held) for p in full.payments]
        assert not quick.complete and "checking" in quick.describe()
    assert count(store, LedgerEntry) == entries  # nothing was posted


@pytest.mark.usefixtures("practice")
def test_a_released_payment_is_previewed_as_refused(store, biller) -> None:
    add_claim(store, "PCN1", ["120.00", "80.00"], BOTH)
    era_id = import_835(store, biller, payment("P1", BCBS_IN, primary_pays("PCN1")))
    release.release_eras(store, biller, [era_id], date(2026, 11, 22))
    (seen,) = preview_release(store, [era_id]).payments
    assert seen.refused == "already released"
