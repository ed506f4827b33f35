"""Small, real-shaped X12 files a mailbox returns: 999, TA1 and 277CA; and 837s to send."""

from __future__ import annotations

from tests.conftest import FIXTURES


def isa(usage: str = "T", control: str = "000000101", sender: str = "CLEARINGHOUSE",
        receiver: str = "SUBMITTER01") -> str:
    return (f"ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*{receiver:<15}*260102*1200*^*"
            f"00501*{control}*0*{usage}*:~")


def ack_999(accepted: int = 2, rejected: int = 1, group: str = "1001") -> bytes:
    sets = []
    for i in range(accepted + rejected):
        ok = i < accepted
        sets.append(f"AK2*837*{i + 1:04d}*005010X222A1~"
                    + ("" if ok else "IK3*NM1*12*2010BA*8~IK4*9*67*7*ABC~")
                    + f"IK5*{'A' if ok else 'R'}~")
    status = "P" if rejected and accepted else ("R" if rejected else "A")
    body = (f"ST*999*0001*005010X231A1~AK1*HC*{group}*005010X222A1~" + "".join(sets)
            + f"AK9*{status}*{accepted + rejected}*{accepted + rejected}*{accepted}~SE*9*0001~")
    return (isa() + "GS*FA*CLEARINGHOUSE*SUBMITTER01*20260102*1200*7001*X*005010X231A1~"
            + body + "GE*1*7001~IEA*1*000000101~").encode()


def ta1(status: str = "R", note: str = "006") -> bytes:
    return (isa(control="000000102") + f"TA1*000000777*260102*1159*{status}*{note}~"
            "IEA*0*000000102~").encode()


def ack_277ca(claims: list[tuple[str, str]]) -> bytes:
    """claims: (patient control number, STC01 e.g. "A1:20" accepted, "A7:562" rejected)."""
    hl = ["HL*1**20*1~NM1*PR*2*PAYER*****PI*12345~TRN*1*0091182~DTP*050*D8*20260102~",
          "HL*2*1*21*1~NM1*41*2*PRACTICE*****46*SUB01~TRN*2*1001~STC*A1:19*20260102*WQ*100~",
          "HL*3*2*19*1~NM1*85*2*CLINIC*****XX*1234567893~"]
    n = 4
    for pcn, stc in claims:
        hl.append(f"HL*{n}*3*PT~NM1*QC*1*DOE*JANE****MI*W1~TRN*2*{pcn}~STC*{stc}*20260102*"
                  f"{'WQ' if stc.startswith(('A1', 'A2')) else 'U'}*100~REF*1K*PAY{pcn}~")
        n += 1
    body = "BHT*0085*08*277X*20260102*1200*TH~" + "".join(hl)
    return (isa(control="000000103") + "GS*HN*CLEARINGHOUSE*SUBMITTER01*20260102*1200*7003*X*"
            "005010X214~ST*277*0001*005010X214~" + body + "SE*20*0001~GE*1*7003~"
            "IEA*1*000000103~").encode()


def era_835() -> bytes:
    return (FIXTURES / "835-managed-care.835").read_bytes()


def claims_837(usage: str = "T") -> bytes:
    data = (FIXTURES / "837p-example1.837").read_bytes()
    text = data.decode()
    start = text.index("ISA")
    sep = text[start + 3]
    parts = text[start:start + 106].split(sep)
    parts[15] = usage
    return (text[:start] + sep.join(parts) + text[start + 106:]).encode()
