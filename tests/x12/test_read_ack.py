"""Reading acknowledgments: TA1, 999 and 277CA in a biller's words."""

from __future__ import annotations

import pytest
from tests.x12.ack_samples import nine_nine_nine, ta1, two_seventy_seven

from pctui.core.acknowledgment import AckKind, AckVerdict
from pctui.x12.read_ack import AckError, read_ack


def test_a_ta1_rejecting_the_interchange_says_why() -> None:
    ack = read_ack(ta1("123456789", "R", "006"))

    assert ack.kind is AckKind.TA1
    [interchange] = ack.interchanges
    assert interchange.interchange_control == "123456789"
    assert interchange.verdict is AckVerdict.REJECTED
    assert interchange.note == "Invalid interchange sender ID (TA105 006)"


def test_a_999_accepting_one_set_and_rejecting_another_keeps_each_error_with_its_place() -> None:
    text = nine_nine_nine("123456789", [
        ("0001", "A", []),
        ("0002", "R", ["IK3*N4*14*2010AA*8", "IK4*3*116*5*62701", "CTX*CLM01:CLAIM-7",
                       "IK3*REF*15*2010AA*3"]),
    ], "P")  # fmt: skip

    ack = read_ack(text)

    assert ack.kind is AckKind.F999
    [group] = ack.groups
    assert (group.group_control, group.verdict, group.counts) == (
        "123456789", AckVerdict.PARTIAL, ("2", "2", "1"))
    accepted, rejected = group.sets
    assert (accepted.control_number, accepted.verdict, accepted.errors) == (
        "0001", AckVerdict.ACCEPTED, [])
    assert rejected.verdict is AckVerdict.REJECTED
    zip_error, missing_ref = rejected.errors
    assert zip_error.message == "Data element too long '62701'"
    assert zip_error.location == "2010AA N403 (segment 14 of the transaction)"
    assert zip_error.context == "CLM01:CLAIM-7"
    assert missing_ref.message == "Required segment missing"
    assert missing_ref.location == "2010AA REF (segment 15 of the transaction)"


def test_a_999_naming_the_claim_right_after_ik3_keeps_it_on_the_element_error() -> None:
    """The 999 guide puts the segment's context (CTX*CLM01, which claim) right after IK3, before
    its IK4s: the biller must still be told which claim of the set the error is in."""
    text = nine_nine_nine("123456789", [
        ("0001", "R", ["IK3*NM1*17*2010BA*8", "CTX*CLM01:WALK003", "IK4*9*67*7*JS00111223333"]),
    ], "R")  # fmt: skip

    [error] = read_ack(text).groups[0].sets[0].errors

    assert (error.location, error.bad_value, error.context) == (
        "2010BA NM109 (segment 17 of the transaction)", "JS00111223333", "CLM01:WALK003")


def test_a_277ca_gives_each_claim_the_payers_verdict_and_words() -> None:
    ack = read_ack(two_seventy_seven("123456789", [
        ("CLAIM-1", "A2:20:PR", "PAYER0001"),
        ("CLAIM-2", "A7:585:85", ""),
    ]))  # fmt: skip

    assert ack.kind is AckKind.F277CA
    accepted, rejected = ack.claims
    assert (accepted.claim_id, accepted.verdict, accepted.payer_claim_number) == (
        "CLAIM-1", AckVerdict.ACCEPTED, "PAYER0001")
    assert accepted.message == ("Acknowledgement/Acceptance into adjudication system (A2) — "
                                "Accepted for processing (20) — entity: Payer")
    assert rejected.verdict is AckVerdict.REJECTED
    assert rejected.message == (
        "Acknowledgement/Rejected for Invalid Information (A7) — Billing Provider's ZIP code is "
        "not a 9-digit ZIP+4 (585) — entity: Billing provider — Billing provider ZIP+4 required")
    [(batch, batch_status)] = ack.batch_references
    assert batch == "123456789" and batch_status.category == "A1"


def test_a_file_that_is_no_acknowledgment_is_refused() -> None:
    with pytest.raises(AckError, match="no TA1, 999 or 277"):
        read_ack(ta1("1", "A", "000").replace("TA1*", "XYZ*"))


def test_the_places_a_rejection_points_at_are_read_back_from_its_words() -> None:
    """The correction form puts first the fields a rejection points at: a 999 error's place and
    a 277CA status's entity, read from the words pctui wrote for them."""
    from pctui.core.acknowledgment import rejection_places

    error = read_ack(nine_nine_nine("1", [("0001", "R", [
        "IK3*DMG*20*2010BA*8", "IK4*2*1251*8*19500115X"])], "R")).groups[0].sets[0].errors[0]
    [claim] = read_ack(two_seventy_seven("1", [("C-1", "A7:33:IL", "")])).claims

    assert rejection_places(f"999: rejected; {error.message} at {error.location}") == [
        ("2010BA", "DMG", "02")]
    assert rejection_places(f"277CA: {claim.message}") == [("2010BA", "NM1", "")]
    assert rejection_places("277CA: Returned as unprocessable claim (A3)") == []
