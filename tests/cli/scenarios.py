"""Helpers for the command-line posting scenarios: a practice's configuration document,
hand-written 837P and 835 X12 (segment by segment, not pctui's own writer), and a Biller who runs
`pctui` commands on one database file and reads `pctui claims --json` to the cent."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pctui import cli
from pctui.store import claims, release
from pctui.store.db import Store

AT_SEGMENT = re.compile(r" \(at segment [\d,]+\)$")

DEPOSIT = "2026-11-20"
DOS = "20261001"  # every service date below unless a line says otherwise

# -- the practice's configuration (SPEC 3 config document) --------------------------------------

PAYERS = [
    {"code": "BCBS", "name": "Blue Cross", "insurance_class": "commercial",
     "inbound_ids": ["BCBS01"], "outbound_id": "BCBSX"},
    {"code": "MCR", "name": "Medicare", "insurance_class": "medicare",
     "inbound_ids": ["MCR01"], "outbound_id": "MCRX"},
    {"code": "MCD", "name": "Medicaid", "insurance_class": "medicaid",
     "inbound_ids": ["MCD01"], "outbound_id": "MCDX"},
    {"code": "AETNA", "name": "Aetna", "insurance_class": "commercial",
     "inbound_ids": ["AET01"], "outbound_id": "AETX"},
    {"code": "OON", "name": "Out Of Network Health", "insurance_class": "other",
     "inbound_ids": ["OON01"], "outbound_id": "OONX"},
]  # fmt: skip


def level(payment: str, adjustment: str, adjustments: str = "post", balance: str = "transfer",
          patient: str = "keep", patient_code: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {"payment_code": payment, "adjustment_code": adjustment,
            "insurance_adjustments": adjustments, "insurance_balance": balance,
            "patient_balance": patient, "patient_adjustment_code": patient_code}  # fmt: skip


def rule(inbound: str, payer: str, *levels: dict[str, Any]) -> dict[str, Any]:
    """A rule; one level given is used for all three (Apply to Secondary / Tertiary)."""
    primary, secondary, tertiary = (levels * 3)[:3] if len(levels) == 1 else levels
    return {"inbound_id": inbound, "payer_code": payer, "description": f"{payer} rule",
            "levels": {"primary": primary, "secondary": secondary, "tertiary": tertiary}}


def standard_rules(**replace: dict[str, Any]) -> list[dict[str, Any]]:
    """Each payer's rule with its class defaults; ``BCBS=rule(...)`` replaces one."""
    rules = {
        "BCBS": rule("BCBS01", "BCBS", level("PCON", "AIWO")),
        "MCR": rule("MCR01", "MCR", level("PMCR", "AMCR")),
        "MCD": rule("MCD01", "MCD", level("PMCD", "AMCD", patient="adjust", patient_code="AMCD")),
        "AETNA": rule("AET01", "AETNA", level("PCON", "AIWO")),
        "OON": rule("OON01", "OON", level("PCON", "AIWO", adjustments="skip")),
    }
    rules.update(replace)
    return list(rules.values())


def config(payers: list[dict[str, Any]] | None = None, rules: list[dict[str, Any]] | None = None,
           overrides: list[dict[str, Any]] | None = None) -> dict[str, Any]:  # fmt: skip
    return {"payers": PAYERS if payers is None else payers,
            "rules": standard_rules() if rules is None else rules,
            "carc_overrides": overrides or [], "connections": []}  # fmt: skip


# -- hand-written X12 ----------------------------------------------------------------------------


def isa(sender: str, receiver: str, control: int) -> str:
    return (f"ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*{receiver:<15}*261101*1200*^*"
            f"00501*{control:09d}*0*P*:~")  # fmt: skip


def interchange(functional: str, version: str, control: int, body: list[str],
                sender: str, receiver: str) -> str:  # fmt: skip
    """ISA/GS/ST ... SE/GE/IEA around one transaction set's segments (SE01 counted)."""
    kind = "837" if functional == "HC" else "835"
    segments = [f"ST*{kind}*0001*{version}" if kind == "837" else "ST*835*0001", *body]
    return "\n".join([
        isa(sender, receiver, control),
        f"GS*{functional}*{sender}*{receiver}*20261101*1200*{control}*X*{version}~",
        *(f"{s}~" for s in segments),
        f"SE*{len(segments) + 1}*0001~",
        f"GE*1*{control}~",
        f"IEA*1*{control:09d}~",
    ]) + "\n"  # fmt: skip


# Payer names and IDs as the practice's claims name them (NM1*PR in loops 2010BB / 2330B).
CLAIM_PAYER = {
    "BCBS": ("BLUE CROSS", "BCBSX"), "MCR": ("MEDICARE", "MCRX"), "MCD": ("MEDICAID", "MCDX"),
    "AETNA": ("AETNA", "AETX"), "OON": ("OUT OF NETWORK HEALTH", "OONX"),
    "CIGNA": ("CIGNA", "CIGX"),
}  # fmt: skip
FILING = {"BCBS": "BL", "MCR": "MB", "MCD": "MC", "AETNA": "CI", "OON": "CI", "CIGNA": "CI"}


def claim_837(hl: int, claim_id: str, payers: list[str],
              lines: list[tuple[str, str, str, str | None, str | None]]) -> list[str]:  # fmt: skip
    """Loops 2000B/2010BA/2010BB/2300/2320/2330B/2400 of one claim.

    ``payers``: payer codes, primary first. ``lines``: (procedure, charge, units, date or None
    for DOS, REF*6R or None).
    """
    total = sum(Decimal(charge) for _, charge, _, _, _ in lines)
    first = payers[0]
    name, payer_id = CLAIM_PAYER[first]
    segs = [
        f"HL*{hl}*1*22*0",
        f"SBR*P*18*GRP{hl}******{FILING[first]}",
        f"NM1*IL*1*DOE*PAT{hl}****MI*M{hl:05d}",
        "N3*12 ELM ST",
        "N4*SPRINGFIELD*IL*62701",
        "DMG*D8*19600101*F",
        f"NM1*PR*2*{name}*****PI*{payer_id}",
        f"CLM*{claim_id}*{total:.2f}***11:B:1*Y*A*Y*Y",
        "HI*ABK:M545",
    ]
    for code, other in zip("ST", payers[1:], strict=False):
        other_name, other_id = CLAIM_PAYER[other]
        segs += [
            f"SBR*{code}*18*OTH{hl}******{FILING[other]}",
            "OI***Y***Y",
            f"NM1*IL*1*DOE*PAT{hl}****MI*O{hl:05d}",
            f"NM1*PR*2*{other_name}*****PI*{other_id}",
        ]
    for n, (procedure, charge, units, when, control) in enumerate(lines, start=1):
        segs += [f"LX*{n}", f"SV1*HC:{procedure}*{charge}*UN*{units}***1",
                 f"DTP*472*D8*{when or DOS}"]  # fmt: skip
        if control:
            segs.append(f"REF*6R*{control}")
    return segs


def file_837(*claims: list[str], control: int = 1) -> str:
    body = [
        "BHT*0019*00*BATCH1*20261015*1200*CH",
        "NM1*41*2*ACME CLINIC*****46*ACME01",
        "PER*IC*BILLING OFFICE*TE*5555551234",
        "NM1*40*2*CLEARINGHOUSE*****46*CLRH",
        "HL*1**20*1",
        "NM1*85*2*ACME CLINIC*****XX*1234567893",
        "N3*1 MAIN ST",
        "N4*SPRINGFIELD*IL*62701",
        "REF*EI*123456789",
    ]
    for claim in claims:
        body += claim
    return interchange("HC", "005010X222A1", control, body, "ACME01", "CLRH")


PAYER_835 = {  # N1*PR name, N104 (the Inbound ID)
    "BCBS": ("BLUE CROSS", "BCBS01"), "MCR": ("MEDICARE", "MCR01"),
    "MCD": ("MEDICAID", "MCD01"), "AETNA": ("AETNA", "AET01"),
    "OON": ("OUT OF NETWORK HEALTH", "OON01"), "CIGNA": ("CIGNA", "CIG01"),
}  # fmt: skip


def file_835(check: str, amount: str, body: list[str], payer: str = "BCBS",
             control: int = 2, inbound: str | None = None, paid: str = "20261105") -> str:  # fmt: skip
    """One payment: BPR02 ``amount``, TRN02 ``check``, N1*PR with the payer's Inbound ID, paid
    (BPR16) on ``paid``."""
    name, inbound_id = PAYER_835[payer] if payer in PAYER_835 else (payer, payer)
    header = [
        f"BPR*I*{amount}*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*"
        f"{paid}",
        f"TRN*1*{check}*1512345678",
        "DTM*405*20261104",
        f"N1*PR*{name}*XV*{inbound or inbound_id}",
        "N3*PO BOX 100",
        "N4*CHICAGO*IL*60601",
        "PER*BL*EDI SUPPORT*TE*8005551212",
        "N1*PE*ACME CLINIC*XX*1234567893",
    ]
    return interchange("HP", "005010X221A1", control, [*header, *with_patients(body)], "PAYER",
                       "ACME01")


def with_patients(body: list[str]) -> list[str]:
    """Each CLP's patient name (NM1*QC, required) after its claim-level CAS, unless given."""
    out: list[str] = []
    in_claim_header = False  # after a CLP and its claim-level CAS
    for n, segment in enumerate(body):
        out.append(segment)
        if segment.startswith("CLP*"):
            in_claim_header = True
        elif not segment.startswith("CAS*"):
            in_claim_header = False
        following = body[n + 1] if n + 1 < len(body) else ""
        if in_claim_header and not following.startswith(("CAS*", "NM1*QC")):
            out.append("NM1*QC*1*DOE*JANE****MI*M00001")
            in_claim_header = False
    return out


# -- running pctui -------------------------------------------------------------------------------


class Biller:
    """A biller at a terminal: every step is a `pctui` command on one database (a SQLite file
    or a PostgreSQL URL)."""

    def __init__(self, db: Path | str, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.db, self.folder, self.capsys = db, folder, capsys
        self.files = 0

    def run(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        try:
            code = cli.main(["--db", str(self.db), *argv])
        except SystemExit as exc:  # argparse: wrong usage
            code = exc.code if isinstance(exc.code, int) else 2
        out, err = self.capsys.readouterr()
        return code, out, err

    def write(self, name: str, text: str) -> Path:
        path = self.folder / name
        path.write_text(text)
        return path

    def configure(self, doc: dict[str, Any], name: str = "practice.json") -> dict[str, Any]:
        code, out, err = self.run("config", "import", str(self.write(name, json.dumps(doc))),
                                  "--json")  # fmt: skip
        assert code == 0, err
        return json.loads(out)

    def import_file(self, name: str, text: str, expect: str = "imported",
                    findings: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
        """Import one file; by default it must import with no findings (valid 5010 X12)."""
        code, out, err = self.run("import", str(self.write(name, text)), "--json")
        (result,) = json.loads(out)
        assert result["status"] == expect, (result, err)
        assert code == (1 if expect == "rejected" else 0)
        if expect == "imported":
            # Where in the file a finding is ("(at segment 13)") is the intake's to say.
            found = [AT_SEGMENT.sub("", finding) for finding in result["findings"]]
            assert found == (findings or []), result["findings"]
        return result

    def eras(self) -> dict[str, dict[str, Any]]:
        code, out, _ = self.run("eras", "--json")
        assert code == 0
        return {row["check_number"]: row for row in json.loads(out)}

    def release(self, *checks: str, expect_code: int = 0) -> list[dict[str, Any]]:
        found = self.eras()
        ids = [str(found[check]["id"]) for check in checks]
        code, out, err = self.run("release", *ids, "--deposit-date", DEPOSIT, "--json")
        assert code == expect_code, (out, err)
        return json.loads(out)

    def claims(self) -> dict[str, dict[str, Any]]:
        """`pctui claims --json` by claim id; every claim must satisfy SPEC 2.3's equation."""
        code, out, _ = self.run("claims", "--json")
        assert code == 0
        rows = {row["claim_id"]: row for row in json.loads(out)}
        for row in rows.values():  # charge = payments + adjustments + balances owed
            owed = sum((Decimal(v) for v in row["balance"].values()), Decimal("0.00"))
            assert Decimal(row["charge"]) == Decimal(row["paid"]) + Decimal(row["adjusted"]) + owed
        return rows

    def ledger(self, claim_id: str) -> list[tuple[str, str, str, str, int | None, str]]:
        """The claim's ledger as (kind, party, amount, code, line, CAS code), oldest first."""
        store = Store.open(self.db)
        try:
            with store.read() as session:
                pk = claims.find_claim_pk(session, claim_id)
                assert pk is not None
                entries = claims.ledger_entries(session, pk)
        finally:
            store.close()
        return [(e.kind.value, e.party.value, f"{e.amount:.2f}", e.code, e.line_number,
                 f"{e.group_code}-{e.reason_code}" if e.group_code else "")
                for e in entries]  # fmt: skip

    def claim(self, claim_id: str) -> tuple[str, str, str, dict[str, str]]:
        row = self.claims()[claim_id]
        return row["charge"], row["paid"], row["adjusted"], row["balance"]


def release_detail(biller: Biller, check: str) -> release.ReleaseDetail:
    """What the Release 835 detail view shows for a released payment."""
    store = Store.open(biller.db)
    try:
        detail = release.release_detail(store, biller.eras()[check]["id"])
    finally:
        store.close()
    assert detail is not None
    return detail


def owes(primary: str = "0.00", secondary: str = "0.00", tertiary: str = "0.00",
         patient: str = "0.00") -> dict[str, str]:  # fmt: skip
    return {"primary": primary, "secondary": secondary, "tertiary": tertiary, "patient": patient}
