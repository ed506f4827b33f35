"""X12 text, in chunks, to segments: each interchange read with the delimiters its own ISA declares.

One pass, bounded memory: only the segment being read is held (at most
:data:`MAX_SEGMENT_CHARS`; a longer one refuses the file and names the limit, rather than ending
the reading silently as pyx12's own reader does past about 16 KB).

Forgiven, because the meaning is certain (each with a finding where a biller should know):

- An ISA whose elements are not padded to their fixed widths is read by its delimiters: the
  element separator after ``ISA``, the 16 elements, then ISA16 and the segment terminator
  (a warning finding naming its length). Refused only when those cannot be found for certain.
- Line breaks after terminators, or none at all; lines wrapped at any width (when the terminator
  is not itself a line break, every CR/LF is layout); blanks before a segment ID (indentation);
  a missing terminator after the last segment.
- Empty segments (two terminators in a row) are skipped (a finding counts them).
- Text after the last IEA is ignored (a finding); NUL/Ctrl-Z padding there is silently ignored.

Refused (:class:`~pctui.x12.errors.FileRejected`): an ISA whose delimiters cannot be read, an
interchange with no IEA (truncated), a NUL byte inside an interchange, an over-long segment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pctui.core.era import Finding, FindingLog, FindingSource, Severity
from pctui.x12.decode import BadByte
from pctui.x12.errors import FileRejected

ISA_LENGTH = 106
# ISA01..ISA16 fixed widths (ISA11 is the repetition separator in 00501).
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
MAX_SEGMENT_CHARS = 1 << 20  # one segment; a real one is under a few hundred characters
_ISA_SEARCH = 1024  # characters looked at to find the 16 ISA elements
_COMPACT_AT = 1 << 16
_NEWLINES = re.compile(r"[\r\n]")
_VERSION = re.compile(r"00[45]\d\d")
KNOWN_VERSIONS = ("00401", "00501")


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
class Isa:
    """One interchange header as read: its delimiters, version and control number."""

    delimiters: Delimiters
    elements: list[str]  # ISA01..ISA16 as written (not padded)
    version: str  # ISA12 as written
    read_as: str  # the version it is read as: 00401 or 00501
    control_number: str  # ISA13
    first_segment: int
    index: int

    def padded(self) -> str:
        """The ISA at its fixed widths (what pyx12's own reader needs), without its terminator."""
        d = self.delimiters
        parts = [el[:w].ljust(w) if i < 15 else el[:1] for i, (el, w) in
                 enumerate(zip(self.elements, ISA_WIDTHS, strict=True))]  # fmt: skip
        parts[11] = self.read_as
        return "ISA" + d.element + d.element.join(parts)


@dataclass(slots=True)
class RawSegment:
    number: int  # 1-based, counted over the whole file
    text: str  # without its terminator and layout
    isa: Isa  # the interchange it belongs to

    @property
    def seg_id(self) -> str:
        return self.text.split(self.isa.delimiters.element, 1)[0]


class Tokenizer:
    """Iterate :class:`RawSegment` s over decoded text chunks; file-level findings are appended
    to ``findings`` as they are found."""

    def __init__(self, texts: Iterator[str], findings: FindingLog) -> None:
        self.texts = texts
        self.findings = findings
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.bad: BadByte | None = None
        self.count = 0  # segments handed out so far
        self.interchanges = 0

    # -- the buffer -------------------------------------------------------------------------

    def _fill(self) -> bool:
        """Read one more chunk; False at the end of the file. A byte that cannot be decoded
        ends the text before it; asked for more after that, the file is refused naming the byte
        and the segment it is in (every complete segment before it has been handed out)."""
        if self.eof:
            if self.bad is not None:
                raise FileRejected(self.bad.reason(self.count + 1), segment=self.count + 1,
                                   line=self.bad.line)  # fmt: skip
            return False
        if self.pos > _COMPACT_AT:
            self.buf, self.pos = self.buf[self.pos :], 0
        try:
            chunk = next(self.texts, None)
        except BadByte as bad:
            self.bad, self.eof = bad, True
            return False
        if chunk is None:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def _ensure(self, n: int) -> bool:
        while len(self.buf) - self.pos < n:
            if not self._fill():
                return False
        return True

    # -- the pass ---------------------------------------------------------------------------

    def __iter__(self) -> Iterator[RawSegment]:
        while True:
            if not self._skip_between():
                return
            isa = self._read_isa()
            yield RawSegment(self.count, self._isa_text(isa), isa)
            yield from self._interchange(isa)

    def _skip_between(self) -> bool:
        """Skip layout before an ISA; False when the file ends (or only junk follows)."""
        padding = " \t\r\n" if not self.interchanges else " \t\r\n\x00\x1a"
        while True:
            rest = self.buf[self.pos :]
            stripped = rest.lstrip(padding)
            self.pos += len(rest) - len(stripped)
            if stripped:
                break
            if not self._fill():
                return False
        self._ensure(3)
        if self.buf.startswith("ISA", self.pos):
            return True
        if not self.interchanges:
            first = self.buf[self.pos : self.pos + 200].splitlines()[0][:30]
            raise FileRejected(f"not an X12 file: it should begin with 'ISA' but begins with "
                               f"{first!r}")  # fmt: skip
        # Text after the last IEA: counted (not kept), then ignored; trailing padding is not.
        start = self.buf[self.pos : self.pos + 20]
        ignored = len(self.buf) - self.pos
        tail = self.buf[self.pos :]
        self.buf, self.pos = "", 0
        while self._fill():
            ignored += len(self.buf)
            tail = self.buf
            self.buf = ""
        ignored -= len(tail) - len(tail.rstrip(padding))
        self.findings.append(Finding(
            Severity.WARNING, FindingSource.STRUCTURE,
            f"{ignored} characters after the last IEA trailer were ignored (they begin "
            f"{start!r})", "IEA", self.count))  # fmt: skip
        return False

    def _interchange(self, isa: Isa) -> Iterator[RawSegment]:
        d = isa.delimiters
        header = "ISA" + d.element
        trailer = "IEA" + d.element
        while True:
            text = self._next_segment(d)
            if text is None:
                raise FileRejected(
                    f"truncated: the interchange that starts at segment {isa.first_segment} has "
                    f"no IEA trailer (the file ends at segment {self.count + 1})",
                    segment=isa.first_segment,
                )
            if not text:
                if d.segment not in "\r\n":
                    self.findings.append(Finding(
                        Severity.WARNING, FindingSource.STRUCTURE,
                        "An empty segment (two terminators in a row) was skipped", "ISA",
                        self.count + 1))  # fmt: skip
                continue
            if "\x00" in text:
                raise FileRejected(
                    f"binary data: a NUL byte in segment {self.count + 1}; this is not a text "
                    "file", segment=self.count + 1)  # fmt: skip
            self.count += 1
            if text.startswith(header):
                raise FileRejected(
                    f"truncated or damaged: the interchange {isa.control_number!r} that starts "
                    f"at segment {isa.first_segment} has no IEA trailer before the next ISA at "
                    f"segment {self.count}",
                    segment=isa.first_segment,
                )
            yield RawSegment(self.count, text, isa)
            if text.startswith(trailer) or text == "IEA":
                break

    def _next_segment(self, d: Delimiters) -> str | None:
        """The next segment's text with layout removed ("" for an empty one), None at the end."""
        newline_terminated = d.segment in "\r\n"
        while True:
            if newline_terminated:
                found = _NEWLINES.search(self.buf, self.pos)
                end = found.start() if found else -1
            else:
                end = self.buf.find(d.segment, self.pos)
            if end >= 0:
                break
            if len(self.buf) - self.pos > MAX_SEGMENT_CHARS:
                raise FileRejected(
                    f"segment {self.count + 1} is longer than {MAX_SEGMENT_CHARS:,} characters "
                    "(pctui's limit for one segment): the file is damaged or has no segment "
                    "terminators", segment=self.count + 1)  # fmt: skip
            if not self._fill():
                rest = self.buf[self.pos :]
                self.pos = len(self.buf)
                text = self._layout(rest, d)
                return text if text else None  # a last segment without its terminator
        raw = self.buf[self.pos : end]
        self.pos = end + 1
        if newline_terminated:  # CR LF, or blank lines, end one segment
            while True:
                rest = self.buf[self.pos : self.pos + 2]
                skip = len(rest) - len(rest.lstrip("\r\n"))
                if not skip:
                    if not rest and self._fill():
                        continue
                    break
                self.pos += skip
        if len(raw) > MAX_SEGMENT_CHARS:
            raise FileRejected(
                f"segment {self.count + 1} is longer than {MAX_SEGMENT_CHARS:,} characters "
                "(pctui's limit for one segment)", segment=self.count + 1)  # fmt: skip
        return self._layout(raw, d)

    @staticmethod
    def _layout(raw: str, d: Delimiters) -> str:
        if d.segment not in "\r\n" and ("\n" in raw or "\r" in raw):
            raw = raw.replace("\r", "").replace("\n", "")
        return raw.lstrip(" \t") if raw[:1] in (" ", "\t") else raw

    # -- the ISA header ---------------------------------------------------------------------

    def _read_isa(self) -> Isa:
        number = self.count + 1
        self._ensure(_ISA_SEARCH)
        window = self.buf[self.pos : self.pos + _ISA_SEARCH]
        if len(window) < 4:
            raise FileRejected(
                f"truncated: the file ends inside the ISA header at segment {number}",
                segment=number)  # fmt: skip
        element = window[3]
        if element.isalnum() or element in " \r\n":
            raise FileRejected(
                f"the ISA header at segment {number} has no valid element separator "
                f"(found {element!r} after 'ISA')", segment=number)  # fmt: skip
        parts, raw_length = _split_isa(window, element)
        if len(parts) < 17 or len(parts[16]) < 2:
            self._fill()  # a byte that could not be decoded is the reason, if there is one
            if self.eof and len(window) < _ISA_SEARCH:
                raise FileRejected(
                    f"truncated: the ISA header at segment {number} is cut short (it must have "
                    "16 elements, then the segment terminator)", segment=number)  # fmt: skip
            raise FileRejected(
                f"the ISA header at segment {number} cannot be read: it has "
                f"{len(parts) - 1} of its 16 element separators", segment=number)  # fmt: skip
        _ends_early(parts, element, number)
        component, terminator = parts[16][0], parts[16][1]
        if component.isalnum() and parts[16][:2] == "GS":
            raise FileRejected(
                f"the ISA header at segment {number} has no component separator (ISA16) and no "
                "segment terminator after its 16 elements: its delimiters cannot be read for "
                "certain", segment=number)  # fmt: skip
        if terminator.isalnum() and parts[16][1:3] == "GS":
            raise FileRejected(
                f"the ISA header at segment {number} has no component separator (ISA16): after "
                f"its 16 elements comes {component!r} and then 'GS', so its delimiters cannot be "
                "read for certain", segment=number)  # fmt: skip
        elements = parts[1:16] + [component]
        length = sum(len(p) + 1 for p in parts[:16]) + 2
        version = elements[11]
        read_as = _version(version, number, self.findings)
        repetition = elements[10] if read_as == "00501" else None
        if repetition is not None and (repetition.isalnum() or repetition == " "):
            self.findings.append(Finding(
                Severity.WARNING, FindingSource.STRUCTURE,
                f"ISA11 should be the repetition separator in a 00501 interchange but is "
                f"{repetition!r}; read as having none", "ISA", number))  # fmt: skip
            repetition = None
        _check_distinct(element, component, terminator, repetition, number)
        if length != ISA_LENGTH:
            long = [f"ISA{i:02d} has {len(el)} characters where {w} are allowed"
                    for i, (el, w) in enumerate(zip(elements, ISA_WIDTHS, strict=True), 1)
                    if len(el) > w]  # fmt: skip
            self.findings.append(Finding(
                Severity.WARNING, FindingSource.STRUCTURE,
                f"The ISA header is {length} characters long, not {ISA_LENGTH}: its elements "
                "are not padded to their fixed widths; read by its delimiters"
                + (f" ({'; '.join(long)})" if long else ""), "ISA", number))  # fmt: skip
        self.pos += raw_length
        line_break = ""
        if terminator not in "\r\n":
            self._ensure(2)
            after = self.buf[self.pos : self.pos + 2]
            line_break = "\r\n" if after.startswith("\r\n") else after[:1] if after[:1] in (
                "\n", "\r") else ""  # fmt: skip
        else:
            while self._ensure(1) and self.buf[self.pos] in "\r\n":
                self.pos += 1
        delimiters = Delimiters(element, component, terminator, repetition, line_break)
        self.count += 1
        self.interchanges += 1
        return Isa(delimiters, elements, version, read_as, elements[12], number,
                   self.interchanges - 1)  # fmt: skip

    @staticmethod
    def _isa_text(isa: Isa) -> str:
        d = isa.delimiters
        return "ISA" + d.element + d.element.join(isa.elements)


def _split_isa(window: str, element: str) -> tuple[list[str], int]:
    """The ISA's parts (ISA, its 16 elements, the rest) and the raw length of the ISA with its
    terminator. A line break inside the ISA (lines wrapped at some width) is layout."""
    cut = _NEWLINES.search(window)
    head = window if cut is None else window[: cut.start()]
    parts = head.split(element, 16)
    if len(parts) == 17 and len(parts[16]) >= 2:  # no line break inside it
        return parts, sum(len(p) + 1 for p in parts[:16]) + 2
    if cut is not None and len(parts) == 17 and len(parts[16]) == 1:  # the terminator is CR/LF
        return [*parts[:16], parts[16] + window[cut.start()]], len(head) + 1
    kept = [i for i, ch in enumerate(window) if ch not in "\r\n"]
    flat = "".join(window[i] for i in kept)
    parts = flat.split(element, 16)
    if len(parts) < 17 or len(parts[16]) < 2:
        return parts, 0
    return parts, kept[sum(len(p) + 1 for p in parts[:16]) + 1] + 1


def _ends_early(parts: list[str], element: str, number: int) -> None:
    """Refuse an ISA with fewer than 16 elements: a delimiter followed by ``GS`` and the element
    separator inside its elements is its terminator and the next segment, read too soon."""
    header = element.join(parts[1:16]) + element  # ISA01..ISA15, not ISA16 and what follows
    found = re.search(r"[^A-Za-z0-9\s]GS" + re.escape(element), header)
    if found is None:
        return
    before = header[: found.start()].count(element) + 1
    raise FileRejected(
        f"the ISA header at segment {number} ends after {before} elements (its segment "
        f"terminator {found.group()[0]!r} and the GS header follow); an ISA has 16, so its "
        "delimiters cannot be read for certain", segment=number)  # fmt: skip


def _version(version: str, number: int, findings: FindingLog) -> str:
    if version in KNOWN_VERSIONS:
        return version
    if _VERSION.fullmatch(version):
        read_as = "00501" if version >= "00500" else "00401"
        findings.append(Finding(
            Severity.WARNING, FindingSource.STRUCTURE,
            f"ISA12 says version {version!r}; read as {read_as}, the nearest version pctui "
            "knows (its delimiters and segments are read the same way)", "ISA", number))  # fmt: skip
        return read_as
    raise FileRejected(
        f"ISA12 at segment {number} says version {version!r}; only 00401 and 00501 "
        "interchanges (and versions close to them) can be read", segment=number)  # fmt: skip


def _check_distinct(element: str, component: str, segment: str, repetition: str | None,
                    number: int) -> None:  # fmt: skip
    named = {"element separator": element, "component separator (ISA16)": component,
             "segment terminator": segment}  # fmt: skip
    if repetition is not None:
        named["repetition separator (ISA11)"] = repetition
    seen: dict[str, str] = {}
    for name, ch in named.items():
        if ch.isalnum() or ch == " ":
            raise FileRejected(
                f"the ISA header at segment {number} declares {ch!r} as its {name}; a delimiter "
                "cannot be a letter, digit or space", segment=number)  # fmt: skip
        if ch in seen:
            raise FileRejected(
                f"the ISA header at segment {number} declares {ch!r} as both the {seen[ch]} and "
                f"the {name}", segment=number)  # fmt: skip
        seen[ch] = name
