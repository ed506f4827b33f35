"""The compliance catalogue at rest: pctui's own edits, administrators' edits, and which
connections list which (SPEC 6).

An administrator adds an edit as data in the config document (``compliance_edits``; the shape is
:func:`pctui.core.edits.rule_from_data`); it is stored here and runs for every connection that
lists its id in ``compliance_rules``. An id a connection lists that names no edit (typed before
the catalogue existed, or an edit pctui cannot run, such as NCCI) is shown as an unknown rule and
ignored — never dropped from the connection.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from pctui.core.edits import CATALOGUE, Rule, RuleError, RuleSet, rule_from_data, rules_for
from pctui.store.db import Store
from pctui.store.tables import ComplianceRule, PayerConnection


def admin_rules(session: Session, *, active_only: bool = True) -> list[Rule]:
    """Administrators' edits in id order (an unreadable stored one is skipped, never run)."""
    query = select(ComplianceRule).order_by(ComplianceRule.id)
    if active_only:
        query = query.where(ComplianceRule.active == True)  # noqa: E712
    rules = []
    for row in session.exec(query):
        try:
            rules.append(rule_from_data(json.loads(row.definition)))
        except (RuleError, ValueError):
            continue
    return rules


def unknown_rule_ids(store: Store, identifiers: list[str], keep: tuple[str, ...] = ()
                     ) -> list[str]:  # fmt: skip
    """The identifiers that name no edit of the catalogue (pctui's or an administrator's),
    leaving out those in ``keep`` (a connection's older labels, kept as unknown rules)."""
    with store.read() as session:
        known = {rule.id for rule in CATALOGUE}
        known |= {rule.id for rule in admin_rules(session, active_only=False)}
    return [i for i in identifiers if i not in known and i not in keep]


def rules_for_connection(session: Session, connection: PayerConnection,
                         extra: list[Rule] | None = None) -> RuleSet:  # fmt: skip
    """The edits that run for claims sent through ``connection``."""
    listed = json.loads(connection.compliance_rules or "[]")
    return rules_for(listed, admin_rules(session) if extra is None else extra)


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    rule: Rule
    connections: tuple[str, ...]  # names of the active connections that list it
    active: bool = True

    def to_json(self) -> dict[str, Any]:
        return {**self.rule.to_json(), "connections": list(self.connections),
                "active": self.active}  # fmt: skip


@dataclass(slots=True)
class Catalogue:
    entries: list[CatalogueEntry] = field(default_factory=list)
    # identifiers connections list that name no edit: id -> connection names
    unknown: dict[str, list[str]] = field(default_factory=dict)


def catalogue(store: Store) -> Catalogue:
    """Every edit pctui can run, with the connections listing it, and the unknown ids."""
    with store.read() as session:
        connections = session.exec(
            select(PayerConnection).where(PayerConnection.active == True)  # noqa: E712
        ).all()
        admin = {r.id: r for r in admin_rules(session, active_only=False)}
        inactive = {row.id for row in session.exec(
            select(ComplianceRule).where(ComplianceRule.active == False))}  # noqa: E712  # fmt: skip
    listed: dict[str, list[str]] = {}
    for connection in connections:
        for identifier in json.loads(connection.compliance_rules or "[]"):
            listed.setdefault(identifier, []).append(connection.name)
    result = Catalogue()
    for rule in (*CATALOGUE, *admin.values()):
        users = tuple(sorted(listed.pop(rule.id, [])))
        result.entries.append(CatalogueEntry(rule, users, rule.id not in inactive))
    result.unknown = {k: sorted(v) for k, v in sorted(listed.items())}
    return result


def save_admin_rule(session: Session, data: dict[str, Any], at: datetime) -> tuple[str, bool]:
    """Create or update an administrator's edit in the caller's transaction.

    Returns (id, changed). Raises :class:`RuleError` naming each problem.
    """
    rule = rule_from_data(data)
    definition = json.dumps({k: v for k, v in data.items() if k != "active"}, sort_keys=True)
    active = bool(data.get("active", True))
    row = session.get(ComplianceRule, rule.id)
    if row is None:
        session.add(ComplianceRule(id=rule.id, definition=definition, active=active,
                                   updated_at=at))  # fmt: skip
        return rule.id, True
    if row.definition == definition and row.active == active:
        return rule.id, False
    row.definition, row.active, row.updated_at = definition, active, at
    session.add(row)
    return rule.id, True


def admin_rule_documents(session: Session) -> list[dict[str, Any]]:
    """Administrators' edits as the config document exports them."""
    out = []
    for row in session.exec(select(ComplianceRule).order_by(ComplianceRule.id)):
        data = json.loads(row.definition)
        data["active"] = row.active
        out.append(data)
    return out
