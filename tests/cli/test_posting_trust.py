"""Issue 8 end to end: posting a biller can trust, through `pctui import`, `pctui config import`,
`pctui release`, `pctui rework`, `pctui void` and `pctui batches`, read back from
`pctui claims --json` to the cent (every row also checked for charge = paid + adjusted +
balances by the Biller)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from scenarios import (
    DEPOSIT,
    Biller,
    claim_837,
    config,
    file_835,
    file_837,
    level,
    owes,
    rule,
    standard_rules,
)


@pytest.fixture
def biller(db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Biller:
    return Biller(db_path, tmp_path, capsys)


def second_biller(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> Biller:
    folder = tmp_path / name
    folder.mkdir()
    return Biller(folder / "practice.db", folder, capsys)


def ids(biller: Biller, *checks: str) -> list[str]:
    found = biller.eras()
    return [str(found[check]["id"]) for check in checks]


def release(biller: Biller, *checks: str, extra: tuple[str, ...] = (),
            expect_code: int = 0) -> list[dict[str, Any]]:  # fmt: skip
    code, out, err = biller.run("release", *ids(biller, *checks), "--deposit-date", DEPOSIT,
                                "--json", *extra)  # fmt: skip
    assert code == expect_code, (out, err)
    return json.loads(out)


# -- 1. marking order never changes the money ---------------------------------------------------

CROSSOVER_CLAIMS = file_837(
    claim_837(2, "C1", ["BCBS", "AETNA"], [("99213", "100.00", "1", None, "C1L1")]))
# Blue Cross (primary) pays on 2026-11-05: 60 paid, CO-45 10, PR-2 30 moves to Aetna.
PRIMARY = file_835("BC100", "60.00", [
    "LX*1", "CLP*C1*1*100.00*60.00*30.00*12*BCICN1",
    "SVC*HC:99213*100.00*60.00**1", "DTM*472*20261001", "CAS*CO*45*10.00", "CAS*PR*2*30.00",
    "REF*6R*C1L1",
])  # fmt: skip
# Aetna (secondary) paid earlier, on 2026-11-03: 25.60 of the 30.00, CO-45 4.40; OA-23 repeats
# Blue Cross's adjudication.
SECONDARY = file_835("AE200", "25.60", [
    "LX*1", "CLP*C1*2*100.00*25.60*0.00*12*AEICN1",
    "SVC*HC:99213*100.00*25.60**1", "DTM*472*20261001", "CAS*OA*23*70.00", "CAS*CO*45*4.40",
    "REF*6R*C1L1",
], payer="AETNA", control=3, paid="20261103")  # fmt: skip
# Paid 60 + 25.60; written off 10 + 4.40; nobody owes anything.
SETTLED = ("100.00", "85.60", "14.40", owes())


def crossover_practice(biller: Biller) -> None:
    biller.configure(config())
    biller.import_file("claims.837", CROSSOVER_CLAIMS)
    biller.import_file("bcbs.835", PRIMARY)
    biller.import_file("aetna.835", SECONDARY)


@pytest.mark.parametrize("marked", [("BC100", "AE200"), ("AE200", "BC100")])
def test_released_together_the_primary_posts_first_whatever_the_marking_order(
    biller: Biller, marked: tuple[str, str]
) -> None:
    crossover_practice(biller)

    results = release(biller, *marked)

    assert [(r["status"], r["errors"]) for r in results] == [("released", [])] * 2
    assert biller.claim("C1") == SETTLED


def test_pctui_release_a_b_and_b_a_give_the_same_balances(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    balances = []
    for name, order in (("ab", ("BC100", "AE200")), ("ba", ("AE200", "BC100"))):
        biller = second_biller(tmp_path, capsys, name)
        crossover_practice(biller)
        release(biller, *order)
        balances.append(biller.claims())
    assert balances[0] == balances[1]


def test_a_secondary_released_alone_is_held_then_reworked_once_the_primary_is_posted(
    biller: Biller,
) -> None:
    crossover_practice(biller)

    (held,) = release(biller, "AE200")

    assert held["status"] == "released_with_errors" and held["claims_posted"] == 0
    assert held["errors"] == [
        "C1: Held: the primary payment for this claim has not been posted (amount 25.60)"]
    assert biller.claim("C1") == ("100.00", "0.00", "0.00", owes(primary="100.00"))
    assert biller.eras()["AE200"]["status"] == "released_with_errors"

    release(biller, "BC100")
    assert biller.claim("C1") == ("100.00", "60.00", "10.00", owes(secondary="30.00"))

    code, out, _ = biller.run("errors", "--json", "--check")
    assert code == 0
    (line,) = json.loads(out)
    assert (line["claim_id"], line["kind"], line["reworkable"], line["rework"]) == (
        "C1", "held", True, "ready: would be posted")

    code, out, err = biller.run("rework", str(line["id"]), "--json")

    assert code == 0, err
    (reworked,) = json.loads(out)
    assert (reworked["status"], reworked["batch"], reworked["errors"]) == (
        "reworked", "B20261120-01", [])
    assert biller.claim("C1") == SETTLED  # as if released together
    code, out, _ = biller.run("errors", "--json")
    assert json.loads(out) == []


def test_one_rework_of_a_held_secondary_and_tertiary_posts_both_whatever_the_order(
    biller: Biller,
) -> None:
    """The tertiary arrived and was held first (the lower line number); one `pctui rework`
    naming both posts the secondary, then the tertiary it freed."""
    biller.configure(config())
    biller.import_file("claims.837", file_837(claim_837(
        2, "C1", ["BCBS", "AETNA", "MCR"], [("99213", "100.00", "1", None, "C1L1")])))
    biller.import_file("bcbs.835", PRIMARY)  # 60 paid, CO-45 10, PR-2 30 to Aetna
    biller.import_file("aetna.835", file_835("AE300", "20.00", [
        "LX*1", "CLP*C1*2*100.00*20.00*5.00*12*AEICN3",
        "SVC*HC:99213*100.00*20.00**1", "DTM*472*20261001", "CAS*OA*23*75.00",
        "CAS*PR*2*5.00", "REF*6R*C1L1",
    ], payer="AETNA", control=3))  # 20 paid, 5 to Medicare
    biller.import_file("mcr.835", file_835("MC400", "4.00", [
        "LX*1", "CLP*C1*3*100.00*4.00*1.00*12*MCICN4",
        "SVC*HC:99213*100.00*4.00**1", "DTM*472*20261001", "CAS*OA*23*95.00",
        "CAS*PR*2*1.00", "REF*6R*C1L1",
    ], payer="MCR", control=4))  # 4 paid, 1 to the patient
    release(biller, "MC400")  # held: the secondary has not been posted
    release(biller, "AE300")  # held: the primary has not been posted
    release(biller, "BC100")
    code, out, _ = biller.run("errors", "--json")
    tertiary, secondary = sorted(line["id"] for line in json.loads(out))

    code, out, err = biller.run("rework", str(secondary), str(tertiary), "--json")

    assert code == 0, (out, err)
    assert [r["status"] for r in json.loads(out)] == ["reworked", "reworked"]
    # CO-45 10 at Blue Cross, and each later OA-23 writes off what its level had left (5 at
    # Aetna, 0 at Medicare)
    assert biller.claim("C1") == ("100.00", "84.00", "15.00", owes(patient="1.00"))
    assert json.loads(biller.run("errors", "--json")[1]) == []


def test_an_835_line_for_a_service_the_replacement_claim_removed_is_not_found(
    biller: Biller,
) -> None:
    """The replacement (CLM05-3 = 7) kept only 99213; the payer still paid 97110 too. That
    payment cannot land on the removed line: it is on the error report, and the rest posts."""
    biller.configure(config())
    original = claim_837(2, "K8", ["BCBS", "AETNA"], [("99213", "100.00", "1", None, None),
                                                     ("97110", "50.00", "1", None, None)])
    biller.import_file("original.837", file_837(original))
    replacement = [seg.replace("11:B:1", "11:B:7") for seg in claim_837(
        2, "K8", ["BCBS", "AETNA"], [("99213", "100.00", "1", None, None)])]
    biller.import_file("replacement.837", file_837(replacement, control=5))
    biller.import_file("bcbs.835", file_835("BC800", "100.00", [
        "LX*1", "CLP*K8*1*150.00*100.00*15.00*12*BCICN8",
        "SVC*HC:99213*100.00*70.00**1", "DTM*472*20261001", "CAS*CO*45*20.00",
        "CAS*PR*1*10.00",
        "SVC*HC:97110*50.00*30.00**1", "DTM*472*20261001", "CAS*CO*45*15.00",
        "CAS*PR*1*5.00",
    ]))

    (result,) = release(biller, "BC800")

    assert result["status"] == "released_with_errors"
    assert any("97110" in line and "not found" in line for line in result["errors"]), result
    # 99213: paid 70, CO-45 20, PR-1 10 moves to Aetna; the 30 for 97110 is not posted.
    assert biller.claim("K8") == ("100.00", "70.00", "20.00", owes(secondary="10.00"))


def test_releasing_the_primary_later_says_which_held_claims_can_now_be_reworked(
    biller: Biller,
) -> None:
    crossover_practice(biller)
    release(biller, "AE200")  # the secondary arrived first: held
    (held,) = json.loads(biller.run("errors", "--json")[1])

    code, out, err = biller.run("release", *ids(biller, "BC100"), "--deposit-date", DEPOSIT)

    assert code == 0, err
    aetna = ids(biller, "AE200")[0]
    assert (f"    C1 held on payment #{aetna} (AE200) can be reworked now: "
            f"pctui rework {held['id']}") in out.splitlines()
    # Nothing moved on its own: the held secondary waits for the biller's rework.
    assert biller.claim("C1") == ("100.00", "60.00", "10.00", owes(secondary="30.00"))

    # --json names the line, its payment and claim, for a script to rework.
    biller.run("void", ids(biller, "BC100")[0], "--reason", "again, as JSON")
    (result,) = release(biller, "BC100")
    assert result["reworkable_now"] == [
        {"line": held["id"], "payment": int(aetna), "claim_id": "C1"}]


def test_reworking_before_the_cause_is_fixed_posts_nothing_and_keeps_the_line_open(
    biller: Biller,
) -> None:
    crossover_practice(biller)
    release(biller, "AE200")
    (line,) = json.loads(biller.run("errors", "--json")[1])

    code, out, _ = biller.run("rework", str(line["id"]), "--json")

    assert code == 1
    (result,) = json.loads(out)
    assert result["status"] == "not_posted"
    assert "Held: the primary payment for this claim has not been posted" in result["message"]
    assert biller.claim("C1") == ("100.00", "0.00", "0.00", owes(primary="100.00"))
    assert [row["id"] for row in json.loads(biller.run("errors", "--json")[1])] == [line["id"]]


OPPOSITE_CLAIMS = file_837(
    claim_837(2, "X1", ["BCBS", "AETNA"], [("99213", "100.00", "1", None, "X1L1")]),
    claim_837(3, "Y1", ["AETNA", "BCBS"], [("99213", "100.00", "1", None, "Y1L1")]),
)
# Blue Cross (paid the 3rd): X1 as primary (60, PR-2 40 to Aetna), Y1 as secondary (30).
OPPOSITE_BCBS = file_835("BC300", "90.00", [
    "LX*1",
    "CLP*X1*1*100.00*60.00*40.00*12*BCX", "SVC*HC:99213*100.00*60.00**1",
    "DTM*472*20261001", "CAS*PR*2*40.00", "REF*6R*X1L1",
    "CLP*Y1*2*100.00*30.00*0.00*12*BCY", "SVC*HC:99213*100.00*30.00**1",
    "DTM*472*20261001", "CAS*OA*23*70.00", "REF*6R*Y1L1",
], paid="20261103")  # fmt: skip
# Aetna (paid the 5th): Y1 as primary (70, PR-2 30 to Blue Cross), X1 as secondary (40).
OPPOSITE_AETNA = file_835("AE300", "110.00", [
    "LX*1",
    "CLP*Y1*1*100.00*70.00*30.00*12*AEY", "SVC*HC:99213*100.00*70.00**1",
    "DTM*472*20261001", "CAS*PR*2*30.00", "REF*6R*Y1L1",
    "CLP*X1*2*100.00*40.00*0.00*12*AEX", "SVC*HC:99213*100.00*40.00**1",
    "DTM*472*20261001", "CAS*OA*23*60.00", "REF*6R*X1L1",
], payer="AETNA", control=3)  # fmt: skip


def opposite_practice(biller: Biller) -> None:
    biller.configure(config())
    biller.import_file("claims.837", OPPOSITE_CLAIMS)
    biller.import_file("bcbs.835", OPPOSITE_BCBS)
    biller.import_file("aetna.835", OPPOSITE_AETNA)


def test_two_payments_needing_opposite_orders_still_post_everything_in_one_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outcomes = []
    for name, order in (("ab", ("BC300", "AE300")), ("ba", ("AE300", "BC300"))):
        biller = second_biller(tmp_path, capsys, name)
        opposite_practice(biller)

        results = {r["id"]: r for r in release(biller, *order)}

        bc, ae = (results[int(i)] for i in ids(biller, "BC300", "AE300"))
        # Blue Cross posted first (earlier date): Y1's secondary had to wait for Aetna's primary
        # and was posted at the end of the same run.
        assert bc["errors"] == [
            "Y1: Held: the primary payment for this claim has not been posted (amount 30.00)"]
        assert bc["reworked"] == ["Y1: posted by rework #1"]
        assert ae["errors"] == []
        outcomes.append(biller.claims())
        assert biller.claim("X1") == ("100.00", "100.00", "0.00", owes())
        assert biller.claim("Y1") == ("100.00", "100.00", "0.00", owes())
    assert outcomes[0] == outcomes[1]


def test_payments_that_depend_on_each_other_are_refused_alone_and_voided_together(
    biller: Biller,
) -> None:
    opposite_practice(biller)
    release(biller, "BC300", "AE300")
    settled = biller.claims()
    bc, ae = ids(biller, "BC300", "AE300")

    for alone in (bc, ae):  # each is the earlier level on a claim of the other: neither goes first
        code, out, err = biller.run("void", alone, "--reason", "wrong deposit", "--json")
        assert code == 1
        refused = json.loads(out)
        assert (refused["status"], refused["together"]) == ("refused", sorted([int(bc), int(ae)]))
        assert "on it in turn (they were posted together)" in err
        assert f"pctui void {min(bc, ae, key=int)} {max(bc, ae, key=int)} --reason" in err
    assert biller.claims() == settled  # nothing moved

    code, out, err = biller.run("void", bc, ae, "--reason", "wrong deposit", "--json")

    assert code == 0, err
    assert sorted((v["id"], v["status"]) for v in json.loads(out)) == sorted(
        [(int(bc), "voided"), (int(ae), "voided")])
    assert biller.claim("X1") == ("100.00", "0.00", "0.00", owes(primary="100.00"))
    assert biller.claim("Y1") == ("100.00", "0.00", "0.00", owes(primary="100.00"))
    assert {e["status"] for e in biller.eras().values()} == {"ready"}
    release(biller, "AE300", "BC300")
    assert biller.claims() == settled


# -- 2. Patient Balances = Adjust ---------------------------------------------------------------


def test_medicaid_adjust_writes_off_the_patient_responsibility_it_moves_to_the_patient(
    biller: Biller,
) -> None:
    biller.configure(config())
    biller.import_file("claims.837", file_837(
        claim_837(2, "Z1", ["MCD"], [("99213", "100.00", "1", None, "Z1L1")])))
    biller.import_file("medicaid.835", file_835("MD100", "70.00", [
        "LX*1", "CLP*Z1*1*100.00*70.00*10.00*MC*MDICN1",
        "SVC*HC:99213*100.00*70.00**1", "DTM*472*20261001", "CAS*CO*45*20.00",
        "CAS*PR*3*10.00", "REF*6R*Z1L1",
    ], payer="MCD"))  # fmt: skip

    (result,) = release(biller, "MD100")

    assert (result["status"], result["errors"]) == ("released", [])
    # CO-45 20 (AMCD); the 10.00 copay goes to the patient and is adjusted to zero (AMCD).
    assert biller.claim("Z1") == ("100.00", "70.00", "30.00", owes())
    patient = [e for e in biller.ledger("Z1") if e[1] == "patient"]
    assert patient == [("transfer", "patient", "10.00", "", 1, "PR-3"),
                       ("adjustment", "patient", "-10.00", "AMCD", 1, "")]  # fmt: skip


# -- 3. a reversal listed after its corrected claim ---------------------------------------------


def test_a_reversal_listed_after_its_correction_leaves_the_payers_final_answer(
    biller: Biller,
) -> None:
    biller.configure(config())
    biller.import_file("claims.837", file_837(
        claim_837(2, "R1", ["BCBS"], [("99213", "100.00", "1", None, "R1L1")])))
    biller.import_file("first.835", file_835("BC400", "60.00", [
        "LX*1", "CLP*R1*1*100.00*60.00*20.00*12*ICN1",
        "SVC*HC:99213*100.00*60.00**1", "DTM*472*20261001", "CAS*CO*45*20.00",
        "CAS*PR*2*20.00", "REF*6R*R1L1",
    ]))  # fmt: skip
    release(biller, "BC400")
    assert biller.claim("R1") == ("100.00", "60.00", "20.00", owes(patient="20.00"))
    # The corrected claim comes first, its reversal after it: BPR02 = 80 - 60 = 20.
    biller.import_file("second.835", file_835("BC401", "20.00", [
        "LX*1",
        "CLP*R1*1*100.00*80.00*0.00*12*ICN2",
        "SVC*HC:99213*100.00*80.00**1", "DTM*472*20261001", "CAS*CO*45*20.00", "REF*6R*R1L1",
        "CLP*R1*22*-100.00*-60.00*-20.00*12*ICN1",
        "SVC*HC:99213*-100.00*-60.00**1", "DTM*472*20261001", "CAS*CO*45*-20.00",
        "CAS*PR*2*-20.00", "REF*6R*R1L1",
    ], control=3))  # fmt: skip

    (result,) = release(biller, "BC401")

    assert (result["status"], result["claims_posted"], result["errors"]) == ("released", 2, [])
    # The payer's final answer: paid 80 + CO-45 20. Nobody owes anything.
    assert biller.claim("R1") == ("100.00", "80.00", "20.00", owes())


# -- 4. a down-coded line (SVC06) ---------------------------------------------------------------


def test_a_down_coded_line_is_matched_by_the_code_as_billed(biller: Biller) -> None:
    biller.configure(config())
    biller.import_file("claims.837", file_837(claim_837(
        2, "D1", ["BCBS"], [("99213", "100.00", "1", None, None),
                            ("99214", "100.00", "1", None, None)])))  # fmt: skip
    biller.import_file("bcbs.835", file_835("BC500", "130.00", [
        "LX*1", "CLP*D1*1*200.00*130.00*0.00*12*ICN5",
        # billed 99214, paid as 99213 (SVC06 gives the code as billed)
        "SVC*HC:99213*100.00*60.00**1*HC:99214", "DTM*472*20261001", "CAS*CO*45*40.00",
        # the 99213 as billed
        "SVC*HC:99213*100.00*70.00**1", "DTM*472*20261001", "CAS*CO*45*30.00",
    ]))  # fmt: skip

    (result,) = release(biller, "BC500")

    assert (result["status"], result["errors"]) == ("released", [])
    assert biller.claim("D1") == ("200.00", "130.00", "70.00", owes())
    payments = [(e[4], e[2]) for e in biller.ledger("D1") if e[0] == "payment"]
    assert payments == [(2, "-60.00"), (1, "-70.00")]  # 99214 is line 2, 99213 line 1


# -- 5. which posting a reversal undoes ---------------------------------------------------------


def test_a_reversal_undoes_the_posting_its_clp07_names_when_one_payer_holds_two_levels(
    biller: Biller,
) -> None:
    biller.configure(config())
    biller.import_file("claims.837", file_837(
        claim_837(2, "E1", ["BCBS", "BCBS"], [("99213", "100.00", "1", None, "E1L1")])))
    biller.import_file("primary.835", file_835("BC600", "60.00", [
        "LX*1", "CLP*E1*1*100.00*60.00*40.00*12*ICNP",
        "SVC*HC:99213*100.00*60.00**1", "DTM*472*20261001", "CAS*PR*2*40.00", "REF*6R*E1L1",
    ]))  # fmt: skip
    biller.import_file("secondary.835", file_835("BC601", "30.00", [
        "LX*1", "CLP*E1*2*100.00*30.00*10.00*12*ICNS",
        "SVC*HC:99213*100.00*30.00**1", "DTM*472*20261001", "CAS*OA*23*60.00",
        "CAS*PR*2*10.00", "REF*6R*E1L1",
    ], control=3, paid="20261106"))  # fmt: skip
    release(biller, "BC600", "BC601")
    assert biller.claim("E1") == ("100.00", "90.00", "0.00", owes(patient="10.00"))
    # Blue Cross reverses its primary payment (CLP07 ICNP) and pays it again: BPR02 = 0.
    biller.import_file("correction.835", file_835("BC602", "0.00", [
        "LX*1",
        "CLP*E1*22*-100.00*-60.00*-40.00*12*ICNP",
        "SVC*HC:99213*-100.00*-60.00**1", "DTM*472*20261001", "CAS*PR*2*-40.00", "REF*6R*E1L1",
        "CLP*E1*1*100.00*60.00*40.00*12*ICNP2",
        "SVC*HC:99213*100.00*60.00**1", "DTM*472*20261001", "CAS*PR*2*40.00", "REF*6R*E1L1",
    ], control=4, paid="20261110"))  # fmt: skip

    (result,) = release(biller, "BC602")

    # The primary posting was undone and posted again; the secondary's stands untouched.
    assert (result["status"], result["errors"]) == ("released", [])
    assert biller.claim("E1") == ("100.00", "90.00", "0.00", owes(patient="10.00"))


# -- 6. an unbalanced CLP with claim-level CAS ---------------------------------------------------


def test_an_unbalanced_clp_posts_its_claim_adjustments_and_reports_only_the_difference(
    biller: Biller,
) -> None:
    biller.configure(config())
    biller.import_file("claims.837", file_837(claim_837(
        2, "K3", ["BCBS"], [("99213", "100.00", "1", None, "K3L1"),
                            ("36415", "20.00", "1", None, "K3L2")])))  # fmt: skip
    biller.import_file("bcbs.835", file_835("BC700", "60.00", [
        # lines pay 60 + 10 = 70; claim CO-B4 5.00 explains 65; CLP04 says 60.
        "LX*1", "CLP*K3*1*120.00*60.00*0.00*12*ICN7", "CAS*CO*B4*5.00",
        "SVC*HC:99213*100.00*60.00**1", "DTM*472*20261001", "CAS*CO*45*40.00", "REF*6R*K3L1",
        "SVC*HC:36415*20.00*10.00**1", "DTM*472*20261001", "CAS*CO*45*10.00", "REF*6R*K3L2",
    ]), findings=["Claim K3 does not balance: charge 120.00 minus payment 60.00 is 60.00 but its "
                  "adjustments total 55.00"])  # fmt: skip

    (result,) = release(biller, "BC700")

    assert result["status"] == "released_with_errors"
    assert result["errors"] == [
        "K3: Claim payment 60.00 (CLP04) does not equal its service lines' payments 70.00 less "
        "claim-level adjustments 5.00 (amount 5.00)"]
    # Paid what was sent (60); CO-45 40 + 10 and CO-B4 5 written off; the unexplained 5.00
    # follows Transfer to next to the patient.
    assert biller.claim("K3") == ("120.00", "60.00", "55.00", owes(patient="5.00"))


# -- 7. a held-back line's credit stays out of the posting --------------------------------------


def test_a_held_back_line_with_a_credit_does_not_shrink_the_matched_lines_write_off(
    biller: Biller,
) -> None:
    biller.configure(config(rules=standard_rules(
        BCBS=rule("BCBS01", "BCBS", level("PCON", "AIWO", balance="keep")))))
    biller.import_file("claims.837", file_837(claim_837(
        2, "H1", ["BCBS"], [("99213", "100.00", "1", None, "H1L1"),
                            ("87880", "50.00", "1", None, "H1L2"),
                            ("36415", "30.00", "1", None, "H1L3")])))  # fmt: skip
    biller.import_file("first.835", file_835("BC800", "60.00", [  # line 2 overpaid by 10
        "LX*1", "CLP*H1*1*50.00*60.00*0.00*12*ICN8A",
        "SVC*HC:87880*50.00*60.00**1", "DTM*472*20261001", "REF*6R*H1L2",
    ]), findings=[  # the import says so; the payer sent it all the same
        "Service line 87880 of claim H1 does not balance: charge 50.00 minus payment 60.00 is "
        "-10.00 but its adjustments total 0.00",
        "Claim H1 does not balance: charge 50.00 minus payment 60.00 is -10.00 but its "
        "adjustments total 0.00"])  # fmt: skip
    biller.import_file("second.835", file_835("BC801", "80.00", [
        "LX*1", "CLP*H1*1*130.00*80.00*0.00*12*ICN8B",
        "SVC*HC:99213*100.00*80.00**1", "DTM*472*20261001", "CAS*CO*45*20.00", "REF*6R*H1L1",
        "SVC*HC:99999*30.00*0.00**1", "DTM*472*20261001", "CAS*CO*45*30.00",
    ], control=3, paid="20261106"))  # fmt: skip
    release(biller, "BC800")

    (result,) = release(biller, "BC801")

    assert result["errors"] == [
        "H1: Account, Date of Service, CPT code, and units combination was not found "
        "(2026-10-01, 99999, units 1, amount 0.00)"]
    # Line 1 is settled in full (80 + CO-45 20); line 2's -10.00 credit and line 3's 30.00 stay
    # with Blue Cross for the biller: 30 - 10 = 20.
    assert biller.claim("H1") == ("180.00", "140.00", "20.00", owes(primary="20.00"))


# -- 9. credits are on the error report ---------------------------------------------------------


def test_a_payment_larger_than_what_the_level_owes_is_released_with_errors(
    biller: Biller,
) -> None:
    biller.configure(config())
    biller.import_file("claims.837", file_837(
        claim_837(2, "O1", ["BCBS"], [("99213", "100.00", "1", None, "O1L1")])))
    biller.import_file("bcbs.835", file_835("BC900", "130.00", [
        "LX*1", "CLP*O1*1*100.00*130.00*0.00*12*ICN9",
        "SVC*HC:99213*100.00*130.00**1", "DTM*472*20261001", "REF*6R*O1L1",
    ]), findings=[
        "Service line 99213 of claim O1 does not balance: charge 100.00 minus payment 130.00 is "
        "-30.00 but its adjustments total 0.00",
        "Claim O1 does not balance: charge 100.00 minus payment 130.00 is -30.00 but its "
        "adjustments total 0.00"])  # fmt: skip

    (result,) = release(biller, "BC900")

    assert (result["status"], result["errors"]) == ("released_with_errors", [
        "O1: Credit balance with the primary: paid 30.00 more than was owed"])
    assert biller.claim("O1") == ("100.00", "130.00", "0.00", owes(primary="-30.00"))


# -- void, re-release, batches, deposit dates ---------------------------------------------------


def test_void_restores_the_balances_and_the_payment_can_be_released_again(
    biller: Biller,
) -> None:
    crossover_practice(biller)
    release(biller, "BC100")
    before = biller.claims()
    (era_id,) = ids(biller, "BC100")

    code, out, err = biller.run("void", era_id, "--reason", "posted to the wrong deposit",
                                "--json")  # fmt: skip

    assert code == 0, err
    voided = json.loads(out)
    assert (voided["status"], voided["claims"]) == ("voided", 1)
    assert biller.claim("C1") == ("100.00", "0.00", "0.00", owes(primary="100.00"))
    assert biller.eras()["BC100"]["status"] == "ready"
    # Each posted entry is negated exactly, by a reversal entry; nothing is deleted.
    ledger = biller.ledger("C1")
    posted = [e for e in ledger if e[0] not in ("charge", "reversal")]
    negated = [e for e in ledger if e[0] == "reversal"]
    assert sorted((e[1], e[2]) for e in negated) == sorted(
        (e[1], f"{-Decimal(e[2]):.2f}") for e in posted)
    # ... and the void says how many, on either database.
    assert voided["entries"] == len(negated) > 0
    assert f"{len(negated)} ledger entries negated" in voided["message"]

    (again,) = release(biller, "BC100")

    assert (again["status"], again["batch"]) == ("released", "B20261120-02")
    assert biller.claims() == before
    code, out, _ = biller.run("batches", "--json")
    reports = {r["batch"]: r for r in json.loads(out)}
    assert [(p["status"], reports["B20261120-01"]["total"])
            for p in reports["B20261120-01"]["payments"]] == [("voided", "0.00")]  # fmt: skip
    assert reports["B20261120-02"]["total"] == "60.00"


def test_the_batch_report_marks_a_rework_voided_with_its_release(biller: Biller) -> None:
    crossover_practice(biller)
    release(biller, "AE200")  # held
    release(biller, "BC100")
    (line,) = json.loads(biller.run("errors", "--json")[1])
    assert biller.run("rework", str(line["id"]))[0] == 0
    (aetna,) = ids(biller, "AE200")

    assert biller.run("void", aetna, "--reason", "Aetna recouped the payment")[0] == 0

    reports = {r["batch"]: r for r in json.loads(biller.run("batches", "--json")[1])}
    (rework,) = reports["B20261120-01"]["reworks"]
    assert (rework["payment"], rework["voided"]) == (int(aetna), True)
    assert reports["B20261120-01"]["total"] == "0.00"
    text = biller.run("batches")[1]
    assert f"    rework #1 of payment #{aetna} (AE200): 1 claim posted by " in text
    assert "voided with its release" in text
    assert biller.claim("C1") == ("100.00", "60.00", "10.00", owes(secondary="30.00"))


def test_a_void_is_refused_while_a_later_posting_depends_on_it_and_names_it(
    biller: Biller,
) -> None:
    crossover_practice(biller)
    release(biller, "BC100", "AE200")
    primary, secondary = ids(biller, "BC100", "AE200")

    code, _, err = biller.run("void", primary, "--reason", "wrong payer")

    assert code == 1
    assert f"payment #{secondary} (AE200) on C1" in err
    assert biller.claim("C1") == SETTLED
    assert biller.run("void", secondary, "--reason", "wrong payer")[0] == 0
    assert biller.run("void", primary, "--reason", "wrong payer")[0] == 0
    assert biller.claim("C1") == ("100.00", "0.00", "0.00", owes(primary="100.00"))
    release(biller, "AE200", "BC100")
    assert biller.claim("C1") == SETTLED


def test_only_an_admin_may_void_and_a_reason_is_required(biller: Biller) -> None:
    crossover_practice(biller)
    release(biller, "BC100")
    (era_id,) = ids(biller, "BC100")
    assert biller.run("void", era_id)[0] == 2  # --reason is required
    code, _, err = biller.run("void", era_id, "--reason", "   ")
    assert code == 1 and "reason" in err
    assert biller.claim("C1")[1] == "60.00"


def test_batches_list_each_deposit_with_its_payments_and_total(biller: Biller) -> None:
    crossover_practice(biller)
    release(biller, "BC100", "AE200", extra=("--batch", "DEP-7"))

    code, out, _ = biller.run("batches", "--json")

    assert code == 0
    (report,) = json.loads(out)
    assert (report["deposit_date"], report["batch"], report["count"], report["total"]) == (
        DEPOSIT, "DEP-7", 2, "85.60")
    assert sorted(p["check_number"] for p in report["payments"]) == ["AE200", "BC100"]
    code, out, _ = biller.run("batches")
    assert "DEP-7" in out and "85.60" in out


def test_generated_batches_never_repeat_and_a_typed_batch_keeps_its_deposit_date(
    biller: Biller,
) -> None:
    crossover_practice(biller)
    (first,) = release(biller, "BC100")
    (second,) = release(biller, "AE200")
    assert (first["batch"], second["batch"]) == ("B20261120-01", "B20261120-02")

    biller.import_file("again.835", PRIMARY.replace("BC100", "BC101"))
    code, out, err = biller.run("release", *ids(biller, "BC101"), "--deposit-date",
                                "2026-11-21", "--batch", "B20261120-01", "--json")  # fmt: skip
    assert code == 1
    assert "Batch B20261120-01 is for deposit date 2026-11-20" in json.loads(out)[0]["errors"][0]


def test_a_deposit_date_after_today_is_refused(biller: Biller) -> None:
    crossover_practice(biller)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    code, out, err = biller.run("release", *ids(biller, "BC100"), "--deposit-date", tomorrow)
    assert code == 1 and "after today" in err
    assert biller.eras()["BC100"]["status"] == "ready"


def test_a_deposit_date_before_the_payment_date_needs_confirmation(biller: Biller) -> None:
    crossover_practice(biller)
    (era_id,) = ids(biller, "BC100")  # paid 2026-11-05

    code, out, err = biller.run("release", era_id, "--deposit-date", "2026-11-04", "--json")

    assert code == 1
    assert json.loads(out)[0]["status"] == "refused"
    assert "before the payment date 2026-11-05" in err and "--confirm-early-deposit" in err
    code, out, _ = biller.run("release", era_id, "--deposit-date", "2026-11-04",
                              "--confirm-early-deposit", "--json")  # fmt: skip
    assert code == 0 and json.loads(out)[0]["deposit_date"] == "2026-11-04"


def test_an_error_line_can_be_closed_by_hand_with_a_note(biller: Biller) -> None:
    crossover_practice(biller)
    release(biller, "AE200")
    (line,) = json.loads(biller.run("errors", "--json")[1])

    assert biller.run("errors", "close", str(line["id"]), "--note", "")[0] == 1
    code, out, _ = biller.run("errors", "close", str(line["id"]), "--note",
                              "Aetna asked to resubmit; posted by hand", "--json")  # fmt: skip

    assert code == 0
    closed = json.loads(out)
    assert (closed["state"], closed["note"]) == ("closed", "Aetna asked to resubmit; posted by hand")
    assert json.loads(biller.run("errors", "--json")[1]) == []
    assert biller.run("errors") == (0, "no open error-report lines\n", "")
