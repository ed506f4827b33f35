"""A file's bytes, read in chunks, to X12 text: what the bytes mean, decided once, in bounded memory.

Decisions (a biller only sees the result):

- A UTF-8 byte-order mark is dropped; UTF-16/UTF-32 text (with a BOM, or UTF-16 that starts with
  ``ISA``) is decoded. Leading blank lines are layout.
- Otherwise the bytes must be ASCII or UTF-8. Non-ASCII UTF-8 characters (``JOSÉ``) are kept as
  they are. Any other byte rejects the file as an *unreadable encoding*, naming the byte, its
  place (line, segment, byte offset) and what it would be in Windows-1252 (the usual culprit),
  rather than guessing a code page and posting money against a mangled name or number.
- EBCDIC (mainframe) files are recognised and rejected with that name.
- A file that does not begin with ``ISA`` is not X12: the reason quotes how it begins (and says
  where an ISA appears further down, when one does). Only bytes that are really binary (NUL
  bytes, many control characters) are called binary; a stray Windows-1252 byte in a text file is
  named as such.
"""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Iterable, Iterator

from pctui.x12.errors import FileRejected

_SNIFF = 4096  # bytes looked at to decide what a file is


class BadByte(Exception):
    """A byte that is not ASCII/UTF-8, at ``offset`` in the file (0-based), on ``line``."""

    def __init__(self, byte: int, offset: int, line: int) -> None:
        super().__init__(f"byte 0x{byte:02X} at offset {offset}")
        self.byte = byte
        self.offset = offset
        self.line = line

    def reason(self, segment: int | None) -> str:
        where = f"line {self.line}" + (f", segment {segment}" if segment else "")
        return (
            f"unreadable encoding: byte 0x{self.byte:02X} at {where} (byte {self.offset + 1:,} of "
            f"the file) is not ASCII or UTF-8 text{windows_1252(self.byte)}; ask the sender for "
            "an ASCII or UTF-8 file"
        )


def windows_1252(byte: int) -> str:
    """``; in Windows-1252 it is 'é' (LATIN SMALL LETTER E WITH ACUTE)`` or ``""``."""
    try:
        char = bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return ""
    name = unicodedata.name(char, "").lower()
    return f"; in Windows-1252 it is '{char}'" + (f" ({name})" if name else "")


def decode_chunks(chunks: Iterable[bytes]) -> Iterator[str]:
    """Text of the file, chunk by chunk, starting at ``ISA``; raises :class:`FileRejected`, or
    :class:`BadByte` after yielding every good character before the bad one."""
    source = iter(chunks)
    head = b""
    for chunk in source:  # enough bytes to decide what the file is
        head += chunk
        if len(head) >= _SNIFF:
            break
    codec, label = _unicode_form(head)
    if codec is not None:
        yield from _decode_wide(head, source, codec, label)
        return
    start = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    while True:  # leading blank lines and spaces are layout
        stripped = head[start:].lstrip(b" \t\r\n")
        start = len(head) - len(stripped)
        if stripped or (more := next(source, None)) is None:
            break
        head += more
    body = head[start:]
    first_line = 1 + head[:start].count(b"\n")
    if not body.rstrip(b"\x00\x1a \t\r\n"):
        rest = b"".join(_limited(source, _SNIFF))
        if not rest.strip(b"\x00\x1a \t\r\n"):
            raise FileRejected("the file is empty")
        body += rest
    if body.startswith(b"\xc9\xe2\xc1"):  # "ISA" in EBCDIC
        raise FileRejected(
            "unreadable encoding: the file is EBCDIC (mainframe) text; ask the sender for ASCII"
        )
    if not body.startswith(b"ISA"):
        raise FileRejected(_not_x12_reason(body + b"".join(_limited(source, 1 << 16))))
    yield from _decode_utf8(body, source, start, first_line)


def _limited(source: Iterator[bytes], size: int) -> Iterator[bytes]:
    taken = 0
    for chunk in source:
        yield chunk
        taken += len(chunk)
        if taken >= size:
            return


def _unicode_form(head: bytes) -> tuple[str | None, str]:
    for bom, codec in (
        (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if head.startswith(bom):
            return codec, f"{codec.upper()} (it has a byte-order mark)"
    if head.startswith(b"I\x00S\x00A\x00"):
        return "utf-16-le", "UTF-16"
    if head.startswith(b"\x00I\x00S\x00A"):
        return "utf-16-be", "UTF-16"
    return None, ""


def _decode_wide(head: bytes, source: Iterator[bytes], codec: str, label: str) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder(codec)()
    offset = 0
    first = True
    for chunk in _prepend(head, source):
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise FileRejected(
                f"unreadable encoding: the file looks like {label} text but byte "
                f"{offset + exc.start} cannot be decoded"
            ) from exc
        offset += len(chunk)
        if first:
            text = text.lstrip("\ufeff \t\r\n")
            first = not text
            if text and not text.startswith("ISA"):
                shown = text.splitlines()[0][:30] if text.strip() else ""
                raise FileRejected(
                    f"not an X12 file: it should begin with 'ISA' but begins with {shown!r}")
        if text:
            yield text
    try:
        tail = decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise FileRejected(
            f"unreadable encoding: the file looks like {label} text but its last bytes cannot "
            "be decoded"
        ) from exc
    if tail:
        yield tail


def _prepend(head: bytes, source: Iterator[bytes]) -> Iterator[bytes]:
    if head:
        yield head
    yield from source


def _decode_utf8(body: bytes, source: Iterator[bytes], skipped: int,
                 line: int) -> Iterator[str]:  # fmt: skip
    """ASCII/UTF-8 with the place of the first bad byte; a UTF-8 sequence cut by a chunk boundary
    is carried to the next chunk."""
    offset = skipped  # file offset of the next byte to decode
    pending = b""
    for chunk in _prepend(body, source):
        data = pending + chunk
        cut = _complete_utf8(data)
        pending = data[cut:]
        data = data[:cut]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            good = data[: exc.start].decode("utf-8")
            if good:
                yield good
            raise BadByte(data[exc.start], offset + exc.start,
                          line + good.count("\n")) from None  # fmt: skip
        offset += cut
        line += text.count("\n")
        if text:
            yield text
    if pending:
        raise BadByte(pending[0], offset, line)


def _complete_utf8(data: bytes) -> int:
    """Length of ``data`` without a UTF-8 sequence cut at its end (at most 3 bytes held back)."""
    end = len(data)
    for back in range(1, min(4, end) + 1):
        byte = data[end - back]
        if byte < 0x80:
            return end
        if byte >= 0xC0:  # a lead byte: is its sequence complete?
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return end if back >= need else end - back
    return end


def _not_x12_reason(data: bytes) -> str:
    head = data[:_SNIFF]
    if _looks_binary(head):
        return "binary data, not a text file (an X12 file is text beginning with 'ISA')"
    text = head.decode("utf-8", "replace")
    first = text.splitlines()[0] if text else ""
    shown = first[:30] + ("..." if len(first) > 30 else "")
    reason = f"not an X12 file: it should begin with 'ISA' but begins with {shown!r}"
    if first[:2] in ("ST", "GS") and first[2:3] and not first[2].isalnum():
        reason += (", a transaction set without the ISA interchange header that declares its "
                   "delimiters; ask the sender for the complete file with its ISA and GS "
                   "envelopes")  # fmt: skip
        return reason
    found = data.find(b"ISA", 1)
    while found > 0 and data[found - 1 : found] not in (b"\n", b"\r", b"~", b"'"):
        found = data.find(b"ISA", found + 1)
    if found > 0:
        line = data.count(b"\n", 0, found) + 1
        reason += f"; an ISA header starts at line {line}: the text before it is not X12"
    bad = _first_bad_byte(head)
    if bad is not None:
        byte, offset = bad
        line = head.count(b"\n", 0, offset) + 1
        reason += f" (byte 0x{byte:02X} at line {line} is not ASCII or UTF-8{windows_1252(byte)})"
    return reason


def _first_bad_byte(head: bytes) -> tuple[int, int] | None:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # a cut at the end of the sample is not a bad byte
            return head[exc.start], exc.start
    return None


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 0x20 and b not in (9, 10, 12, 13, 0x1A))
    high = sum(1 for b in head if b >= 0x80)
    bad_utf8 = _first_bad_byte(head) is not None
    return controls > len(head) // 20 or (bad_utf8 and high > len(head) // 4)
