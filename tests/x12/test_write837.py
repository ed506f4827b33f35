"""Writing 837P files: every claim pctui can read is written out, validated by pyx12 and read
back into the same claim; envelopes, counts and HL levels are right."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from tests.conftest import FIXTURES

from pctui.core.claim import Claim, Entity, Segment
from pctui.x12.envelope import FileRejected, read_x12
from pctui.x12.read837 import read_837
from pctui.x12.validate837 import validate_837
from pctui.x12.write837 import Envelope, Write837Error, claim_view, write_837

REALWORLD = FIXTURES / "realworld" / "837"
ENVELOPE = Envelope("PCTUI0001", "CLAIMMD", 123456789, usage="T", receiver_name="CLAIM.MD",
                    created=datetime(2026, 12, 1, 9, 30))  # fmt: skip


def readable_claim_files() -> list[Path]:
    files = sorted(FIXTURES.glob("*.837")) + sorted(REALWORLD.iterdir())
    readable = []
    for path in files:
        try:
            read_837(read_x12(path.read_bytes()))
        except FileRejected:
            continue  # institutional, dental, broken envelopes: not claims pctui keeps
        readable.append(path)
    return readable


def first_of_each(claims: list[Claim]) -> list[Claim]:
    seen: dict[str, Claim] = {}
    for claim in claims:
        seen.setdefault(claim.claim_id, claim)
    return list(seen.values())


def as_sent(original: Claim, back: Claim) -> Claim:
    """``back`` with what the writer sets on purpose put back: the submitter ID is the
    connection's, and LX01 is written 1, 2, 3 (pctui's line numbers are its own)."""
    submitter = back.submitter
    if submitter is not None and original.submitter is not None:
        submitter = dataclasses.replace(submitter, identifier=original.submitter.identifier)
    lines = [dataclasses.replace(b, line_number=a.line_number)
             for a, b in zip(original.service_lines, back.service_lines, strict=True)]
    return dataclasses.replace(back, submitter=submitter, service_lines=lines)


def problem_segments(text: str) -> set[str]:
    return {p.segment_id for p in validate_837(text)}


@pytest.mark.parametrize("path", readable_claim_files(), ids=lambda p: p.name)
def test_every_claim_file_round_trips_through_the_writer(path: Path) -> None:
    claims = first_of_each(read_837(read_x12(path.read_bytes())).claims)

    written = write_837(claims, ENVELOPE)
    back = read_837(written.text).claims

    assert [as_sent(a, b) for a, b in zip(claims, back, strict=True)] == claims
    problems = validate_837(written.text)
    # The writer adds no problem of its own: envelopes, counts and HL levels pass, and every
    # problem left is in a claim's own content ...
    assert all(written.claims_at(p.position or 0) for p in problems), [
        p.message for p in problems if not written.claims_at(p.position or 0)]
    # ... and, where pyx12 can read the original (X222A1), the same segments had problems there
    # (the original as pctui reads it: an ISA written unpadded is padded, as pyx12 needs).
    scanned = read_x12(path.read_bytes())
    source = "".join(interchange.text for interchange in scanned.interchanges)
    if "005010X222A1" in source:
        assert problem_segments(written.text) <= problem_segments(source)


def test_an_implementation_guide_example_is_written_valid_with_the_connections_envelope() -> None:
    [claim] = read_837((REALWORLD / "stupidedi-X222A1-commercial-health-insurance.edi")
                       .read_text()).claims  # fmt: skip

    written = write_837([claim], ENVELOPE)

    lines = written.text.splitlines()
    isa = lines[0]
    assert len(isa) == 106
    assert isa.split("*")[6] == "PCTUI0001      " and isa.split("*")[8] == "CLAIMMD        "
    assert isa.split("*")[13:16] == ["123456789", "0", "T"]
    assert lines[1] == "GS*HC*PCTUI0001*CLAIMMD*20261201*0930*123456789*X*005010X222A1~"
    assert lines[2] == "ST*837*0001*005010X222A1~"
    assert lines[3] == "BHT*0019*00*123456789*20261201*0930*CH~"
    assert lines[4] == "NM1*41*2*PREMIER BILLING SERVICE*****46*PCTUI0001~"
    assert lines[6] == "NM1*40*2*CLAIM.MD*****46*CLAIMMD~"
    se = next(line for line in lines if line.startswith("SE*"))
    st_to_se = lines[lines.index("ST*837*0001*005010X222A1~"): lines.index(se) + 1]
    assert se == f"SE*{len(st_to_se)}*0001~"
    assert lines[-2:] == ["GE*1*123456789~", "IEA*1*123456789~"]
    assert validate_837(written.text) == []


def test_claims_of_two_billing_providers_get_one_provider_level_each_with_subscribers_under_it(
) -> None:  # fmt: skip
    [first] = read_837((REALWORLD / "stupidedi-X222A1-commercial-health-insurance.edi")
                       .read_text()).claims  # fmt: skip
    [other] = read_837((REALWORLD / "stupidedi-X222A1-anesthesia.edi").read_text()).claims
    second = dataclasses.replace(first, claim_id="26463775")

    written = write_837([first, other, second], ENVELOPE)

    hls = [line.rstrip("~").split("*")[1:] for line in written.text.splitlines()
           if line.startswith("HL*")]  # fmt: skip
    assert hls == [
        ["1", "", "20", "1"], ["2", "1", "22", "1"], ["3", "2", "23", "0"],  # first
        ["4", "1", "22", "1"], ["5", "4", "23", "0"],  # second: same billing provider
        ["6", "", "20", "1"], ["7", "6", "22", "0"],  # the anesthesia group's own provider
    ]  # fmt: skip
    assert [c.claim_id for c in read_837(written.text).claims] == [
        "26463774", "26463775", "153829140"]  # fmt: skip
    assert validate_837(written.text) == []


def test_encounters_go_in_their_own_transaction_set() -> None:
    [claim] = read_837((REALWORLD / "stupidedi-X222A1-commercial-health-insurance.edi")
                       .read_text()).claims  # fmt: skip
    [encounter] = read_837((REALWORLD / "stupidedi-X222A1-encounter.edi").read_text()).claims

    written = write_837([claim, encounter], ENVELOPE)

    assert [(t.control_number, t.claim_ids) for t in written.transactions] == [
        ("0001", ("26463774",)), ("0002", ("26462967",))]  # fmt: skip
    assert "BHT*0019*00*123456789*20261201*0930*RP~" in written.text
    assert "GE*2*123456789~" in written.text
    assert validate_837(written.text) == []


def test_a_value_holding_a_separator_is_refused_with_the_claim_and_the_place() -> None:
    [claim] = read_837((FIXTURES / "837p-example1.837").read_text()).claims
    assert claim.billing_provider is not None
    claim.billing_provider = dataclasses.replace(claim.billing_provider,
                                                 last_name="BEN*KILDARE SERVICE")  # fmt: skip

    with pytest.raises(Write837Error) as refused:
        write_837([claim], ENVELOPE)

    assert str(refused.value) == (
        "Claim 26463774: 'BEN*KILDARE SERVICE' holds '*', which separates X12 values "
        "(2010AA NM1)")


def test_problems_point_at_the_claim_loop_and_line_they_are_in() -> None:
    [claim] = read_837((FIXTURES / "837p-example1.837").read_text()).claims
    claim.service_lines[2].unit_code = "XX"

    written = write_837([claim], ENVELOPE)

    [problem] = [p for p in validate_837(written.text) if p.segment_id == "SV1"]
    assert written.claims_at(problem.position or 0) == ("26463774",)
    assert written.place(problem.position or 0) == ("2400", 3)


def test_the_claim_view_tags_each_segment_with_its_loop_and_line() -> None:
    [claim] = read_837((FIXTURES / "837p-example1.837").read_text()).claims

    view = claim_view(claim)

    places = [(loop, seg.id, line) for loop, seg, line in view]
    assert places[:4] == [("2000A", "PRV", None), ("2010AA", "NM1", None),
                          ("2010AA", "N3", None), ("2010AA", "N4", None)]  # fmt: skip
    assert ("2010BB", "NM1", None) in places
    assert ("2400", "SV1", 4) in places
    assert all(line is None for loop, _, line in places if not loop.startswith("24"))


def test_a_claim_built_in_code_writes_a_valid_file() -> None:
    """What demo data and the benchmark build: a claim from parts, not from a file."""
    from pctui.core.sample_claims import sample_claim

    written = write_837([sample_claim("DEMO-1"), sample_claim("DEMO-2")], ENVELOPE)

    assert validate_837(written.text) == []
    back = read_837(written.text).claims
    assert [c.claim_id for c in back] == ["DEMO-1", "DEMO-2"]
    assert back[0].charge == Decimal("185.00")
    assert isinstance(back[0].submitter, Entity)
    assert Segment("PER", ("IC", "BILLING OFFICE", "TE", "5555550100")) in back[0].submitter.extra
