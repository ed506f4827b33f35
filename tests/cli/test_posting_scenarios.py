"""End-to-end posting scenarios as a biller runs them from the command line (SPEC 2.3 and 3).

Each test sets up a practice with `pctui config import`, imports a hand-written 837P and
hand-written 835s with `pctui import`, releases the payments with `pctui release` and reads
`pctui claims --json`, comparing every balance to the cent with the arithmetic in the comments.
The X12 is written out segment by segment here, not by pctui's own writer.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scenarios import (  # the shared X12 writers, configuration and Biller
    DEPOSIT,
    PAYERS,
    Biller,
    claim_837,
    config,
    file_835,
    file_837,
    level,
    owes,
    release_detail,
    rule,
    standard_rules,
)


@pytest.fixture
def biller(db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Biller:
    return Biller(db_path, tmp_path, capsys)


# -- 1. primary commercial, no secondary ---------------------------------------------------------

PRIMARY_ONLY_835 = [
    "LX*1",
    "CLP*C1*1*200.00*100.00*30.00*12*PCN0001",
    "NM1*QC*1*DOE*PAT2****MI*M00002",
    "DTM*232*20261001",
    "SVC*HC:99213*150.00*80.00**1",
    "DTM*472*20261001",
    "CAS*CO*45*40.00",
    "CAS*PR*2*20.00**3*10.00",
    "REF*6R*C1L1",
    "AMT*B6*110.00",
    "SVC*HC:36415*50.00*20.00**1",
    "DTM*472*20261001",
    "CAS*CO*45*30.00",
    "REF*6R*C1L2",
    "AMT*B6*20.00",
    "CLP*C2*1*120.00*90.00*0.00*12*PCN0002",
    "NM1*QC*1*DOE*PAT3****MI*M00003",
    "SVC*HC:99214*120.00*90.00**1",
    "DTM*472*20261001",
    "CAS*CO*45*30.00",
    "REF*6R*C2L1",
    "AMT*B6*90.00",
]


@pytest.mark.parametrize(
    ("balance", "c2_owes"),
    [
        # C2: 200.00 charge - 90.00 paid - 30.00 CO-45 = 80.00 left on line 2 (not on the 835):
        # Transfer to next with no secondary moves it to the patient.
        ("transfer", owes(patient="80.00")),
        # Keep leaves it with Blue Cross.
        ("keep", owes(primary="80.00")),
    ],
)
def test_primary_commercial_writes_off_co_moves_pr_to_the_patient_and_keeps_or_transfers(
    biller: Biller, balance: str, c2_owes: dict[str, str]
) -> None:
    biller.configure(config(rules=standard_rules(
        BCBS=rule("BCBS01", "BCBS", level("PCON", "AIWO", balance=balance)))))  # fmt: skip
    claims = biller.import_file("claims.837", file_837(
        claim_837(2, "C1", ["BCBS"], [("99213", "150.00", "1", None, "C1L1"),
                                      ("36415", "50.00", "1", None, "C1L2")]),
        claim_837(3, "C2", ["BCBS"], [("99214", "120.00", "1", None, "C2L1"),
                                      ("97110", "80.00", "2", None, "C2L2")]),
    ))  # fmt: skip
    assert claims["kind"] == "837" and len(claims["created"]) == 2 and claims["findings"] == []
    # BPR02 190.00 = CLP04 100.00 + 90.00
    era = biller.import_file("bcbs.835", file_835("EFT1001", "190.00", PRIMARY_ONLY_835))
    assert era["kind"] == "835" and era["findings"] == []

    (result,) = biller.release("EFT1001")

    assert {k: result[k] for k in ("status", "claims_posted", "errors")} == {
        "status": "released", "claims_posted": 2, "errors": []}
    # C1: paid 80.00 + 20.00 = 100.00; CO-45 40.00 + 30.00 = 70.00 written off;
    # PR-2 20.00 + PR-3 10.00 = 30.00 to the patient; 200 - 100 - 70 - 30 = 0 left with BCBS.
    assert biller.claim("C1") == ("200.00", "100.00", "70.00", owes(patient="30.00"))
    assert biller.claim("C2") == ("200.00", "90.00", "30.00", c2_owes)


# -- 2. Medicare primary, Medicaid secondary -----------------------------------------------------


def test_medicare_primary_then_medicaid_secondary_pays_the_coinsurance_and_adjusts_the_rest(
    biller: Biller,
) -> None:
    biller.configure(config())
    biller.import_file("claims.837", file_837(
        claim_837(2, "M1", ["MCR", "MCD"], [("99213", "100.00", "1", None, "M1L1"),
                                            ("93000", "60.00", "1", None, "M1L2")]),
        claim_837(3, "M2", ["MCR", "MCD"], [("99214", "200.00", "1", None, "M2L1"),
                                            ("85025", "40.00", "1", None, "M2L2")]),
    ))  # fmt: skip
    # BPR02 240.00 = 96.00 + 144.00; CLP02 19: processed as primary, forwarded to Medicaid.
    biller.import_file("medicare.835", file_835("MCR2001", "240.00", [
        "LX*1",
        "CLP*M1*19*160.00*96.00*24.00*MB*MCRICN1",
        "NM1*QC*1*DOE*PAT2****MI*M00002",
        "SVC*HC:99213*100.00*64.00**1", "DTM*472*20261001", "CAS*CO*45*20.00",
        "CAS*PR*2*16.00", "REF*6R*M1L1", "AMT*B6*80.00",
        "SVC*HC:93000*60.00*32.00**1", "DTM*472*20261001", "CAS*CO*45*20.00",
        "CAS*PR*1*8.00", "REF*6R*M1L2", "AMT*B6*40.00",
        "CLP*M2*19*240.00*144.00*36.00*MB*MCRICN2",
        "NM1*QC*1*DOE*PAT3****MI*M00003",
        "SVC*HC:99214*200.00*120.00**1", "DTM*472*20261001", "CAS*CO*45*50.00",
        "CAS*PR*2*30.00", "REF*6R*M2L1", "AMT*B6*150.00",
        "SVC*HC:85025*40.00*24.00**1", "DTM*472*20261001", "CAS*CO*45*10.00",
        "CAS*PR*2*6.00", "REF*6R*M2L2", "AMT*B6*30.00",
    ], payer="MCR"))  # fmt: skip

    (result,) = biller.release("MCR2001")

    assert (result["status"], result["claims_posted"], result["errors"]) == ("released", 2, [])
    # M1: paid 64 + 32 = 96; CO-45 20 + 20 = 40 (AMCR); PR-2 16 + PR-1 8 = 24 to Medicaid.
    assert biller.claim("M1") == ("160.00", "96.00", "40.00", owes(secondary="24.00"))
    # M2: paid 120 + 24 = 144; CO-45 50 + 10 = 60; PR-2 30 + 6 = 36 to Medicaid.
    assert biller.claim("M2") == ("240.00", "144.00", "60.00", owes(secondary="36.00"))

    # BPR02 30.00 = 20.00 + 10.00. OA-23 is Medicare's adjudication, repeated by Medicaid.
    biller.import_file("medicaid.835", file_835("MCD3001", "30.00", [
        "LX*1",
        "CLP*M1*2*160.00*20.00*0.00*MC*MCDICN1",
        "NM1*QC*1*DOE*PAT2****MI*O00002",
        "SVC*HC:99213*100.00*12.00**1", "DTM*472*20261001", "CAS*OA*23*84.00",
        "CAS*CO*45*4.00", "REF*6R*M1L1",
        "SVC*HC:93000*60.00*8.00**1", "DTM*472*20261001", "CAS*OA*23*52.00", "REF*6R*M1L2",
        "CLP*M2*2*200.00*10.00*0.00*MC*MCDICN2",
        "NM1*QC*1*DOE*PAT3****MI*O00003",
        "SVC*HC:99214*200.00*10.00**1", "DTM*472*20261001", "CAS*OA*23*170.00",
        "CAS*CO*45*20.00", "REF*6R*M2L1",
    ], payer="MCD", control=3))  # fmt: skip

    (result,) = biller.release("MCD3001")

    assert (result["status"], result["claims_posted"], result["errors"]) == ("released", 2, [])
    # M1: Medicaid owes 24.00, pays 12 + 8 = 20, CO-45 4.00 writes off the rest (AMCD);
    # OA-23 is not written off again. Paid 96 + 20 = 116; adjusted 40 + 4 = 44; nothing owed.
    assert biller.claim("M1") == ("160.00", "116.00", "44.00", owes())
    # M2: Medicaid owes 36.00 (30 on line 1, 6 on line 2); line 1: paid 10, CO-45 20.
    # Line 2 is not on Medicaid's 835: its 6.00 goes to the patient and Patient Balances =
    # Adjust writes it off with AMCD. Paid 144 + 10 = 154; adjusted 60 + 20 + 6 = 86.
    assert biller.claim("M2") == ("240.00", "154.00", "86.00", owes())
    medicaid = [e for e in biller.ledger("M2") if e[3] in ("PMCD", "AMCD") or e[1] == "patient"]
    assert medicaid == [
        ("payment", "secondary", "-10.00", "PMCD", 1, ""),
        ("adjustment", "secondary", "-20.00", "AMCD", 1, "CO-45"),
        ("transfer", "patient", "6.00", "", 2, ""),
        ("adjustment", "patient", "-6.00", "AMCD", 2, ""),
    ]  # OA-23 on line 1 does not write off line 2's balance


# -- 3. tertiary after secondary after primary ---------------------------------------------------


def test_tertiary_pays_after_secondary_after_primary(biller: Biller) -> None:
    biller.configure(config())
    biller.import_file("claims.837", file_837(
        claim_837(2, "T1", ["BCBS", "AETNA", "MCD"], [("99215", "300.00", "1", None, "T1L1")]),
        claim_837(3, "T2", ["BCBS", "AETNA", "MCD"], [("99213", "100.00", "1", None, "T2L1")]),
    ))  # fmt: skip
    biller.import_file("bcbs.835", file_835("BC3001", "210.00", [  # 150 + 60
        "LX*1",
        "CLP*T1*1*300.00*150.00*50.00*12*BCICN1",
        "SVC*HC:99215*300.00*150.00**1", "DTM*472*20261001", "CAS*CO*45*100.00",
        "CAS*PR*1*50.00", "REF*6R*T1L1",
        "CLP*T2*1*100.00*60.00*20.00*12*BCICN2",
        "SVC*HC:99213*100.00*60.00**1", "DTM*472*20261001", "CAS*CO*45*20.00",
        "CAS*PR*1*20.00", "REF*6R*T2L1",
    ]))  # fmt: skip
    biller.import_file("aetna.835", file_835("AE3002", "40.00", [  # 30 + 10
        "LX*1",
        "CLP*T1*2*300.00*30.00*20.00*12*AEICN1",
        "SVC*HC:99215*300.00*30.00**1", "DTM*472*20261001", "CAS*OA*23*250.00",
        "CAS*PR*2*20.00", "REF*6R*T1L1",
        "CLP*T2*2*100.00*10.00*10.00*12*AEICN2",
        "SVC*HC:99213*100.00*10.00**1", "DTM*472*20261001", "CAS*OA*23*80.00",
        "CAS*PR*3*10.00", "REF*6R*T2L1",
    ], payer="AETNA", control=3))  # fmt: skip
    biller.import_file("medicaid.835", file_835("MD3003", "15.00", [  # 15 + 0
        "LX*1",
        "CLP*T1*3*300.00*15.00*0.00*MC*MDICN1",
        "SVC*HC:99215*300.00*15.00**1", "DTM*472*20261001", "CAS*OA*23*280.00",
        "CAS*CO*45*5.00", "REF*6R*T1L1",
        "CLP*T2*3*100.00*0.00*3.00*MC*MDICN2",
        "SVC*HC:99213*100.00*0.00**1", "DTM*472*20261001", "CAS*OA*23*90.00",
        "CAS*CO*45*7.00", "CAS*PR*3*3.00", "REF*6R*T2L1",
    ], payer="MCD", control=4))  # fmt: skip

    (primary,) = biller.release("BC3001")
    # T1: paid 150; CO-45 100; PR-1 50 to Aetna. T2: paid 60; CO-45 20; PR-1 20 to Aetna.
    assert biller.claim("T1") == ("300.00", "150.00", "100.00", owes(secondary="50.00"))
    assert biller.claim("T2") == ("100.00", "60.00", "20.00", owes(secondary="20.00"))
    (secondary,) = biller.release("AE3002")
    # T1: Aetna owes 50: paid 30, PR-2 20 to Medicaid (the next payer, not the patient);
    # OA-23 250 is BCBS's adjudication repeated, not written off again.
    assert biller.claim("T1") == ("300.00", "180.00", "100.00", owes(tertiary="20.00"))
    # T2: Aetna owes 20: paid 10, PR-3 10 to Medicaid.
    assert biller.claim("T2") == ("100.00", "70.00", "20.00", owes(tertiary="10.00"))
    (tertiary,) = biller.release("MD3003")

    assert [(r["status"], r["claims_posted"], r["errors"]) for r in (primary, secondary, tertiary)
            ] == [("released", 2, [])] * 3  # fmt: skip
    # T1: Medicaid owes 20: paid 15, CO-45 5 (AMCD). Paid 150 + 30 + 15 = 195; adjusted 105.
    assert biller.claim("T1") == ("300.00", "195.00", "105.00", owes())
    # T2: Medicaid owes 10: paid 0, CO-45 7.00 written off, PR-3 3.00 copay to the patient —
    # and Medicaid's Patient Balances = Adjust writes that off too (AMCD; SPEC 2.3 step 7).
    # Adjusted 20 + 7 + 3 = 30.
    assert biller.claim("T2") == ("100.00", "70.00", "30.00", owes())
    assert "1 on the zero-payment list" in tertiary["message"]


# -- 4. Insurance Adjustments = Skip (out of network) --------------------------------------------


def test_skipped_adjustments_stay_in_the_balance_and_move_to_the_next_party(
    biller: Biller,
) -> None:
    biller.configure(config())
    biller.import_file("claims.837", file_837(
        claim_837(2, "O1", ["OON"], [("99203", "250.00", "1", None, "O1L1")]),
        claim_837(3, "O2", ["OON", "BCBS"], [("99203", "250.00", "1", None, "O2L1")]),
    ))  # fmt: skip
    biller.import_file("oon.835", file_835("OON4001", "200.00", [  # 100 + 100
        "LX*1",
        "CLP*O1*1*250.00*100.00*30.00*12*OONICN1",
        "SVC*HC:99203*250.00*100.00**1", "DTM*472*20261001", "CAS*CO*45*120.00",
        "CAS*PR*1*30.00", "REF*6R*O1L1",
        "CLP*O2*1*250.00*100.00*30.00*12*OONICN2",
        "SVC*HC:99203*250.00*100.00**1", "DTM*472*20261001", "CAS*CO*45*120.00",
        "CAS*PR*1*30.00", "REF*6R*O2L1",
    ], payer="OON"))  # fmt: skip

    (result,) = biller.release("OON4001")

    # Skipped adjustments are listed in the detail, not on the error report.
    assert (result["status"], result["claims_posted"], result["errors"]) == ("released", 2, [])
    # O1: paid 100; CO-45 120 not written off (Skip) and transferred with PR-1 30 to the
    # patient (no other payer): 250 - 100 = 150 owed by the patient, nothing adjusted.
    assert biller.claim("O1") == ("250.00", "100.00", "0.00", owes(patient="150.00"))
    # O2: the same 150 goes to Blue Cross, the secondary.
    assert biller.claim("O2") == ("250.00", "100.00", "0.00", owes(secondary="150.00"))

    biller.import_file("bcbs.835", file_835("BC4002", "100.00", [
        "LX*1",
        "CLP*O2*2*250.00*100.00*20.00*12*BCICN9",
        "SVC*HC:99203*250.00*100.00**1", "DTM*472*20261001", "CAS*OA*23*130.00",
        "CAS*PR*2*20.00", "REF*6R*O2L1",
    ], control=3))  # fmt: skip
    (result,) = biller.release("BC4002")

    assert (result["status"], result["claims_posted"], result["errors"]) == ("released", 1, [])
    # Blue Cross owes 150: pays 100, PR-2 20 to the patient, OA-23 writes off the other 30
    # (AIWO; only what Blue Cross still owed). Paid 200; adjusted 30; patient owes 20.
    assert biller.claim("O2") == ("250.00", "200.00", "30.00", owes(patient="20.00"))


# -- 5. CARC overrides ---------------------------------------------------------------------------


def test_excluded_carcs_are_not_written_off_and_are_on_the_error_report(biller: Biller) -> None:
    biller.configure(config(overrides=[
        {"payer_code": "BCBS", "carc": "50", "group": "CO", "excluded": True, "active": True},
        {"payer_code": "BCBS", "carc": "197", "group": None, "excluded": True, "active": True},
        {"payer_code": "BCBS", "carc": "96", "group": "CO", "excluded": True, "active": False},
        {"payer_code": "AETNA", "carc": "45", "group": "CO", "excluded": True, "active": True},
    ]))  # fmt: skip
    biller.import_file("claims.837", file_837(
        claim_837(2, "E1", ["BCBS"], [("99213", "150.00", "1", None, "E1L1"),
                                      ("99214", "200.00", "1", None, "E1L2")]),
    ))  # fmt: skip
    biller.import_file("bcbs.835", file_835("BC5001", "100.00", [
        "LX*1",
        "CLP*E1*1*350.00*100.00*20.00*12*BCICN5",
        "SVC*HC:99213*150.00*0.00**1", "DTM*472*20261001", "CAS*CO*50*150.00", "REF*6R*E1L1",
        "SVC*HC:99214*200.00*100.00**1", "DTM*472*20261001",
        "CAS*CO*45*40.00**96*10.00", "CAS*PR*2*20.00", "CAS*OA*197*30.00", "REF*6R*E1L2",
    ]))  # fmt: skip

    code, out, err = biller.run("release", str(biller.eras()["BC5001"]["id"]),
                                "--deposit-date", DEPOSIT, "--batch", "DEP-5", "--json")  # fmt: skip

    assert code == 0, err
    (result,) = json.loads(out)
    assert (result["status"], result["claims_posted"], result["batch"]) == (
        "released_with_errors", 1, "DEP-5")
    # The override without a group excludes CARC 197 in any group (here OA).
    assert result["errors"] == [
        "E1: CO-50 adjustment excluded (2026-10-01, 99213, amount 150.00)",
        "E1: OA-197 adjustment excluded (2026-10-01, 99214, amount 30.00)",
    ]
    # Paid 100. Written off: CO-45 40 + CO-96 10 (its override is inactive) = 50; Aetna's
    # CO-45 override is not Blue Cross's. CO-50 150 and OA-197 30 stay in Blue Cross's balance,
    # which Transfer to next moves to the patient with PR-2 20: 350 - 100 - 50 = 200.
    assert biller.claim("E1") == ("350.00", "100.00", "50.00", owes(patient="200.00"))
    assert biller.eras()["BC5001"]["status"] == "released_with_errors"


# -- 6. denial (CLP02 4) and a zero payment ------------------------------------------------------


def test_a_denial_posts_nothing_and_goes_on_the_zero_payment_list(biller: Biller) -> None:
    biller.configure(config())
    biller.import_file("claims.837", file_837(
        claim_837(2, "D1", ["BCBS", "AETNA"], [("99213", "150.00", "1", None, "D1L1")]),
        claim_837(3, "D2", ["BCBS"], [("99213", "100.00", "1", None, "D2L1")]),
    ))  # fmt: skip
    biller.import_file("bcbs.835", file_835("BC6001", "0.00", [
        "LX*1",
        "CLP*D1*4*150.00*0.00*0.00*12*BCICN6",
        "SVC*HC:99213*150.00*0.00**1", "DTM*472*20261001", "CAS*CO*50*150.00", "REF*6R*D1L1",
        "LQ*HE*N115",
        "CLP*D2*1*100.00*0.00*100.00*12*BCICN7",
        "SVC*HC:99213*100.00*0.00**1", "DTM*472*20261001", "CAS*PR*1*100.00", "REF*6R*D2L1",
    ]))  # fmt: skip

    (result,) = biller.release("BC6001")

    # D1 is denied: nothing posted, not an error-report line. D2 paid 0.00 is posted.
    assert (result["status"], result["claims_posted"], result["errors"]) == ("released", 1, [])
    assert result["message"] == "Released: 1 claim posted, 2 on the zero-payment list"
    assert biller.claim("D1") == ("150.00", "0.00", "0.00", owes(primary="150.00"))
    # D2: the whole 100.00 is deductible (PR-1): it moves to the patient.
    assert biller.claim("D2") == ("100.00", "0.00", "0.00", owes(patient="100.00"))
    detail = release_detail(biller, "BC6001")
    assert detail.zero_payments == [
        "D1: denied, charge 150.00; CO-50; remarks N115",
        "D2: paid 0.00, charge 100.00; PR-1",
    ]


# -- 7. reversal and corrected claim -------------------------------------------------------------


def test_a_reversal_restores_the_balances_and_the_corrected_claim_is_posted_after_it(
    biller: Biller,
) -> None:
    biller.configure(config())
    biller.import_file("claims.837", file_837(
        claim_837(2, "R1", ["BCBS"], [("99213", "100.00", "1", None, "R1L1")]),
        claim_837(3, "R2", ["BCBS"], [("99214", "120.00", "1", None, "R2L1")]),
    ))  # fmt: skip
    biller.import_file("first.835", file_835("BC7001", "160.00", [  # 70 + 90
        "LX*1",
        "CLP*R1*1*100.00*70.00*10.00*12*ICN1",
        "SVC*HC:99213*100.00*70.00**1", "DTM*472*20261001", "CAS*CO*45*20.00",
        "CAS*PR*2*10.00", "REF*6R*R1L1",
        "CLP*R2*1*120.00*90.00*0.00*12*ICN2",
        "SVC*HC:99214*120.00*90.00**1", "DTM*472*20261001", "CAS*CO*45*30.00", "REF*6R*R2L1",
    ]))  # fmt: skip
    biller.release("BC7001")
    assert biller.claim("R1") == ("100.00", "70.00", "20.00", owes(patient="10.00"))
    assert biller.claim("R2") == ("120.00", "90.00", "30.00", owes())

    # CLP04 -70 + 80 - 90 = -80.00, carried forward by PLB FB -80.00: BPR02 = -80 - (-80) = 0.
    era = biller.import_file("second.835", file_835("BC7002", "0.00", [
        "LX*1",
        "CLP*R1*22*-100.00*-70.00*-10.00*12*ICN1",
        "SVC*HC:99213*-100.00*-70.00**1", "DTM*472*20261001", "CAS*CO*45*-20.00",
        "CAS*PR*2*-10.00", "REF*6R*R1L1",
        "CLP*R1*1*100.00*80.00*10.00*12*ICN3",
        "SVC*HC:99213*100.00*80.00**1", "DTM*472*20261001", "CAS*CO*45*10.00",
        "CAS*PR*2*10.00", "REF*6R*R1L1",
        "CLP*R2*22*-120.00*-90.00*0.00*12*ICN2",
        "SVC*HC:99214*-120.00*-90.00**1", "DTM*472*20261001", "CAS*CO*45*-30.00",
        "REF*6R*R2L1",
        "PLB*1234567893*20261231*FB:ICN2*-80.00",
    ], control=3))  # fmt: skip
    assert era["findings"] == []

    (result,) = biller.release("BC7002")

    assert (result["status"], result["claims_posted"], result["errors"]) == ("released", 3, [])
    # R1: the first posting (70 paid, 20 CO-45, 10 PR-2) is undone, then the corrected claim
    # posts 80 paid, 10 CO-45, 10 PR-2 to the patient.
    assert biller.claim("R1") == ("100.00", "80.00", "10.00", owes(patient="10.00"))
    # R2: reversed only: back to 120.00 owed by Blue Cross.
    assert biller.claim("R2") == ("120.00", "0.00", "0.00", owes(primary="120.00"))


# -- 8. claims and lines that cannot be matched --------------------------------------------------


def test_unknown_accounts_and_unmatched_lines_are_reported_and_the_rest_is_posted(
    biller: Biller,
) -> None:
    biller.configure(config())
    biller.import_file("claims.837", file_837(
        claim_837(2, "N1", ["BCBS"], [("99213", "100.00", "1", None, "N1L1"),
                                      ("97110", "80.00", "2", None, None),
                                      ("97140", "60.00", "1", "20261002", None)]),
        claim_837(3, "N2", ["BCBS"], [("99213", "100.00", "1", None, None),
                                      ("97110", "80.00", "2", None, None)]),
        claim_837(4, "N3", ["BCBS"], [("99215", "200.00", "1", None, "N3L1"),
                                      ("36415", "20.00", "1", None, "N3L2")]),
    ))  # fmt: skip
    biller.import_file("bcbs.835", file_835("BC8001", "450.00", [  # 150 + 120 + 50 + 130
        "LX*1",
        "CLP*N1*1*240.00*150.00*10.00*12*ICN81",
        # no REF*6R: matched by procedure, date and units
        "SVC*HC:99213*100.00*60.00**1", "DTM*472*20261001", "CAS*CO*45*30.00", "CAS*PR*2*10.00",
        "SVC*HC:97110*80.00*50.00**2", "DTM*472*20261001", "CAS*CO*45*30.00",
        # billed on 2026-10-02, paid as 2026-10-03: no such line
        "SVC*HC:97140*60.00*40.00**1", "DTM*472*20261003", "CAS*CO*45*20.00",
        "CLP*N2*1*180.00*120.00*0.00*12*ICN82",
        "SVC*HC:99214*100.00*70.00**1", "DTM*472*20261001", "CAS*CO*45*30.00",  # wrong CPT
        "SVC*HC:97110*80.00*50.00**3", "DTM*472*20261001", "CAS*CO*45*30.00",  # wrong units
        "CLP*NOPE*1*50.00*50.00*0.00*12*ICN83",
        "SVC*HC:99213*50.00*50.00**1", "DTM*472*20261001",
        "CLP*N3*1*220.00*130.00*0.00*12*ICN84",
        # REF*6R wins over a changed procedure code
        "SVC*HC:99214*200.00*120.00**1", "DTM*472*20261001", "CAS*CO*45*80.00", "REF*6R*N3L1",
        # a control number that matches no line falls back to procedure, date and units
        "SVC*HC:36415*20.00*10.00**1", "DTM*472*20261001", "CAS*CO*45*10.00", "REF*6R*XX99",
    ]))  # fmt: skip

    (result,) = biller.release("BC8001")

    not_found = "Account, Date of Service, CPT code, and units combination was not found"
    assert (result["status"], result["claims_posted"]) == ("released_with_errors", 2)
    assert result["errors"] == [
        f"N1: {not_found} (2026-10-03, 97140, units 1, amount 40.00)",
        f"N2: {not_found} (2026-10-01, 99214, units 1, amount 70.00)",
        f"N2: {not_found} (2026-10-01, 97110, units 3, amount 50.00)",
        "NOPE: Patient account was not found (amount 50.00)",
    ]
    # N1: lines 1 and 2 posted: paid 60 + 50 = 110, CO-45 30 + 30 = 60, PR-2 10 to the
    # patient. Line 3 needs manual posting: its 60.00 stays with Blue Cross.
    assert biller.claim("N1") == ("240.00", "110.00", "60.00", owes(primary="60.00",
                                                                     patient="10.00"))
    # N2: no line matched, nothing posted.
    assert biller.claim("N2") == ("180.00", "0.00", "0.00", owes(primary="180.00"))
    # N3: paid 120 + 10 = 130, CO-45 80 + 10 = 90.
    assert biller.claim("N3") == ("220.00", "130.00", "90.00", owes())
    assert "NOPE" not in biller.claims()


# -- 9. claim-level CAS --------------------------------------------------------------------------


def test_claim_level_adjustments_apply_to_the_claim(biller: Biller) -> None:
    biller.configure(config())
    biller.import_file("claims.837", file_837(
        claim_837(2, "K1", ["BCBS"], [("99213", "100.00", "1", None, "K1L1"),
                                      ("36415", "20.00", "1", None, "K1L2")]),
        claim_837(3, "K2", ["BCBS", "AETNA"], [("99213", "100.00", "1", None, "K2L1"),
                                               ("36415", "20.00", "1", None, "K2L2")]),
    ))  # fmt: skip
    biller.import_file("bcbs.835", file_835("BC9001", "145.00", [  # 80 + 65
        "LX*1",
        # no service lines: the payment and the CAS are the claim's
        "CLP*K1*1*120.00*80.00*15.00*12*ICN91", "CAS*CO*45*25.00", "CAS*PR*3*15.00",
        # claim-level CO-B4 (late filing) beside line-level CAS: the lines pay 60 + 10 = 70,
        # the claim pays CLP04 = 70 - 5 = 65 (835 balancing: CLP03 120 - 5 - 50 = 65)
        "CLP*K2*1*120.00*65.00*10.00*12*ICN92", "CAS*CO*B4*5.00",
        "SVC*HC:99213*100.00*60.00**1", "DTM*472*20261001", "CAS*CO*45*30.00",
        "CAS*PR*2*10.00", "REF*6R*K2L1",
        "SVC*HC:36415*20.00*10.00**1", "DTM*472*20261001", "CAS*CO*45*10.00", "REF*6R*K2L2",
    ]))  # fmt: skip

    (result,) = biller.release("BC9001")

    assert (result["status"], result["claims_posted"], result["errors"]) == ("released", 2, [])
    # K1: 120 - 80 paid - 25 CO-45 = 15 PR-3 to the patient.
    assert biller.claim("K1") == ("120.00", "80.00", "25.00", owes(patient="15.00"))
    # K2: paid CLP04 65.00 (what Blue Cross sent); CO-45 30 + 10 and CO-B4 5 = 45 written off;
    # PR-2 10 to Aetna: 65 + 45 + 10 = 120.
    assert biller.claim("K2") == ("120.00", "65.00", "45.00", owes(secondary="10.00"))

    biller.import_file("aetna.835", file_835("AE9002", "10.00", [
        "LX*1",
        "CLP*K2*2*120.00*10.00*0.00*12*AEICN92", "CAS*OA*23*110.00",
    ], payer="AETNA", control=3))  # fmt: skip
    (result,) = biller.release("AE9002")

    assert (result["status"], result["claims_posted"], result["errors"]) == ("released", 1, [])
    # Aetna owes 10 and pays 10 on the claim; OA-23 is BCBS's adjudication repeated.
    assert biller.claim("K2") == ("120.00", "75.00", "45.00", owes())


# -- 10. negative adjustments and PLB ------------------------------------------------------------


def test_negative_adjustments_add_back_and_plb_is_recorded_against_the_payment(
    biller: Biller,
) -> None:
    biller.configure(config())
    biller.import_file("claims.837", file_837(
        claim_837(2, "G1", ["BCBS"], [("99213", "100.00", "1", None, "G1L1")]),
        claim_837(3, "G2", ["BCBS"], [("99211", "50.00", "1", None, "G2L1")]),
    ))  # fmt: skip
    # ΣCLP04 = 80 + 55 = 135.00; PLB: interest L6 -2.50 (adds), recoupment WO 30.00 (takes):
    # BPR02 = 135.00 - (-2.50 + 30.00) = 107.50.
    body = [
        "LX*1",
        "CLP*G1*1*100.00*80.00*0.00*12*ICN101",
        "SVC*HC:99213*100.00*80.00**1", "DTM*472*20261001", "CAS*CO*45*30.00",
        "CAS*OA*94*-10.00", "REF*6R*G1L1",
        "CLP*G2*1*50.00*55.00*0.00*12*ICN102",
        "SVC*HC:99211*50.00*55.00**1", "DTM*472*20261001", "CAS*OA*94*-5.00", "REF*6R*G2L1",
        "PLB*1234567893*20261231*L6:INT01*-2.50*WO:OVERPAY01*30.00",
    ]
    biller.import_file("bcbs.835", file_835("BC10001", "107.50", body))
    assert biller.eras()["BC10001"]["amount"] == "107.50"

    (result,) = biller.release("BC10001")

    assert (result["status"], result["claims_posted"], result["errors"]) == ("released", 2, [])
    # G1: paid 80; OA-94 -10 adds 10 back, CO-45 30 writes off: adjusted 30 - 10 = 20.
    assert biller.claim("G1") == ("100.00", "80.00", "20.00", owes())
    # G2: paid 55 on a 50.00 charge; OA-94 -5 balances it: adjusted -5, nothing owed.
    assert biller.claim("G2") == ("50.00", "55.00", "-5.00", owes())
    # PLB is the payment's, not a claim's.
    detail = release_detail(biller, "BC10001")
    assert [(reason, ref, f"{amount:.2f}") for reason, ref, amount in
            detail.provider_adjustments] == [("L6", "INT01", "-2.50"),
                                             ("WO", "OVERPAY01", "30.00")]  # fmt: skip


def test_a_payment_amount_that_does_not_balance_is_a_finding_and_still_releases(
    biller: Biller,
) -> None:
    biller.configure(config())
    biller.import_file("claims.837", file_837(
        claim_837(2, "G1", ["BCBS"], [("99213", "100.00", "1", None, "G1L1")])))
    body = ["LX*1", "CLP*G1*1*100.00*70.00*0.00*12*ICN103",
            "SVC*HC:99213*100.00*70.00**1", "DTM*472*20261001", "CAS*CO*45*30.00",
            "PLB*1234567893*20261231*WO:OVERPAY01*30.00"]  # fmt: skip
    # BPR02 should be 70.00 - 30.00 = 40.00, not 70.00.
    biller.import_file("bcbs.835", file_835("BC10002", "70.00", body), findings=[
        "Payment amount 70.00 (BPR02) does not equal claim payments 70.00 minus provider "
        "adjustments 30.00 = 40.00"])  # fmt: skip

    (result,) = biller.release("BC10002")

    assert (result["status"], result["errors"]) == ("released", [])
    assert biller.claim("G1") == ("100.00", "70.00", "30.00", owes())


# -- 11. claims of different payers in one 835 ---------------------------------------------------


def test_one_835_posts_each_claim_under_the_rule_of_its_payer_at_its_level(
    biller: Biller,
) -> None:
    biller.configure(config(rules=standard_rules(
        AETNA=rule("AET01", "AETNA", level("PCON", "AIWO", balance="keep")))))  # fmt: skip
    biller.import_file("claims.837", file_837(
        claim_837(2, "X1", ["BCBS"], [("99213", "100.00", "1", None, "X1L1")]),
        claim_837(3, "X2", ["AETNA", "BCBS"], [("99214", "150.00", "1", None, "X2L1")]),
        claim_837(4, "X3", ["AETNA"], [("99212", "80.00", "1", None, "X3L1")]),
    ))  # fmt: skip
    biller.import_file("aetna.835", file_835("AE11001", "90.00", [
        "LX*1", "CLP*X2*19*150.00*90.00*20.00*12*AEICN11",
        "SVC*HC:99214*150.00*90.00**1", "DTM*472*20261001", "CAS*CO*45*40.00",
        "CAS*PR*2*20.00", "REF*6R*X2L1",
    ], payer="AETNA"))  # fmt: skip
    biller.release("AE11001")
    # X2: Aetna paid 90, CO-45 40; PR-2 20 goes to Blue Cross, the secondary.
    assert biller.claim("X2") == ("150.00", "90.00", "40.00", owes(secondary="20.00"))

    # Blue Cross's 835 pays X1 as primary, X2 as secondary, and X3 (an Aetna claim) as primary.
    biller.import_file("bcbs.835", file_835("BC11002", "140.00", [  # 70 + 20 + 50
        "LX*1",
        "CLP*X1*1*100.00*70.00*0.00*12*BCICN11",
        "SVC*HC:99213*100.00*70.00**1", "DTM*472*20261001", "CAS*CO*45*30.00", "REF*6R*X1L1",
        "CLP*X2*2*150.00*20.00*0.00*12*BCICN12",
        "SVC*HC:99214*150.00*20.00**1", "DTM*472*20261001", "CAS*OA*23*130.00", "REF*6R*X2L1",
        "CLP*X3*1*80.00*50.00*0.00*12*BCICN13",
        "SVC*HC:99212*80.00*50.00**1", "DTM*472*20261001", "CAS*CO*45*30.00", "REF*6R*X3L1",
    ], control=3))  # fmt: skip

    (result,) = biller.release("BC11002")

    assert (result["status"], result["claims_posted"]) == ("released_with_errors", 2)
    # X3's primary is Aetna: no rule for Inbound ID BCBS01 + AETNA, so nothing is posted.
    assert result["errors"] == [
        "X3: No payer rule established for Inbound ID BCBS01 and payer AETNA (the claim's "
        "primary insurance); nothing posted (amount 50.00)"]  # fmt: skip
    assert biller.claim("X1") == ("100.00", "70.00", "30.00", owes())
    # X2: Blue Cross owes 20 as secondary and pays 20: 90 + 20 = 110 paid.
    assert biller.claim("X2") == ("150.00", "110.00", "40.00", owes())
    assert biller.claim("X3") == ("80.00", "0.00", "0.00", owes(primary="80.00"))


def test_a_clearinghouse_inbound_id_carries_rules_for_two_payer_codes(biller: Biller) -> None:
    """SPEC 1.2/2.3 step 3: rules are per Inbound ID + Payer Code, and each claim uses the rule of
    its own payer — so BCBS01 (which belongs to BCBS) may carry an AETNA rule too."""
    doc = config(rules=[*standard_rules(), rule("BCBS01", "AETNA", level("PCON", "AWCA",
                                                                         balance="keep"))])
    biller.configure(doc)
    biller.import_file("claims.837", file_837(
        claim_837(2, "X1", ["BCBS"], [("99213", "100.00", "1", None, "X1L1")]),
        claim_837(3, "X3", ["AETNA"], [("99212", "80.00", "1", None, "X3L1")]),
    ))  # fmt: skip
    biller.import_file("bcbs.835", file_835("BC11003", "120.00", [  # 70 + 50
        "LX*1",
        "CLP*X1*1*100.00*70.00*0.00*12*BCICN11",
        "SVC*HC:99213*100.00*70.00**1", "DTM*472*20261001", "CAS*CO*45*30.00", "REF*6R*X1L1",
        "CLP*X3*1*80.00*50.00*0.00*12*BCICN13",
        "SVC*HC:99212*80.00*50.00**1", "DTM*472*20261001", "CAS*CO*45*30.00", "REF*6R*X3L1",
    ]))  # fmt: skip

    (result,) = biller.release("BC11003")

    assert (result["status"], result["claims_posted"], result["errors"]) == ("released", 2, [])
    # X1 under BCBS01 + BCBS: paid 70, CO-45 30 written off.
    assert biller.claim("X1") == ("100.00", "70.00", "30.00", owes())
    # X3 under BCBS01 + AETNA: paid 50, CO-45 30 written off with that rule's AWCA.
    assert biller.claim("X3") == ("80.00", "50.00", "30.00", owes())
    assert ("adjustment", "AWCA") in {(e[0], e[3]) for e in biller.ledger("X3")}
    assert ("adjustment", "AIWO") in {(e[0], e[3]) for e in biller.ledger("X1")}


# -- 12. no payer rule yet -----------------------------------------------------------------------

CIGNA = {"code": "CIGNA", "name": "Cigna", "insurance_class": "commercial",
         "inbound_ids": ["CIG01"], "outbound_id": "CIGX"}  # fmt: skip
CIGNA_835 = [
    "LX*1", "CLP*Y1*1*100.00*75.00*5.00*12*CGICN1",
    "SVC*HC:99213*100.00*75.00**1", "DTM*472*20261001", "CAS*CO*45*20.00", "CAS*PR*3*5.00",
    "REF*6R*Y1L1",
]


def test_a_payment_without_a_rule_is_refused_until_the_rule_is_imported(biller: Biller) -> None:
    biller.configure(config(payers=[*PAYERS, CIGNA]))
    biller.import_file("claims.837", file_837(
        claim_837(2, "Y1", ["CIGNA"], [("99213", "100.00", "1", None, "Y1L1")])))
    biller.import_file("cigna.835", file_835("CG12001", "75.00", CIGNA_835, payer="CIGNA"))
    # An 835 under an Inbound ID no payer has.
    biller.import_file("stranger.835", file_835("ZZ12002", "75.00", CIGNA_835,
                                                payer="UNITED", inbound="UHC77", control=3))
    assert {c: e["status"] for c, e in biller.eras().items()} == {
        "CG12001": "no_payer_rule", "ZZ12002": "no_payer_rule"}

    results = biller.release("CG12001", "ZZ12002", expect_code=1)

    assert [(r["status"], r["claims_posted"], r["errors"]) for r in results] == [
        ("refused", 0, ["No payer rule established for Inbound ID CIG01"]),
        ("refused", 0, ["No payer rule established for Inbound ID UHC77"]),
    ]
    assert biller.claim("Y1") == ("100.00", "0.00", "0.00", owes(primary="100.00"))

    # The administrator imports just the missing rule.
    report = biller.configure({"rules": [rule("CIG01", "CIGNA", level("PCON", "AIWO"))]},
                              "cigna-rule.json")  # fmt: skip
    assert report["created"]["rules"] == 1
    assert biller.eras()["CG12001"]["status"] == "ready"

    (result,) = biller.release("CG12001")

    assert (result["status"], result["claims_posted"], result["errors"]) == ("released", 1, [])
    # 100 - 75 paid - 20 CO-45 = 5 PR-3 copay to the patient.
    assert biller.claim("Y1") == ("100.00", "75.00", "20.00", owes(patient="5.00"))
    assert biller.eras()["ZZ12002"]["status"] == "no_payer_rule"


# -- 13. the same 835 twice ----------------------------------------------------------------------


def test_the_same_835_is_stored_once_and_released_once(biller: Biller) -> None:
    biller.configure(config())
    biller.import_file("claims.837", file_837(
        claim_837(2, "C1", ["BCBS"], [("99213", "150.00", "1", None, "C1L1"),
                                      ("36415", "50.00", "1", None, "C1L2")]),
        claim_837(3, "C2", ["BCBS"], [("99214", "120.00", "1", None, "C2L1"),
                                      ("97110", "80.00", "2", None, "C2L2")]),
    ))  # fmt: skip
    text = file_835("EFT1001", "190.00", PRIMARY_ONLY_835)
    first = biller.import_file("bcbs.835", text)
    # The same file again, and the same payment re-sent in a new interchange.
    again = biller.import_file("bcbs-again.835", text, expect="duplicate")
    resent = biller.import_file("bcbs-resent.835", file_835("EFT1001", "190.00",
                                                            PRIMARY_ONLY_835, control=9),
                                expect="duplicate")  # fmt: skip
    assert len(first["created"]) == 1 and again["created"] == [] == resent["created"]
    assert list(biller.eras()) == ["EFT1001"]
    # The same claims again are duplicates too: no second claim, no second charge.
    biller.import_file("claims-again.837", file_837(
        claim_837(2, "C1", ["BCBS"], [("99213", "150.00", "1", None, "C1L1"),
                                      ("36415", "50.00", "1", None, "C1L2")])),
        expect="duplicate")  # fmt: skip

    (released,) = biller.release("EFT1001")
    after = biller.claims()
    (refused,) = biller.release("EFT1001", expect_code=1)

    assert released["status"] == "released"
    assert (refused["status"], refused["claims_posted"]) == ("refused", 0)
    assert refused["errors"][0].startswith("Already released by ")
    assert biller.claims() == after
    assert after["C1"]["balance"] == owes(patient="30.00")


# -- SPEC 3: JSON shapes and exit codes ----------------------------------------------------------

AMOUNT = r"^-?\d+\.\d{2}$"


def test_json_output_has_the_spec_keys_with_amounts_as_two_decimal_strings(
    biller: Biller,
) -> None:
    import re

    biller.configure(config())
    claims_file = biller.import_file("claims.837", file_837(
        claim_837(2, "C1", ["BCBS"], [("99213", "150.00", "1", None, "C1L1"),
                                      ("36415", "50.00", "1", None, "C1L2")]),
        claim_837(3, "C2", ["BCBS"], [("99214", "120.00", "1", None, "C2L1"),
                                      ("97110", "80.00", "2", None, "C2L2")]),
    ))  # fmt: skip
    era_file = biller.import_file("bcbs.835", file_835("EFT1001", "190.00", PRIMARY_ONLY_835))
    for result, kind in ((claims_file, "837"), (era_file, "835")):
        assert {"file", "kind", "status", "created", "errors", "findings"} <= result.keys()
        assert (result["kind"], result["status"], result["errors"]) == (kind, "imported", [])
        assert all(isinstance(i, int) for i in result["created"])

    era = biller.eras()["EFT1001"]
    assert {k: era[k] for k in ("id", "check_number", "inbound_id", "payer", "amount",
                                "payment_date", "claims", "status")} == {
        "id": era_file["created"][0], "check_number": "EFT1001", "inbound_id": "BCBS01",
        "payer": "BLUE CROSS", "amount": "190.00", "payment_date": "2026-11-05", "claims": 2,
        "status": "ready"}  # fmt: skip
    assert isinstance(era["inbound_id_source"], str) and "N1" in era["inbound_id_source"]

    code, out, _ = biller.run("release", str(era["id"]), "--deposit-date", DEPOSIT, "--json")
    assert code == 0
    (released,) = json.loads(out)
    assert {k: released[k] for k in ("id", "status", "claims_posted", "errors")} == {
        "id": era["id"], "status": "released", "claims_posted": 2, "errors": []}

    code, out, _ = biller.run("claims", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["claim_id"] for r in rows] == ["C1", "C2"]
    for row in rows:
        assert {"claim_id", "charge", "paid", "adjusted", "balance"} <= row.keys()
        assert set(row["balance"]) == {"primary", "secondary", "tertiary", "patient"}
        for amount in (row["charge"], row["paid"], row["adjusted"], *row["balance"].values()):
            assert isinstance(amount, str) and re.match(AMOUNT, amount), amount


@pytest.mark.parametrize(
    "argv",
    [
        ["release", "1"],  # no --deposit-date
        ["release", "1", "--deposit-date", "20/11/2026"],
        ["release", "x", "--deposit-date", DEPOSIT],
        ["eras", "--status", "paid"],
        ["import"],
        ["claims", "--bogus"],
    ],
)
def test_wrong_usage_exits_2(biller: Biller, argv: list[str]) -> None:
    code, out, err = biller.run(*argv)
    assert code == 2 and out == "" and err


def test_a_file_that_is_not_x12_is_rejected_with_exit_1_and_the_rest_imports(
    biller: Biller,
) -> None:
    biller.configure(config())
    bad = biller.write("notes.txt", "Dear billing office, please find our payment enclosed.\n")
    good = biller.write("claims.837", file_837(
        claim_837(2, "C1", ["BCBS"], [("99213", "150.00", "1", None, "C1L1")])))

    code, out, _ = biller.run("import", str(bad), str(good), "--json")

    assert code == 1
    rejected, imported = json.loads(out)
    assert (rejected["status"], imported["status"]) == ("rejected", "imported")
    assert rejected["errors"] and rejected["created"] == []
    assert biller.claim("C1") == ("150.00", "0.00", "0.00", owes(primary="150.00"))


def test_releasing_a_payment_that_does_not_exist_exits_1(biller: Biller) -> None:
    biller.configure(config())
    code, out, err = biller.run("release", "999", "--deposit-date", DEPOSIT, "--json")
    assert code == 1
    (result,) = json.loads(out)
    assert (result["id"], result["status"], result["errors"]) == (
        999, "refused", ["Payment #999 is not on file"])


# -- a secondary 835 without one of the claim's lines; split claims ------------------------------


def test_a_secondary_835_that_leaves_out_a_line_transfers_that_line_not_writes_it_off(
    biller: Biller,
) -> None:
    biller.configure(config())
    biller.import_file("claims.837", file_837(
        claim_837(2, "W1", ["BCBS", "AETNA"], [("99214", "200.00", "1", None, "W1L1"),
                                               ("85025", "40.00", "1", None, "W1L2")])))
    biller.import_file("bcbs.835", file_835("BC20001", "144.00", [
        "LX*1", "CLP*W1*1*240.00*144.00*36.00*12*BCICN20",
        "SVC*HC:99214*200.00*120.00**1", "DTM*472*20261001", "CAS*CO*45*50.00",
        "CAS*PR*2*30.00", "REF*6R*W1L1",
        "SVC*HC:85025*40.00*24.00**1", "DTM*472*20261001", "CAS*CO*45*10.00",
        "CAS*PR*2*6.00", "REF*6R*W1L2",
    ]))  # fmt: skip
    biller.import_file("aetna.835", file_835("AE20002", "10.00", [
        "LX*1", "CLP*W1*2*200.00*10.00*0.00*12*AEICN20",
        "SVC*HC:99214*200.00*10.00**1", "DTM*472*20261001", "CAS*OA*23*170.00",
        "CAS*CO*45*20.00", "REF*6R*W1L1",
    ], payer="AETNA", control=3))  # fmt: skip

    biller.release("BC20001")
    (result,) = biller.release("AE20002")

    assert (result["status"], result["errors"]) == ("released", [])
    # Aetna owes 30 on line 1 and 6 on line 2. Line 1: paid 10, CO-45 20. Line 2 is not on
    # Aetna's 835, so its 6.00 is what remains: Transfer to next moves it to the patient (Keep).
    # Paid 144 + 10 = 154; adjusted 60 + 20 = 80; the patient owes 6.
    assert biller.claim("W1") == ("240.00", "154.00", "80.00", owes(patient="6.00"))


def test_a_claim_split_into_two_claim_payments_posts_both_before_moving_what_remains(
    biller: Biller,
) -> None:
    biller.configure(config())
    biller.import_file("claims.837", file_837(
        claim_837(2, "S1", ["BCBS"], [("99213", "100.00", "1", None, "S1L1"),
                                      ("36415", "40.00", "1", None, "S1L2")]),
        claim_837(3, "S2", ["BCBS"], [("99213", "100.00", "1", None, "S2L1"),
                                      ("87880", "60.00", "1", None, "S2L2")]),
    ))  # fmt: skip
    biller.import_file("bcbs.835", file_835("BC21001", "150.00", [  # 60 + 30 + 60 + 0
        "LX*1",
        "CLP*S1*1*100.00*60.00*10.00*12*ICNS1A",
        "SVC*HC:99213*100.00*60.00**1", "DTM*472*20261001", "CAS*CO*45*30.00",
        "CAS*PR*2*10.00", "REF*6R*S1L1",
        "CLP*S1*1*40.00*30.00*0.00*12*ICNS1B",
        "SVC*HC:36415*40.00*30.00**1", "DTM*472*20261001", "CAS*CO*45*10.00", "REF*6R*S1L2",
        "CLP*S2*1*100.00*60.00*10.00*12*ICNS2A",
        "SVC*HC:99213*100.00*60.00**1", "DTM*472*20261001", "CAS*CO*45*30.00",
        "CAS*PR*2*10.00", "REF*6R*S2L1",
        "CLP*S2*4*60.00*0.00*0.00*12*ICNS2B",
        "SVC*HC:87880*60.00*0.00**1", "DTM*472*20261001", "CAS*CO*50*60.00", "REF*6R*S2L2",
    ]))  # fmt: skip

    (result,) = biller.release("BC21001")

    assert (result["status"], result["claims_posted"], result["errors"]) == ("released", 3, [])
    # S1: paid 60 + 30 = 90; CO-45 30 + 10 = 40; PR-2 10 to the patient. Line 2 is paid by the
    # second CLP, so the first does not move it to the patient as if it were unpaid.
    assert biller.claim("S1") == ("140.00", "90.00", "40.00", owes(patient="10.00"))
    # S2: line 1 paid 60, CO-45 30, PR-2 10; line 2 denied in its own CLP: it stays with
    # Blue Cross (60.00) for the biller to work the denial.
    assert biller.claim("S2") == ("160.00", "60.00", "30.00", owes(primary="60.00",
                                                                     patient="10.00"))


# -- the rule's settings for the CLP's level -----------------------------------------------------


def test_each_claim_payment_uses_the_rule_settings_of_its_pay_level(biller: Biller) -> None:
    biller.configure(config(rules=standard_rules(BCBS=rule(
        "BCBS01", "BCBS", level("PCON", "AIWO"),
        level("PCON", "AIWO", adjustments="skip", balance="keep"),
        level("PCON", "AIWO")))))  # fmt: skip
    biller.import_file("claims.837", file_837(
        claim_837(2, "L1", ["BCBS"], [("99213", "100.00", "1", None, "L1L1")]),
        claim_837(3, "L2", ["AETNA", "BCBS"], [("99213", "100.00", "1", None, "L2L1")]),
    ))  # fmt: skip
    biller.import_file("aetna.835", file_835("AE22001", "60.00", [
        "LX*1", "CLP*L2*1*100.00*60.00*15.00*12*AEICN22",
        "SVC*HC:99213*100.00*60.00**1", "DTM*472*20261001", "CAS*CO*45*25.00",
        "CAS*PR*2*15.00", "REF*6R*L2L1",
    ], payer="AETNA"))  # fmt: skip
    biller.import_file("bcbs.835", file_835("BC22002", "80.00", [  # 70 + 10
        "LX*1",
        "CLP*L1*1*100.00*70.00*10.00*12*BCICN221",
        "SVC*HC:99213*100.00*70.00**1", "DTM*472*20261001", "CAS*CO*45*20.00",
        "CAS*PR*2*10.00", "REF*6R*L1L1",
        "CLP*L2*2*100.00*10.00*3.00*12*BCICN222",
        "SVC*HC:99213*100.00*10.00**1", "DTM*472*20261001", "CAS*CO*45*2.00",
        "CAS*OA*23*85.00", "CAS*PR*3*3.00", "REF*6R*L2L1",
    ], control=3))  # fmt: skip

    biller.release("AE22001")
    assert biller.claim("L2") == ("100.00", "60.00", "25.00", owes(secondary="15.00"))
    (result,) = biller.release("BC22002")

    assert (result["status"], result["claims_posted"], result["errors"]) == ("released", 2, [])
    # L1 at Blue Cross's primary level (Post, Transfer): paid 70, CO-45 20, PR-2 10 to patient.
    assert biller.claim("L1") == ("100.00", "70.00", "20.00", owes(patient="10.00"))
    # L2 at Blue Cross's secondary level (Skip, Keep): owes 15, paid 10, PR-3 3 to the patient
    # (PR moves whatever Keep says), CO-45 2 skipped and kept with Blue Cross: 2.00.
    assert biller.claim("L2") == ("100.00", "70.00", "25.00", owes(secondary="2.00",
                                                                     patient="3.00"))


def test_a_deactivated_rule_does_not_make_a_payment_ready(biller: Biller) -> None:
    inactive = {**rule("BCBS01", "BCBS", level("PCON", "AIWO")), "active": False}
    biller.configure(config(rules=standard_rules(BCBS=inactive)))
    biller.import_file("claims.837", file_837(
        claim_837(2, "C1", ["BCBS"], [("99213", "150.00", "1", None, "C1L1"),
                                      ("36415", "50.00", "1", None, "C1L2")])))
    biller.import_file("bcbs.835", file_835("EFT1001", "190.00", PRIMARY_ONLY_835))
    assert biller.eras()["EFT1001"]["status"] == "no_payer_rule"

    (result,) = biller.release("EFT1001", expect_code=1)

    assert result["status"] == "refused"
    assert biller.claim("C1") == ("200.00", "0.00", "0.00", owes(primary="200.00"))


def test_claims_imported_before_their_payers_are_posted_under_the_rule_of_the_835s_payer(
    biller: Biller,
) -> None:
    biller.import_file("claims.837", file_837(
        claim_837(2, "M1", ["MCR", "MCD"], [("99213", "100.00", "1", None, "M1L1")])),
        findings=["Claim M1: primary payer 'MEDICARE' (ID MCRX) is not set up in pctui",
                  "Claim M1: secondary payer 'MEDICAID' (ID MCDX) is not set up in pctui"])
    biller.configure(config())
    biller.import_file("medicare.835", file_835("MCR23001", "64.00", [
        "LX*1", "CLP*M1*1*100.00*64.00*16.00*MB*MCRICN23",
        "SVC*HC:99213*100.00*64.00**1", "DTM*472*20261001", "CAS*CO*45*20.00",
        "CAS*PR*2*16.00", "REF*6R*M1L1",
    ], payer="MCR"))  # fmt: skip
    biller.import_file("medicaid.835", file_835("MCD23002", "10.00", [
        "LX*1", "CLP*M1*2*100.00*10.00*0.00*MC*MCDICN23",
        "SVC*HC:99213*100.00*10.00**1", "DTM*472*20261001", "CAS*OA*23*84.00",
        "CAS*CO*45*6.00", "REF*6R*M1L1",
    ], payer="MCD", control=3))  # fmt: skip

    (medicare,) = biller.release("MCR23001")
    assert biller.claim("M1") == ("100.00", "64.00", "20.00", owes(secondary="16.00"))
    (medicaid,) = biller.release("MCD23002")

    assert [(r["status"], r["errors"]) for r in (medicare, medicaid)] == [("released", [])] * 2
    # Medicaid owes 16: paid 10, CO-45 6. Paid 74, adjusted 26, nothing owed.
    assert biller.claim("M1") == ("100.00", "74.00", "26.00", owes())


# -- more of SPEC 2.3: codes the payer changed, statuses not posted, reversal after secondary ---


def test_lines_match_on_the_procedure_and_units_as_billed_when_the_payer_changed_them(
    biller: Biller,
) -> None:
    biller.configure(config())
    biller.import_file("claims.837", file_837(
        claim_837(2, "U1", ["BCBS"], [("99214", "100.00", "1", None, None),
                                      ("97110", "90.00", "3", None, None)])))
    biller.import_file("bcbs.835", file_835("BC24001", "100.00", [
        "LX*1", "CLP*U1*1*190.00*100.00*0.00*12*ICN24",
        # paid as 99213, billed as 99214 (SVC06)
        "SVC*HC:99213*100.00*60.00**1*HC:99214", "DTM*472*20261001", "CAS*CO*45*40.00",
        # 2 units paid of 3 billed (SVC07)
        "SVC*HC:97110*90.00*40.00**2**3", "DTM*472*20261001", "CAS*CO*45*30.00",
        "CAS*CO*151*20.00",
    ]))  # fmt: skip

    (result,) = biller.release("BC24001")

    assert (result["status"], result["errors"]) == ("released", [])
    # Paid 60 + 40 = 100; CO-45 40 + 30 and CO-151 20 = 90.
    assert biller.claim("U1") == ("190.00", "100.00", "90.00", owes())


def test_statuses_that_are_not_posted_and_a_reversal_with_nothing_to_reverse_are_reported(
    biller: Biller,
) -> None:
    biller.configure(config())
    biller.import_file("claims.837", file_837(
        claim_837(2, "Q1", ["BCBS"], [("99213", "100.00", "1", None, "Q1L1")]),
        claim_837(3, "Q2", ["BCBS"], [("99213", "100.00", "1", None, "Q2L1")]),
        claim_837(4, "Q3", ["BCBS"], [("99213", "100.00", "1", None, "Q3L1")]),
    ))  # fmt: skip
    biller.import_file("bcbs.835", file_835("BC25001", "0.00", [  # 40 - 40 + 0
        "LX*1",
        "CLP*Q1*2*100.00*40.00*0.00*12*ICN251",  # secondary, but Q1 has no secondary
        "SVC*HC:99213*100.00*40.00**1", "DTM*472*20261001", "CAS*OA*23*60.00",
        "REF*6R*Q1L1",
        "CLP*Q2*22*-100.00*-40.00*0.00*12*ICN252",  # reversal of a payment never posted
        "SVC*HC:99213*-100.00*-40.00**1", "DTM*472*20261001", "CAS*CO*45*-60.00",
        "REF*6R*Q2L1",
        "CLP*Q3*23*100.00*0.00*0.00*12*ICN253",  # not our claim, forwarded
        "SVC*HC:99213*100.00*0.00**1", "DTM*472*20261001", "CAS*OA*23*100.00",
        "REF*6R*Q3L1",
    ]))  # fmt: skip

    (result,) = biller.release("BC25001")

    assert (result["status"], result["claims_posted"]) == ("released_with_errors", 0)
    assert result["errors"] == [
        "Q1: The claim has no secondary insurance to post this secondary payment to",
        "Q2: No earlier posting of this claim from this payer was found to reverse",
        "Q3: Claim status 23 (Not our claim, forwarded to additional payer(s)) is not posted",
    ]
    for claim_id in ("Q1", "Q2", "Q3"):
        assert biller.claim(claim_id) == ("100.00", "0.00", "0.00", owes(primary="100.00"))


def test_a_primary_reversal_after_the_secondary_paid_leaves_the_secondary_with_a_credit(
    biller: Biller,
) -> None:
    biller.configure(config())
    biller.import_file("claims.837", file_837(
        claim_837(2, "V1", ["BCBS", "AETNA"], [("99213", "100.00", "1", None, "V1L1")])))
    biller.import_file("bcbs.835", file_835("BC26001", "70.00", [
        "LX*1", "CLP*V1*1*100.00*70.00*10.00*12*ICN26",
        "SVC*HC:99213*100.00*70.00**1", "DTM*472*20261001", "CAS*CO*45*20.00",
        "CAS*PR*2*10.00", "REF*6R*V1L1",
    ]))  # fmt: skip
    biller.import_file("aetna.835", file_835("AE26002", "10.00", [
        "LX*1", "CLP*V1*2*100.00*10.00*0.00*12*AEICN26",
        "SVC*HC:99213*100.00*10.00**1", "DTM*472*20261001", "CAS*OA*23*90.00", "REF*6R*V1L1",
    ], payer="AETNA", control=3))  # fmt: skip
    biller.import_file("bcbs-reversal.835", file_835("BC26003", "0.00", [
        "LX*1", "CLP*V1*22*-100.00*-70.00*-10.00*12*ICN26",
        "SVC*HC:99213*-100.00*-70.00**1", "DTM*472*20261001", "CAS*CO*45*-20.00",
        "CAS*PR*2*-10.00", "REF*6R*V1L1",
        "PLB*1234567893*20261231*WO:ICN26*-70.00",
    ], control=4))  # fmt: skip

    biller.release("BC26001", "AE26002")
    assert biller.claim("V1") == ("100.00", "80.00", "20.00", owes())
    (result,) = biller.release("BC26003")

    # Blue Cross's 70 paid, 20 CO-45 and 10 PR-2 (moved to Aetna) are undone: Blue Cross owes
    # the 100 again; Aetna's 10 stays paid against a balance it no longer owes: a 10.00 credit,
    # which is money not where the 835 says: an error-report line (SPEC 2.3 step 9).
    assert (result["status"], result["claims_posted"], result["errors"]) == (
        "released_with_errors", 1,
        ["V1: Credit balance with the secondary: paid 10.00 more than was owed"])
    assert biller.claim("V1") == ("100.00", "10.00", "0.00", owes(primary="100.00",
                                                                    secondary="-10.00"))
