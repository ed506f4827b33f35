"""Full validation with pyx12's implementation-guide maps, in words a biller understands.

pyx12's ``x12n_document`` walks the loop tree of the guide's map and checks every segment and
element: about 14k segments a second here, twenty times slower than reading. Import therefore
stores payments at once; this runs later (``store/validation.py``) and its findings are added to
the stored payments.

How a file is handed to pyx12 (:func:`prepare`, then :meth:`PreparedFile.validate`):

- One pass over the file with pctui's own reader (``x12/envelope.py``) writes it to temporary
  files, normalized the way pyx12's reader needs: one terminator per segment, no layout, each
  ISA at its fixed widths (an unpadded ISA is otherwise unreadable to pyx12).
- Interchanges that share delimiters go to pyx12 together, in one call: its maps load once per
  file, not once per interchange (a file of 156 small interchanges took 6.9 s that way).
  Interchanges with other delimiters start a new call.
- pyx12's reader stops silently at a segment longer than its 8 KB buffers; it is handed a reader
  that always returns whole segments.
- A 4010 835 (004010X091A1) is validated against pyx12's 4010 map and said so; an 835 naming the
  pre-addenda guide (005010X221) is checked against 005010X221A1, the one pyx12 has, and said so.

Findings never quote pyx12's internals: an error inside pyx12 becomes a sentence saying the full
validation could not finish and that pctui's own checks still stand.

pyx12 notes (PITFALLS.md): it reads text, not bytes; its remark-code list is stale, so remark
codes are excluded from the external-code check; its 999 output is broken for 5010 835s, so only
its JSON error tree is used.
"""

from __future__ import annotations

import io
import json
import logging
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import IO, Any

import pyx12.params
import pyx12.x12n_document

from pctui.core.era import Finding, FindingSource, Severity
from pctui.x12.envelope import Interchange, X12Stream
from pctui.x12.segments import Delimiters

# Checked by our own envelope pass already (envelope.py); not repeated as validation findings.
_ALREADY_CHECKED = {
    ("st", "3"), ("st", "4"), ("gs", "4"), ("gs", "5"), ("isa", "001"), ("isa", "021"),
}  # fmt: skip

_ELEMENT_PROBLEMS = {
    "1": "required but missing",
    "2": "required here but missing",
    "3": "has more parts than allowed",
    "4": "{value} is too short",
    "5": "{value} is too long",
    "6": "{value} contains characters that are not allowed",
    "7": "{value} is not a valid code here",
    "8": "{value} is not a valid date",
    "9": "{value} is not a valid time",
    "10": "must not be sent here",
    "12": "repeats too many times",
    "13": "has too many parts",
}

_NOT_FOUND = re.compile(r"Segment (\S+) not found")
_TOO_MANY = re.compile(r'Too many elements in segment "([^"]*)" \((\w+)\)\. Has (\d+), should '
                       r"have (\d+)")  # fmt: skip
_SEGMENT_PROBLEMS = {
    "1": "is not expected at this point of {guide}; it may be out of order, misspelled or "
    "badly formed",
    "2": "is not used in {guide}",
    "3": "is required but missing",
    "4": "starts a loop that repeats more often than {guide} allows",
    "5": "repeats more often than {guide} allows here",
    "HL1": "has an HL number out of sequence",
    "HL2": "points to an HL parent that does not exist",
    "SEG1": "ends with an empty element separator",
}

# GS08 of an 835 -> (the guide pyx12 checks it against, what a biller is told about that).
_GUIDES = {
    "005010X221": (
        "005010X221A1",
        "Full validation: pctui checks 835s against the 5010 remittance guide with its 2011 "
        "addenda (005010X221A1), not the one this file names (005010X221), so it was checked against "
        "that; the two differ in a few codes and rules, which may show as findings.",
    ),
    "004010X091": ("004010X091A1", None),
}


def guide_name(version: str) -> str:
    if version.startswith("004010"):
        return f"a 4010 835 ({version})"
    return f"a 5010 835 ({version})" if version else "a 5010 835"


# -- preparing: one pass with pctui's reader ----------------------------------------------------


@dataclass(slots=True)
class _Run:
    """Interchanges that share delimiters: one pyx12 call."""

    first_segment: int
    delimiters: Delimiters
    file: IO[str]
    guide: str = ""  # the GS08 it is checked against


@dataclass(slots=True)
class PreparedFile:
    """A file written out for pyx12; use as a context manager (it owns temporary files)."""

    runs: list[_Run]
    transactions: list[tuple[int, int, int]]  # (index, first segment, segment count)
    segments: int
    notes: list[Finding] = field(default_factory=list)

    def __enter__(self) -> PreparedFile:
        return self

    def __exit__(self, *_exc: object) -> None:
        for run in self.runs:
            run.file.close()

    def validate(self) -> list[Finding]:
        findings = list(self.notes)
        for run in self.runs:
            run.file.seek(0)
            findings.extend(_validate_run(run))
        return findings


def _same(a: Delimiters, b: Delimiters) -> bool:
    return (a.element, a.component, a.segment, a.repetition) == (
        b.element, b.component, b.segment, b.repetition)  # fmt: skip


def prepare(chunks: Iterable[bytes]) -> PreparedFile:
    """Read a stored file once and write it out as pyx12 needs it (see the module notes)."""
    stream = X12Stream(chunks)
    runs: list[_Run] = []
    transactions: list[tuple[int, int, int]] = []
    notes: dict[str, Finding] = {}
    run: _Run | None = None
    try:
        for number, seg in stream:
            raw = stream.last_raw
            assert raw is not None
            d = raw.isa.delimiters
            seg_id = seg.seg_id
            text = raw.text
            if seg_id == "ISA":
                if run is None or not _same(run.delimiters, d):
                    run = _Run(number, d, tempfile.TemporaryFile("w+", encoding="utf-8"))
                    runs.append(run)
                text = raw.isa.padded()
            elif seg_id == "GS":
                text = _checked_guide(text, d, number, run, notes)
            elif seg_id == "SE" and stream.closed_set is not None:
                t = stream.closed_set
                transactions.append((t.index, t.first_segment, t.segment_count))
            assert run is not None
            run.file.write(text)
            run.file.write(d.segment)
    except BaseException:
        for r in runs:
            r.file.close()
        raise
    return PreparedFile(runs, transactions, stream.segment_count, list(notes.values()))


def _checked_guide(text: str, d: Delimiters, number: int, run: _Run | None,
                   notes: dict[str, Finding]) -> str:  # fmt: skip
    elements = text.split(d.element)
    version = elements[8].strip() if len(elements) > 8 else ""
    checked_as, note = _GUIDES.get(version, (version, None))
    if note is not None and version not in notes:
        notes[version] = Finding(Severity.WARNING, FindingSource.VALIDATION, note, "GS", number)
    if run is not None:
        run.guide = checked_as
    if checked_as != version and len(elements) > 8:
        elements[8] = checked_as
        return d.element.join(elements)
    return text


# -- running pyx12 ------------------------------------------------------------------------------


class _WholeSegments(io.TextIOBase):
    """A text file whose ``read(n)`` never ends inside a segment: pyx12's reader gives up (and
    stops reading, silently) when a segment does not fit in two of its 8 KB buffers."""

    def __init__(self, file: IO[str], terminator: str) -> None:
        self.file = file
        self.terminator = terminator

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        if size is None or size < 0:
            return self.file.read()
        data = self.file.read(size)
        while data and self.terminator not in data:  # more, until a whole segment is in
            more = self.file.read(size)
            if not more:
                break
            data += more
        return data


def _validate_run(run: _Run) -> list[Finding]:
    out = io.StringIO()
    label = guide_name(run.guide)
    try:
        with _quiet_pyx12():
            pyx12.x12n_document.x12n_document(
                _params(), _WholeSegments(run.file, run.delimiters.segment), None, None,
                fd_json=out)  # fmt: skip
    except Exception:  # noqa: BLE001 - pyx12 raises many kinds; the file is still imported
        return [
            Finding(
                Severity.WARNING,
                FindingSource.VALIDATION,
                f"Full validation of the interchanges starting at segment {run.first_segment} "
                "could not finish: a segment there departs too far from the implementation guide "
                "for the full check to follow the file's structure. pctui's own "
                "checks (envelopes, counts, amounts, balancing) still apply.",
                "ISA",
                run.first_segment,
            )
        ]
    text = out.getvalue()
    if not text:
        return []
    return list(_translate(json.loads(text), run.first_segment - 1, label))


def validate_interchanges(interchanges: list[Interchange]) -> list[Finding]:
    """pyx12 findings for the interchanges of a scanned (small) file, positions over the file."""
    chunks = ["".join(i.text for i in interchanges).encode("utf-8")]
    with prepare(chunks) as prepared:
        findings = prepared.validate()
    if interchanges and interchanges[0].first_segment != 1:
        shift = interchanges[0].first_segment - 1
        findings = [_shifted(f, shift) for f in findings]
    return findings


def _shifted(finding: Finding, shift: int) -> Finding:
    return replace(finding, position=finding.position + shift) if finding.position else finding


def _params() -> pyx12.params.ParamsBase:
    # ParamsBase, not params(): no ~/.pyx12.conf.xml may change what a file is judged by.
    param = pyx12.params.ParamsBase()
    param.set("exclude_external_codes", "remark_code")
    return param


@contextmanager
def _quiet_pyx12() -> Iterator[None]:
    """pyx12 logs every error to stderr; we collect them as findings instead."""
    logger = logging.getLogger("pyx12")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


def _translate(doc: dict[str, Any], offset: int, guide: str) -> Iterator[Finding]:
    for isa in doc.get("interchanges", []):
        yield from _envelope_errors("isa", isa, offset, "ISA", "the interchange", guide)
        for gs in isa.get("groups", []):
            yield from _envelope_errors("gs", gs, offset, "GS", "the functional group", guide)
            for st in gs.get("transactions", []):
                label = f"payment {st.get('trn_set_control_num') or ''}".strip()
                yield from _envelope_errors("st", st, offset, "ST", label, guide)
                for seg in st.get("segments", []):
                    yield from _segment_findings(seg, offset, guide)


def _envelope_errors(
    level: str, node: dict[str, Any], offset: int, segment: str, label: str, guide: str
) -> Iterator[Finding]:
    position = _position(node.get("cur_line"), offset)
    for err in node.get("errors", []):
        if (level, str(err.get("err_cde"))) in _ALREADY_CHECKED:
            continue
        yield Finding(Severity.ERROR, FindingSource.VALIDATION,
                      f"In {label}: {_plain(str(err.get('err_str') or ''), guide)}", segment,
                      position)  # fmt: skip


_SYNTAX = re.compile(r"^Syntax Error \([A-Z]\d+\): ")


def _plain(message: str, guide: str) -> str:
    """pyx12's own words, where they name its internals, in a biller's."""
    message = _SYNTAX.sub("", message)
    if message.startswith("Map not found"):
        return (f"pctui has no implementation guide for this functional group's version; "
                f"{guide} could not be fully validated")  # fmt: skip
    return message


def _segment_findings(seg: dict[str, Any], offset: int, guide: str) -> Iterator[Finding]:
    seg_id = seg.get("seg_id") or "?"
    position = _position(seg.get("cur_line"), offset)
    where = f"Segment {seg_id} (segment {position})" if position else f"Segment {seg_id}"
    for err in seg.get("errors", []):
        code = str(err.get("err_cde"))
        raw = str(err.get("err_str") or "")
        if code == "4" and seg_id == "PLB":
            # PLB may repeat (its max use is >1 in the guide and in pyx12's own map), but pyx12
            # wraps it in a footer "loop" used once and reports each further PLB as a repeat.
            continue
        if code == "3":
            name = seg.get("name") or seg_id
            message = f"Required segment {seg_id} ({name}) is missing"
        elif code in _SEGMENT_PROBLEMS:
            found = _NOT_FOUND.match(raw)
            shown = where.replace(seg_id, found.group(1), 1) if found else where
            message = f"{shown} {_SEGMENT_PROBLEMS[code].format(guide=guide)}"
        elif (many := _TOO_MANY.search(raw)) is not None:
            name, _, has, allowed = many.groups()
            message = (f"{where} ({name}) has {has} elements where {guide} allows "
                       f"{allowed}")  # fmt: skip
        else:
            message = f"{where}: {_plain(raw, guide)}"
        yield Finding(Severity.ERROR, FindingSource.VALIDATION, message, seg_id, position)
    for ele in seg.get("elements", []):
        for err in ele.get("errors", []):
            yield Finding(
                Severity.ERROR,
                FindingSource.VALIDATION,
                _element_message(where, ele, err),
                seg_id,
                position,
            )


def _element_message(where: str, ele: dict[str, Any], err: dict[str, Any]) -> str:
    pos = ele.get("ele_pos")
    sub = ele.get("subele_pos")
    element = f"element {pos:02d}" if isinstance(pos, int) else "an element"
    if sub:
        element += f"-{sub}"
    name = ele.get("name") or "element"
    value = err.get("err_val")
    template = _ELEMENT_PROBLEMS.get(str(err.get("err_cde")))
    if template is None:
        return f"{where}, {element}: {err.get('err_str')}"
    shown = f"'{value}'" if value not in (None, "") else "the value"
    problem = template.format(value=shown)
    return f"{where}, {element} ({name}): {problem}"


def _position(cur_line: Any, offset: int) -> int | None:
    return cur_line + offset if isinstance(cur_line, int) and cur_line > 0 else None
