"""A quick look at an X12 file without validating it: its interchanges' usage flag (ISA15) and
control numbers, what kind of file it is, and for an acknowledgment what it says.

Used by the mailbox: a file is sent only when every ISA15 matches the connection's usage; a
received file is handed on by its kind (835 to intake; TA1, 999 and 277CA recorded as
acknowledgments with an accept/reject summary). Turning acknowledgments into claim statuses is
the claims side's work (it reads them fully); this summary is what a biller sees in the mailbox.

Delimiters come from each file's first ISA (element separator after ``ISA``, segment terminator
after ISA16), so unpadded ISAs and files with or without line breaks both read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = ("835", "999", "TA1", "277CA", "837", "other")
# 277CA STC01-1 claim status categories (X12 507): A1/A2/A5 taken in, A3/A4/A6/A7/A8 not.
_ACCEPTED_CATEGORIES = {"A0", "A1", "A2", "A5"}
_REJECTED_CATEGORIES = {"A3", "A4", "A6", "A7", "A8"}


@dataclass
class Interchange:
    usage: str  # ISA15: T or P
    control: str  # ISA13
    sender: str  # ISA06
    receiver: str  # ISA08
    component: str = ":"  # ISA16
    segments: list[list[str]] = field(default_factory=list)  # ISA..IEA, split into elements


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _delimiters(text: str) -> tuple[int, str, str, str] | None:
    """(where the ISA starts, element separator, component separator, segment terminator) of
    the first ISA, or None when the text does not start like X12."""
    start = text.find("ISA")
    if start < 0 or len(text) < start + 20 or text[:start].strip():
        return None
    sep = text[start + 3]
    if sep.isalnum() or sep.isspace():
        return None
    pos = start + 4
    for _ in range(15):  # ISA01..ISA15 end with the separator; ISA16 is one character
        nxt = text.find(sep, pos)
        if nxt < 0:
            return None
        pos = nxt + 1
    if pos + 1 >= len(text):
        return None
    component, terminator = text[pos], text[pos + 1]
    if terminator == sep:
        return None
    return start, sep, component, terminator


def interchanges(data: bytes) -> list[Interchange]:
    """Every ISA..IEA in the file; [] when the file does not start like X12."""
    text = _text(data)
    found_delimiters = _delimiters(text)
    if found_delimiters is None:
        return []
    start, sep, component, terminator = found_delimiters
    found: list[Interchange] = []
    for raw in text[start:].split(terminator):
        segment = raw.strip("\r\n \t")
        if not segment:
            continue
        elements = segment.split(sep)
        if elements[0] == "ISA":
            found.append(Interchange(_el(elements, 15), _el(elements, 13), _el(elements, 6),
                                     _el(elements, 8), component))
        if found:
            found[-1].segments.append(elements)
    return found


def usage_flags(data: bytes) -> list[str]:
    """ISA15 of each interchange (``T``/``P``); [] when the file is not X12."""
    return [i.usage for i in interchanges(data)]


def kind_of(data: bytes) -> str:
    """``835``, ``999``, ``TA1``, ``277CA``, ``837`` or ``other``."""
    kinds: list[str] = []
    for interchange in interchanges(data):
        gs01 = ""
        for el in interchange.segments:
            if el[0] == "GS":
                gs01 = _el(el, 1)
            elif el[0] == "TA1":
                kinds.append("TA1")
            elif el[0] == "ST":
                st01 = _el(el, 1)
                version = _el(el, 3)
                if st01 == "277" and (gs01 == "HN" or "X214" in version):
                    kinds.append("277CA")
                elif st01 in ("835", "999", "837"):
                    kinds.append(st01)
                else:
                    kinds.append("other")
    for preferred in ("835", "277CA", "999", "837", "TA1"):  # what the file mainly carries
        if preferred in kinds:
            return preferred
    return "other"


def _el(elements: list[str], i: int) -> str:
    return elements[i].strip() if i < len(elements) else ""


@dataclass
class AckSummary:
    """What an acknowledgment says, for the mailbox and for the claims side to act on."""

    kind: str  # TA1, 999, 277CA
    control_number: str  # ISA13 of the acknowledgment itself
    answers: list[str]  # control numbers it answers: TA101, AK102 group, AK202 sets
    accepted: int
    rejected: int
    outcome: str  # accepted, accepted_with_errors, partly_accepted, rejected, unknown
    text: str  # one line in a biller's words
    items: list[dict[str, Any]] = field(default_factory=list)  # per set / claim

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "control_number": self.control_number,
                "answers": self.answers, "accepted": self.accepted, "rejected": self.rejected,
                "outcome": self.outcome, "text": self.text, "items": self.items}


def summarize_acknowledgment(data: bytes) -> AckSummary | None:
    """The summary of a TA1, 999 or 277CA file; None for any other file."""
    found = interchanges(data)
    kind = kind_of(data)
    if kind not in ("TA1", "999", "277CA") or not found:
        return None
    control = found[0].control
    segments = [el for i in found for el in i.segments]
    if kind == "TA1":
        return _ta1(control, segments)
    if kind == "999":
        return _999(control, segments)
    return _277ca(control, segments, found[0].component)


def _outcome(accepted: int, rejected: int, with_errors: bool = False) -> str:
    if accepted and rejected:
        return "partly_accepted"
    if rejected:
        return "rejected"
    if accepted:
        return "accepted_with_errors" if with_errors else "accepted"
    return "unknown"


def _ta1(control: str, segments: list[list[str]]) -> AckSummary:
    items = [{"control": _el(s, 1), "status": _el(s, 4), "note_code": _el(s, 5)}
             for s in segments if s[0] == "TA1"]
    accepted = sum(1 for i in items if i["status"] in ("A", "E"))
    rejected = sum(1 for i in items if i["status"] == "R")
    words = {"A": "accepted", "E": "accepted with errors", "R": "rejected"}
    text = "; ".join(f"interchange {i['control']} {words.get(i['status'], 'status ' + i['status'])}"
                     + (f" (note {i['note_code']})" if i["note_code"] not in ("", "000") else "")
                     for i in items) or "TA1 without a TA1 segment"
    return AckSummary("TA1", control, [i["control"] for i in items], accepted, rejected,
                      _outcome(accepted, rejected, any(i["status"] == "E" for i in items)),
                      f"TA1: {text}", items)


def _999(control: str, segments: list[list[str]]) -> AckSummary:
    groups: list[str] = []
    items: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    group_status = ""
    for s in segments:
        tag = s[0]
        if tag == "AK1":
            groups.append(_el(s, 2))
        elif tag == "AK2":
            current = {"set": _el(s, 1), "control": _el(s, 2), "status": "", "errors": []}
            items.append(current)
        elif tag == "IK3" and current is not None:
            current["errors"].append(f"segment {_el(s, 1)} at {_el(s, 2)}: code {_el(s, 4)}")
        elif tag == "IK4" and current is not None:
            current["errors"].append(f"element {_el(s, 1)}: code {_el(s, 3)}"
                                     + (f" ({_el(s, 4)})" if _el(s, 4) else ""))
        elif tag == "IK5" and current is not None:
            current["status"] = _el(s, 1)
        elif tag == "AK9":
            group_status = _el(s, 1)
    accepted = sum(1 for i in items if i["status"] in ("A", "E"))
    rejected = sum(1 for i in items if i["status"] in ("R", "M", "W", "X"))
    if not items and group_status:  # a 999 may only carry the group's AK9
        accepted, rejected = (1, 0) if group_status in ("A", "E", "P") else (0, 1)
    with_errors = any(i["status"] == "E" for i in items) or group_status in ("E", "P")
    total = len(items)
    where = f"group {', '.join(groups)}" if groups else "a group"
    if total:
        text = f"999 for {where}: {accepted} of {total} transaction set{'s' if total != 1 else ''} accepted"
        if rejected:
            text += f", {rejected} rejected"
    else:
        text = f"999 for {where}: {'accepted' if accepted else 'rejected'}"
    if with_errors and not rejected:
        text += " (with errors)"
    answers = groups + [i["control"] for i in items]
    return AckSummary("999", control, answers, accepted, rejected,
                      _outcome(accepted, rejected, with_errors), text, items)


def _277ca(control: str, segments: list[list[str]], component: str) -> AckSummary:
    items: list[dict[str, Any]] = []
    level = ""
    claim: dict[str, Any] | None = None
    for s in segments:
        tag = s[0]
        if tag == "HL":
            level = _el(s, 3)
            claim = None
        elif tag == "TRN" and level == "PT":
            claim = {"claim_id": _el(s, 2), "status": "", "category": "", "payer_claim": ""}
            items.append(claim)
        elif tag == "STC" and claim is not None and not claim["category"]:
            composite = _el(s, 1)
            parts = composite.split(component) if composite else [""]
            claim["category"] = parts[0]
            claim["status"] = composite
        elif tag == "REF" and claim is not None and _el(s, 1) == "1K":
            claim["payer_claim"] = _el(s, 2)
    accepted = sum(1 for c in items if c["category"] in _ACCEPTED_CATEGORIES)
    rejected = sum(1 for c in items if c["category"] in _REJECTED_CATEGORIES)
    total = len(items)
    text = (f"277CA: {accepted} of {total} claim{'s' if total != 1 else ''} accepted"
            + (f", {rejected} rejected" if rejected else ""))
    return AckSummary("277CA", control, [c["claim_id"] for c in items], accepted, rejected,
                      _outcome(accepted, rejected), text, items)


def segment_lines(data: bytes) -> list[str] | None:
    """The file one segment per line, each with its terminator (for viewing); None when the
    file is not X12."""
    text = _text(data)
    found = _delimiters(text)
    if found is None:
        return None
    start, _, _, terminator = found
    lines = [f"{segment.strip(chr(13) + chr(10))}{terminator}"
             for segment in text[start:].split(terminator) if segment.strip()]
    if lines and not text.rstrip().endswith(terminator):
        lines[-1] = lines[-1][:-1]  # the last piece had no terminator of its own
    return lines
