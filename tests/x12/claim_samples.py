"""A small 837P writer for generated claim files (the reader's and the store's tests)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Line:
    procedure: str
    charge: str
    units: str = "1"
    modifiers: tuple[str, ...] = ()
    date: str = "D8*20240105"
    control: str | None = None
    unit_code: str = "UN"


@dataclass
class ClaimSpec:
    claim_id: str
    charge: str
    lines: list[Line]
    subscriber: str = "DOE*JOHN"
    patient: str | None = "DOE*JANE"  # None: the subscriber is the patient (no HL 23)
    sbr: str = "P"
    payer: tuple[str, str] | None = ("ACME HEALTH", "ACME1")
    others: list[tuple[str, tuple[str, str] | None]] = field(default_factory=list)  # (SBR01, payer)
    frequency: str = "1"  # CLM05-3
    payer_claim_number: str | None = None  # REF*F8


def build_837(
    envelopes: list[list[ClaimSpec]],
    e: str = "*",
    c: str = ":",
    s: str = "~",
    after: str = "\n",
    version: str = "005010X222A1",
) -> str:
    """One ISA/GS/ST per envelope; every claim under its own subscriber HL."""
    out: list[str] = []
    for n, claims in enumerate(envelopes, start=1):
        body: list[list[str]] = [
            ["BHT", "0019", "00", f"B{n}", "20240110", "1200", "CH"],
            ["NM1", "41", "2", "BILLING SERVICE", "", "", "", "", "46", "TGJ23"],
            ["NM1", "40", "2", "CLEARINGHOUSE", "", "", "", "", "46", "CH1"],
            ["HL", "1", "", "20", "1"],
            ["NM1", "85", "2", "CLINIC", "", "", "", "", "XX", "1999996666"],
        ]
        hl = 1
        for claim in claims:
            hl += 1
            subscriber_hl = hl
            body.append(["HL", str(hl), "1", "22", "1" if claim.patient else "0"])
            body.append(["SBR", claim.sbr, "", "", "", "", "", "", "", "CI"])
            body.append(["NM1", "IL", "1", *claim.subscriber.split("*"), "", "", "", "MI", "X1"])
            if claim.payer:
                body.append(
                    ["NM1", "PR", "2", claim.payer[0], "", "", "", "", "PI", claim.payer[1]]
                )
            if claim.patient:
                hl += 1
                body.append(["HL", str(hl), str(subscriber_hl), "23", "0"])
                body.append(["PAT", "19"])
                body.append(["NM1", "QC", "1", *claim.patient.split("*")])
            body.append(
                [
                    "CLM",
                    claim.claim_id,
                    claim.charge,
                    "",
                    "",
                    f"11{c}B{c}{claim.frequency}",
                    "Y",
                    "A",
                    "Y",
                    "I",
                ]
            )
            if claim.payer_claim_number:
                body.append(["REF", "F8", claim.payer_claim_number])
            body.append(["HI", f"ABK{c}R69"])
            for level, payer in claim.others:
                body.append(["SBR", level, "01", "", "", "", "", "", "", "CI"])
                body.append(["OI", "", "", "Y", "P", "", "Y"])
                body.append(["NM1", "IL", "1", "DOE", "JOHN", "", "", "", "MI", "Y2"])
                if payer:
                    body.append(["NM1", "PR", "2", payer[0], "", "", "", "", "PI", payer[1]])
            for number, line in enumerate(claim.lines, start=1):
                composite = c.join(["HC", line.procedure, *line.modifiers])
                body.append(["LX", str(number)])
                body.append(
                    ["SV1", composite, line.charge, line.unit_code, line.units, "", "", "1"]
                )
                qualifier, value = line.date.split("*")
                body.append(["DTP", "472", qualifier, value])
                if line.control:
                    body.append(["REF", "6R", line.control])
        st = [["ST", "837", f"{n:04d}", version], *body]
        st.append(["SE", str(len(st) + 1), f"{n:04d}"])
        isa = (
            f"ISA{e}00{e}{'':10}{e}00{e}{'':10}{e}ZZ{e}{'SUBMITTER':15}{e}ZZ{e}{'RECEIVER':15}"
            f"{e}240110{e}1200{e}^{e}00501{e}{n:09d}{e}0{e}T{e}{c}{s}"
        )
        assert len(isa) == 106
        segments = [
            ["GS", "HC", "SUBMITTER", "RECEIVER", "20240110", "1200", str(n), "X", version],
            *st,
            ["GE", "1", str(n)],
            ["IEA", "1", f"{n:09d}"],
        ]
        out.append(isa + after + "".join(e.join(seg) + s + after for seg in segments))
    return "".join(out)


def one_claim(**overrides) -> str:
    spec = ClaimSpec("C1", "100.00", [Line("99213", "100.00")])
    for key, value in overrides.items():
        setattr(spec, key, value)
    return build_837([[spec]])
