"""Acknowledgments laid out as clearinghouses send them (X12 005010X231A1 999, X214 277CA, TA1)."""

from __future__ import annotations


def isa(control: str, sender: str = "CLAIMMD", receiver: str = "PCTUI0001",
        terminator: str = "~") -> str:
    return (f"ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*{receiver:<15}*261202*0815*^*"
            f"00501*{control}*0*T*:{terminator}")


def ta1(answers: str, code: str = "R", note: str = "006") -> str:
    return f"{isa('000000901')}\nTA1*{answers}*261201*0930*{code}*{note}~\nIEA*0*000000901~\n"


def nine_nine_nine(group: str, sets: list[tuple[str, str, list[str]]], ak9: str) -> str:
    """``sets``: (ST02, IK501, segments between AK2 and IK5)."""
    body = [f"AK1*HC*{group}*005010X222A1"]
    for control, code, errors in sets:
        body += [f"AK2*837*{control}*005010X222A1", *errors, f"IK5*{code}"]
    accepted = sum(1 for _, code, _ in sets if code in ("A", "E"))
    body.append(f"AK9*{ak9}*{len(sets)}*{len(sets)}*{accepted}")
    st = ["ST*999*0001*005010X231A1", *body]
    st.append(f"SE*{len(st) + 1}*0001")
    segments = ["GS*FA*CLAIMMD*PCTUI0001*20261202*0815*555*X*005010X231A1", *st,
                "GE*1*555", "IEA*1*000000902"]
    return isa("000000902") + "\n" + "".join(s + "~\n" for s in segments)


def two_seventy_seven(batch: str, claims: list[tuple[str, str, str]]) -> str:
    """``claims``: (CLM01, STC01 composite, payer claim number or "")."""
    body = [
        "BHT*0085*08*27701*20261203*1030*TH",
        "HL*1**20*1", "NM1*PR*2*BLUE CROSS BLUE SHIELD*****PI*84980", "TRN*1*RCV0001",
        "DTP*050*D8*20261203", "DTP*009*D8*20261203",
        "HL*2*1*21*1", "NM1*41*2*RIVERSIDE FAMILY MEDICINE*****46*PCTUI0001",
        f"TRN*2*{batch}", f"STC*A1:19:PR*20261203*WQ*{len(claims) * 100}",
        "HL*3*2*19*1", "NM1*85*2*RIVERSIDE FAMILY MEDICINE*****XX*1234567893",
        "TRN*1*0", "REF*TJ*371234567",
    ]
    for n, (claim_id, stc, payer_number) in enumerate(claims, start=4):
        body += [f"HL*{n}*3*PT", "NM1*QC*1*SMITH*MARY****MI*XYZ000000001", f"TRN*2*{claim_id}",
                 f"STC*{stc}*20261203*WQ*185" + ("********Billing provider ZIP+4 required"
                                                 if stc.startswith("A7") else "")]
        if payer_number:
            body.append(f"REF*1K*{payer_number}")
        body.append("DTP*472*D8*20261120")
    st = ["ST*277*0001*005010X214", *body]
    st.append(f"SE*{len(st) + 1}*0001")
    segments = ["GS*HN*84980*PCTUI0001*20261203*1030*777*X*005010X214", *st, "GE*1*777",
                "IEA*1*000000903"]
    return isa("000000903") + "\n" + "".join(s + "~\n" for s in segments)
