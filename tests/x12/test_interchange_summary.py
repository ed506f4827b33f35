"""A quick look at X12 files for the mailbox: usage flag, kind, acknowledgment summary."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.exchange.samples import ack_277ca, ack_999, claims_837, era_835, isa, ta1

from pctui.x12.interchange_summary import kind_of, summarize_acknowledgment, usage_flags


def test_kinds_of_what_a_mailbox_returns() -> None:
    assert kind_of(era_835()) == "835"
    assert kind_of(ack_999()) == "999"
    assert kind_of(ta1()) == "TA1"
    assert kind_of(ack_277ca([("C1", "A1:20")])) == "277CA"
    assert kind_of(claims_837()) == "837"
    assert kind_of(b"%PDF-1.4 report") == "other"


def test_every_interchange_usage_flag_is_read_with_any_delimiters() -> None:
    two = claims_837("T") + b"\n" + claims_837("P")
    assert usage_flags(two) == ["T", "P"]
    unpadded = b"ISA|00||00||ZZ|SUB|ZZ|REC|260102|1200|^|00501|1|0|P|>\nGS|HC|S|R|20260102|1200|1|X|005010X222A1\n"
    assert usage_flags(unpadded + b"IEA|0|1\n") == ["P"]
    assert usage_flags(b"not x12 at all") == []


def test_a_999_summary_names_group_and_sets() -> None:
    summary = summarize_acknowledgment(ack_999(accepted=1, rejected=1, group="4242"))
    assert summary is not None
    assert summary.text == "999 for group 4242: 1 of 2 transaction sets accepted, 1 rejected"
    assert summary.outcome == "partly_accepted" and summary.answers == ["4242", "0001", "0002"]
    assert summary.items[1]["errors"] == ["segment NM1 at 12: code 8", "element 9: code 7 (ABC)"]


def test_a_277ca_summary_counts_claims_by_category() -> None:
    summary = summarize_acknowledgment(ack_277ca([("A", "A2:20"), ("B", "A3:21"), ("C", "A1:19")]))
    assert summary is not None and (summary.accepted, summary.rejected) == (2, 1)
    assert summary.text == "277CA: 2 of 3 claims accepted, 1 rejected"
    assert summarize_acknowledgment(era_835()) is None


def test_a_ta1_accepting_the_interchange() -> None:
    summary = summarize_acknowledgment(ta1("A", "000"))
    assert summary is not None and summary.outcome == "accepted"
    assert summary.text == "TA1: interchange 000000777 accepted"
    assert isa().startswith("ISA*00*")


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=300).map(lambda t: ("ISA*" + t).encode()))
def test_no_file_makes_the_quick_look_fail(data: bytes) -> None:
    assert kind_of(data) in ("835", "999", "TA1", "277CA", "837", "other")
    usage_flags(data)
    summarize_acknowledgment(data)
