"""Scrubbing claims: every compliance edit that applies, and pyx12 on the file they make.

For each claim pctui finds where it goes (the payer it is billed to — loop 2000B — and that
payer's active connection), runs the edits of :func:`pctui.store.compliance.rules_for_connection`
on the claim as it will be written, then writes the claims of each connection into one 837P
(with that connection's envelope) and runs pyx12's 5010 validation on it: a problem in a claim's
segments fails that claim's SNIP 1 (syntax) or SNIP 2 (implementation guide) edit, with the loop,
segment and element. A claim that fails a *hold* edit is held; a held or rejected claim that now
passes every hold edit is ready again. Each change is recorded with the edits that caused it.

Claims that cannot be routed are held by ``ROUTING`` (payer not set up, no active connection,
several connections and none chosen, a connection without submitter or receiver ID).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from pctui.core.claim import Claim as ClaimModel
from pctui.core.claim_status import OPEN, ClaimStatus, after_check
from pctui.core.codes import PayerLevel
from pctui.core.edits import (
    EditFailure,
    EditSeverity,
    Location,
    Rule,
    check_claim,
)
from pctui.store import audit
from pctui.store.claim_status import Change, set_status
from pctui.store.claims import PayerBook, load_claims
from pctui.store.compliance import admin_rules, rules_for_connection
from pctui.store.db import Store
from pctui.store.tables import Claim, Payer, PayerConnection
from pctui.store.users import Actor
from pctui.x12.validate837 import ValidationProblem, validate_837
from pctui.x12.write837 import Envelope, Write837Error, Written837, claim_view, write_837

ROUTING = "ROUTING"
_PAYER_COLUMN = {
    PayerLevel.PRIMARY: "primary_payer_id",
    PayerLevel.SECONDARY: "secondary_payer_id",
    PayerLevel.TERTIARY: "tertiary_payer_id",
}
# Told after each step: (done, total, what).
CheckProgress = Callable[[int, int, str], None]


@dataclass(slots=True)
class ClaimCheck:
    """One claim after its edits ran: where it goes, what failed, and its status now."""

    pk: int
    claim_id: str
    status: ClaimStatus
    connection: str | None = None
    connection_id: int | None = None
    failures: list[EditFailure] = field(default_factory=list)
    unknown_rules: tuple[str, ...] = ()
    claim: ClaimModel | None = None
    found_payer: tuple[str, int] | None = None

    @property
    def holds(self) -> list[EditFailure]:
        return [f for f in self.failures if f.severity is EditSeverity.HOLD]

    @property
    def warnings(self) -> list[EditFailure]:
        return [f for f in self.failures if f.severity is EditSeverity.WARN]

    @property
    def reason(self) -> str:
        holds = self.holds
        if not holds:
            return ""
        more = f" (and {len(holds) - 1} more)" if len(holds) > 1 else ""
        return holds[0].text + more

    def to_json(self) -> dict[str, Any]:
        return {"claim_id": self.claim_id, "status": self.status.value,
                "connection": self.connection, "edits": [f.to_json() for f in self.failures],
                "unknown_rules": list(self.unknown_rules)}  # fmt: skip


@dataclass(slots=True)
class CheckRun:
    checks: list[ClaimCheck]
    missing: list[str] = field(default_factory=list)  # claim ids asked for and not on file
    not_open: list[tuple[str, ClaimStatus]] = field(default_factory=list)  # already sent on


@dataclass(slots=True)
class _Route:
    connection: PayerConnection | None
    problem: str | None = None
    # (column, payer pk) when the claim's payer was set up after the claim was imported: the
    # payer as the claim names it matches one now, and the check records it on the claim.
    found_payer: tuple[str, int] | None = None


def check_claims(
    store: Store,
    actor: Actor,
    claim_ids: Sequence[str] | None = None,
    *,
    connection: str | None = None,
    record: bool = True,
    progress: CheckProgress | None = None,
) -> CheckRun:
    """Run the edits on open claims (``claim_ids``, else every ready, held or rejected claim).

    With ``record`` the statuses move (ready <-> held) in one write transaction; claims another
    session submitted meanwhile are left alone.
    """
    with store.read() as session:
        run, routes, claims = _load(session, claim_ids, connection)
        extra = admin_rules(session)
        rule_sets = {cid: rules_for_connection(session, row, extra)
                     for cid, row in _connections(routes).items()}  # fmt: skip
    for n, check in enumerate(run.checks, start=1):
        route = routes[check.pk]
        claim = claims[check.pk]
        check.claim = claim
        if route.connection is None:
            check.failures.append(_routing(route.problem or "no connection"))
            continue
        check.connection, check.connection_id = route.connection.name, route.connection.id
        rule_set = rule_sets[route.connection.id]  # type: ignore[index]
        check.unknown_rules = rule_set.unknown
        if route.problem:
            check.failures.append(_routing(route.problem))
        check.failures.extend(check_claim(claim, claim_view(claim), rule_set.rules))
        if progress and n % 200 == 0:
            progress(n, len(run.checks), "edits")
    _validate_files(run.checks, routes, rule_sets, progress)
    for check in run.checks:
        check.status = after_check(check.status, bool(check.holds))
    if record:
        _record(store, actor, run.checks)
    return run


def _routing(problem: str) -> EditFailure:
    return EditFailure(ROUTING, problem, Location("2010BB", "NM1*PR", "09"))


def _connections(routes: dict[int, _Route]) -> dict[int, PayerConnection]:
    return {r.connection.id: r.connection for r in routes.values()
            if r.connection is not None and r.connection.id is not None}  # fmt: skip


def _load(
    session: Session, claim_ids: Sequence[str] | None, connection_name: str | None
) -> tuple[CheckRun, dict[int, _Route], dict[int, ClaimModel]]:
    query = select(Claim)
    run = CheckRun([])
    if claim_ids:
        wanted = list(dict.fromkeys(c.strip() for c in claim_ids))
        rows = session.exec(query.where(col(Claim.claim_id).in_(wanted))).all()
        found = {row.claim_id for row in rows}
        run.missing = [c for c in wanted if c not in found]
        rows = sorted(rows, key=lambda r: wanted.index(r.claim_id))
    else:
        rows = session.exec(query.where(col(Claim.status).in_([s.value for s in OPEN]))
                            .order_by(Claim.claim_id)).all()  # fmt: skip
    open_rows = []
    for row in rows:
        status = ClaimStatus(row.status)
        if status in OPEN:
            open_rows.append(row)
        else:
            run.not_open.append((row.claim_id, status))
    claims = load_claims(session, [r.id for r in open_rows])  # type: ignore[misc]
    chosen = _chosen_connection(session, connection_name)
    payers = {p.id: p for p in session.exec(select(Payer))}
    book = PayerBook(payers.values())
    active = session.exec(select(PayerConnection)
                          .where(PayerConnection.active == True)  # noqa: E712
                          .order_by(PayerConnection.id)).all()  # fmt: skip
    by_payer: dict[int, list[PayerConnection]] = {}
    for row in active:
        by_payer.setdefault(row.payer_id, []).append(row)
    routes: dict[int, _Route] = {}
    for row in open_rows:
        assert row.id is not None
        claim = claims[row.id]
        route = _route(row, claim, payers, by_payer, chosen, book)
        if connection_name and route.connection is not None and (
            route.connection.id != chosen.id  # type: ignore[union-attr]
        ) and not claim_ids:
            continue  # submitting through one connection: only its payer's claims
        routes[row.id] = route
        run.checks.append(ClaimCheck(row.id, row.claim_id, ClaimStatus(row.status),
                                     found_payer=route.found_payer))  # fmt: skip
    return run, routes, claims


def _chosen_connection(session: Session, name: str | None) -> PayerConnection | None:
    if not name:
        return None
    from pctui.store.errors import NotFound

    rows = session.exec(select(PayerConnection).where(PayerConnection.name == name)).all()
    live = [r for r in rows if r.active]
    if not live:
        raise NotFound(f"no active connection named '{name}'" + (
            " (it is deactivated)" if rows else ""))  # fmt: skip
    return live[0]


def billed_level(claim: ClaimModel) -> PayerLevel:
    """The level of the payer the claim is billed to (its 2000B SBR01)."""
    level = claim.subscriber.level if claim.subscriber is not None else None
    return level or PayerLevel.PRIMARY


def _route(row: Claim, claim: ClaimModel, payers: dict[int | None, Payer],
           by_payer: dict[int, list[PayerConnection]],
           chosen: PayerConnection | None, book: PayerBook) -> _Route:  # fmt: skip
    level = billed_level(claim)
    payer_pk = getattr(row, _PAYER_COLUMN[level])
    written = claim.payers.get(level)
    named = f"'{written.name}'" if written and written.name else "the payer"
    found: tuple[str, int] | None = None
    if payer_pk is None and written is not None and (written.name or written.payer_id):
        # Imported before its payer was set up: the payer as the claim names it may match now.
        match = book.match(written)
        if match.payer is not None and match.payer.id is not None:
            payer_pk = match.payer.id
            found = (_PAYER_COLUMN[level], payer_pk)
        elif match.problem and "several" in match.problem:
            return _Route(chosen if chosen else None, f"The {level.value} payer {named} "
                          f"{match.problem}")
    if payer_pk is None and (written is None or not (written.name or written.payer_id)):
        return _Route(chosen if chosen else None, f"The claim names no {level.value} payer "
                      "(2010BB NM1*PR: no name, no payer ID); fix it in the EHR and import it "
                      "again")
    if payer_pk is None:
        return _Route(chosen if chosen else None, f"The {level.value} payer {named} is not set "
                      "up in pctui (Payer Rules → Payers, with its outbound ID)")
    route = _route_to(payers[payer_pk], payer_pk, by_payer, chosen)
    route.found_payer = found
    return route


def _route_to(payer: Payer, payer_pk: int, by_payer: dict[int, list[PayerConnection]],
              chosen: PayerConnection | None) -> _Route:  # fmt: skip
    if chosen is not None:
        if chosen.payer_id != payer_pk:
            return _Route(chosen, f"Connection '{chosen.name}' is not for {payer.code}, the "
                          "payer this claim is billed to")
        return _Route(chosen, _envelope_problem(chosen))
    connections = by_payer.get(payer_pk, [])
    if not connections:
        return _Route(None, f"{payer.code} has no active connection (ADMIN → Insurance Payers)")
    if len(connections) > 1:
        names = ", ".join(c.name for c in connections)
        return _Route(connections[0], f"{payer.code} has several active connections ({names});"
                      " choose one with --connection")
    return _Route(connections[0], _envelope_problem(connections[0]))


def _envelope_problem(connection: PayerConnection) -> str | None:
    missing = [what for what, value in (("submitter ID", connection.submitter_id),
                                        ("receiver ID", connection.receiver_id)) if not value]
    if missing:
        return f"Connection '{connection.name}' has no {' or '.join(missing)} (ISA06/ISA08)"
    return None


def connection_usage(connection: PayerConnection) -> str:
    """ISA15: T for a test connection, P for production (test until the connection says)."""
    usage = str(getattr(connection, "usage", "test") or "test")
    return "P" if usage.lower().startswith("p") else "T"


def envelope_for(connection: PayerConnection, payer_name: str, control: int,
                 when: Any = None) -> Envelope:  # fmt: skip
    return Envelope(
        sender_id=connection.submitter_id.strip() or "UNSET", receiver_id=(
            connection.receiver_id.strip() or "UNSET"), interchange_control=control,
        usage=connection_usage(connection), receiver_name=payer_name or connection.name,
        **({"created": when} if when is not None else {}),
    )  # fmt: skip


# -- SNIP 1 and 2: pyx12 on the file the claims make --------------------------------------------


def _validate_files(checks: list[ClaimCheck], routes: dict[int, _Route],
                    rule_sets: dict[int, Any], progress: CheckProgress | None) -> None:  # fmt: skip
    groups: dict[int, list[ClaimCheck]] = {}
    for check in checks:
        route = routes[check.pk]
        if route.connection is not None and route.connection.id is not None:
            groups.setdefault(route.connection.id, []).append(check)
    for connection_id, members in groups.items():
        connection = routes[members[0].pk].connection
        assert connection is not None
        rules = {rule.id: rule for rule in rule_sets[connection_id].rules}
        validate_claims(members, envelope_for(connection, "", 0), rules)
        if progress:
            progress(len(members), len(checks), f"validated {connection.name}")


def validate_claims(checks: list[ClaimCheck], envelope: Envelope, rules: dict[str, Rule]
                    ) -> Written837 | None:  # fmt: skip
    """Write the claims of ``checks`` into one file and add pyx12's problems to each claim."""
    writable: list[ClaimCheck] = []
    for check in checks:
        assert check.claim is not None
        if not check.claim.detailed:
            continue  # CLAIM-COMPLETE holds it already; there is nothing to write
        try:
            write_837([check.claim], envelope)
        except Write837Error as exc:
            check.failures.append(EditFailure(
                "5010-SNIP1", f"A value holds a character that separates X12 values: "
                f"{exc.problem}", Location(exc.loop, exc.segment), _severity(rules, "5010-SNIP1"),
            ))  # fmt: skip
            continue
        writable.append(check)
    if not writable:
        return None
    written = write_837([c.claim for c in writable], envelope)  # type: ignore[misc]
    by_id = {c.claim_id: c for c in writable}
    for problem in validate_837(written.text):
        position = problem.position or 0
        loop, line = written.place(position)
        if problem.loop:  # a missing loop: where it belongs, not where pyx12 noticed it
            loop, line = problem.loop, line if problem.loop.startswith("24") else None
        targets = written.claims_at(position) or tuple(by_id)
        for claim_id in targets:
            check = by_id.get(claim_id)
            if check is not None:
                check.failures.append(_validation_failure(problem, loop, line, rules))
    return written


def _severity(rules: dict[str, Rule], rule_id: str) -> EditSeverity:
    rule = rules.get(rule_id)
    return rule.severity if rule is not None else EditSeverity.HOLD


def _validation_failure(problem: ValidationProblem, loop: str, line: int | None,
                        rules: dict[str, Rule]) -> EditFailure:  # fmt: skip
    rule_id = "5010-SNIP1" if problem.syntax else "5010-SNIP2"
    return EditFailure(rule_id, problem.message, Location(loop or "", problem.segment_id,
                                                          problem.element),
                       _severity(rules, rule_id), line, problem.value)  # fmt: skip


# -- recording -----------------------------------------------------------------------------


def _record(store: Store, actor: Actor, checks: list[ClaimCheck]) -> None:
    if not checks:
        return
    now = audit.now()
    with store.write() as session:
        rows = {
            row.id: row for row in session.exec(
                select(Claim).where(col(Claim.id).in_([c.pk for c in checks])).with_for_update()
            )
        }  # fmt: skip
        for check in checks:
            row = rows.get(check.pk)
            if row is None or row.pending_submission_id is not None:
                continue
            if check.found_payer is not None:
                column, payer_pk = check.found_payer
                if getattr(row, column) is None:
                    setattr(row, column, payer_pk)
                    session.add(row)
            current = ClaimStatus(row.status)
            if current not in OPEN:
                check.status = current  # submitted meanwhile by another session
                continue
            status = after_check(current, bool(check.holds))
            check.status = status
            edits = json.dumps([f.to_json() for f in check.failures], separators=(",", ":"))
            reason = check.reason
            if status is current and (not check.holds or reason == row.status_reason):
                if edits != row.edits:
                    row.edits = edits
                    session.add(row)
                continue
            why = reason or ("Every edit passed" if current is ClaimStatus.HELD
                             else row.status_reason)  # fmt: skip
            set_status(session, check.pk, Change(status, why, "check"), actor.login, now,
                       edits=edits)  # fmt: skip
