"""Configuration as one JSON document (SPEC 3): payers, rules, CARC overrides, connections.

Shape: the SPEC 3 keys, plus "active" on payers and rules, plus an optional top-level
"posting_codes" list [{code, kind, description, active}] holding the custom posting codes rules
use (the eight standard codes exist in every database and are never listed), plus an optional
"compliance_edits" list of administrators' compliance edits (shape: ``core.edits.rule_from_data``;
merged by id; "active": false switches one off). API keys are never part of the document; an imported connection without a key in this database shows key "missing".

Connections carry ``usage`` (``test``/``production``), ``poll_minutes`` and, by gateway type, an
``sftp`` or an ``https`` object (:mod:`pctui.core.connection_settings` names every key). An entry
without its object keeps the connection's settings as they are (a new connection starts from the
defaults): documents written before these settings existed still import. A secret inside either
object (``password``, ``passphrase``, ``api_key``...) is refused by name.

Import is a merge by natural key: payer code; rule Inbound ID + payer code; override payer + CARC +
group; connection payer + name; posting code. Entries in the document are created or brought to
exactly what the document says; nothing absent from the document is deleted or deactivated. The
whole document is checked first, every problem named by its path (``rules[2].levels.tertiary.
payment_code``); only a document without problems is applied, in one write transaction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from pctui.core.carc import carc_problem, group_problem, normalize_carc
from pctui.core.codes import CodeKind, GatewayType, PayerLevel
from pctui.core.connection_settings import (
    Usage,
    parse_settings,
    poll_minutes_problem,
    settings_from_dict,
    settings_key,
)
from pctui.core.edits import RuleError, rule_from_data
from pctui.core.gateway import compliance_rule_problem, endpoint_problem, x12_id_problem
from pctui.core.text import unsafe_characters
from pctui.store import audit, payers
from pctui.store.carc import carc_sort_key, write_override
from pctui.store.codes import CodeView, code_fields_problems, codes_in, normalize_code, write_code
from pctui.store.compliance import admin_rule_documents, save_admin_rule
from pctui.store.connections import (
    ConnectionDraft,
    connection_values,
    settings_changes,
    validate_connection,
)
from pctui.store.db import Store
from pctui.store.errors import ValidationFailed
from pctui.store.rules import LEVEL_FIELDS, RuleDraft, RuleLevelDraft, level_problems, write_rule
from pctui.store.tables import (
    CarcOverride,
    Payer,
    PayerConnection,
    PayerInboundId,
    PayerRule,
    PayerRuleLevel,
    PostingCode,
)
from pctui.store.users import Actor

SECTIONS = ("payers", "rules", "carc_overrides", "connections", "posting_codes",
            "compliance_edits")
_KEY_WORDS = ("api_key", "key", "api_key_hint", "api_key_set", "secret", "password")

# Per section: required keys, then optional keys with the value an absent key means.
_SPEC: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "posting_codes": (("code", "kind"), {"description": "", "active": True}),
    "payers": (("code", "name", "insurance_class"),
               {"inbound_ids": [], "outbound_id": "", "active": True}),
    "rules": (("inbound_id", "payer_code", "levels"), {"description": "", "active": True}),
    "level": (("payment_code", "adjustment_code"),
              {"insurance_adjustments": "post", "insurance_balance": "transfer",
               "patient_balance": "keep", "patient_adjustment_code": None}),
    "carc_overrides": (("payer_code", "carc"), {"group": "", "excluded": True, "active": True}),
    "connections": (("payer_code", "name", "gateway_type", "endpoint"),
                    {"submitter_id": "", "receiver_id": "", "compliance_rules": [],
                     "active": True, "usage": "test", "poll_minutes": 0, "sftp": None,
                     "https": None}),
}
_OBJECTS = {"sftp", "https"}
_NULLABLE = {"patient_adjustment_code", "group", "sftp", "https"}
_LISTS = {"inbound_ids", "compliance_rules"}
_BOOLS = {"active", "excluded"}


@dataclass
class ConfigImportReport:
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    changed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    unchanged: int = 0

    @property
    def any_change(self) -> bool:
        return any(self.created.values()) or any(self.changed.values())

    def describe(self) -> list[str]:
        def counts(numbers: dict[str, int]) -> str:
            parts = [f"{n} {section.replace('_', ' ')}" for section, n in numbers.items() if n]
            return ", ".join(parts) or "nothing"

        return [f"Created: {counts(self.created)}.", f"Changed: {counts(self.changed)}.",
                f"Unchanged: {self.unchanged} entries."]

    def as_json(self) -> dict[str, Any]:
        return {"created": dict(self.created), "changed": dict(self.changed),
                "unchanged": self.unchanged}


# -- export ----------------------------------------------------------------------------------


def export_config(store: Store) -> dict[str, Any]:
    """The whole configuration in SPEC 3 shape, in a fixed order, without any API key."""
    with store.read() as session:
        return export_in(session)


def export_in(session: Session) -> dict[str, Any]:
    codes = {p.id: p.code for p in session.exec(select(Payer)).all()}
    return {
        "payers": [_payer_entry(p) for p in payers.payers_in(session)],
        "rules": _rule_entries(session, codes),
        "carc_overrides": sorted(
            (_override_entry(o, codes) for o in session.exec(select(CarcOverride)).all()),
            key=lambda e: (e["payer_code"], carc_sort_key(e["carc"]), e["group"])),
        "connections": sorted(
            (_connection_entry(c, codes) for c in session.exec(select(PayerConnection)).all()),
            key=lambda e: (e["payer_code"], e["name"])),
        "posting_codes": [
            {"code": c.code, "kind": c.kind, "description": c.description, "active": c.active}
            for c in session.exec(select(PostingCode).where(col(PostingCode.standard).is_(False))
                                  .order_by(PostingCode.code)).all()],
        "compliance_edits": admin_rule_documents(session),
    }


def _payer_entry(p: payers.PayerView) -> dict[str, Any]:
    return {"code": p.code, "name": p.name, "insurance_class": p.insurance_class.value,
            "inbound_ids": list(p.inbound_ids), "outbound_id": p.outbound_id, "active": p.active}


def _level_entry(level: PayerRuleLevel | RuleLevelDraft) -> dict[str, Any]:
    return {name: getattr(level, name) for name in LEVEL_FIELDS}


def _rule_entries(session: Session, codes: dict[int | None, str]) -> list[dict[str, Any]]:
    levels: dict[int, dict[str, PayerRuleLevel]] = {}
    for row in session.exec(select(PayerRuleLevel)).all():
        levels.setdefault(row.rule_id, {})[row.level] = row
    entries = []
    for rule in session.exec(select(PayerRule)).all():
        mine = levels.get(rule.id or 0, {})
        entries.append({
            "inbound_id": rule.inbound_id, "payer_code": codes[rule.payer_id],
            "description": rule.description,
            "levels": {lvl.value: _level_entry(mine[lvl.value]) for lvl in PayerLevel
                       if lvl.value in mine},
            "active": rule.active,
        })
    return sorted(entries, key=lambda e: (e["inbound_id"], e["payer_code"]))


def _override_entry(o: CarcOverride, codes: dict[int | None, str]) -> dict[str, Any]:
    return {"payer_code": codes[o.payer_id], "carc": o.carc, "group": o.group_code,
            "excluded": o.excluded, "active": o.active}


def _connection_entry(c: PayerConnection, codes: dict[int | None, str]) -> dict[str, Any]:
    settings = settings_from_dict(c.gateway_type, json.loads(c.settings or "{}"))
    return {"payer_code": codes[c.payer_id], "name": c.name, "gateway_type": c.gateway_type,
            "endpoint": c.endpoint, "submitter_id": c.submitter_id, "receiver_id": c.receiver_id,
            "compliance_rules": json.loads(c.compliance_rules), "active": c.active,
            "usage": c.usage, "poll_minutes": c.poll_minutes,
            settings_key(c.gateway_type): settings.to_dict()}


# -- reading the document's shape ------------------------------------------------------------


class _Problems:
    """Problems by path, the first one per path kept."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, path: str, problem: str) -> None:
        self.errors.setdefault(path, problem)

    def add_all(self, prefix: str, problems: Mapping[str, str]) -> None:
        for key, problem in problems.items():
            self.add(f"{prefix}.{key}", problem)

    def in_document_order(self) -> dict[str, str]:
        """Section by section, entry by entry, as a reader goes through the document."""
        found = list(self.errors)

        def key(path: str) -> tuple[int, int, int]:
            match = re.match(r"^(\w+)(?:\[(\d+)\])?", path)
            section, index = (match.group(1), match.group(2)) if match else ("", None)
            rank = SECTIONS.index(section) if section in SECTIONS else -1
            return rank, int(index) if index is not None else -1, found.index(path)

        return {path: self.errors[path] for path in sorted(found, key=key)}


_FALLBACK: dict[str, Any] = {"levels": {}}


def _shape(problems: _Problems, path: str, value: Any, spec: str) -> dict[str, Any] | None:
    """The entry with absent keys at their defaults and types checked, or None when it is not
    an object. A value of the wrong type is reported and replaced, so checking goes on."""
    if not isinstance(value, dict):
        problems.add(path, "must be an object")
        return None
    required, optional = _SPEC[spec]
    known = (*required, *optional)
    for key in value:
        if key in known:
            continue
        if spec == "connections" and str(key).lower() in _KEY_WORDS:
            problems.add(f"{path}.{key}", "API keys are never imported from a document; "
                         "set the key in Insurance Payers")
        else:
            problems.add(f"{path}.{key}", f"unknown key (expected {', '.join(known)})")
    entry: dict[str, Any] = {}
    for key in known:
        fallback = optional[key] if key in optional else _FALLBACK.get(key, "")
        if key not in value and key in required:
            problems.add(f"{path}.{key}", "required")
            entry[key] = fallback
            continue
        entry[key] = _typed(problems, f"{path}.{key}", key, value.get(key, fallback), fallback)
    return entry


def _typed(problems: _Problems, path: str, key: str, raw: Any, fallback: Any) -> Any:
    if key == "levels":
        return raw  # checked level by level
    if raw is None and key in _NULLABLE:
        return None
    if key in _OBJECTS:
        if isinstance(raw, dict):
            return raw  # checked against its gateway type
        problems.add(path, "must be an object")
        return None
    if key == "poll_minutes":
        return raw  # checked with the connection
    if key in _BOOLS:
        if isinstance(raw, bool):
            return raw
        problems.add(path, "must be true or false")
        return fallback
    if key in _LISTS:
        if isinstance(raw, list) and all(isinstance(v, str) for v in raw):
            for value in raw:
                _refuse_unsafe(problems, path, value)
            return list(raw)
        problems.add(path, "must be a list of text values")
        return list(fallback)
    if key == "carc" and isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)  # 45 and "45" mean the same reason code
    if isinstance(raw, str):
        _refuse_unsafe(problems, path, raw)
        return raw
    problems.add(path, "must be text" + (" or null" if key in _NULLABLE else ""))
    return fallback if fallback is not None else ""


def _refuse_unsafe(problems: _Problems, path: str, value: str) -> None:
    """Names, IDs and descriptions are shown on screens and in files sent to payers: no
    control characters (NUL, ESC, BEL, CR, LF...), no direction overrides, no lone surrogates."""
    found = unsafe_characters(value)
    if found:
        problems.add(path, f"contains {', '.join(found)}: control characters and invisible "
                           "direction marks are not allowed")


def _shape_levels(problems: _Problems, path: str, value: Any) -> dict[PayerLevel, RuleLevelDraft]:
    """The levels that could be read; each missing or unreadable one is reported."""
    names = [lvl.value for lvl in PayerLevel]
    if not isinstance(value, dict):
        problems.add(path, f"must be an object with {', '.join(names)}")
        return {}
    for key in value:
        if key not in names:
            problems.add(f"{path}.{key}", f"unknown Payer Level (expected {', '.join(names)})")
    levels: dict[PayerLevel, RuleLevelDraft] = {}
    for level in PayerLevel:
        if level.value not in value:
            problems.add(f"{path}.{level.value}",
                         "required: all three Payer Levels must be filled in")
            continue
        entry = _shape(problems, f"{path}.{level.value}", value[level.value], "level")
        if entry is not None:
            for choice in ("insurance_adjustments", "insurance_balance", "patient_balance"):
                entry[choice] = _lower(entry[choice])
            levels[level] = RuleLevelDraft(**entry)
    return levels


def _lower(value: Any) -> Any:
    """Choices are case-blind in a document: "Post", "post" and " POST " mean the same."""
    return value.strip().lower() if isinstance(value, str) else value


# -- the document, checked -------------------------------------------------------------------


@dataclass
class _Doc:
    codes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    payers: list[tuple[str, payers.PayerDraft]] = field(default_factory=list)
    rules: list[tuple[str, str, RuleDraft]] = field(default_factory=list)  # path, payer code
    overrides: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    connections: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    edits: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def _read_document(doc: Any, problems: _Problems) -> _Doc:
    parsed = _Doc()
    if not isinstance(doc, dict):
        problems.add("document", "must be a JSON object with " + ", ".join(SECTIONS))
        return parsed
    for key in doc:
        if key not in SECTIONS:
            problems.add(str(key), f"unknown section (expected {', '.join(SECTIONS)})")
    for section in SECTIONS:
        items = doc.get(section, [])
        if not isinstance(items, list):
            problems.add(section, "must be a list")
            continue
        for i, item in enumerate(items):
            path = f"{section}[{i}]"
            if section == "compliance_edits":  # its shape: core.edits.rule_from_data
                _read_edit(problems, path, item, parsed)
                continue
            entry = _shape(problems, path, item, section)
            if entry is None:
                continue
            if section == "rules":
                levels = _shape_levels(problems, f"{path}.levels", entry["levels"])
                parsed.rules.append((path, entry["payer_code"].strip().upper(), RuleDraft(
                    entry["inbound_id"].strip(), None, entry["description"].strip(), levels,
                    entry["active"])))
            elif section == "payers":
                parsed.payers.append((path, payers.PayerDraft(
                    entry["code"].strip().upper(), entry["name"].strip(),
                    _lower(entry["insurance_class"]), entry["outbound_id"].strip(),
                    sorted({v.strip() for v in entry["inbound_ids"] if v.strip()}),
                    entry["active"])))
            elif section == "posting_codes":
                parsed.codes.append((path, entry))
            elif section == "carc_overrides":
                parsed.overrides.append((path, entry))
            else:
                parsed.connections.append((path, entry))
    return parsed


def _read_edit(problems: _Problems, path: str, item: Any, parsed: _Doc) -> None:
    try:
        rule = rule_from_data(item)
    except RuleError as exc:
        for key, problem in exc.problems.items():
            problems.add(f"{path}.{key}" if key else path, problem)
        return
    seen = {entry["id"] for _, entry in parsed.edits}
    if rule.id in seen:
        problems.add(f"{path}.id", f"{rule.id} is defined twice")
        return
    parsed.edits.append((path, dict(item)))


def _first_seen(problems: _Problems, path: str, key: Any, seen: dict[Any, str], what: str) -> bool:
    """False (and a problem) when ``key`` was already used by an earlier entry."""
    if key in seen:
        problems.add(path, f"duplicate of {seen[key]} ({what})")
        return False
    seen[key] = path
    return True


class _Checker:
    """Checks the document against the database as it will be once the document is applied."""

    def __init__(self, session: Session, doc: _Doc, problems: _Problems) -> None:
        self.session, self.doc, self.problems = session, doc, problems
        self.db_payers = {p.code: p for p in payers.payers_in(session)}
        self.final_codes: dict[str, CodeView] = codes_in(session)
        self.doc_payers: dict[str, tuple[str, payers.PayerDraft]] = {}
        self.owner: dict[str, str] = {}  # Inbound ID -> payer code, once applied
        self.owner_path: dict[str, str] = {}  # Inbound ID -> the payers[i] that attaches it

    def run(self) -> None:
        self.check_codes()
        self.check_payers()
        self.check_rules()
        self.check_overrides()
        self.check_connections()

    def payer_known(self, code: str) -> bool:
        return code in self.doc_payers or code in self.db_payers

    def check_codes(self) -> None:
        seen: dict[str, str] = {}
        for path, entry in self.doc.codes:
            code = normalize_code(entry["code"])
            errors = code_fields_problems(entry["code"], entry["kind"], entry["description"])
            self.problems.add_all(path, errors)
            if errors or not _first_seen(self.problems, path, code, seen, f"code {code}"):
                continue
            existing = self.final_codes.get(code)
            if existing is not None and existing.standard:
                self.problems.add(f"{path}.code", f"{code} is a standard code; only custom "
                                  "codes belong in posting_codes")
                continue
            self.final_codes[code] = CodeView(code, CodeKind(entry["kind"]),
                                              entry["description"].strip(), False, entry["active"])

    def check_payers(self) -> None:
        for value, row in ((r.value, r) for r in self.session.exec(select(PayerInboundId)).all()):
            payer = self.session.get(Payer, row.payer_id)
            self.owner[value] = payer.code if payer else ""
        seen: dict[str, str] = {}
        for path, draft in self.doc.payers:
            errors = payers.payer_field_problems(draft)
            self.problems.add_all(path, errors)
            if "code" in errors or not _first_seen(self.problems, path, draft.code, seen,
                                                   f"payer {draft.code}"):
                continue
            self.doc_payers[draft.code] = (path, draft)
        # Inbound IDs a listed payer no longer lists are released before any is attached.
        for code, (_, draft) in self.doc_payers.items():
            for value in [v for v, owner in self.owner.items() if owner == code]:
                if value not in draft.inbound_ids:
                    del self.owner[value]
        for code, (path, draft) in self.doc_payers.items():
            for value in draft.inbound_ids:
                owner = self.owner.get(value)
                if owner is not None and owner != code:
                    where = self.owner_path.get(value) or (
                        self.doc_payers[owner][0] if owner in self.doc_payers
                        else "in this database")
                    self.problems.add(f"{path}.inbound_ids",
                                      f"Inbound ID {value} already belongs to payer {owner} "
                                      f"({where})")
                    continue
                self.owner[value] = code
                self.owner_path[value] = path

    def check_rules(self) -> None:
        seen: dict[tuple[str, str], str] = {}
        listed: set[tuple[str, str]] = set()
        for path, payer_code, draft in self.doc.rules:
            key = (draft.inbound_id, payer_code)
            listed.add(key)
            problem = payers.inbound_id_problem(draft.inbound_id)
            if problem:
                self.problems.add(f"{path}.inbound_id", problem)
            if not payer_code:
                self.problems.add(f"{path}.payer_code", "required")
            elif not self.payer_known(payer_code):
                self.problems.add(f"{path}.payer_code", f'unknown payer "{payer_code}" (not in '
                                  "this document's payers nor in the database)")
            if len(draft.description) > 200:
                self.problems.add(f"{path}.description", "200 characters at most")
            for level, settings in draft.levels.items():  # missing levels are reported already
                self.problems.add_all(f"{path}.levels.{level.value}",
                                      level_problems(settings, self.final_codes, draft.active))
            if problem or not payer_code:
                continue
            _first_seen(self.problems, path, key, seen,
                        f"Inbound ID {draft.inbound_id} + {payer_code}")
        self.check_rules_left_as_they_are(listed)

    def check_rules_left_as_they_are(self, listed: set[tuple[str, str]]) -> None:
        """Rules already in the database and not in the document must stay valid too."""
        code_paths = {normalize_code(e["code"]): p for p, e in self.doc.codes}
        for view in _db_rules(self.session):
            if (view["inbound_id"], view["payer_code"]) in listed:
                continue
            label = f'{view["inbound_id"]} + {view["payer_code"]}'
            for level in view["levels"].values():
                for name, kind in (("payment_code", CodeKind.PAYMENT),
                                   ("adjustment_code", CodeKind.ADJUSTMENT),
                                   ("patient_adjustment_code", CodeKind.ADJUSTMENT)):
                    code = level[name]
                    if code not in code_paths:
                        continue
                    final = self.final_codes[code]
                    if final.kind is not kind:
                        self.problems.add(f"{code_paths[code]}.kind", f"{code} is used as "
                                          f"{kind.value} code by the rule {label}")
                    elif view["active"] and not final.active:
                        self.problems.add(f"{code_paths[code]}.active",
                                          f"{code} is used by the active rule {label}")

    def check_overrides(self) -> None:
        seen: dict[tuple[str, str, str], str] = {}
        for path, entry in self.doc.overrides:
            payer_code = entry["payer_code"].strip().upper()
            self._known_payer(f"{path}.payer_code", payer_code)
            bad = False
            for key, problem in (("carc", carc_problem(entry["carc"])),
                                 ("group", group_problem(entry["group"] or ""))):
                if problem:
                    self.problems.add(f"{path}.{key}", problem)
                    bad = True
            if not bad:
                carc, group = normalize_carc(entry["carc"]), (entry["group"] or "").strip().upper()
                label = f"{payer_code} {group + '-' if group else ''}{carc}"
                _first_seen(self.problems, path, (payer_code, carc, group), seen, label)

    def check_connections(self) -> None:
        seen: dict[tuple[str, str], str] = {}
        for path, entry in self.doc.connections:
            payer_code = entry["payer_code"].strip().upper()
            self._known_payer(f"{path}.payer_code", payer_code)
            name = entry["name"].strip()
            if not name:
                self.problems.add(f"{path}.name", "required")
            elif len(name) > 80:
                self.problems.add(f"{path}.name", "80 characters at most")
            else:
                _first_seen(self.problems, path, (payer_code, name), seen,
                            f"{payer_code} / {name}")
            if entry["gateway_type"] not in {g.value for g in GatewayType}:
                self.problems.add(f"{path}.gateway_type", 'must be "https", "sftp" or '
                                  '"clearinghouse"')
            else:
                problem = endpoint_problem(entry["gateway_type"], entry["endpoint"])
                if problem:
                    self.problems.add(f"{path}.endpoint", problem)
                self.check_settings(path, entry)
            entry["usage"] = _lower(entry["usage"])
            if entry["usage"] not in {u.value for u in Usage}:
                self.problems.add(f"{path}.usage", 'must be "test" or "production"')
            problem = poll_minutes_problem(entry["poll_minutes"])
            if problem:
                self.problems.add(f"{path}.poll_minutes", problem)
            for key in ("submitter_id", "receiver_id"):
                problem = x12_id_problem(entry[key].strip())
                if problem:
                    self.problems.add(f"{path}.{key}", problem)
            for rule in entry["compliance_rules"]:
                problem = compliance_rule_problem(rule)
                if problem:
                    self.problems.add(f"{path}.compliance_rules", problem)
                    break

    def check_settings(self, path: str, entry: dict[str, Any]) -> None:
        """The object of the entry's gateway type is checked; the other one is refused."""
        wanted = settings_key(entry["gateway_type"])
        other = "https" if wanted == "sftp" else "sftp"
        if entry[other] is not None:
            self.problems.add(f"{path}.{other}", f'a {entry["gateway_type"]} connection has an '
                              f'"{wanted}" object, not "{other}"')
        if entry[wanted] is not None:
            _, problems = parse_settings(entry["gateway_type"], entry[wanted], partial=True)
            for key, problem in problems.items():
                self.problems.add(f"{path}.{wanted}.{key}" if key else f"{path}.{wanted}",
                                  problem)

    def _known_payer(self, path: str, code: str) -> None:
        if not code:
            self.problems.add(path, "required")
        elif not self.payer_known(code):
            self.problems.add(path, f'unknown payer "{code}" (not in this document\'s payers '
                              "nor in the database)")


def _db_rules(session: Session) -> list[dict[str, Any]]:
    codes = {p.id: p.code for p in session.exec(select(Payer)).all()}
    return _rule_entries(session, codes)


# -- import ----------------------------------------------------------------------------------


def check_config(store: Store, doc: Any) -> dict[str, str]:
    """Every problem with the document, by path; empty when it can be imported."""
    with store.read() as session:
        return _check(session, doc)[1]


def _check(session: Session, doc: Any) -> tuple[_Doc, dict[str, str]]:
    problems = _Problems()
    parsed = _read_document(doc, problems)
    _Checker(session, parsed, problems).run()
    return parsed, problems.in_document_order()


def import_config(store: Store, actor: Actor, doc: Any) -> ConfigImportReport:
    """Check the whole document, then apply it in one write transaction (admin only).

    Raises ValidationFailed with every problem by path, and changes nothing, when the document
    has any problem."""
    actor.require_admin("Configuration import")
    with store.write() as session:
        parsed, errors = _check(session, doc)
        if errors:
            raise ValidationFailed(errors)
        report = ConfigImportReport()
        _Applier(session, actor, parsed, report).run()
        if report.any_change:
            audit.record(session, actor.login, "config", None, "configuration document",
                         "imported", report.as_json())
    return report


class _Applier:
    """Applies a checked document; each service re-checks its own entry against the session."""

    def __init__(self, session: Session, actor: Actor, doc: _Doc, report: ConfigImportReport):
        self.session, self.actor, self.doc, self.report = session, actor, doc, report

    def run(self) -> None:
        self.apply_codes()
        self.apply_payers()
        payer_ids = {p.code: p.id for p in self.session.exec(select(Payer)).all()}
        self.apply_rules(payer_ids)
        self.apply_overrides(payer_ids)
        self.apply_connections(payer_ids)
        self.apply_edits()

    def apply_edits(self) -> None:
        for _path, entry in self.doc.edits:
            rule_id, changed = save_admin_rule(self.session, entry, audit.now())
            if not changed:
                self.count("compliance_edits", None)
                continue
            self.count("compliance_edits", "changed")
            audit.record(self.session, self.actor.login, "compliance_edit", None, rule_id,
                         "saved", {"definition": [None, entry]})

    def count(self, section: str, action: str | None) -> None:
        if action is None:
            self.report.unchanged += 1
        elif action == "created":
            self.report.created[section] += 1
        else:
            self.report.changed[section] += 1

    def guarded(self, path: str, write: Callable[[], str | None]) -> str | None:
        """Run one service write; its field problems are named under the entry's path."""
        try:
            return write()
        except ValidationFailed as failed:
            raise ValidationFailed({f"{path}.{k}": v for k, v in failed.errors.items()}) from None

    def apply_codes(self) -> None:
        for path, entry in self.doc.codes:
            row = self.session.get(PostingCode, normalize_code(entry["code"]))
            if row is not None and (row.kind, row.description, row.active) == (
                    entry["kind"], entry["description"].strip(), entry["active"]):
                self.count("posting_codes", None)
                continue
            self.count("posting_codes", self.guarded(path, lambda e=entry: write_code(
                self.session, self.actor, e["code"], e["kind"], e["description"], e["active"])))

    def apply_payers(self) -> None:
        current = {p.code: p for p in payers.payers_in(self.session)}
        wanted_by = {v: d.code for _, d in self.doc.payers for v in d.inbound_ids}
        moved: set[str] = set()
        # Release Inbound IDs moving to another payer of the document first, so they can attach.
        for path, draft in self.doc.payers:
            view = current.get(draft.code)
            if view is None:
                continue
            leaving = {v for v in view.inbound_ids
                       if v not in draft.inbound_ids and wanted_by.get(v, draft.code) != draft.code}
            if leaving:
                kept = payers.PayerDraft(view.code, view.name, view.insurance_class.value,
                                         view.outbound_id,
                                         [v for v in view.inbound_ids if v not in leaving],
                                         view.active)
                self.guarded(path, lambda d=kept, i=view.id: self._save_payer(d, i))
                moved.add(draft.code)
        current = {p.code: p for p in payers.payers_in(self.session)}
        for path, draft in self.doc.payers:
            view = current.get(draft.code)
            if view is not None and _payer_entry(view) == _draft_entry(draft):
                self.count("payers", "changed" if draft.code in moved else None)
                continue
            self.guarded(path, lambda d=draft, i=(view.id if view else None): self._save_payer(d, i))
            self.count("payers", "created" if view is None else "changed")

    def _save_payer(self, draft: payers.PayerDraft, payer_id: int | None) -> str | None:
        payers.save_payer(self.session, self.actor, draft, payer_id)
        return None

    def apply_rules(self, payer_ids: dict[str, int | None]) -> None:
        existing = {(r.inbound_id, r.payer_id): r for r in self.session.exec(select(PayerRule))}
        entries = {(e["inbound_id"], e["payer_code"]): e for e in _db_rules(self.session)}
        for path, payer_code, draft in self.doc.rules:
            draft.payer_id = payer_ids[payer_code]
            row = existing.get((draft.inbound_id, draft.payer_id))
            if row is not None and entries[(draft.inbound_id, payer_code)] == _rule_entry(
                    draft, payer_code):
                self.count("rules", None)
                continue
            rule_id = row.id if row else None
            self.count("rules", self.guarded(path, lambda d=draft, i=rule_id: write_rule(
                self.session, self.actor, d, i)[1]))

    def apply_overrides(self, payer_ids: dict[str, int | None]) -> None:
        existing = {(o.payer_id, o.carc, o.group_code): o
                    for o in self.session.exec(select(CarcOverride))}
        for path, entry in self.doc.overrides:
            payer_id = payer_ids[entry["payer_code"].strip().upper()]
            assert payer_id is not None
            carc, group = normalize_carc(entry["carc"]), (entry["group"] or "").strip().upper()
            row = existing.get((payer_id, carc, group))
            if row is not None and (row.excluded, row.active) == (entry["excluded"],
                                                                   entry["active"]):
                self.count("carc_overrides", None)
                continue
            override_id = row.id if row else None

            def write(i: int = payer_id, c: str = carc, g: str = group, e: dict = entry,
                      o: int | None = override_id) -> str | None:
                return write_override(self.session, self.actor, i, c, g, e["excluded"],
                                      e["active"], o)[1]

            self.count("carc_overrides", self.guarded(path, write))

    def apply_connections(self, payer_ids: dict[str, int | None]) -> None:
        existing = {(c.payer_id, c.name): c for c in self.session.exec(select(PayerConnection))}
        for path, entry in self.doc.connections:
            code = entry["payer_code"].strip().upper()
            draft = ConnectionDraft(payer_ids[code], entry["name"].strip(), entry["gateway_type"],
                                    entry["endpoint"].strip(), entry["submitter_id"].strip(),
                                    entry["receiver_id"].strip(), list(entry["compliance_rules"]),
                                    entry["active"], entry["usage"], entry["poll_minutes"],
                                    entry[settings_key(entry["gateway_type"])])
            row = existing.get((draft.payer_id, draft.name))
            self.count("connections", self.guarded(
                path, lambda d=draft, r=row, c=code: self._write_connection(d, r, c)))

    def _write_connection(self, draft: ConnectionDraft, row: PayerConnection | None,
                          payer_code: str) -> str | None:
        """Create or change a connection's fields; its key (if any) is left as it is."""
        errors = validate_connection(self.session, draft, None, row.id if row else None)
        if errors:
            raise ValidationFailed(errors)
        values: dict[str, Any] = {
            key: value for key, value in connection_values(
                self.session, draft, row.id if row else None).items()
            if key not in ("payer_id", "name")}
        before = {k: getattr(row, k) for k in values} if row else {}
        changes: dict[str, Any] = audit.diff(before, values)
        settings_changes(changes, draft.gateway_type)
        if not changes:
            return None
        now = audit.now()
        if row is None:
            row = PayerConnection(payer_id=draft.payer_id, name=draft.name, created_at=now,
                                  updated_at=now, **values)
        else:
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = now
        self.session.add(row)
        self.session.flush()
        if "compliance_rules" in changes:
            old, new = changes["compliance_rules"]
            changes["compliance_rules"] = [json.loads(old) if old else None, json.loads(new)]
        action = "created" if not before else "changed"
        audit.record(self.session, self.actor.login, "connection", row.id,
                     f"{payer_code} / {draft.name}", action, changes)
        return action


def _draft_entry(draft: payers.PayerDraft) -> dict[str, Any]:
    return {"code": draft.code, "name": draft.name, "insurance_class": draft.insurance_class,
            "inbound_ids": sorted(draft.inbound_ids), "outbound_id": draft.outbound_id,
            "active": draft.active}


def _rule_entry(draft: RuleDraft, payer_code: str) -> dict[str, Any]:
    return {"inbound_id": draft.inbound_id, "payer_code": payer_code,
            "description": draft.description,
            "levels": {lvl.value: _level_entry(draft.levels[lvl].normalized())
                       for lvl in PayerLevel},
            "active": draft.active}
