"""pyx12's full 5010 validation, in words a biller understands."""

from __future__ import annotations

import os
from pathlib import Path

from tests.x12.era_samples import sample_payment

from pctui.core.era import FindingSource, Severity
from pctui.x12.envelope import read_x12, scan
from pctui.x12.validate import validate_interchanges
from pctui.x12.write835 import X12Style, write_835

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "x12"
if not FIXTURES.is_dir():
    FIXTURES = Path(os.environ.get("PCTUI_FIXTURES", "../shared/fixtures/x12")).resolve()


def validate_fixture(name: str) -> list[tuple[int | None, str]]:
    scanned = read_x12((FIXTURES / name).read_bytes())
    findings = validate_interchanges(scanned.interchanges)
    assert all(f.source is FindingSource.VALIDATION for f in findings)
    assert all(f.severity is Severity.ERROR for f in findings)
    return [(f.position, f.message) for f in findings]


def test_an_invalid_payment_date_and_a_missing_segment_in_plain_words() -> None:
    assert validate_fixture("835-managed-care.835") == [
        (4, "Segment BPR (segment 4), element 16 (Check Issue or EFT Effective Date): "
            "'20002316' is not a valid date"),
        (10, "Required segment PER (Payer Technical Contact Information) is missing"),
    ]  # fmt: skip


def test_elements_5010_does_not_use_are_named() -> None:
    found = validate_fixture("835-medicare-part-a.835")
    assert (13, "Segment TS3 (segment 13), element 09 (Monetary Amount): must not be sent "
                "here") in found  # fmt: skip


def test_a_segment_out_of_place_shows_its_text() -> None:
    found = dict(validate_fixture("835-cob-contractual-adjustment.835"))
    assert found[21] == (
        "Segment SVC*HC>55669 (segment 21) is not expected at this point of a 5010 835 (005010X221A1); it may "
        "be out of order, misspelled or badly formed"
    )


def test_a_clean_file_has_no_findings_and_remark_codes_are_not_checked() -> None:
    # N14 is a remark code newer than pyx12's list; it must not show as an error.
    assert validate_fixture("835-pyx12-mult-loops.835") == []


def test_a_generated_payment_passes_full_validation() -> None:
    scanned = scan(write_835([sample_payment()]))
    assert validate_interchanges(scanned.interchanges) == []


def test_positions_count_over_the_whole_file_across_interchanges() -> None:
    first = write_835([sample_payment("EFT1")], interchange_control=1)
    broken = sample_payment("EFT2")
    broken.claims[0].status_code = "Q"  # not a claim status code
    second = write_835([broken], interchange_control=2, style=X12Style("|", ">", "^", "~", ""))
    scanned = scan(first + second)
    (finding,) = validate_interchanges(scanned.interchanges)
    clp = scanned.interchanges[1].first_segment + 12  # ISA GS ST BPR TRN DTM N1 N3 N4 PER N1 LX
    assert finding.position == clp
    assert finding.message == (
        f"Segment CLP (segment {clp}), element 02 (Claim Status Code): 'Q' is not a valid "
        "code here"
    )


def test_a_payment_with_several_plb_segments_has_no_finding_for_them() -> None:
    """The 5010 835 allows PLB to repeat (pyx12's own map says so); pyx12 counts each as a new
    start of its footer loop, which pctui does not pass on to the biller."""
    from dataclasses import replace
    from datetime import date
    from decimal import Decimal

    from pctui.core.era import ProviderAdjustment

    plb = [ProviderAdjustment("1234567893", date(2026, 12, 31), "L6", None, Decimal("-5.00")),
           ProviderAdjustment("1234567893", date(2026, 12, 31), "WO", "OLDCLAIM9",
                              Decimal("12.00"))]  # fmt: skip
    text = write_835([replace(sample_payment(), provider_adjustments=plb)])
    # pctui's writer puts both in one PLB; payers often send one PLB each
    one = "PLB*1234567893*20261231*L6*-5*WO:OLDCLAIM9*12~"
    segments = int(text.split("SE*")[1].split("*")[0])
    text = text.replace(one, "PLB*1234567893*20261231*L6*-5~\nPLB*1234567893*20261231*"
                             "WO:OLDCLAIM9*12~").replace(f"SE*{segments}*", f"SE*{segments + 1}*")
    assert text.count("PLB*") == 2
    assert validate_interchanges(scan(text).interchanges) == []
