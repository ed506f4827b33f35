"""835s in other versions than 005010X221A1, and files the full check cannot follow (issue 10
item 4), on minimal generated files: each is read, said so in a biller's words, and checked
against the guide that applies; no library's internals ever reach the biller. The real files
that showed each are in test_realworld_intake.py (pyx12-x12testdata-835id, stupidedi-samples-
835-*, affect-sample_835)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.x12.era_samples import sample_payment

from pctui.store import intake, users
from pctui.store.db import Store
from pctui.store.intake import ImportStatus
from pctui.x12.write835 import write_835

INTERNALS = re.compile(r"Map not found|icvn|vriic|fic=|list index|IndexError|Traceback|pyx12")


def imported(store: Store, admin: users.Actor, tmp_path: Path, text: str) -> intake.ImportResult:
    path = tmp_path / "remit.835"
    path.write_text(text)
    (result,) = intake.import_paths(store, [path], admin,
                                    validate_below_segments=intake.INLINE_VALIDATION_MAX_SEGMENTS)
    assert result.status is ImportStatus.IMPORTED, result.errors
    assert len(result.created) == 1
    assert not [f.text for f in result.findings if INTERNALS.search(f.text)]
    return result


def test_a_4010_remittance_is_read_said_so_and_checked_against_the_4010_guide(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    text = write_835([sample_payment("EFT4010")])
    text = text.replace("*^*00501*", "*U*00401*").replace("005010X221A1", "004010X091A1")

    texts = [f.text for f in imported(store, admin, tmp_path, text).findings]

    assert ("This is a 4010 remittance (004010X091A1), the format used before 5010; pctui reads "
            "its payments and posts them as it does 5010 ones. (at segment 2)") in texts
    checked = [t for t in texts if "is not expected at this point of" in t]
    assert checked and all("of a 4010 835 (004010X091A1)" in t for t in checked)
    assert not [t for t in texts if "5010 835" in t]


def test_an_835_naming_the_guide_before_its_addenda_is_checked_against_x221a1(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    payment = sample_payment("EFTX221")
    payment.claims[0].status_code = "Q"  # not a claim status code: the check that applies runs
    text = write_835([payment]).replace("005010X221A1", "005010X221")

    texts = [f.text for f in imported(store, admin, tmp_path, text).findings]

    assert any(t.startswith("This 835 names the 5010 remittance guide before its 2011 addenda "
                            "(005010X221); its payments are read as 5010 ones.") for t in texts)
    assert any(t.startswith("Full validation: pctui checks 835s against the 5010 remittance "
                            "guide with its 2011 addenda (005010X221A1), not the one this file "
                            "names (005010X221)") for t in texts)
    assert any(t.startswith("Segment CLP (segment 13), element 02 (Claim Status Code): 'Q' is "
                            "not a valid code here") for t in texts), texts


def test_a_segment_the_full_check_cannot_follow_is_said_in_words_and_the_payment_stays(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    text = write_835([sample_payment("EFTSVC")])
    # SVC01 with more parts than the guide has: the full check stops (pyx12: "list index out
    # of range"); pctui's own reading of the payment does not depend on it.
    text = text.replace("SVC*HC:99213:25*", "SVC*HC:99213:25:59:XU:GT:DESC:X:Y:Z*", 1)

    result = imported(store, admin, tmp_path, text)

    assert ("Full validation of the interchanges starting at segment 1 could not finish: a "
            "segment there departs too far from the implementation guide for the full check to "
            "follow the file's structure. pctui's own checks (envelopes, counts, amounts, "
            "balancing) still apply.") in [f.text for f in result.findings]
