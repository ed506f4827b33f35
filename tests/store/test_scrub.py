"""Scrubbing claims before they go out: the edits of each claim's connection, pyx12 on the file,
held and ready statuses with every change recorded."""

from __future__ import annotations

import dataclasses
import json

import pytest

from pctui.core.claim import Address, Claim
from pctui.core.claim_status import ClaimStatus
from pctui.core.codes import PayerLevel
from pctui.core.sample_claims import sample_claim
from pctui.store import claim_status, claims, config_doc, scrub
from pctui.store.db import Store
from pctui.store.intake import import_bytes
from pctui.store.users import Actor
from pctui.x12.write837 import Envelope, write_837

BCBS = {"code": "BCBS", "name": "Blue Cross Blue Shield", "insurance_class": "commercial",
        "inbound_ids": ["84980"], "outbound_id": "84980"}
CONNECTION = {"payer_code": "BCBS", "name": "BCBS via Claim.MD", "gateway_type": "sftp",
              "endpoint": "sftp://sftp.claim.md:22/SendFiles", "submitter_id": "PCTUI0001",
              "receiver_id": "CLAIMMD", "compliance_rules": ["BILLING-ZIP-9", "NPI-CHECK-DIGIT",
                                                            "MCR-NCCI"]}  # fmt: skip


def configure(store: Store, admin: Actor, **connection: object) -> None:
    doc = {"payers": [BCBS], "connections": [{**CONNECTION, **connection}]}
    config_doc.import_config(store, admin, doc)


def import_claims(store: Store, actor: Actor, *claim_list: Claim, name: str = "day.837") -> None:
    text = write_837(list(claim_list), Envelope("EHR", "PRACTICE", 77)).text
    result = import_bytes(store, name, text.encode(), actor)
    assert result.status.value == "imported", result.errors


def status_of(store: Store, claim_id: str) -> tuple[str, str]:
    [row] = claims.list_claims(store, claim_id)
    return row.status, row.status_reason


def test_a_claim_failing_a_listed_edit_is_held_with_the_words_and_the_place(
    store: Store, admin: Actor, biller: Actor
) -> None:
    configure(store, admin)
    bad = sample_claim("ZIP5-1", 1)
    assert bad.billing_provider is not None
    bad.billing_provider.address = Address("100 MAIN ST", "", "SPRINGFIELD", "IL", "62701")
    import_claims(store, biller, sample_claim("GOOD-1"), name="good.837")
    import_claims(store, biller, bad, name="bad.837")

    run = scrub.check_claims(store, biller)

    by_id = {c.claim_id: c for c in run.checks}
    assert by_id["GOOD-1"].status is ClaimStatus.READY and by_id["GOOD-1"].failures == []
    held = by_id["ZIP5-1"]
    assert held.status is ClaimStatus.HELD and held.connection == "BCBS via Claim.MD"
    assert [(f.rule, f.message, f.where, f.value) for f in held.failures] == [
        ("BILLING-ZIP-9", "Billing provider ZIP code must have 9 digits", "2010AA N403", "62701")]
    assert held.unknown_rules == ("MCR-NCCI",)
    assert status_of(store, "ZIP5-1") == (
        "held", "Billing provider ZIP code must have 9 digits (found '62701') — 2010AA N403")
    assert status_of(store, "GOOD-1") == ("ready", "")
    [row] = claims.list_claims(store, "ZIP5-1")
    [change] = claim_status.history(store, row.pk)
    assert (change.status, change.source, change.user) == (ClaimStatus.HELD, "check", "bob")


def test_a_problem_pyx12_finds_holds_the_claim_under_snip_2_with_loop_and_line(
    store: Store, admin: Actor, biller: Actor
) -> None:
    configure(store, admin)
    claim = sample_claim("UNITS-1")
    claim.service_lines[1].unit_code = "XX"
    import_claims(store, biller, claim, sample_claim("GOOD-2", 2))

    run = scrub.check_claims(store, biller)

    by_id = {c.claim_id: c for c in run.checks}
    assert by_id["GOOD-2"].status is ClaimStatus.READY
    [failure] = by_id["UNITS-1"].failures
    assert (failure.rule, failure.where, failure.value) == (
        "5010-SNIP2", "2400 SV103 (line 2)", "XX")
    assert failure.message == "Unit or Basis for Measurement Code 'XX' is not a valid code here"


def test_a_separator_inside_a_value_fails_snip_1_and_the_rest_still_checks(
    store: Store, admin: Actor, biller: Actor
) -> None:
    configure(store, admin)
    import_claims(store, biller, sample_claim("SEP-1"), sample_claim("GOOD-3", 3))
    with store.write() as session:  # a value that can only arrive through a correction
        row = session.exec(claims.select(claims.Claim).where(
            claims.Claim.claim_id == "SEP-1")).one()
        detail = json.loads(row.detail)
        detail["billing_provider"]["last_name"] = "RIVERSIDE*FAMILY"
        row.detail = json.dumps(detail)
        session.add(row)

    run = scrub.check_claims(store, biller)

    by_id = {c.claim_id: c for c in run.checks}
    [failure] = by_id["SEP-1"].failures
    assert failure.rule == "5010-SNIP1" and failure.where == "2010AA NM1"
    assert "'RIVERSIDE*FAMILY' holds '*'" in failure.message
    assert by_id["GOOD-3"].status is ClaimStatus.READY


@pytest.mark.parametrize(("setup", "message"), [
    ("no payer", "The primary payer 'BLUE CROSS BLUE SHIELD' is not set up in pctui (Payer "
                 "Rules → Payers, with its outbound ID)"),
    ("no connection", "BCBS has no active connection (ADMIN → Insurance Payers)"),
    ("no receiver", "Connection 'BCBS via Claim.MD' has no receiver ID (ISA06/ISA08)"),
])  # fmt: skip
def test_a_claim_with_nowhere_to_go_is_held_saying_why(
    store: Store, admin: Actor, biller: Actor, setup: str, message: str
) -> None:
    if setup == "no connection":
        config_doc.import_config(store, admin, {"payers": [BCBS]})
    elif setup == "no receiver":
        configure(store, admin, receiver_id="")
    import_claims(store, biller, sample_claim("LOST-1"))

    [check] = scrub.check_claims(store, biller).checks

    assert check.status is ClaimStatus.HELD
    assert [(f.rule, f.message) for f in check.failures][0] == ("ROUTING", message)


def test_a_held_claim_that_passes_after_a_rule_change_is_ready_again_and_both_changes_recorded(
    store: Store, admin: Actor, biller: Actor
) -> None:
    configure(store, admin)
    claim = sample_claim("ZIP5-2")
    assert claim.billing_provider is not None and claim.billing_provider.address is not None
    claim.billing_provider.address.postal_code = "62701"
    import_claims(store, biller, claim)
    assert scrub.check_claims(store, biller).checks[0].status is ClaimStatus.HELD

    configure(store, admin, compliance_rules=["NPI-CHECK-DIGIT"])  # the payer dropped the rule
    [check] = scrub.check_claims(store, biller).checks

    assert check.status is ClaimStatus.READY
    [row] = claims.list_claims(store, "ZIP5-2")
    assert [(h.status, h.reason) for h in claim_status.history(store, row.pk)] == [
        (ClaimStatus.HELD, "Billing provider ZIP code must have 9 digits (found '62701') — "
                           "2010AA N403"),
        (ClaimStatus.READY, "Every edit passed"),
    ]  # fmt: skip


def test_an_administrators_rule_from_the_config_document_holds_claims(
    store: Store, admin: Actor, biller: Actor
) -> None:
    rule = {"id": "BCBS-GROUP", "description": "BCBS needs the group number",
            "kind": "pattern", "loop": "2000B", "segment": "SBR", "element": "03",
            "pattern": "GRP[0-9]{4}", "message": "Group number must be GRP and 4 digits"}
    config_doc.import_config(store, admin, {
        "payers": [BCBS], "connections": [{**CONNECTION, "compliance_rules": ["BCBS-GROUP"]}],
        "compliance_edits": [rule]})
    odd = sample_claim("GRP-1")
    assert odd.subscriber is not None
    odd.subscriber = dataclasses.replace(odd.subscriber, group_number="G-17")
    import_claims(store, biller, odd, sample_claim("GRP-2", 2))

    by_id = {c.claim_id: c for c in scrub.check_claims(store, biller).checks}

    assert [(f.rule, f.message, f.value) for f in by_id["GRP-1"].failures] == [
        ("BCBS-GROUP", "Group number must be GRP and 4 digits", "G-17")]
    assert by_id["GRP-2"].status is ClaimStatus.READY
    assert config_doc.export_config(store)["compliance_edits"] == [{**rule, "active": True}]


def test_checking_named_claims_reports_unknown_ids_and_claims_already_sent(
    store: Store, admin: Actor, biller: Actor
) -> None:
    configure(store, admin)
    import_claims(store, biller, sample_claim("A-1"), sample_claim("A-2", 2))
    with store.write() as session:
        [row] = claims.list_claims(store, "A-2")
        claim_status.set_status(session, row.pk, claim_status.Change(
            ClaimStatus.SUBMITTED, "sent in file 000000001", "submission"), "bob")

    run = scrub.check_claims(store, biller, ["A-1", "A-2", "NOPE"])

    assert [c.claim_id for c in run.checks] == ["A-1"]
    assert run.missing == ["NOPE"]
    assert run.not_open == [("A-2", ClaimStatus.SUBMITTED)]


def test_a_claim_imported_before_its_payer_was_set_up_goes_once_the_payer_is(
    store: Store, admin: Actor, biller: Actor
) -> None:
    """The day's 837P often arrives before an admin has set up a new payer: import warns that
    the payer is not set up; once it is, the claim is routed to its connection (and the claim
    records its payer, for the queue and for posting) instead of staying held for good."""
    import_claims(store, biller, sample_claim("EARLY-1"))
    assert scrub.check_claims(store, biller).checks[0].status is ClaimStatus.HELD
    configure(store, admin)

    run = scrub.check_claims(store, biller)

    [check] = run.checks
    assert (check.status, check.connection, check.failures) == (
        ClaimStatus.READY, "BCBS via Claim.MD", [])
    assert status_of(store, "EARLY-1") == ("ready", "Every edit passed")
    [row] = claims.list_claims(store, "EARLY-1")
    detail = claims.claim_detail(store, row.pk)
    assert detail is not None and detail.payers[PayerLevel.PRIMARY].payer_code == "BCBS"


def test_a_claim_that_names_no_payer_is_held_saying_so_in_plain_words(
    store: Store, admin: Actor, biller: Actor
) -> None:
    from tests.conftest import FIXTURES

    configure(store, admin)
    data = (FIXTURES / "realworld" / "837" / "clawd-sample_837_prof_rich.edi").read_bytes()
    assert b"NM1*PR" not in data  # an EHR export without the payer's loop
    import_bytes(store, "no-payer.837", data, biller)

    run = scrub.check_claims(store, biller)

    assert {c.status for c in run.checks} == {ClaimStatus.HELD}
    assert [(f.rule, f.message, f.where) for f in run.checks[0].failures][0] == (
        "ROUTING", "The claim names no primary payer (2010BB NM1*PR: no name, no payer ID); fix "
        "it in the EHR and import it again", "2010BB NM1*PR NM109")


def test_a_missing_loop_is_named_where_it_belongs_not_where_pyx12_noticed_it(
    store: Store, admin: Actor, biller: Actor
) -> None:
    """837p-cob-example3a's secondary payer (2320) has no 2330B payer name: pyx12 notices it at
    the next segment, the first service line's LX; the biller must be told 2330B."""
    from tests.conftest import FIXTURES

    key = {"code": "KEY", "name": "Key Insurance Company", "insurance_class": "commercial",
           "inbound_ids": ["999996666"], "outbound_id": "999996666"}
    config_doc.import_config(store, admin, {"payers": [key], "connections": [
        {**CONNECTION, "payer_code": "KEY", "compliance_rules": []}]})
    data = (FIXTURES / "837p-cob-example3a.837").read_bytes()
    import_bytes(store, "cob.837", data, biller)

    [check] = scrub.check_claims(store, biller).checks

    snip2 = [(f.message, f.where) for f in check.failures if f.rule == "5010-SNIP2"]
    assert ("Required segment NM1 (Other Payer Name) is missing", "2330B NM1") in snip2
