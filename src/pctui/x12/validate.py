"""Full 5010 validation with pyx12's implementation-guide maps, in words a biller understands.

pyx12's ``x12n_document`` walks the loop tree of the X221A1 (835) map and checks every segment and
element: about 14k segments a second here, twenty times slower than reading. Import therefore
reads with the fast flat reader and stores payments at once; this module runs later (see
``store.intake.validate_pending``) and its findings are added to the stored payments.

pyx12 notes (PITFALLS.md): it reads text, not bytes; its remark-code list is stale, so remark
codes are excluded from the external-code check; its 999 output is broken for 5010 835s, so only
its JSON error tree is used. Each interchange is validated on its own text, because one file may
hold interchanges with different delimiters; positions are renumbered to the whole file.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyx12.params
import pyx12.x12n_document

from pctui.core.era import Finding, FindingSource, Severity
from pctui.x12.envelope import Interchange

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
_SEGMENT_PROBLEMS = {
    "1": "is not expected at this point of a 5010 835; it may be out of order, misspelled or "
    "badly formed",
    "2": "is not used in a 5010 835",
    "3": "is required but missing",
    "4": "starts a loop that repeats more often than the 5010 835 allows",
    "5": "repeats more often than the 5010 835 allows here",
    "HL1": "has an HL number out of sequence",
    "HL2": "points to an HL parent that does not exist",
    "SEG1": "ends with an empty element separator",
}


def validate_interchanges(interchanges: list[Interchange]) -> list[Finding]:
    """pyx12 5010 findings for every interchange of one file, positions counted over the file."""
    findings: list[Finding] = []
    for interchange in interchanges:
        findings.extend(validate_interchange(interchange))
    return findings


def validate_interchange(interchange: Interchange) -> list[Finding]:
    """Run pyx12's map validation over one interchange; a crash inside pyx12 becomes a finding."""
    out = io.StringIO()
    try:
        with _quiet_pyx12():
            pyx12.x12n_document.x12n_document(
                _params(), io.StringIO(interchange.text), None, None, fd_json=out
            )
    except Exception as exc:  # noqa: BLE001 - pyx12 raises many kinds; the file is still imported
        return [
            Finding(
                Severity.WARNING,
                FindingSource.VALIDATION,
                f"Full 5010 validation of the interchange starting at segment "
                f"{interchange.first_segment} could not finish: {exc}",
                "ISA",
                interchange.first_segment,
            )
        ]
    text = out.getvalue()
    if not text:
        return []
    return list(_translate(json.loads(text), interchange.first_segment - 1))


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


def _translate(doc: dict[str, Any], offset: int) -> Iterator[Finding]:
    for isa in doc.get("interchanges", []):
        yield from _envelope_errors("isa", isa, offset, "ISA", "the interchange")
        for gs in isa.get("groups", []):
            yield from _envelope_errors("gs", gs, offset, "GS", "the functional group")
            for st in gs.get("transactions", []):
                label = f"payment {st.get('trn_set_control_num') or ''}".strip()
                yield from _envelope_errors("st", st, offset, "ST", label)
                for seg in st.get("segments", []):
                    yield from _segment_findings(seg, offset)


def _envelope_errors(
    level: str, node: dict[str, Any], offset: int, segment: str, label: str
) -> Iterator[Finding]:
    position = _position(node.get("cur_line"), offset)
    for err in node.get("errors", []):
        if (level, str(err.get("err_cde"))) in _ALREADY_CHECKED:
            continue
        yield Finding(
            Severity.ERROR,
            FindingSource.VALIDATION,
            f"In {label}: {err.get('err_str')}",
            segment,
            position,
        )


def _segment_findings(seg: dict[str, Any], offset: int) -> Iterator[Finding]:
    seg_id = seg.get("seg_id") or "?"
    position = _position(seg.get("cur_line"), offset)
    where = f"Segment {seg_id} (segment {position})" if position else f"Segment {seg_id}"
    for err in seg.get("errors", []):
        code = str(err.get("err_cde"))
        if code == "3":
            name = seg.get("name") or seg_id
            message = f"Required segment {seg_id} ({name}) is missing"
        elif code in _SEGMENT_PROBLEMS:
            found = _NOT_FOUND.match(str(err.get("err_str") or ""))
            shown = where.replace(seg_id, found.group(1), 1) if found else where
            message = f"{shown} {_SEGMENT_PROBLEMS[code]}"
        else:
            message = f"{where}: {err.get('err_str')}"
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
