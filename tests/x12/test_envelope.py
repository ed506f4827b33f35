"""What a file's bytes mean: encodings, delimiters, envelopes, and the reasons a file is refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.x12.era_samples import sample_payment

from pctui.x12.envelope import FileRejected, decode_x12, read_x12, scan
from pctui.x12.write835 import X12Style, write_835

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "x12"
if not FIXTURES.is_dir():
    FIXTURES = Path(os.environ.get("PCTUI_FIXTURES", "../shared/fixtures/x12")).resolve()


def managed_care() -> bytes:
    return (FIXTURES / "835-managed-care.835").read_bytes()


def rejected(data: bytes) -> str:
    with pytest.raises(FileRejected) as caught:
        read_x12(data)
    return caught.value.reason


# --- bytes to text ---------------------------------------------------------------------------


def test_an_empty_file_is_refused_as_empty() -> None:
    assert rejected(b"") == "the file is empty"
    assert rejected(b"  \r\n\n\x00\x00") == "the file is empty"


def test_a_binary_file_is_refused_as_binary() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    assert rejected(png).startswith("binary data, not a text file")


def test_a_nul_byte_inside_an_x12_file_is_binary_data_with_its_line() -> None:
    data = managed_care().replace(b"N3*10 SOUTH", b"N3*10 \x00OUTH")
    reason = rejected(data)
    assert reason.startswith("binary data: a NUL byte in segment 8")


def test_a_text_file_that_is_not_x12_says_what_it_begins_with() -> None:
    reason = rejected(b"Patient,Amount\nSMITH,12.50\n")
    assert reason == "not an X12 file: it should begin with 'ISA' but begins with 'Patient,Amount'"


def test_a_latin1_byte_is_an_unreadable_encoding_naming_line_and_segment() -> None:
    data = managed_care().replace(b"RUSHMORE LIFE", b"RUSHM\xc9RE LIFE")
    reason = rejected(data)
    assert reason == (
        "unreadable encoding: byte 0xC9 at line 7, segment 7 (byte 328 of the file) is not ASCII "
        "or UTF-8 text; in Windows-1252 it is 'É' (latin capital letter e with acute); ask the "
        "sender for an ASCII or UTF-8 file")


def test_ebcdic_is_named_as_an_unreadable_encoding() -> None:
    data = "ISA*00*".encode("cp500") + b"\x40" * 200
    assert rejected(data).startswith("unreadable encoding: the file is EBCDIC")


def test_utf8_names_with_accents_are_kept() -> None:
    data = managed_care().replace(b"RUSHMORE LIFE", "RUSHMORÉ LIFE".encode())
    assert "RUSHMORÉ LIFE" in decode_x12(data)


def test_utf16_with_a_byte_order_mark_and_a_utf8_bom_are_read() -> None:
    text = managed_care().decode("ascii")
    assert decode_x12(text.encode("utf-16")).startswith("ISA*03")
    assert decode_x12(b"\xef\xbb\xbf" + managed_care()).startswith("ISA*03")


def test_leading_blank_lines_and_trailing_padding_are_ignored() -> None:
    scanned = read_x12(b"\r\n  " + managed_care() + b"\x00\x00\x1a\n\n")
    assert scanned.segment_count == 30


# --- delimiters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "style",
    [
        X12Style("|", ">", "^", "~", "\n"),
        X12Style("*", "^", "{", "\n", ""),
        X12Style("^", ":", "~", "!", "\r\n"),
        X12Style("*", ":", "^", "~", ""),
        X12Style("\x1d", "\x1f", "\x1e", "\x1c", ""),
    ],
    ids=["pipe", "newline-terminator", "bang-crlf", "no-line-breaks", "control-chars"],
)
def test_the_delimiters_each_isa_declares_are_used(style: X12Style) -> None:
    text = write_835([sample_payment()], style=style)
    scanned = scan(text)
    d = scanned.delimiters
    assert (d.element, d.component, d.repetition) == (style.element, style.component,
                                                      style.repetition)  # fmt: skip
    assert d.segment == style.segment
    assert [t.kind for t in scanned.transactions] == ["835"]


def test_crlf_after_the_terminator_is_recorded_as_the_line_break() -> None:
    text = write_835([sample_payment()], style=X12Style(line_break="\r\n"))
    assert scan(text).delimiters.line_break == "\r\n"


def test_lines_wrapped_at_80_columns_are_joined() -> None:
    flat = write_835([sample_payment()], style=X12Style(line_break=""))
    wrapped = "\n".join(flat[i : i + 80] for i in range(0, len(flat), 80))
    assert scan(wrapped).transactions[0].segment_count == scan(flat).transactions[0].segment_count


def test_indented_segments_are_read() -> None:
    flat = write_835([sample_payment()])
    text = write_835([sample_payment()], style=X12Style(line_break="\r\n  "))
    assert scan(text).transactions[0].segment_count == scan(flat).transactions[0].segment_count
    assert scan(text).transactions[0].findings == []


def test_interchanges_with_different_delimiters_in_one_file() -> None:
    first = write_835([sample_payment("EFT1")], interchange_control=1)
    second = write_835(
        [sample_payment("EFT2"), sample_payment("EFT3")],
        style=X12Style("|", ">", "^", "\n", ""),
        interchange_control=2,
    )
    scanned = scan(first + "\n" + second)
    assert [i.delimiters.element for i in scanned.interchanges] == ["*", "|"]
    assert [t.interchange_control for t in scanned.transactions] == [
        "000000001", "000000002", "000000002"]  # fmt: skip
    second_st = scanned.transactions[1].first_segment
    assert second_st == scanned.interchanges[1].first_segment + 2  # ISA, GS, ST


# --- rejects for damaged envelopes ---------------------------------------------------------------


def test_a_file_cut_inside_the_isa_is_truncated() -> None:
    assert rejected(managed_care()[:60]).startswith("truncated: the ISA header at segment 1")


def test_an_unpadded_isa_is_read_by_its_delimiters_with_a_finding() -> None:
    data = managed_care().replace(b"*9876543210*01*9876543210*", b"*98*01*98*", 1)
    scanned = read_x12(data)
    assert [t.control_number for t in scanned.transactions] == ["112233"]
    assert scanned.findings[0].message == (
        "The ISA header is 90 characters long, not 106: its elements are not "
        "padded to their fixed widths; read by its delimiters")
    # pyx12's own reader gets the ISA at its fixed widths.
    assert len(scanned.interchanges[0].text.split("~")[0]) == 105


def test_an_isa_that_ends_before_its_16th_element_is_refused_in_words() -> None:
    # ISA01 and ISA02 written as one: 15 elements, then the terminator and GS.
    data = managed_care().replace(b"ISA*03*9876543210*01*", b"ISA*039876543210*01*", 1)
    assert rejected(data) == (
        "the ISA header at segment 1 ends after 15 elements (its segment terminator '~' and "
        "the GS header follow); an ISA has 16, so its delimiters cannot be read for certain")


def test_a_file_without_iea_is_truncated() -> None:
    data = managed_care().rsplit(b"IEA", 1)[0]
    assert rejected(data).startswith("truncated: the interchange that starts at segment 1 has no IEA")


def test_a_missing_se_is_refused_naming_the_transaction_set() -> None:
    data = managed_care().replace(b"SE*26*112233~\n", b"")
    reason = rejected(data)
    assert "the transaction set '112233' that starts at segment 3 has no SE trailer" in reason


def test_a_missing_ge_is_refused() -> None:
    data = managed_care().replace(b"GE*1*1~\n", b"")
    assert "the functional group '1' that starts at segment 2 has no GE trailer" in rejected(data)


def test_a_999_is_the_wrong_transaction_set() -> None:
    text = managed_care().decode().replace("ST*835*112233", "ST*999*112233")
    reason = rejected(text.encode())
    assert reason.startswith("wrong transaction set: ST01 at segment 3 is '999'")


def test_mixed_835_and_837_in_one_file_is_refused() -> None:
    claims = (FIXTURES / "837p-example1.837").read_bytes()
    data = managed_care() + claims.replace(b"000000907", b"000000908")
    assert "mixes 835 and 837" in rejected(data)


def test_an_unsupported_isa_version_is_refused() -> None:
    data = managed_care().replace(b"*00501*", b"*00300*", 1)
    assert "ISA12 at segment 1 says version '00300'" in rejected(data)


# --- findings, not rejects ---------------------------------------------------------------------


def test_a_wrong_se_count_is_a_finding_on_the_payment() -> None:
    scanned = read_x12(managed_care().replace(b"SE*26*", b"SE*25*"))
    (finding,) = scanned.transactions[0].findings
    assert finding.message == (
        "Segment count in SE01 is '25' but transaction set 112233 has 26 segments"
    )
    assert finding.position == 28


def test_wrong_ge_and_iea_counts_and_control_numbers_are_file_findings() -> None:
    data = managed_care().replace(b"GE*1*1~", b"GE*2*7~").replace(b"IEA*1*000000907", b"IEA*3*9")
    messages = [f.message for f in read_x12(data).findings]
    assert messages == [
        "GE01 says the functional group holds '2' transaction sets but it holds 1",
        "GE02 control number '7' does not match GS06 '1'",
        "IEA01 says the interchange holds '3' functional groups but it holds 1",
        "IEA02 control number '9' does not match ISA13 '000000907'",
    ]


def test_text_after_the_last_iea_is_ignored_with_a_finding() -> None:
    scanned = read_x12(managed_care() + b"THIS IS A TRAILER PAGE\n")
    assert scanned.findings[0].message.startswith("22 characters after the last IEA")


def test_empty_segments_are_skipped_with_a_finding() -> None:
    data = managed_care().replace(b"DTM*405*20020314~", b"DTM*405*20020314~~")
    scanned = read_x12(data)
    assert scanned.transactions[0].segment_count == 26
    [skipped] = scanned.findings
    assert (skipped.message, skipped.position) == (
        "An empty segment (two terminators in a row) was skipped", 7)  # before segment 7
