"""Raw bytes to X12 text, the delimiters each ISA declares, and the ISA/GS/ST envelope map.

Decisions about what a file's bytes mean (documented here because a biller only sees the result):

- A UTF-8 byte-order mark is dropped; UTF-16/UTF-32 text (with a BOM, or UTF-16 that starts with
  ``ISA``) is decoded. Trailing NUL, Ctrl-Z and blank space (mainframe/DOS padding) are ignored.
- Otherwise the bytes must be ASCII or UTF-8. Non-ASCII UTF-8 characters (``JOSÉ``) are kept as they
  are; any other byte (Latin-1 ``0xE9``, a torn UTF-8 sequence) rejects the whole file as an
  *unreadable encoding*, naming the line and segment, rather than guessing a code page and
  posting money against a mangled name or number.
- EBCDIC (mainframe) files are recognised and rejected with that name.
- A NUL byte inside the data means binary, not text.

Delimiters come from each interchange's own ISA: element (ISA position 4), repetition (ISA11 in
00501), component (ISA16) and segment terminator (the character after ISA16). Line breaks after
terminators, or none at all, are both fine; when the terminator is not itself a line break, every
CR/LF is removed (some senders wrap lines at 80 columns). Several interchanges in one file may use
different delimiters. The ISA is fixed-width: 106 characters including its terminator.

Rejects (:class:`FileRejected`) are reasons a file cannot be imported at all. Problems in a file that
still reads (segment counts, control numbers) are :class:`~pctui.core.era.Finding` s instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pctui.core.era import Finding, FindingSource, Severity

ISA_LENGTH = 106
SUPPORTED_VERSIONS = ("00401", "00501")
ACCEPTED_KINDS = {"835": "HP", "837": "HC"}  # transaction set -> expected GS01
_TRAILING_PADDING = b"\x00\x1a \t\r\n"
_CONTROL_IDS = "ISA|IEA|GS|GE|ST|SE"


class FileRejected(Exception):
    """A file that cannot be imported at all. ``reason`` says why in plain words; ``kind`` is
    "835" or "837" when the file's ST01 said so before the problem, else ""."""

    def __init__(
        self, reason: str, *, segment: int | None = None, line: int | None = None, kind: str = ""
    ):
        super().__init__(reason)
        self.reason = reason
        self.segment = segment
        self.line = line
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str
    component: str
    segment: str
    repetition: str | None = None  # ISA11 in 00501; 00401 has none
    line_break: str = ""  # what followed the ISA terminator: "", "\n" or "\r\n"

    def describe(self) -> str:
        def show(ch: str | None) -> str:
            names = {"\n": "LF", "\r": "CR", "\r\n": "CR LF", "\t": "TAB", None: "none"}
            if ch in names:
                return names[ch]
            return repr(ch) if ch.isprintable() else f"0x{ord(ch):02X}"

        return (
            f"element {show(self.element)}, component {show(self.component)}, "
            f"repetition {show(self.repetition)}, segment {show(self.segment)}, "
            f"line break {show(self.line_break) if self.line_break else 'none'}"
        )


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
    """One ISA..IEA, normalized so pyx12's X12Reader can read it on its own."""

    text: str
    delimiters: Delimiters
    first_segment: int  # 1-based segment number of the ISA within the file
    control_number: str  # ISA13
    version: str  # ISA12
    segment_count: int = 0


@dataclass(slots=True)
class ScannedFile:
    """The envelope map of one file: what it holds and what is wrong with its envelopes."""

    interchanges: list[Interchange]
    transactions: list[TransactionSet]
    findings: list[Finding]  # file-level (GS/GE, ISA/IEA) problems

    @property
    def kind(self) -> str:
        return self.transactions[0].kind

    @property
    def segment_count(self) -> int:
        return sum(i.segment_count for i in self.interchanges)

    @property
    def delimiters(self) -> Delimiters:
        return self.interchanges[0].delimiters


def read_x12(data: bytes) -> ScannedFile:
    """Bytes of one file to its envelope map, or :class:`FileRejected`."""
    return scan(decode_x12(data))


# --- bytes to text -------------------------------------------------------------------------


def decode_x12(data: bytes) -> str:
    """Decode a file's bytes to X12 text starting at ``ISA`` (see the module notes)."""
    text = _decode_unicode_forms(data)
    if text is None:
        data = data.rstrip(_TRAILING_PADDING)
        if not data.strip():
            raise FileRejected("the file is empty")
        text = _decode_ascii_or_utf8(data)
    text = text.lstrip("\ufeff \t\r\n").rstrip("\x00\x1a \t\r\n")
    if not text:
        raise FileRejected("the file is empty")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise FileRejected(
            f"binary data: a NUL byte at line {line}; this is not a text file", line=line
        )
    return text


def _decode_unicode_forms(data: bytes) -> str | None:
    """UTF-16/32 text from Windows editors; None when the bytes are not in those forms."""
    for bom, codec in (
        (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            return _decode_or_reject(data, codec, f"{codec.upper()} (it has a byte-order mark)")
    if data.startswith(b"I\x00S\x00A\x00"):
        return _decode_or_reject(data, "utf-16-le", "UTF-16")
    if data.startswith(b"\x00I\x00S\x00A"):
        return _decode_or_reject(data, "utf-16-be", "UTF-16")
    return None


def _decode_or_reject(data: bytes, codec: str, label: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise FileRejected(
            f"unreadable encoding: the file looks like {label} text but byte {exc.start} "
            "cannot be decoded"
        ) from exc


def _decode_ascii_or_utf8(data: bytes) -> str:
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    body = body.lstrip(b" \t\r\n")
    if body.startswith(b"\xc9\xe2\xc1"):  # "ISA" in EBCDIC
        raise FileRejected(
            "unreadable encoding: the file is EBCDIC (mainframe) text; ask the sender for ASCII"
        )
    if not body.startswith(b"ISA"):
        raise FileRejected(_not_x12_reason(body))
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileRejected(_bad_byte_reason(body, exc.start), line=_line_of(body, exc.start)) from exc


def _not_x12_reason(body: bytes) -> str:
    head = body[:4096]
    if _looks_binary(head):
        return "binary data, not a text file (an X12 file is text beginning with 'ISA')"
    first = head.decode("utf-8", "replace").splitlines()[0] if head else ""
    shown = first[:30] + ("..." if len(first) > 30 else "")
    return f"not an X12 file: it should begin with 'ISA' but begins with {shown!r}"


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A cut at the end of the sample is not a sign of binary.
        if exc.start < len(head) - 4:
            return True
    controls = sum(1 for b in head if b < 0x20 and b not in (9, 10, 12, 13))
    return controls > len(head) // 20


def _line_of(body: bytes, offset: int) -> int:
    return body.count(b"\n", 0, offset) + 1


def _bad_byte_reason(body: bytes, offset: int) -> str:
    where = f"line {_line_of(body, offset)}"
    if len(body) >= ISA_LENGTH:
        terminator = body[ISA_LENGTH - 1 : ISA_LENGTH]
        if terminator not in (b"\r", b"\n"):
            where += f", segment {body.count(terminator, 0, offset) + 1}"
    return (
        f"unreadable encoding: byte 0x{body[offset]:02X} at {where} is not ASCII or UTF-8 text; "
        "ask the sender for an ASCII file"
    )


# --- text to interchanges --------------------------------------------------------------------


def split_interchanges(text: str) -> tuple[list[Interchange], list[Finding]]:
    """Cut decoded text into ISA..IEA interchanges, each read with its own delimiters."""
    interchanges: list[Interchange] = []
    findings: list[Finding] = []
    pos = 0
    segment_no = 1
    while pos < len(text):
        if "\n" in text[pos : pos + ISA_LENGTH - 1] or "\r" in text[pos : pos + ISA_LENGTH - 1]:
            # Lines wrapped inside the ISA: the terminator is not a line break, so none is data.
            text = text[:pos] + text[pos:].replace("\r", "").replace("\n", "")
        delimiters, version, control = _read_isa(text, pos, segment_no, findings)
        try:
            end = _interchange_end(text, pos, delimiters, segment_no)
        except FileRejected as exc:  # truncated: what it held is still an 835 or an 837
            exc.kind = exc.kind or _one_kind(_st01s(text, delimiters))
            raise
        chunk, chunk_findings = _normalize(text[pos:end], delimiters, segment_no)
        findings.extend(chunk_findings)
        count = chunk.count(delimiters.segment)
        interchanges.append(Interchange(chunk, delimiters, segment_no, control, version, count))
        segment_no += count
        rest = text[end:]
        stripped = rest.lstrip(" \t\r\n\x1a")
        pos = end + (len(rest) - len(stripped))
        if stripped and not stripped.startswith("ISA"):
            findings.append(
                Finding(
                    Severity.WARNING,
                    FindingSource.STRUCTURE,
                    f"{len(stripped)} characters after the last IEA trailer were ignored "
                    f"(they begin {stripped[:20]!r})",
                    segment="IEA",
                    position=segment_no - 1,
                )
            )
            break
    return interchanges, findings


def _read_isa(
    text: str, pos: int, segment_no: int, findings: list[Finding]
) -> tuple[Delimiters, str, str]:
    head = text[pos : pos + ISA_LENGTH + 2]
    if len(head) < 4:
        raise FileRejected(
            f"truncated: the file ends inside the ISA header at segment {segment_no}",
            segment=segment_no,
        )
    element = head[3]
    if element.isalnum() or element in " \r\n":
        raise FileRejected(
            f"the ISA header at segment {segment_no} has no valid element separator "
            f"(found {element!r} after 'ISA')",
            segment=segment_no,
        )
    parts = text[pos : pos + 200].split(element, 16)
    if len(parts) < 17 or len(parts[16]) < 2:
        raise FileRejected(
            f"truncated: the ISA header at segment {segment_no} is shorter than "
            f"{ISA_LENGTH} characters (it must have 16 fixed-width elements)",
            segment=segment_no,
        )
    isa16_at = sum(len(p) + 1 for p in parts[:16])
    if isa16_at != ISA_LENGTH - 2:
        raise FileRejected(
            f"the ISA header at segment {segment_no} is {isa16_at + 2} characters long, not "
            f"{ISA_LENGTH}: its elements are not padded to their fixed widths",
            segment=segment_no,
        )
    component, segment = parts[16][0], parts[16][1]
    version = parts[12]
    if version not in SUPPORTED_VERSIONS:
        raise FileRejected(
            f"ISA12 at segment {segment_no} says version {version!r}; only 00401 and 00501 "
            "interchanges can be read",
            segment=segment_no,
        )
    repetition = parts[11] if version == "00501" else None
    if repetition is not None and (repetition.isalnum() or repetition == " "):
        findings.append(
            Finding(
                Severity.WARNING,
                FindingSource.STRUCTURE,
                f"ISA11 at segment {segment_no} should be the repetition separator in a 00501 "
                f"interchange but is {repetition!r}; read as having none",
                segment="ISA",
                position=segment_no,
            )
        )
        repetition = None
    _check_distinct(element, component, segment, repetition, segment_no)
    after = text[pos + ISA_LENGTH : pos + ISA_LENGTH + 2]
    line_break = "\r\n" if after.startswith("\r\n") else "\n" if after[:1] in ("\n", "\r") else ""
    if segment in "\r\n":
        line_break = ""
    return Delimiters(element, component, segment, repetition, line_break), version, parts[13]


def _check_distinct(
    element: str, component: str, segment: str, repetition: str | None, segment_no: int
) -> None:
    named = {"element separator": element, "component separator (ISA16)": component}
    named["segment terminator"] = segment
    if repetition is not None:
        named["repetition separator (ISA11)"] = repetition
    seen: dict[str, str] = {}
    for name, ch in named.items():
        if ch.isalnum() or ch == " ":
            raise FileRejected(
                f"the ISA header at segment {segment_no} declares {ch!r} as its {name}; "
                "a delimiter cannot be a letter, digit or space",
                segment=segment_no,
            )
        if ch in seen:
            raise FileRejected(
                f"the ISA header at segment {segment_no} declares {ch!r} as both the "
                f"{seen[ch]} and the {name}",
                segment=segment_no,
            )
        seen[ch] = name


def _interchange_end(text: str, pos: int, d: Delimiters, segment_no: int) -> int:
    """Offset just past the IEA segment's terminator of the interchange starting at ``pos``."""
    trailer = re.compile(re.escape(d.segment) + r"[ \t\r\n]*IEA" + re.escape(d.element))
    found = trailer.search(text, pos + ISA_LENGTH - 1)
    if found is None:
        last = segment_no + text.count(d.segment, pos) - 1
        raise FileRejected(
            f"truncated: the interchange that starts at segment {segment_no} has no IEA "
            f"trailer (the file ends at segment {last + 1})",
            segment=segment_no,
        )
    end = text.find(d.segment, found.end())
    return len(text) if end < 0 else end + 1


def _normalize(chunk: str, d: Delimiters, segment_no: int) -> tuple[str, list[Finding]]:
    """One terminator per segment, no line breaks in between: what X12Reader reads reliably."""
    findings: list[Finding] = []
    seg = d.segment
    if seg in "\r\n":
        chunk = chunk.replace("\r\n", "\n").replace("\r", "\n")
        seg = "\n"
        # The ISA's own terminator must stay the one X12Reader picks up at character 106.
        if d.segment == "\r":
            chunk = chunk.replace("\n", "\r")
            seg = "\r"
    elif "\n" in chunk or "\r" in chunk:
        chunk = chunk.replace("\r", "").replace("\n", "")
    indent = re.compile(re.escape(seg) + r"[ \t]+")
    if indent.search(chunk):
        chunk = indent.sub(seg, chunk)  # blanks before a segment ID are layout, not data
    if not chunk.endswith(seg):
        chunk += seg
    doubled = seg + seg
    if doubled in chunk:
        # pyx12 stops reading at an empty segment; drop empties so nothing after them is lost.
        blanks = 0
        while doubled in chunk:
            before = len(chunk)
            chunk = chunk.replace(doubled, seg)
            blanks += before - len(chunk)
        if d.segment not in "\r\n":
            findings.append(
                Finding(
                    Severity.WARNING,
                    FindingSource.STRUCTURE,
                    f"{blanks} empty segment(s) (two terminators in a row) in the interchange "
                    f"starting at segment {segment_no} were skipped",
                    segment="ISA",
                    position=segment_no,
                )
            )
    return chunk, findings


# --- the envelope map ------------------------------------------------------------------------


def scan(text: str) -> ScannedFile:
    """Map the envelopes of decoded text; reject what cannot be imported at all."""
    interchanges, findings = split_interchanges(text)
    transactions: list[TransactionSet] = []
    try:
        for number, interchange in enumerate(interchanges):
            _EnvelopeWalk(interchange, number, transactions, findings).walk()
    except FileRejected as exc:  # the STs read before the problem still say what the file is
        exc.kind = exc.kind or _one_kind({t.kind for t in transactions})
        raise
    if not transactions:
        raise FileRejected("the file holds no transaction set (no ST segment)")
    _check_kinds(transactions)
    return ScannedFile(interchanges, transactions, findings)


def _one_kind(kinds: set[str]) -> str:
    """The one transaction set pctui reads that every ST01 names, else ""."""
    kind = next(iter(kinds)) if len(kinds) == 1 else ""
    return kind if kind in ACCEPTED_KINDS else ""


def _st01s(text: str, d: Delimiters) -> set[str]:
    """Every ST01 in ``text`` (read with one interchange's delimiters)."""
    stop = re.escape(d.element + d.segment)
    pattern = re.compile(
        re.escape(d.segment) + r"[ \t\r\n]*ST" + re.escape(d.element) + f"([^{stop}]*)"
    )
    return {m.group(1).strip() for m in pattern.finditer(text)}


def _check_kinds(transactions: list[TransactionSet]) -> None:
    for t in transactions:
        if t.kind not in ACCEPTED_KINDS:
            raise FileRejected(
                f"wrong transaction set: ST01 at segment {t.first_segment} is {t.kind!r}; only "
                "835 (remittance) and 837 (claim) files can be imported",
                segment=t.first_segment,
            )
    kinds = sorted({t.kind for t in transactions})
    if len(kinds) > 1:
        raise FileRejected(
            "the file mixes 835 and 837 transaction sets; import them as separate files"
        )


class _EnvelopeWalk:
    """Walk only the control segments (ISA/GS/ST/SE/GE/IEA) of one interchange."""

    def __init__(
        self,
        interchange: Interchange,
        number: int,
        transactions: list[TransactionSet],
        findings: list[Finding],
    ) -> None:
        self.ic = interchange
        self.number = number
        self.transactions = transactions
        self.findings = findings
        self.group: list[str] | None = None  # GS elements of the open group
        self.group_segment = 0
        self.group_sets = 0
        self.groups = 0
        self.open_set: TransactionSet | None = None

    def walk(self) -> None:
        d = self.ic.delimiters
        text = self.ic.text
        pattern = re.compile(re.escape(d.segment) + f"({_CONTROL_IDS})" + re.escape(d.element))
        counted_to, segment_no = 0, self.ic.first_segment
        for match in pattern.finditer(text):
            segment_no += text.count(d.segment, counted_to, match.start() + 1)
            counted_to = match.start() + 1
            end = text.find(d.segment, match.end())
            elements = text[match.start() + 1 : end].split(d.element)
            if match.group(1) == "ISA":
                raise FileRejected(
                    f"truncated or damaged: the interchange {self.ic.control_number!r} that "
                    f"starts at segment {self.ic.first_segment} has no IEA trailer before the "
                    f"next ISA at segment {segment_no}",
                    segment=self.ic.first_segment,
                )
            getattr(self, "_" + match.group(1).lower())(elements, segment_no)

    def _gs(self, el: list[str], at: int) -> None:
        if self.group is not None:
            self._missing("GE", "functional group", _get(self.group, 6), self.group_segment, at)
        self.group, self.group_segment, self.group_sets = el, at, 0

    def _st(self, el: list[str], at: int) -> None:
        if self.open_set is not None:
            t = self.open_set
            self._missing("SE", "transaction set", t.control_number, t.first_segment, at)
        if self.group is None:
            raise FileRejected(
                f"the ST at segment {at} is not inside a GS functional group", segment=at
            )
        gs = self.group
        self.open_set = TransactionSet(
            index=len(self.transactions),
            kind=_get(el, 1),
            control_number=_get(el, 2),
            first_segment=at,
            interchange_index=self.number,
            interchange_control=self.ic.control_number,
            sender_id=_get(gs, 2).strip(),
            receiver_id=_get(gs, 3).strip(),
            functional_id=_get(gs, 1),
            version=_get(gs, 8),
        )
        self.transactions.append(self.open_set)
        self.group_sets += 1
        expected_gs01 = ACCEPTED_KINDS.get(self.open_set.kind)
        if expected_gs01 and _get(gs, 1) != expected_gs01:
            self._finding(
                Severity.WARNING,
                f"GS01 at segment {self.group_segment} is {_get(gs, 1)!r} but its transaction set "
                f"is an {self.open_set.kind} (expected {expected_gs01!r})",
                "GS",
                self.group_segment,
                self.open_set,
            )

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
                f"has {t.segment_count} segments",
                "SE",
                at,
                t,
            )
        if _get(el, 2) != t.control_number:
            self._finding(
                Severity.ERROR,
                f"SE02 control number {_get(el, 2)!r} does not match ST02 {t.control_number!r}",
                "SE",
                at,
                t,
            )
        self.open_set = None

    def _ge(self, el: list[str], at: int) -> None:
        if self.open_set is not None:
            t = self.open_set
            self._missing("SE", "transaction set", t.control_number, t.first_segment, at)
        if self.group is None:
            raise FileRejected(f"the GE at segment {at} has no matching GS before it", segment=at)
        if _get(el, 1) != str(self.group_sets):
            self._finding(
                Severity.ERROR,
                f"GE01 says the functional group holds {_get(el, 1)!r} transaction sets but it "
                f"holds {self.group_sets}",
                "GE",
                at,
            )
        if _get(el, 2) != _get(self.group, 6):
            self._finding(
                Severity.ERROR,
                f"GE02 control number {_get(el, 2)!r} does not match GS06 "
                f"{_get(self.group, 6)!r}",
                "GE",
                at,
            )
        self.group = None
        self.groups += 1

    def _iea(self, el: list[str], at: int) -> None:
        if self.open_set is not None:
            t = self.open_set
            self._missing("SE", "transaction set", t.control_number, t.first_segment, at)
        if self.group is not None:
            self._missing("GE", "functional group", _get(self.group, 6), self.group_segment, at)
        if _get(el, 1) != str(self.groups):
            self._finding(
                Severity.ERROR,
                f"IEA01 says the interchange holds {_get(el, 1)!r} functional groups but it "
                f"holds {self.groups}",
                "IEA",
                at,
            )
        if _get(el, 2) != self.ic.control_number:
            self._finding(
                Severity.ERROR,
                f"IEA02 control number {_get(el, 2)!r} does not match ISA13 "
                f"{self.ic.control_number!r}",
                "IEA",
                at,
            )

    def _missing(self, trailer: str, what: str, control: str, start: int, at: int) -> None:
        raise FileRejected(
            f"truncated or damaged: the {what} {control!r} that starts at segment {start} has no "
            f"{trailer} trailer (segment {at} begins something else)",
            segment=start,
        )

    def _finding(
        self,
        severity: Severity,
        message: str,
        segment: str,
        position: int,
        transaction: TransactionSet | None = None,
    ) -> None:
        finding = Finding(severity, FindingSource.STRUCTURE, message, segment, position)
        (transaction.findings if transaction else self.findings).append(finding)


def _get(elements: list[str], index: int) -> str:
    return elements[index] if index < len(elements) else ""
