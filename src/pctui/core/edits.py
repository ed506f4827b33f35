"""Compliance edits: the named checks a claim must pass before pctui sends it (SPEC 6).

A :class:`Rule` is data: an id, a description in a biller's words, the X12 place it checks
(:class:`Location`: loop, segment, element), a kind, its parameters and a severity (``hold``
keeps the claim from being sent, ``warn`` only says so). Rules look at a claim the way the payer
will read it: the segments ``pctui.x12.write837.claim_view`` writes for it, each with its loop.

Kinds an administrator can use in the config document (``compliance_edits``, see
:func:`rule_from_data` for the shape):

- ``required``: the segment (and element, when given) must be there;
- ``forbidden``: it must not be there;
- ``pattern``: every value there must match the regular expression as a whole;
- ``not_pattern``: no value there may contain a match of the regular expression;
- ``one_of``: every value there must be one of ``values``;
- ``npi``: every value there must be a valid NPI (10 digits, Luhn check digit with prefix 80840).

Each may have ``when``: conditions that must all hold for the rule to apply (a place and
``present`` true/false, ``values`` or ``pattern``). A rule about a service line (loop 24xx) is
checked line by line, and its conditions on line loops look at the same line.

Kinds only pctui runs (their logic is code): ``x12_syntax`` and ``implementation_guide`` (SNIP
1 and 2: pyx12's 5010 validation of the written file, run by the store when it scrubs),
``balance`` (SNIP 3), ``one_primary``, ``complete``.

A segment written ``REF*F8`` means a REF whose first element is F8 (``NM1*82``, ``HI*ABK`` ...);
an element is its position (``03``) or a component (``05-3``); several elements: ``01,02``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pctui.core.claim import Claim, Segment
from pctui.core.money import ZERO

# (loop, segment, service line number or None) as the 837P writer lays the claim out.
ViewItem = tuple[str, Segment, int | None]


class EditSeverity(StrEnum):
    HOLD = "hold"
    WARN = "warn"


class EditKind(StrEnum):
    REQUIRED = "required"
    FORBIDDEN = "forbidden"
    PATTERN = "pattern"
    NOT_PATTERN = "not_pattern"
    ONE_OF = "one_of"
    NPI = "npi"
    # pctui's own, not for the config document
    X12_SYNTAX = "x12_syntax"
    IMPLEMENTATION_GUIDE = "implementation_guide"
    BALANCE = "balance"
    ONE_PRIMARY = "one_primary"
    COMPLETE = "complete"


DATA_KINDS = frozenset({EditKind.REQUIRED, EditKind.FORBIDDEN, EditKind.PATTERN,
                        EditKind.NOT_PATTERN, EditKind.ONE_OF, EditKind.NPI})  # fmt: skip


@dataclass(frozen=True, slots=True)
class Location:
    """Where in the 837P: ``Location("2010AA", "N4", "03")`` is the billing provider's ZIP."""

    loop: str
    segment: str
    element: str = ""

    @property
    def segment_id(self) -> str:
        return self.segment.partition("*")[0]

    @property
    def qualifier(self) -> str:
        return self.segment.partition("*")[2]

    @property
    def elements(self) -> tuple[str, ...]:
        return tuple(e.strip() for e in self.element.split(",") if e.strip())

    @property
    def element_text(self) -> str:
        """``N403``, ``CLM05-3``, ``N301,N302``; "" for a whole segment."""
        return ",".join(f"{self.segment_id}{e}" for e in self.elements)

    def __str__(self) -> str:
        """``2010AA N403``; with a qualifier, which segment too: ``2300 REF*G1 REF02`` (a claim
        has several REFs), ``2310B NM1*82 NM109``."""
        where = self.element_text or self.segment
        if self.qualifier and self.element_text:
            where = f"{self.segment} {self.element_text}"
        return f"{self.loop} {where}" if self.loop not in ("", "*") else where

    def to_json(self) -> dict[str, str]:
        return {"loop": self.loop, "segment": self.segment, "element": self.element_text}


@dataclass(frozen=True, slots=True)
class Condition:
    """One ``when`` condition: the place is there (or not), or holds one of values / a pattern."""

    location: Location
    present: bool | None = None
    values: tuple[str, ...] = ()
    pattern: str = ""


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    description: str  # what the rule asks, in a biller's words
    kind: EditKind
    location: Location
    severity: EditSeverity = EditSeverity.HOLD
    message: str = ""  # what a failing claim shows; the description when empty
    pattern: str = ""
    values: tuple[str, ...] = ()
    when: tuple[Condition, ...] = ()
    always: bool = False  # runs for every claim, whatever its connection lists
    source: str = "pctui"  # pctui, or "config" for an administrator's rule

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "description": self.description,
                "location": self.location.to_json(), "severity": self.severity.value,
                "kind": self.kind.value, "always": self.always, "source": self.source}  # fmt: skip


@dataclass(frozen=True, slots=True)
class EditFailure:
    """A rule a claim did not pass: the rule, its words, where, and the value found."""

    rule: str
    message: str
    location: Location
    severity: EditSeverity = EditSeverity.HOLD
    line: int | None = None  # the service line (LX01) it is about
    value: str | None = None

    @property
    def where(self) -> str:
        return f"{self.location} (line {self.line})" if self.line is not None else str(
            self.location
        )

    @property
    def text(self) -> str:
        shown = f" (found '{self.value}')" if self.value else ""
        return f"{self.message}{shown} — {self.where}"

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "message": self.message, "location": self.where,
                "loop": self.location.loop, "segment": self.location.segment,
                "element": self.location.element_text, "line": self.line, "value": self.value,
                "severity": self.severity.value}  # fmt: skip


# -- the catalogue ----------------------------------------------------------------------------

_PO_BOX = r"(?i)\b(P\.?\s*O\.?\s*BOX|POST\s+OFFICE\s+BOX|LOCK\s*BOX|PMB)\b"
_LAB_CODES = r"^8[0-9]{4}$"  # CPT 80047-89398: pathology and laboratory
_NOC_CODES = r"^(J3490|J3590|J7599|J7699|J7799|J7999|J8499|J8999|J9999|A4649|A9999|E1399|L8699|99499|99199|[0-9]{4}9)$"  # noqa: E501
_MEDICARE = ("MA", "MB")


def _loc(loop: str, segment: str, element: str = "") -> Location:
    return Location(loop, segment, element)


CATALOGUE: tuple[Rule, ...] = (
    Rule("5010-SNIP1", "The claim is valid X12 syntax (no separator characters in values, "
         "element sizes and characters allowed)", EditKind.X12_SYNTAX, _loc("*", "*"),
         always=True),
    Rule("5010-SNIP2", "The claim meets the 837P implementation guide (required segments and "
         "elements, valid codes) — pyx12's 5010 validation", EditKind.IMPLEMENTATION_GUIDE,
         _loc("*", "*"), always=True),
    Rule("5010-SNIP3", "The claim total equals the sum of its service lines and is more than "
         "zero", EditKind.BALANCE, _loc("2300", "CLM", "02"), always=True),
    Rule("ONE-PRIMARY-PAYER", "The claim names exactly one primary payer and no payer level "
         "twice", EditKind.ONE_PRIMARY, _loc("2000B", "SBR", "01"), always=True),
    Rule("CLAIM-COMPLETE", "pctui has the claim's whole 837P: billing provider, subscriber, "
         "payer and service lines", EditKind.COMPLETE, _loc("2300", "CLM"), always=True),
    Rule("NPI-CHECK-DIGIT", "Every NPI passes its check digit (Luhn with prefix 80840)",
         EditKind.NPI, _loc("*", "NM1", "09"),
         when=(Condition(_loc("*", "NM1", "08"), values=("XX",)),)),
    Rule("BILLING-NO-PO-BOX", "The billing provider's address is a street address, not a PO "
         "Box or lockbox", EditKind.NOT_PATTERN, _loc("2010AA", "N3", "01,02"),
         message="Billing provider address is a PO Box or lockbox", pattern=_PO_BOX),
    Rule("BILLING-ZIP-9", "The billing provider's ZIP code has 9 digits (ZIP+4)",
         EditKind.PATTERN, _loc("2010AA", "N4", "03"),
         message="Billing provider ZIP code must have 9 digits", pattern=r"[0-9]{9}"),
    Rule("TAXONOMY-FORMAT", "Every taxonomy code is 10 characters ending in X",
         EditKind.PATTERN, _loc("*", "PRV", "03"), message="Taxonomy code is not 10 "
         "characters ending in X", pattern=r"[0-9]{3}[0-9A-Z]{6}X"),
    Rule("BILLING-TAXONOMY", "The billing provider's taxonomy is sent when no rendering "
         "provider is", EditKind.REQUIRED, _loc("2000A", "PRV*BI", "03"),
         message="Billing provider taxonomy (PRV) is missing and there is no rendering "
         "provider", when=(Condition(_loc("2310B", "NM1*82"), present=False),)),
    Rule("RENDERING-NPI", "A rendering provider is identified by NPI", EditKind.REQUIRED,
         _loc("2310B", "NM1*82", "09"), message="Rendering provider has no NPI",
         when=(Condition(_loc("2310B", "NM1*82"), present=True),)),
    Rule("REFERRING-FOR-LINE", "A service line's referring provider is also named on the claim",
         EditKind.REQUIRED, _loc("2310A", "NM1", ""), message="A line names a referring "
         "provider (2420F) but the claim does not (2310A)",
         when=(Condition(_loc("2420F", "NM1"), present=True),)),
    Rule("MEDICARE-REFERRING", "Medicare: referred services name the referring provider",
         EditKind.REQUIRED, _loc("2310A", "NM1", "09"), message="Medicare claim with a "
         "referral number has no referring provider NPI",
         when=(Condition(_loc("2000B", "SBR", "09"), values=_MEDICARE),
               Condition(_loc("2300", "REF*9F"), present=True))),
    Rule("CORRECTED-CLAIM-F8", "A replacement (7) or void (8) claim carries the payer's claim "
         "number (REF*F8)", EditKind.REQUIRED, _loc("2300", "REF*F8", "02"),
         message="Replacement or void claim without the payer's claim number (REF*F8)",
         when=(Condition(_loc("2300", "CLM", "05-3"), values=("7", "8")),)),
    Rule("MEDICARE-LAB-CLIA", "Medicare lab services carry the CLIA number (REF*X4)",
         EditKind.REQUIRED, _loc("2300", "REF*X4", "02"), message="Medicare laboratory "
         "service without a CLIA number (REF*X4)",
         when=(Condition(_loc("2000B", "SBR", "09"), values=_MEDICARE),
               Condition(_loc("2400", "SV1", "01-2"), pattern=_LAB_CODES))),
    Rule("NOC-DESCRIPTION", "Not-otherwise-classified procedure codes carry a description "
         "(SV101-7)", EditKind.REQUIRED, _loc("2400", "SV1", "01-7"), message="Unlisted "
         "(not otherwise classified) procedure code without a description",
         when=(Condition(_loc("2400", "SV1", "01-2"), pattern=_NOC_CODES),)),
    Rule("DIAGNOSIS-POINTER", "Every service line points at a diagnosis of the claim",
         EditKind.REQUIRED, _loc("2400", "SV1", "07-1"),
         message="Service line points at no diagnosis (SV107)"),
    Rule("SECONDARY-PAID-AMOUNT", "A secondary claim with line adjudication (2430) gives the "
         "prior payer's paid amount (AMT*D)", EditKind.REQUIRED, _loc("2320", "AMT*D", "02"),
         message="Prior payer's paid amount (2320 AMT*D) is missing",
         when=(Condition(_loc("2430", "SVD"), present=True),)),
)  # fmt: skip
CATALOGUE_IDS = frozenset(rule.id for rule in CATALOGUE)


class RuleError(ValueError):
    """An administrator's rule that cannot be used: ``problems`` maps key path -> problem."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


_RULE_KEYS = {"id", "description", "kind", "loop", "segment", "element", "severity", "message",
              "pattern", "values", "when", "active"}  # fmt: skip
_CONDITION_KEYS = {"loop", "segment", "element", "present", "values", "pattern"}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
_LOOP = re.compile(r"^(\*|[0-9]{4}[A-Z]?)$")
_SEGMENT = re.compile(r"^([A-Z][A-Z0-9]{1,2}|\*)(\*[A-Z0-9]{1,3})?$")
_ELEMENT = re.compile(r"^[0-9]{2}(-[0-9]{1,2})?$")


def rule_from_data(data: Mapping[str, Any]) -> Rule:
    """An administrator's rule from the config document; :class:`RuleError` names each problem.

    Shape: ``{"id", "description", "kind", "loop", "segment", "element", "severity",
    "message", "pattern", "values", "when": [{"loop", "segment", "element", "present",
    "values", "pattern"}], "active"}``; ``id``, ``description``, ``kind``, ``loop`` and
    ``segment`` are required.
    """
    problems: dict[str, str] = {}
    if not isinstance(data, Mapping):
        raise RuleError({"": "must be an object"})
    for key in data:
        if key not in _RULE_KEYS:
            problems[str(key)] = "unknown key"
    text = {k: data.get(k, "") for k in ("id", "description", "kind", "loop", "segment",
                                         "element", "message", "pattern")}  # fmt: skip
    for key, value in text.items():
        if not isinstance(value, str):
            problems[key] = "must be text"
    if problems:
        raise RuleError(problems)
    rule_id = text["id"].strip()
    if not _ID.match(rule_id):
        problems["id"] = "letters, digits and . _ : - (up to 64), starting with a letter or digit"
    elif rule_id in CATALOGUE_IDS:
        problems["id"] = f"{rule_id} is one of pctui's own rules; choose another id"
    if not text["description"].strip():
        problems["description"] = "required: say what the rule asks, in a biller's words"
    try:
        kind = EditKind(text["kind"])
        if kind not in DATA_KINDS:
            raise ValueError
    except ValueError:
        kind = EditKind.REQUIRED
        problems["kind"] = "one of " + ", ".join(sorted(k.value for k in DATA_KINDS))
    location = _location(data, problems, "")
    severity = data.get("severity", "hold")
    if severity not in ("hold", "warn"):
        problems["severity"] = "hold or warn"
        severity = "hold"
    values = _values(data.get("values"), problems, "values")
    _check_pattern(text["pattern"], problems, "pattern")
    if kind in (EditKind.PATTERN, EditKind.NOT_PATTERN) and not text["pattern"]:
        problems["pattern"] = f"required for a {kind.value} rule"
    if kind is EditKind.ONE_OF and not values:
        problems["values"] = "required for a one_of rule: the allowed values"
    if kind in (EditKind.PATTERN, EditKind.NOT_PATTERN, EditKind.ONE_OF, EditKind.NPI) and (
        not location.element
    ):
        problems["element"] = f"required for a {kind.value} rule"
    when = _conditions(data.get("when", []), problems)
    if "active" in data and not isinstance(data["active"], bool):
        problems["active"] = "true or false"
    if problems:
        raise RuleError(problems)
    return Rule(rule_id, text["description"].strip(), kind, location, EditSeverity(severity),
                text["message"].strip(), text["pattern"], values, when,
                source="config")  # fmt: skip


def rule_to_data(rule: Rule) -> dict[str, Any]:
    """An administrator's rule as the config document holds it (inverse of rule_from_data)."""
    data: dict[str, Any] = {
        "id": rule.id, "description": rule.description, "kind": rule.kind.value,
        "loop": rule.location.loop, "segment": rule.location.segment,
        "element": rule.location.element, "severity": rule.severity.value,
    }  # fmt: skip
    if rule.message:
        data["message"] = rule.message
    if rule.pattern:
        data["pattern"] = rule.pattern
    if rule.values:
        data["values"] = list(rule.values)
    if rule.when:
        data["when"] = [_condition_data(c) for c in rule.when]
    return data


def _condition_data(condition: Condition) -> dict[str, Any]:
    data: dict[str, Any] = {"loop": condition.location.loop,
                            "segment": condition.location.segment}  # fmt: skip
    if condition.location.element:
        data["element"] = condition.location.element
    if condition.present is not None:
        data["present"] = condition.present
    if condition.values:
        data["values"] = list(condition.values)
    if condition.pattern:
        data["pattern"] = condition.pattern
    return data


def _location(data: Mapping[str, Any], problems: dict[str, str], prefix: str) -> Location:
    loop, segment = str(data.get("loop", "")).strip(), str(data.get("segment", "")).strip()
    element = str(data.get("element", "") or "").strip()
    if not _LOOP.match(loop):
        problems[f"{prefix}loop"] = "an 837P loop such as 2010AA, 2300, 2400 (or * for any)"
    if not _SEGMENT.match(segment):
        problems[f"{prefix}segment"] = "a segment id such as N4, or with its qualifier: REF*F8"
    for part in (p.strip() for p in element.split(",") if p.strip()):
        if not _ELEMENT.match(part):
            problems[f"{prefix}element"] = "an element position such as 03, or 05-3 (several: 01,02)"
    return Location(loop, segment, element)


def _values(raw: Any, problems: dict[str, str], key: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        problems[key] = "a list of text values"
        return ()
    return tuple(raw)


def _check_pattern(pattern: str, problems: dict[str, str], key: str) -> None:
    if not pattern:
        return
    if len(pattern) > 500:
        problems[key] = "longer than 500 characters"
        return
    try:
        re.compile(pattern)
    except re.error as exc:
        problems[key] = f"not a regular expression: {exc}"


def _conditions(raw: Any, problems: dict[str, str]) -> tuple[Condition, ...]:
    if not isinstance(raw, list):
        problems["when"] = "a list of conditions"
        return ()
    conditions: list[Condition] = []
    for n, item in enumerate(raw):
        prefix = f"when[{n}]."
        if not isinstance(item, Mapping):
            problems[f"when[{n}]"] = "must be an object"
            continue
        for key in item:
            if key not in _CONDITION_KEYS:
                problems[f"{prefix}{key}"] = "unknown key"
        location = _location(item, problems, prefix)
        present = item.get("present")
        if present is not None and not isinstance(present, bool):
            problems[f"{prefix}present"] = "true or false"
            present = None
        values = _values(item.get("values"), problems, f"{prefix}values")
        pattern = item.get("pattern", "")
        if not isinstance(pattern, str):
            problems[f"{prefix}pattern"] = "must be text"
            pattern = ""
        _check_pattern(pattern, problems, f"{prefix}pattern")
        if present is None and not values and not pattern:
            problems[f"when[{n}]"] = "say what must hold: present, values or pattern"
        conditions.append(Condition(location, present, values, pattern))
    return tuple(conditions)


# -- which rules run --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The rules that run for a connection, and the identifiers it lists that name none."""

    rules: tuple[Rule, ...]
    unknown: tuple[str, ...] = ()


def rules_for(identifiers: Iterable[str], admin_rules: Iterable[Rule] = ()) -> RuleSet:
    """pctui's always-run rules plus the rules a connection lists (unknown ids set aside)."""
    by_id = {rule.id: rule for rule in (*CATALOGUE, *admin_rules)}
    chosen = [rule for rule in CATALOGUE if rule.always]
    unknown: list[str] = []
    for identifier in identifiers:
        rule = by_id.get(identifier)
        if rule is None:
            unknown.append(identifier)
        elif rule not in chosen:
            chosen.append(rule)
    return RuleSet(tuple(chosen), tuple(unknown))


# -- checking a claim -------------------------------------------------------------------------


def check_claim(claim: Claim, view: Sequence[ViewItem], rules: Iterable[Rule]) -> list[EditFailure]:
    """Every failure of ``claim`` against ``rules`` (SNIP 1-2 are left to the file's validation).

    ``view`` is the claim as written (``pctui.x12.write837.claim_view``).
    """
    failures: list[EditFailure] = []
    index = _ViewIndex(view)
    for rule in rules:
        check = _CODE_CHECKS.get(rule.kind)
        if check is not None:
            failures.extend(check(rule, claim))
        elif rule.kind in DATA_KINDS:
            failures.extend(_check_data_rule(rule, index, claim))
    return failures


class _ViewIndex:
    def __init__(self, view: Sequence[ViewItem]) -> None:
        self.view = list(view)
        self.lines = sorted({line for _, _, line in self.view if line is not None})

    def segments(self, location: Location, line: int | None = None) -> list[Segment]:
        return [seg for _, seg in self.placed(location, line)]

    def placed(self, location: Location, line: int | None = None) -> list[tuple[str, Segment]]:
        """The segments at ``location``, each with the loop it is written in."""
        found = []
        for loop, seg, seg_line in self.view:
            if not _loop_matches(location.loop, loop):
                continue
            if location.segment_id not in ("*", seg.id):
                continue
            if location.qualifier and seg.value(1) != location.qualifier:
                continue
            if line is not None and seg_line is not None and seg_line != line:
                continue
            found.append((loop, seg))
        return found


def _loop_matches(wanted: str, loop: str) -> bool:
    return wanted in ("*", "") or loop.startswith(wanted)


def _is_line_loop(loop: str) -> bool:
    return loop.startswith("24")


def _values_at(seg: Segment, location: Location) -> list[str]:
    out = []
    for element in location.elements:
        position, _, component = element.partition("-")
        out.append(seg.value(int(position), int(component) if component else None))
    return out


def _condition_holds(condition: Condition, index: _ViewIndex, line: int | None) -> bool:
    scope = line if _is_line_loop(condition.location.loop) else None
    segments = index.segments(condition.location, scope)
    if condition.location.elements:
        values = [v for seg in segments for v in _values_at(seg, condition.location) if v]
    else:
        values = ["present"] * len(segments)
    if condition.present is not None and bool(values) != condition.present:
        return False
    if condition.values and not any(v in condition.values for v in values):
        return False
    if condition.pattern and not any(re.search(condition.pattern, v) for v in values):
        return False
    return True


def _check_data_rule(rule: Rule, index: _ViewIndex, claim: Claim) -> Iterable[EditFailure]:
    per_line = _is_line_loop(rule.location.loop)
    scopes: list[int | None] = list(index.lines) if per_line else [None]
    for line in scopes:
        if not all(_condition_holds(c, index, line) for c in rule.when):
            continue
        yield from _judge(rule, index.placed(rule.location, line), line)


def _failure(rule: Rule, line: int | None, value: str | None = None,
             loop: str | None = None) -> EditFailure:  # fmt: skip
    """``loop``: where the failing value was found, when the rule names several loops (``*``,
    or a prefix such as ``2010``) — so the biller is told which NPI, not just "NM109"."""
    location = rule.location
    if loop and loop != location.loop:
        location = Location(loop, location.segment, location.element)
    return EditFailure(rule.id, rule.message or rule.description, location, rule.severity,
                       line, value)  # fmt: skip


def _judge(rule: Rule, placed: list[tuple[str, Segment]], line: int | None
           ) -> Iterable[EditFailure]:  # fmt: skip
    location = rule.location
    segments = [seg for _, seg in placed]
    if rule.kind is EditKind.REQUIRED:
        if not segments:
            yield _failure(rule, line)
        elif location.elements and not any(
            v for seg in segments for v in _values_at(seg, location)
        ):
            yield _failure(rule, line)
        return
    if rule.kind is EditKind.FORBIDDEN:
        found = [(loop, v) for loop, seg in placed for v in _values_at(seg, location) if v] if (
            location.elements) else [(loop, seg.id) for loop, seg in placed]
        if found:
            loop, value = found[0]
            yield _failure(rule, line, value if location.elements else None, loop)
        return
    for loop, seg in placed:
        if rule.kind is EditKind.NPI and seg.id == "NM1" and seg.value(8) != "XX":
            continue
        for value in _values_at(seg, location):
            if value and not _passes(rule, value):
                yield _failure(rule, line, value, loop)


def _passes(rule: Rule, value: str) -> bool:
    if rule.kind is EditKind.PATTERN:
        return re.fullmatch(rule.pattern, value) is not None
    if rule.kind is EditKind.NOT_PATTERN:
        return re.search(rule.pattern, value) is None
    if rule.kind is EditKind.ONE_OF:
        return value in rule.values
    if rule.kind is EditKind.NPI:
        return npi_is_valid(value)
    return True


def npi_is_valid(npi: str) -> bool:
    """10 digits whose last is the Luhn check digit of ``80840`` + the first nine (CMS)."""
    if len(npi) != 10 or not npi.isdigit():
        return False
    digits = [int(c) for c in "80840" + npi[:9]]
    total = 0
    for n, digit in enumerate(reversed(digits)):
        if n % 2 == 0:  # double every other digit, starting from the rightmost of the body
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10 == int(npi[9])


# -- rules whose logic is code ----------------------------------------------------------------


def _balance(rule: Rule, claim: Claim) -> Iterable[EditFailure]:
    lines = sum((line.charge for line in claim.service_lines), ZERO)
    if claim.charge <= ZERO:
        yield EditFailure(rule.id, "Claim total charge must be more than zero", rule.location,
                          rule.severity, value=f"{claim.charge:.2f}")  # fmt: skip
    if claim.service_lines and lines != claim.charge:
        yield EditFailure(
            rule.id, f"Claim total charge does not equal the sum of its service lines "
            f"({lines:.2f})", rule.location, rule.severity, value=f"{claim.charge:.2f}",
        )  # fmt: skip


def _one_primary(rule: Rule, claim: Claim) -> Iterable[EditFailure]:
    levels = [c.responsibility for c in (claim.subscriber, *claim.other_coverages) if c]
    if not claim.detailed:
        return
    if levels.count("P") != 1:
        yield EditFailure(rule.id, "The claim must name exactly one primary payer (SBR01 P)",
                          rule.location, rule.severity, value=f"{levels.count('P')} primary")
    repeated = sorted({lv for lv in levels if lv != "P" and levels.count(lv) > 1})
    for level in repeated:
        yield EditFailure(rule.id, "A payer level is named twice", Location("2320", "SBR", "01"),
                          rule.severity, value=level)  # fmt: skip


def _complete(rule: Rule, claim: Claim) -> Iterable[EditFailure]:
    if not claim.detailed:
        yield EditFailure(rule.id, "Claim was stored before pctui kept the whole 837P; import "
                          "it again from the practice's 837P file", rule.location, rule.severity)
        return
    missing = [
        (claim.billing_provider is None, "billing provider", Location("2010AA", "NM1*85")),
        (claim.subscriber is None or claim.subscriber.subscriber is None, "subscriber",
         Location("2010BA", "NM1*IL")),
        (claim.subscriber is None or claim.subscriber.payer is None, "payer",
         Location("2010BB", "NM1*PR")),
        (not claim.service_lines, "service lines", Location("2400", "LX")),
    ]  # fmt: skip
    for absent, what, where in missing:
        if absent:
            yield EditFailure(rule.id, f"Claim has no {what}", where, rule.severity)


_CODE_CHECKS: dict[EditKind, Callable[[Rule, Claim], Iterable[EditFailure]]] = {
    EditKind.BALANCE: _balance,
    EditKind.ONE_PRIMARY: _one_primary,
    EditKind.COMPLETE: _complete,
}


def total_charge(claim: Claim) -> Decimal:
    return sum((line.charge for line in claim.service_lines), ZERO)
