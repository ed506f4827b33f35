"""`pctui release` and `pctui claims` as a script or a cron job sees them: exit codes, JSON keys,
amounts as strings to the cent."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest

from pctui import cli
from pctui.core.codes import Role
from pctui.store import users
from pctui.store.db import Store
from pctui.x12.write835 import write_835

# The practice builders (payers, rules, 837 and 835 files) are shared with the store tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))
from test_release import (  # noqa: E402
    BCBS_IN,
    MCD_IN,
    add_payer,
    add_rule,
    clp,
    file_837,
    payment,
    primary_pays,
    svc,
)


@pytest.fixture
def run(db_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run the CLI as an OS login (default the biller 'bob'); 'carol' is the database's admin."""
    login = {"name": "carol"}
    monkeypatch.setattr(users, "os_login", lambda: login["name"])

    def invoke(*argv: str, as_login: str = "bob") -> tuple[int, str, str]:
        login["name"] = as_login
        code = cli.main(["--db", str(db_path), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    store = Store.open(db_path)
    admin = users.identify(store, "carol")
    users.add_user(store, admin, "bob", Role.BILLER)
    bcbs = add_payer(store, "BCBS", "Blue Cross", [BCBS_IN])
    mcd = add_payer(store, "MCD", "Medi-Cal", [MCD_IN], insurance_class="medicaid")
    add_rule(store, BCBS_IN, bcbs)
    add_rule(store, MCD_IN, mcd, "PMCD", "AMCD",
             secondary={"patient_balance": "adjust", "patient_adjustment_code": "AMCD"})  # fmt: skip
    store.close()
    return invoke


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """An 837 with two claims and the 835s that pay them."""
    claims = file_837([
        ("PCN100", [("99213", "120.00"), ("36415", "80.00")],
         {"P": ("BLUE CROSS", "BCBS-OUT"), "S": ("MEDI-CAL", "MCD-OUT")}),
        ("PCN101", [("99214", "185.00")], {"P": ("BLUE CROSS", "BCBS-OUT")}),
    ])  # fmt: skip
    primary = payment("EFT1", BCBS_IN, primary_pays(), clp(
        "PCN101", "1", svc("PCN101", 1, "99214", "185.00", "100.00", ("CO", "45", "60"),
                           ("PR", "3", "25"))))  # fmt: skip
    secondary = payment("MCD9", MCD_IN, clp(
        "PCN100", "2", svc("PCN100", 1, "99213", "120.00", "20.00"),
        svc("PCN100", 2, "36415", "80.00", "5.00", ("CO", "45", "5"))), payer="MEDI-CAL")
    with_errors = payment("EFT2", BCBS_IN, clp(
        "NOPE1", "1", svc("NOPE1", 1, "99213", "90.00", "45.50", ("CO", "45", "44.50"))))
    no_rule = payment("CHK9", "55555", primary_pays("PCN101"))
    paths = {
        "claims": claims,
        "primary": write_835([primary], interchange_control=1),
        "secondary": write_835([secondary], interchange_control=2),
        "with_errors": write_835([with_errors], interchange_control=3),
        "no_rule": write_835([no_rule], interchange_control=4),
    }
    for name, text in paths.items():
        (tmp_path / f"{name}.x12").write_text(text)
    return {name: tmp_path / f"{name}.x12" for name in paths}


def imported(run, path: Path) -> int:
    code, out, _ = run("import", "--json", str(path))
    (result,) = json.loads(out)
    assert code == 0 and result["status"] == "imported", result
    return result["created"][0]


def claims_json(run) -> dict[str, dict]:
    code, out, _ = run("claims", "--json")
    assert code == 0
    return {row["claim_id"]: row for row in json.loads(out)}


def test_import_release_and_list_claims_to_the_cent(run, files: dict[str, Path]) -> None:
    imported(run, files["claims"])
    primary = imported(run, files["primary"])
    secondary = imported(run, files["secondary"])

    code, out, _ = run("release", str(primary), "--deposit-date", "2026-11-22", "--json")

    assert code == 0
    (result,) = json.loads(out)
    assert {k: result[k] for k in ("id", "status", "claims_posted", "errors")} == {
        "id": primary, "status": "released", "claims_posted": 2, "errors": []}
    assert result["batch"] == "B20261122-01"  # generated: none was given
    assert claims_json(run) == {
        "PCN100": {"claim_id": "PCN100", "patient_name": "DOE, JANE", "service_date": "2026-03-02",
                   "charge": "200.00", "paid": "130.00", "adjusted": "30.00",
                   "balance": {"primary": "0.00", "secondary": "40.00", "tertiary": "0.00",
                               "patient": "0.00"}, "voided": False,
                   "status": "paid", "status_reason": "835 EFT1: paid 130.00 of 200.00"},
        "PCN101": {"claim_id": "PCN101", "patient_name": "DOE, JANE", "service_date": "2026-03-02",
                   "charge": "185.00", "paid": "100.00", "adjusted": "60.00",
                   "balance": {"primary": "0.00", "secondary": "0.00", "tertiary": "0.00",
                               "patient": "25.00"}, "voided": False,
                   "status": "paid", "status_reason": "835 EFT1: paid 100.00 of 185.00"},
    }  # fmt: skip

    code, out, _ = run("release", str(secondary), "--deposit-date", "2026-11-29",
                       "--batch", "DEP-77")  # fmt: skip

    assert code == 0
    assert out == f"#{secondary} released batch DEP-77, deposit 2026-11-29: Released: 1 claim posted\n"
    row = claims_json(run)["PCN100"]
    assert (row["paid"], row["adjusted"], row["balance"]) == ("155.00", "45.00", {
        "primary": "0.00", "secondary": "0.00", "tertiary": "0.00", "patient": "0.00"})


def test_released_with_errors_is_a_release_and_prints_the_error_report(
    run, files: dict[str, Path]
) -> None:
    era = imported(run, files["with_errors"])

    code, out, _ = run("release", str(era), "--deposit-date", "2026-11-22", "--batch", "B7")

    assert code == 0
    assert out.splitlines() == [
        f"#{era} released_with_errors batch B7, deposit 2026-11-22: Released with errors: "
        "0 claims posted, 1 error-report line",
        "    NOPE1: Patient account was not found (amount 45.50)",
    ]
    code, out, _ = run("eras", "--json")
    assert [e["status"] for e in json.loads(out)] == ["released_with_errors"]


def test_a_payment_without_a_rule_exits_1_with_the_reason(run, files: dict[str, Path]) -> None:
    imported(run, files["claims"])
    good = imported(run, files["primary"])
    blocked = imported(run, files["no_rule"])

    code, out, _ = run("release", str(blocked), str(good), "--deposit-date", "2026-11-22",
                       "--json")  # fmt: skip

    assert code == 1
    results = json.loads(out)
    assert [(r["id"], r["status"], r["claims_posted"]) for r in results] == [
        (blocked, "refused", 0), (good, "released", 2)]
    assert results[0]["message"] == "No payer rule established for Inbound ID 55555"
    assert results[0]["errors"] == ["No payer rule established for Inbound ID 55555"]
    assert results[1]["errors"] == []
    # Nothing of the refused payment went into the batch; the released one did.
    assert (results[0]["batch"], results[0]["deposit_date"], results[0]["release_id"]) == (
        None, None, None)
    assert (results[1]["batch"], results[1]["deposit_date"]) == ("B20261122-01", "2026-11-22")
    code, out, err = run("release", str(blocked), "--deposit-date", "2026-11-22")
    assert code == 1
    assert out == f"#{blocked} refused: No payer rule established for Inbound ID 55555\n"
    assert err == (f"pctui: payment #{blocked} was not released: No payer rule established for "
                   "Inbound ID 55555\n")  # fmt: skip


def test_releasing_twice_exits_1_and_says_who_released_it(run, files: dict[str, Path]) -> None:
    imported(run, files["claims"])
    era = imported(run, files["primary"])
    assert run("release", str(era), "--deposit-date", "2026-11-22")[0] == 0

    code, out, err = run("release", str(era), "--deposit-date", "2026-11-23", "--json",
                         as_login="carol")  # fmt: skip

    assert code == 1 and err.startswith(f"pctui: payment #{era} was not released: Already ")
    (result,) = json.loads(out)
    assert result["status"] == "refused"
    assert result["message"].startswith("Already released by bob at ")
    assert result["batch"] is None  # the batch it was released in is named in the message
    assert claims_json(run)["PCN100"]["paid"] == "130.00"


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["release", "1", "--deposit-date", "2026-13-01"], "'2026-13-01' is not a date"),
        (["release", "1", "--deposit-date", "22/11/2026"], "is not a date (YYYY-MM-DD)"),
        (["release", "1"], "the following arguments are required: --deposit-date"),
        (["release", "--deposit-date", "2026-11-22"], "the following arguments are required: ID"),
        (["release", "one", "--deposit-date", "2026-11-22"], "'one' is not a whole number"),
        (["release", "1", "--deposit-date", "2026-11-22", "--batch", " "], "--batch must not be"),
    ],
)
def test_wrong_usage_exits_2(
    run, db_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], problem: str
) -> None:
    try:
        code = cli.main(["--db", str(db_path), *argv])
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    assert code == 2
    assert problem in capsys.readouterr().err


def test_an_unregistered_login_cannot_release(run, files: dict[str, Path]) -> None:
    imported(run, files["claims"])
    era = imported(run, files["primary"])

    code, out, err = run("release", str(era), "--deposit-date", "2026-11-22", as_login="mallory")

    assert (code, out) == (1, "")
    assert "mallory is not registered in this database" in err
    assert claims_json(run)["PCN100"]["paid"] == "0.00"


def test_claims_searches_and_prints_a_table(run, files: dict[str, Path]) -> None:
    imported(run, files["claims"])

    code, out, _ = run("claims", "--search", "pcn101")

    assert code == 0
    header, row = out.splitlines()
    assert header.split() == ["CLAIM", "PATIENT", "CHARGE", "PAID", "ADJUSTED", "PRIMARY",
                              "SECONDARY", "TERTIARY", "PATIENT", "OWES", "STATUS", "WHY"]  # fmt: skip
    assert row.split()[:13] == ["PCN101", "DOE,", "JANE", "185.00", "0.00", "0.00", "185.00",
                                "0.00", "0.00", "0.00", "Ready", "to", "submit"]  # fmt: skip


def test_the_claims_table_says_why_a_claim_has_its_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(users, "os_login", lambda: "carol")
    db = str(tmp_path / "demo.db")
    assert cli.main(["--db", db, "demo"]) == 0
    capsys.readouterr()

    code = cli.main(["--db", db, "claims", "--search", "DEMOOUT02"])

    assert code == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split()[-2:] == ["STATUS", "WHY"]
    assert cli.main(["--db", db, "claims", "--search", "DEMOOUT02", "--json"]) == 0
    (claim,) = json.loads(capsys.readouterr().out)
    assert claim["status"] == "held" and claim["status_reason"]
    assert "Held by edits" in row and row.endswith(claim["status_reason"])


def _level(payment: str, adjustment: str, **changes: str | None) -> dict[str, str | None]:
    return {"payment_code": payment, "adjustment_code": adjustment,
            "insurance_adjustments": "post", "insurance_balance": "transfer",
            "patient_balance": "keep", "patient_adjustment_code": None, **changes}  # fmt: skip


def test_a_practice_set_up_only_through_the_command_line(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """config import, import, release, claims: the way a cron job or a checker drives pctui."""
    login = {"name": "carol"}
    monkeypatch.setattr(users, "os_login", lambda: login["name"])

    def run(*argv: str) -> tuple[int, str]:
        code = cli.main(["--db", str(db_path), *argv])
        out, _ = capsys.readouterr()
        return code, out

    commercial = _level("PCON", "AIWO")
    medicaid = _level("PMCD", "AMCD", patient_balance="adjust", patient_adjustment_code="AMCD")
    config = {
        "payers": [
            {"code": "BCBS", "name": "Blue Cross", "insurance_class": "commercial",
             "inbound_ids": [BCBS_IN], "outbound_id": "BCBS-OUT"},
            {"code": "MCD", "name": "Medi-Cal", "insurance_class": "medicaid",
             "inbound_ids": [MCD_IN], "outbound_id": "MCD-OUT"},
        ],
        "rules": [
            {"inbound_id": BCBS_IN, "payer_code": "BCBS", "description": "",
             "levels": dict.fromkeys(("primary", "secondary", "tertiary"), commercial)},
            {"inbound_id": MCD_IN, "payer_code": "MCD", "description": "",
             "levels": dict.fromkeys(("primary", "secondary", "tertiary"), medicaid)},
        ],
        "carc_overrides": [{"payer_code": "BCBS", "carc": "50", "group": "CO", "excluded": True,
                            "active": True}],
        "connections": [],
    }  # fmt: skip
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert run("config", "import", str(tmp_path / "config.json"))[0] == 0
    (tmp_path / "claims.837").write_text(file_837([
        ("PCN100", [("99213", "120.00"), ("36415", "80.00")],
         {"P": ("BLUE CROSS", "BCBS-OUT"), "S": ("MEDI-CAL", "MCD-OUT")}),
    ]))  # fmt: skip
    primary = payment("EFT1", BCBS_IN, clp(
        "PCN100", "1", svc("PCN100", 1, "99213", "120.00", "80.00", ("CO", "45", "20"),
                           ("PR", "1", "20")),
        svc("PCN100", 2, "36415", "80.00", "0.00", ("CO", "50", "80"))))  # fmt: skip
    (tmp_path / "primary.835").write_text(write_835([primary], interchange_control=11))
    code, out = run("import", "--json", str(tmp_path / "claims.837"), str(tmp_path / "primary.835"))
    assert code == 0
    era_id = json.loads(out)[1]["created"][0]

    code, out = run("release", str(era_id), "--deposit-date", "2026-11-22", "--json")

    assert code == 0
    (result,) = json.loads(out)
    assert (result["status"], result["claims_posted"], result["errors"]) == (
        "released_with_errors", 1,
        ["PCN100: CO-50 adjustment excluded (2026-03-02, 36415, amount 80.00)"])
    code, out = run("claims", "--json")
    (claim,) = json.loads(out)
    # 80 paid, CO-45 20 written off; PR 20 and the excluded 80 now owed by Medi-Cal.
    assert {k: claim[k] for k in ("claim_id", "charge", "paid", "adjusted", "balance")} == {
        "claim_id": "PCN100", "charge": "200.00", "paid": "80.00", "adjusted": "20.00",
        "balance": {"primary": "0.00", "secondary": "100.00", "tertiary": "0.00",
                    "patient": "0.00"}}  # fmt: skip


def test_four_pctui_release_commands_at_once_post_once(
    run, files: dict[str, Path], db_path: Path
) -> None:
    """Four terminals run the same release: one succeeds, three exit 1 saying who did it."""
    imported(run, files["claims"])
    era = imported(run, files["primary"])
    store = Store.open(db_path)
    admin = users.identify(store, "carol")
    me = pwd.getpwuid(os.getuid()).pw_name  # the OS account the four terminals run as
    users.add_user(store, admin, me, Role.BILLER)
    store.close()
    commands = [
        subprocess.Popen(
            [sys.executable, "-m", "pctui", "--db", str(db_path), "release", str(era),
             "--deposit-date", "2026-11-22", "--json"],
            env={**os.environ, "PCTUI_KEYRING": "memory"},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        for _ in range(4)
    ]
    finished = [(c.wait(timeout=120), *c.communicate()) for c in commands]

    codes = sorted(code for code, _, _ in finished)
    assert codes == [0, 1, 1, 1], finished
    results = [json.loads(out)[0] for _, out, _ in finished]
    winner = me
    for (code, _, err), result in zip(finished, results, strict=True):
        assert "Traceback" not in err and "locked" not in err
        # a terminal that waited its turn for the write lock says so on its own line
        err = "".join(line for line in err.splitlines(keepends=True)
                      if not line.startswith("pctui: waiting for another session"))
        if code == 0:
            assert err == ""
        else:
            assert result["status"] == "refused"
            assert result["message"].startswith(f"Already released by {winner} at ")
            assert err == f"pctui: payment #{era} was not released: {result['message']}\n"
    assert claims_json(run)["PCN100"]["paid"] == "130.00"


@pytest.mark.parametrize("argv", [
    ("void", "99999999999999999999999", "--reason", "x"),
    ("rework", "99999999999999999999999"),
    ("errors", "close", "99999999999999999999999", "--note", "x"),
    ("release", "99999999999999999999999", "--deposit-date", "2026-11-20"),
    ("release", "1", "--deposit-date", "20261120"),
])
def test_an_id_no_database_could_hold_or_a_date_not_written_yyyy_mm_dd_is_a_usage_error(
    run, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    with pytest.raises(SystemExit) as ended:
        run(*argv)
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert "is larger than any id pctui gives" in err or "is not a date (YYYY-MM-DD)" in err
    assert "internal error" not in err and "Overflow" not in err
