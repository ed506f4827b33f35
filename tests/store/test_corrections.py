"""A biller corrects the field a failed edit points at; the claim is checked again at once."""

from __future__ import annotations

import pytest
from tests.store.test_scrub import configure, import_claims, status_of

from pctui.core.claim import Address
from pctui.core.claim_fields import fields_for_failures
from pctui.core.claim_status import ClaimStatus
from pctui.core.sample_claims import sample_claim
from pctui.store import audit, claim_status, claims, corrections, scrub
from pctui.store.db import Store
from pctui.store.errors import ValidationFailed
from pctui.store.users import Actor


@pytest.fixture
def held(store: Store, admin: Actor, biller: Actor) -> int:
    configure(store, admin)
    claim = sample_claim("ZIP5-1")
    assert claim.billing_provider is not None
    claim.billing_provider.address = Address("100 MAIN ST", "", "SPRINGFIELD", "IL", "62701")
    import_claims(store, biller, claim)
    [check] = scrub.check_claims(store, biller).checks
    assert check.status is ClaimStatus.HELD
    return check.pk


def test_the_form_offers_the_field_the_failed_edit_points_at(store: Store, biller: Actor,
                                                              held: int) -> None:  # fmt: skip
    [check] = scrub.check_claims(store, biller, ["ZIP5-1"], record=False).checks
    assert check.claim is not None
    fields = fields_for_failures(check.claim, check.failures)
    assert [(f.id, f.label, f.get(check.claim)) for f in fields] == [
        ("billing.zip", "Billing ZIP (9 digits)", "62701")]


def test_correcting_the_zip_makes_the_claim_ready_and_records_who_changed_what(
    store: Store, biller: Actor, held: int
) -> None:
    check = corrections.correct_claim(store, biller, held, {"billing.zip": "62701-1234"})

    assert check.status is ClaimStatus.READY and check.failures == []
    [row] = claims.list_claims(store, "ZIP5-1")
    assert (row.status, row.status_reason) == ("ready", "corrected: Billing ZIP (9 digits)")
    assert [(h.status, h.source, h.reason) for h in claim_status.history(store, held)][1:] == [
        (ClaimStatus.READY, "correction", "corrected: Billing ZIP (9 digits)"),
    ]
    [entry] = [e for e in audit.entries(store, "claim", held) if e.action == "corrected"]
    assert entry.user == "bob"
    assert entry.changes == {"Billing ZIP (9 digits)": ["62701", "627011234"]}


def test_a_correction_that_still_fails_leaves_the_claim_held_with_the_new_reason(
    store: Store, biller: Actor, held: int
) -> None:
    check = corrections.correct_claim(store, biller, held, {"billing.zip": "62702"})

    assert check.status is ClaimStatus.HELD
    assert check.failures[0].value == "62702"


@pytest.mark.parametrize(("changes", "problems"), [
    ({"billing.zip": "6270"}, {"billing.zip": "5 or 9 digits"}),
    ({"billing.npi": "1234567890"}, {"billing.npi": "an NPI is 10 digits with a valid check "
                                                    "digit"}),
    ({"billing.line1": "1 MAIN*ST"}, {"billing.line1": "* : ^ and ~ separate X12 values and "
                                                       "cannot be part of one"}),
    ({"colour": "red"}, {"colour": "not a field pctui can correct"}),
    ({"billing.zip": "62701"}, {"claim": "nothing was changed"}),
])  # fmt: skip
def test_a_bad_value_is_refused_by_field_and_nothing_changes(
    store: Store, biller: Actor, held: int, changes: dict[str, str], problems: dict[str, str]
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        corrections.correct_claim(store, biller, held, changes)
    assert refused.value.errors == problems
    assert claims.list_claims(store, "ZIP5-1")[0].status == "held"


def test_a_submitted_claim_cannot_be_corrected_here(store: Store, biller: Actor, held: int) -> None:
    with store.write() as session:
        claim_status.set_status(session, held, claim_status.Change(
            ClaimStatus.SUBMITTED, "sent", "submission"), "bob")
    with pytest.raises(ValidationFailed, match="is submitted; only a ready, held or rejected"):
        corrections.correct_claim(store, biller, held, {"billing.zip": "627011234"})


def test_a_claim_corrected_in_the_ehr_and_imported_again_is_a_conflict_never_a_duplicate(
    store: Store, admin: Actor, biller: Actor
) -> None:
    """The payer rejected the member ID; the biller fixes it in the EHR, which exports the claim
    again under the same CLM01 (an original). pctui must not drop it as a duplicate: the biller
    sees what changed and takes the corrected claim, which is then what goes out."""
    from pctui.store.claim_intake import list_conflicts, resolve_conflict

    configure(store, admin)
    claim = sample_claim("MEMBER-1")
    import_claims(store, biller, claim, name="monday.837")
    corrected = sample_claim("MEMBER-1")
    assert corrected.subscriber is not None and corrected.subscriber.subscriber is not None
    corrected.subscriber.subscriber.identifier = "XYZ999999999"
    from pctui.store.intake import import_bytes
    from pctui.x12.write837 import Envelope, write_837

    text = write_837([corrected], Envelope("EHR", "PRACTICE", 78)).text
    result = import_bytes(store, "tuesday.837", text.encode(), biller)

    assert result.status.value == "imported", result.errors
    [conflict] = list_conflicts(store)
    assert conflict.differences == ["subscriber member ID XYZ000000000 → XYZ999999999"]
    again = import_bytes(store, "monday-again.837", write_837(
        [claim], Envelope("EHR2", "PRACTICE", 79)).text.encode(), biller)  # fmt: skip
    assert again.status.value == "duplicate"  # the same claim from another file: a duplicate

    with store.write() as session:  # the payer rejected the claim with the wrong member ID
        from pctui.store.claim_status import Change, set_status

        [row] = claims.list_claims(store, "MEMBER-1")
        set_status(session, row.pk, Change(ClaimStatus.REJECTED, "277CA: member ID", "test"),
                   "bob")
    resolve_conflict(store, biller, conflict.id, take_new=True)

    [check] = scrub.check_claims(store, biller, ["MEMBER-1"], record=False).checks
    assert check.claim is not None and check.claim.subscriber is not None
    assert check.claim.subscriber.subscriber is not None
    assert check.claim.subscriber.subscriber.identifier == "XYZ999999999"
    # never adjudicated: it goes out again as an original, and is ready to be sent
    assert check.claim.frequency_code == "1"
    assert status_of(store, "MEMBER-1") == ("ready", "corrected: taken from tuesday.837")
