"""pyx12's 5010 validation of an 837P that pctui wrote, as problems tied to segment positions.

pctui validates every file it writes before sending it (SNIP levels 1 and 2). The writer knows
which claim and loop each segment belongs to (``Written837``), so each problem here keeps the
segment position pyx12 reports (ISA = 1) and the element, and says whether it is a syntax problem
(SNIP 1: sizes, characters, dates, times) or an implementation-guide one (SNIP 2: required or
unexpected segments and elements, codes, counts, HL structure).

pyx12 ships the X222A1 map only (PITFALLS.md), which is what pctui writes.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyx12.params
import pyx12.x12n_document

# pyx12 element error codes that are syntax (SNIP 1): lengths, characters, dates, times.
_SYNTAX_ELEMENT_CODES = frozenset({"4", "5", "6", "8", "9"})
_SYNTAX_SEGMENT_CODES = frozenset({"SEG1", "8"})
_ELEMENT_WORDS = {
    "1": "is required but missing",
    "2": "is required here but missing",
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
_SEGMENT_WORDS = {
    "1": "is not expected at this point of a 5010 837P",
    "2": "is not used in a 5010 837P",
    "3": "is required but missing",
    "4": "starts a loop that repeats more often than the 5010 837P allows",
    "5": "repeats more often than the 5010 837P allows here",
    "HL1": "has an HL number out of sequence",
    "HL2": "points to an HL parent that does not exist",
    "SEG1": "ends with an empty element separator",
}


@dataclass(frozen=True, slots=True)
class ValidationProblem:
    """One problem pyx12 found: where (segment position, id, element) and what, in words."""

    position: int | None  # segment number in the file, ISA = 1
    segment_id: str
    element: str  # "03", "05-3", or "" for the whole segment
    message: str
    value: str | None
    syntax: bool  # SNIP 1 (syntax) rather than SNIP 2 (implementation guide)
    # The loop a missing segment belongs in, as pyx12 names it ("2330B"): pyx12 reports a
    # missing loop at the next segment it found, which is often in another loop (a line's LX).
    loop: str = ""


def validate_837(text: str) -> list[ValidationProblem]:
    """Every problem in one interchange of 837P text; [] when it passes."""
    out = io.StringIO()
    try:
        with _quiet_pyx12():
            pyx12.x12n_document.x12n_document(_params(), io.StringIO(text), None, None,
                                              fd_json=out)  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - pyx12 raises many kinds; the file must not be sent
        return [ValidationProblem(None, "ISA", "", f"pyx12 could not validate the file: {exc}",
                                  None, True)]  # fmt: skip
    body = out.getvalue()
    return list(_problems(json.loads(body))) if body else []


def _params() -> pyx12.params.ParamsBase:
    # ParamsBase, not params(): no ~/.pyx12.conf.xml may change what a file is judged by.
    return pyx12.params.ParamsBase()


@contextmanager
def _quiet_pyx12() -> Iterator[None]:
    logger = logging.getLogger("pyx12")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


def _problems(doc: dict[str, Any]) -> Iterator[ValidationProblem]:
    for isa in doc.get("interchanges", []):
        yield from _envelope("ISA", isa)
        for gs in isa.get("groups", []):
            yield from _envelope("GS", gs)
            for st in gs.get("transactions", []):
                yield from _envelope("ST", st)
                for seg in st.get("segments", []):
                    yield from _segment(seg)


def _envelope(segment_id: str, node: dict[str, Any]) -> Iterator[ValidationProblem]:
    position = node.get("cur_line") if isinstance(node.get("cur_line"), int) else None
    for err in node.get("errors", []):
        yield ValidationProblem(position, segment_id, "", str(err.get("err_str")), None, False)


_MISSING_LOOP = re.compile(r"\(([0-9]{4}[A-Z]{0,2})\) missing")


def _segment(seg: dict[str, Any]) -> Iterator[ValidationProblem]:
    seg_id = seg.get("seg_id") or "?"
    position = seg.get("cur_line") if isinstance(seg.get("cur_line"), int) else None
    for err in seg.get("errors", []):
        code = str(err.get("err_cde"))
        missing_loop = ""
        if code == "3":
            found = _MISSING_LOOP.search(str(err.get("err_str") or ""))
            missing_loop = found.group(1) if found else ""
            message = f"Required segment {seg_id} ({seg.get('name') or seg_id}) is missing"
        elif code in _SEGMENT_WORDS:
            message = f"Segment {seg_id} {_SEGMENT_WORDS[code]}"
        else:
            message = f"Segment {seg_id}: {err.get('err_str')}"
        yield ValidationProblem(position, seg_id, "", message, None,
                                code in _SYNTAX_SEGMENT_CODES, missing_loop)  # fmt: skip
    for ele in seg.get("elements", []):
        pos, sub = ele.get("ele_pos"), ele.get("subele_pos")
        element = f"{pos:02d}" if isinstance(pos, int) else ""
        if element and sub:
            element += f"-{sub}"
        for err in ele.get("errors", []):
            code = str(err.get("err_cde"))
            value = err.get("err_val")
            shown = f"'{value}'" if value not in (None, "") else "the value"
            template = _ELEMENT_WORDS.get(code)
            name = ele.get("name") or "element"
            words = template.format(value=shown) if template else str(err.get("err_str"))
            yield ValidationProblem(position, seg_id, element, f"{name} {words}",
                                    None if value in (None, "") else str(value),
                                    code in _SYNTAX_ELEMENT_CODES)  # fmt: skip
