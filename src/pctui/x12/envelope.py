"""One pass over an X12 file: bytes → text → segments, with the ISA/GS/ST envelopes checked as the
segments go by, in memory bounded by one segment (plus the reader's open payment or claim).

:class:`X12Stream` is what the readers consume (``read835``/``read837``): it yields each segment
(number, pyx12 ``Segment``) after the envelope walk has seen it, and tells which transaction set
is open or was just closed. What a file's bytes mean is decided in :mod:`pctui.x12.decode`; how
segments are cut, each interchange with its own delimiters, in :mod:`pctui.x12.segments`.

Rejects (:class:`FileRejected`) are reasons a file cannot be imported at all (a missing trailer,
a transaction set that is neither 835 nor 837, 835 and 837 mixed). Problems in a file that still
reads (segment counts, control numbers) are :class:`~pctui.core.era.Finding` s instead.

:func:`scan`, :func:`read_x12` and :func:`decode_x12` collect a whole (small) file at once: for
tests, tools and pyx12's full validation of small files.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from pyx12.segment import Segment

from pctui.core.era import Finding, FindingLog, FindingSource, Severity
from pctui.x12.decode import BadByte, decode_chunks
from pctui.x12.errors import FileRejected
from pctui.x12.segments import (
    ISA_LENGTH,
    MAX_SEGMENT_CHARS,
    Delimiters,
    Isa,
    RawSegment,
    Tokenizer,
)

__all__ = [
    "ACCEPTED_KINDS", "ISA_LENGTH", "MAX_SEGMENT_CHARS", "Delimiters", "FileRejected",
    "Interchange", "ScannedFile", "TransactionSet", "X12Stream", "decode_x12", "read_x12", "scan",
]  # fmt: skip

SUPPORTED_VERSIONS = ("00401", "00501")
ACCEPTED_KINDS = {"835": "HP", "837": "HC"}  # transaction set -> expected GS01
_CONTROL = {"GS", "ST", "SE", "GE", "IEA"}


@dataclass(slots=True)
class TransactionSet:
    """One ST..SE inside a GS inside an ISA."""

    index: int  # 0-based position of this ST within the file
    kind: str  # ST01: "835", "837", ...
    control_number: str  # ST02
    first_segment: int  # 1-based segment number of the ST within the file
    interchange_index: int
    interchange_control: str  # ISA13
    sender_id: str  # GS02
    receiver_id: str  # GS03
    functional_id: str  # GS01
    version: str  # GS08
    segment_count: int = 0  # actual segments ST..SE inclusive
    findings: list[Finding] = field(default_factory=list)


@dataclass(slots=True)
class Interchange:
    """One ISA..IEA. ``text`` (kept only when asked for) is normalized so pyx12's own reader can
    read it on its own: one terminator per segment, no layout, the ISA at its fixed widths."""

    text: str
    delimiters: Delimiters
    first_segment: int  # 1-based segment number of the ISA within the file
    control_number: str  # ISA13
    version: str  # ISA12 as read (00401 or 00501)
    segment_count: int = 0


@dataclass(slots=True)
class ScannedFile:
    """The envelope map of one whole file (see :func:`scan`)."""

    interchanges: list[Interchange]
    transactions: list[TransactionSet]
    findings: list[Finding]  # file-level (GS/GE, ISA/IEA) problems
    text: str = ""  # the decoded text, so readers can stream it again

    @property
    def kind(self) -> str:
        return self.transactions[0].kind

    @property
    def segment_count(self) -> int:
        return sum(i.segment_count for i in self.interchanges)

    @property
    def delimiters(self) -> Delimiters:
        return self.interchanges[0].delimiters


class X12Stream:
    """Segments of one file after the envelope walk, as (number, pyx12 ``Segment``) pairs.

    ``findings`` collects file-level problems as they are found; each transaction set's own
    problems go on its :class:`TransactionSet`. ``keep`` keeps every transaction set and each
    interchange's normalized text (for :func:`scan`); a streaming import keeps neither.
    """

    def __init__(self, source: Iterable[bytes] | Iterable[str], *, text: bool = False,
                 keep: bool = False) -> None:  # fmt: skip
        # File-level problems, collapsed as found: a file of a million interchanges with the
        # same problem holds one finding with its count, not a million.
        self.findings = FindingLog()
        self._texts = iter(source) if text else decode_chunks(source)  # type: ignore[arg-type]
        self.keep = keep
        self.decoded: list[str] = []  # with keep: the decoded text, for readers that re-read it
        if keep:
            self._texts = self._kept(self._texts)
        self.kind = ""
        self.transactions: list[TransactionSet] = []  # every one when keep, else none
        self.transaction_count = 0
        self.interchanges: list[Interchange] = []  # without text unless keep
        self.segment_count = 0
        self.open_set: TransactionSet | None = None
        self.closed_set: TransactionSet | None = None  # set on its SE
        self._group: list[str] | None = None
        self._group_segment = 0
        self._group_sets = 0
        self._groups = 0
        self._isa: Isa | None = None
        self._parts: list[str] = []
        self._gen: Iterator[tuple[int, Segment]] | None = None
        self._replay: list[tuple[int, Segment]] = []
        self.last_raw: RawSegment | None = None  # the segment just walked, as written

    def _kept(self, texts: Iterator[str]) -> Iterator[str]:
        for part in texts:
            self.decoded.append(part)
            yield part

    # -- the pass ---------------------------------------------------------------------------

    def peek_kind(self) -> str:
        """Read up to the first ST and say what the file is ("835" or "837"); iterating the
        stream afterwards starts again from its first segment."""
        if self._gen is None:
            self._gen = self._segments()
        while not self.kind:
            pair = next(self._gen, None)
            if pair is None:
                break
            self._replay.append(pair)
        return self.kind

    def __iter__(self) -> Iterator[tuple[int, Segment]]:
        if self._gen is None:
            self._gen = self._segments()
        replay, self._replay = self._replay, []
        yield from replay
        yield from self._gen

    def _segments(self) -> Iterator[tuple[int, Segment]]:
        tokens = Tokenizer(self._texts, self.findings)
        try:
            for raw in tokens:
                self.closed_set = None
                self.last_raw = raw
                segment = self._walk(raw)
                yield raw.number, segment
        except BadByte as bad:  # decoding stopped before any segment was cut
            raise FileRejected(bad.reason(None), line=bad.line) from None
        except FileRejected as exc:  # what was read before the problem says what the file is
            exc.kind = exc.kind or _one_kind({self.kind})
            raise
        if not self.transaction_count:
            raise FileRejected("the file holds no transaction set (no ST segment)")

    def _walk(self, raw: RawSegment) -> Segment:
        d = raw.isa.delimiters
        segment = Segment(raw.text, d.segment, d.element, d.component, d.repetition or "^")
        self.segment_count = raw.number
        sid = segment.seg_id or ""
        if sid == "ISA":
            self._start_interchange(raw.isa)
        elif sid in _CONTROL:
            elements = raw.text.split(d.element)
            getattr(self, "_" + sid.lower())(elements, raw.number)
        if self.keep:
            self._parts.append(raw.isa.padded() if sid == "ISA" else raw.text)
            if sid == "IEA":
                self._end_interchange_text()
        return segment

    # -- envelopes --------------------------------------------------------------------------

    def _start_interchange(self, isa: Isa) -> None:
        self._isa = isa
        self._groups = 0
        self._group = None
        self.interchanges.append(Interchange("", isa.delimiters, isa.first_segment,
                                             isa.control_number, isa.read_as))  # fmt: skip

    def _end_interchange_text(self) -> None:
        interchange = self.interchanges[-1]
        terminator = interchange.delimiters.segment
        interchange.text = terminator.join(self._parts) + terminator
        self._parts = []

    def _gs(self, el: list[str], at: int) -> None:
        if self._group is not None:
            self._missing("GE", "functional group", _get(self._group, 6), self._group_segment, at)
        self._group, self._group_segment, self._group_sets = el, at, 0

    def _st(self, el: list[str], at: int) -> None:
        if self.open_set is not None:
            t = self.open_set
            self._missing("SE", "transaction set", t.control_number, t.first_segment, at)
        if self._group is None:
            raise FileRejected(
                f"the ST at segment {at} is not inside a GS functional group", segment=at)
        kind = _get(el, 1)
        if kind not in ACCEPTED_KINDS:
            raise FileRejected(
                f"wrong transaction set: ST01 at segment {at} is {kind!r}; only 835 (remittance) "
                "and 837 (claim) files can be imported", segment=at)  # fmt: skip
        if self.kind and kind != self.kind:
            raise FileRejected(
                "the file mixes 835 and 837 transaction sets; import them as separate files",
                segment=at)  # fmt: skip
        self.kind = kind
        assert self._isa is not None
        gs = self._group
        self.open_set = TransactionSet(
            index=self.transaction_count, kind=kind, control_number=_get(el, 2),
            first_segment=at, interchange_index=self._isa.index,
            interchange_control=self._isa.control_number, sender_id=_get(gs, 2).strip(),
            receiver_id=_get(gs, 3).strip(), functional_id=_get(gs, 1), version=_get(gs, 8),
        )  # fmt: skip
        self.transaction_count += 1
        if self.keep:
            self.transactions.append(self.open_set)
        self._group_sets += 1
        expected_gs01 = ACCEPTED_KINDS[kind]
        if _get(gs, 1) != expected_gs01:
            self._finding(
                Severity.WARNING,
                f"GS01 at segment {self._group_segment} is {_get(gs, 1)!r} but its transaction "
                f"set is an {kind} (expected {expected_gs01!r})", "GS", self._group_segment,
                self.open_set)  # fmt: skip

    def _se(self, el: list[str], at: int) -> None:
        t = self.open_set
        if t is None:
            raise FileRejected(f"the SE at segment {at} has no matching ST before it", segment=at)
        t.segment_count = at - t.first_segment + 1
        declared = _get(el, 1)
        if declared != str(t.segment_count):
            self._finding(
                Severity.ERROR,
                f"Segment count in SE01 is {declared!r} but transaction set {t.control_number} "
                f"has {t.segment_count} segments", "SE", at, t)  # fmt: skip
        if _get(el, 2) != t.control_number:
            self._finding(
                Severity.ERROR,
                f"SE02 control number {_get(el, 2)!r} does not match ST02 {t.control_number!r}",
                "SE", at, t)  # fmt: skip
        self.open_set = None
        self.closed_set = t

    def _ge(self, el: list[str], at: int) -> None:
        if self.open_set is not None:
            t = self.open_set
            self._missing("SE", "transaction set", t.control_number, t.first_segment, at)
        if self._group is None:
            raise FileRejected(f"the GE at segment {at} has no matching GS before it", segment=at)
        if _get(el, 1) != str(self._group_sets):
            self._finding(
                Severity.ERROR,
                f"GE01 says the functional group holds {_get(el, 1)!r} transaction sets but it "
                f"holds {self._group_sets}", "GE", at)  # fmt: skip
        if _get(el, 2) != _get(self._group, 6):
            self._finding(
                Severity.ERROR,
                f"GE02 control number {_get(el, 2)!r} does not match GS06 "
                f"{_get(self._group, 6)!r}", "GE", at)  # fmt: skip
        self._group = None
        self._groups += 1

    def _iea(self, el: list[str], at: int) -> None:
        if self.open_set is not None:
            t = self.open_set
            self._missing("SE", "transaction set", t.control_number, t.first_segment, at)
        if self._group is not None:
            self._missing("GE", "functional group", _get(self._group, 6), self._group_segment, at)
        assert self._isa is not None
        if _get(el, 1) != str(self._groups):
            self._finding(
                Severity.ERROR,
                f"IEA01 says the interchange holds {_get(el, 1)!r} functional groups but it "
                f"holds {self._groups}", "IEA", at)  # fmt: skip
        if _get(el, 2) != self._isa.control_number:
            self._finding(
                Severity.ERROR,
                f"IEA02 control number {_get(el, 2)!r} does not match ISA13 "
                f"{self._isa.control_number!r}", "IEA", at)  # fmt: skip
        self.interchanges[-1].segment_count = at - self._isa.first_segment + 1

    def _missing(self, trailer: str, what: str, control: str, start: int, at: int) -> None:
        raise FileRejected(
            f"truncated or damaged: the {what} {control!r} that starts at segment {start} has no "
            f"{trailer} trailer (segment {at} begins something else)", segment=start)  # fmt: skip

    def _finding(self, severity: Severity, message: str, segment: str, position: int,
                 transaction: TransactionSet | None = None) -> None:  # fmt: skip
        finding = Finding(severity, FindingSource.STRUCTURE, message, segment, position)
        (transaction.findings if transaction else self.findings).append(finding)


def _one_kind(kinds: set[str]) -> str:
    kind = next(iter(kinds)) if len(kinds) == 1 else ""
    return kind if kind in ACCEPTED_KINDS else ""


def _get(elements: list[str] | None, index: int) -> str:
    return elements[index] if elements is not None and index < len(elements) else ""


# -- whole files at once (small files, tests, tools) ------------------------------------------


def decode_x12(data: bytes) -> str:
    """Decode a whole file's bytes to X12 text starting at ``ISA`` (see ``x12/decode.py``)."""
    try:
        return "".join(decode_chunks([data]))
    except BadByte as bad:
        raise FileRejected(bad.reason(None), line=bad.line) from None


def scan(text: str) -> ScannedFile:
    """Walk the envelopes of decoded text; reject what cannot be imported at all."""
    stream = X12Stream([text], text=True, keep=True)
    for _ in stream:
        pass
    return ScannedFile(stream.interchanges, stream.transactions, list(stream.findings), text)


def read_x12(data: bytes) -> ScannedFile:
    """Bytes of one file to its envelope map, or :class:`FileRejected`."""
    stream = X12Stream([data], keep=True)
    for _ in stream:
        pass
    return ScannedFile(stream.interchanges, stream.transactions, list(stream.findings),
                       "".join(stream.decoded))
