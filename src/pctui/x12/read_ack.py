"""Read TA1, 999 and 277CA acknowledgments into :class:`pctui.core.acknowledgment.Acknowledgment`.

One file may hold several interchanges, each with its own delimiters (cut into segments by
:mod:`pctui.x12.segments`, the same tokenizer the 835/837 readers use); a TA1 sits directly in
an interchange, a 999 or 277(CA) in ST..SE.
What cannot be read raises :class:`AckError` (a ``FileRejected``) naming the segment.
"""

from __future__ import annotations

import pyx12.errors
from pyx12.segment import Segment as X12Segment

from pctui.core.acknowledgment import (
    AckKind,
    Acknowledgment,
    ClaimAck,
    GroupAck,
    InterchangeAck,
    SetAck,
    SetError,
    StatusInfo,
)
from pctui.core.era import FindingLog
from pctui.x12.decode import BadByte
from pctui.x12.envelope import FileRejected, decode_x12
from pctui.x12.segments import Tokenizer


class AckError(FileRejected):
    """Not a readable TA1, 999 or 277CA; the reason names the place and the problem."""


def read_ack_bytes(data: bytes) -> Acknowledgment:
    return read_ack(decode_x12(data))


def read_ack(text: str) -> Acknowledgment:
    """Every TA1, 999 group and 277CA claim in ``text``."""
    ack = Acknowledgment()
    reader = _Reader(ack)
    try:
        for raw in Tokenizer(iter([text]), FindingLog()):
            d = raw.isa.delimiters
            reader.position = raw.number
            seg = X12Segment(raw.text, d.segment, d.element, d.component, d.repetition or "^")
            reader.segment(seg.get_seg_id() or "", seg)
    except BadByte as bad:
        raise AckError(bad.reason(None), line=bad.line) from None
    except (pyx12.errors.X12Error, pyx12.errors.EngineError) as exc:
        raise AckError(f"segment {reader.position}: cannot be read: {exc}",
                       segment=reader.position) from exc  # fmt: skip
    if not reader.interchanges:
        raise AckError("no ISA interchange found")
    if not ack.kinds:
        raise AckError("no TA1, 999 or 277 acknowledgment found")
    return ack


def _el(seg: X12Segment, position: int, component: int | None = None) -> str:
    elements = seg.elements
    if position > len(elements):
        return ""
    composite = elements[position - 1]
    if component is None:
        return (composite.elements[0].value if len(composite) == 1 else composite.format()).strip()
    if component > len(composite):
        return ""
    return composite[component - 1].value.strip()


class _Reader:
    def __init__(self, ack: Acknowledgment) -> None:
        self.ack = ack
        self.position = 0
        self.interchanges = 0
        self.st_kind = ""
        self.group: GroupAck | None = None
        self.set: SetAck | None = None
        self.error: SetError | None = None
        self.claim: ClaimAck | None = None
        self.hl_code = ""
        self.trn = ""
        self.line_procedure = ""

    def segment(self, sid: str, seg: X12Segment) -> None:
        if sid == "ISA":
            self.interchanges += 1
            if not self.ack.interchange_control:
                self.ack.interchange_control = _el(seg, 13)
                self.ack.sender_id, self.ack.receiver_id = _el(seg, 6), _el(seg, 8)
        elif sid == "TA1":
            self.ack.kinds.add(AckKind.TA1)
            self.ack.interchanges.append(InterchangeAck(_el(seg, 1), _el(seg, 4), _el(seg, 5)))
        elif sid == "ST":
            self.st_kind = _el(seg, 1)
            if self.st_kind == "999":
                self.ack.kinds.add(AckKind.F999)
            elif self.st_kind == "277":
                self.ack.kinds.add(AckKind.F277CA)
        elif self.st_kind == "999":
            self._999(sid, seg)
        elif self.st_kind == "277":
            self._277(sid, seg)

    # -- 999 ---------------------------------------------------------------------------------

    def _999(self, sid: str, seg: X12Segment) -> None:
        if sid == "AK1":
            self.group = GroupAck(_el(seg, 1), _el(seg, 2), _el(seg, 3))
            self.ack.groups.append(self.group)
            self.set = None
        elif sid == "AK2":
            if self.group is None:
                raise AckError(f"segment {self.position} (AK2): comes before AK1",
                               segment=self.position)  # fmt: skip
            self.set = SetAck(_el(seg, 1), _el(seg, 2))
            self.group.sets.append(self.set)
            self.error = None
        elif sid == "IK3" and self.set is not None:
            self.error = SetError(_el(seg, 1), _el(seg, 2), _el(seg, 3), _el(seg, 4))
            self.set.errors.append(self.error)
        elif sid == "IK4" and self.set is not None:
            position = ":".join(p for p in (_el(seg, 1, 1), _el(seg, 1, 2)) if p)
            base = self.error or SetError("", "", "", "")
            detail = SetError(base.segment_id, base.position, base.loop, base.segment_code,
                              position, _el(seg, 2), _el(seg, 3), _el(seg, 4),
                              base.context)  # fmt: skip
            if self.error is not None and not self.error.element_code:
                self.set.errors[-1] = detail  # the IK3's first element problem
            else:
                self.set.errors.append(detail)
            self.error = detail
        elif sid == "CTX" and self.set is not None and self.set.errors:
            last = self.set.errors[-1]
            context = ":".join(p for p in (_el(seg, 1, 1), _el(seg, 1, 2)) if p)
            self.set.errors[-1] = SetError(last.segment_id, last.position, last.loop,
                                           last.segment_code, last.element,
                                           last.element_reference, last.element_code,
                                           last.bad_value, context)  # fmt: skip
            if self.error is last:  # CTX right after IK3 (the guide's order): its IK4s keep it
                self.error = self.set.errors[-1]
        elif sid == "IK5" and self.set is not None:
            self.set.code = _el(seg, 1)
            self.set.set_error_codes = tuple(c for c in (_el(seg, i) for i in range(2, 7)) if c)
        elif sid == "AK9" and self.group is not None:
            self.group.code = _el(seg, 1)
            self.group.counts = (_el(seg, 2), _el(seg, 3), _el(seg, 4))
            self.group.group_error_codes = tuple(
                c for c in (_el(seg, i) for i in range(5, 10)) if c)  # fmt: skip

    # -- 277CA -------------------------------------------------------------------------------

    def _277(self, sid: str, seg: X12Segment) -> None:
        if sid == "HL":
            self.hl_code = _el(seg, 3)
            self.claim = None
            self.trn = ""
        elif sid == "TRN":
            self.trn = _el(seg, 2)
            if self.hl_code == "PT":
                self.claim = ClaimAck(self.trn)
                self.ack.claims.append(self.claim)
            self.line_procedure = ""
        elif sid == "STC":
            statuses = [self._stc(seg, 1)]
            statuses += [s for s in (self._stc(seg, 10), self._stc(seg, 11)) if s.category]
            if self.claim is None:
                self.ack.batch_references.extend((self.trn, s) for s in statuses)
            elif self.line_procedure:
                self.claim.line_statuses.extend((self.line_procedure, s) for s in statuses)
            else:
                self.claim.statuses.extend(statuses)
                self.claim.charge = self.claim.charge or _el(seg, 4)
        elif sid == "REF" and self.claim is not None and _el(seg, 1) == "1K":
            self.claim.payer_claim_number = _el(seg, 2)
        elif sid == "SVC" and self.claim is not None:
            self.line_procedure = _el(seg, 1, 2) or _el(seg, 1)

    @staticmethod
    def _stc(seg: X12Segment, position: int) -> StatusInfo:
        text = _el(seg, 12) if position == 1 else ""
        return StatusInfo(_el(seg, position, 1), _el(seg, position, 2),
                          _el(seg, position, 3), text)  # fmt: skip
