"""Copying a whole pctui database into another one: ``pctui migrate-data SOURCE TARGET``.

The usual trip is a SQLite file to a PostgreSQL database, when a billing company moves to a
database server; the copy works between any two pctui databases (PostgreSQL back to a SQLite
file, say, for an archive).

- **Everything moves**: every table pctui has — payers, Inbound IDs, rules and their levels,
  posting codes, CARC overrides, connections, users, imported files (with their content),
  payments, findings, claims and lines, releases, the ledger, PLB, batches, the audit log, the
  database id — with its row ids, so every reference still points where it did. API keys are
  not in the database and do not move: they stay in the keyring, filed under the database id,
  which the copy keeps (see the README for where the keyring file must be named).
- **All or nothing**: the target is filled in one transaction, holding its write lock; the
  source is read in one consistent snapshot (other sessions may keep working on it; what they
  write after the copy began is not copied).
- **Only into an empty database**: a target holding any payer, claim, payment, user ... is
  refused (nothing is merged or overwritten). A new or empty target is set up by pctui's own
  migrations first; the source is brought to the same schema (as any pctui command would).
- **Checked on arrival, before it commits**: every table has as many rows as in the source, and
  every claim's charge, paid, adjusted and balance by party read back from the target equal the
  source's to the cent and satisfy charge = paid + adjusted + balances. Any difference: nothing
  is committed, and the message says which claim.
- PostgreSQL's id sequences are moved past the copied ids, so new rows get new ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, case, func, insert, select, text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from pctui.core.ledger import EntryKind
from pctui.store import audit, tables
from pctui.store.db import Store, cyclic_gc_paused
from pctui.store.users import Actor

CHUNK = 5_000  # rows read and written at a time: flat memory whatever the database's size
CLAIM_PAGE = 2_000
# Filled by opening any database (reference data): not "data" when deciding a target is empty;
# the source's rows replace them (its id, its posting codes, its control-number counter).
REFERENCE_TABLES = {"alembic_version", "meta", "postingcode", "controlcounter"}
# What "not empty" names first when refusing a target.
TELLING = ("payer", "claim", "era", "user", "payerrule", "importedfile", "ledgerentry")

TransferProgress = Callable[[str, int], None]  # (table, rows copied so far)

# What a table holds, in a biller's words: every table has its words here (a test checks),
# so the summary never shows a raw table name.
NOUNS = {
    "payer": "payers", "payerinboundid": "Inbound IDs", "payerrule": "payer rules",
    "payerrulelevel": "rule levels", "postingcode": "posting codes",
    "carcoverride": "CARC overrides", "payerconnection": "connections", "user": "users",
    "importedfile": "imported files", "era": "835 payments", "erafinding": "findings",
    "claim": "claims", "claimline": "claim lines", "release": "releases",
    "ledgerentry": "ledger entries", "plbentry": "PLB entries", "auditentry": "audit entries",
    "meta": "database facts", "batch": "batches",
    "claimposting": "posting records", "claimstatuschange": "claim status changes",
    "errorline": "error-report lines", "rework": "reworks", "claimconflict": "claim conflicts",
    "importedfilechunk": "imported file parts", "compliancerule": "compliance edits",
    "controlcounter": "control-number counters", "submission": "submissions",
    "submissionclaim": "claims in submissions", "acknowledgment": "acknowledgments",
    "acknowledgmentmatch": "acknowledgment matches", "mailboxfile": "mailbox files",
    "mailboxcursor": "mailbox positions", "mailboxrun": "polls and sends",
}


def noun(table: str) -> str:
    """A table's rows in words; a table missing from NOUNS still shows as words, never joined
    letters (``claim_thing`` -> "claim thing rows")."""
    return NOUNS.get(table) or f"{table.replace('_', ' ')} rows"


class TransferRefused(Exception):
    """The copy cannot start or did not check out; nothing was written. The message says why."""


@dataclass
class TransferReport:
    source: str
    target: str
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows copied
    claims_checked: int = 0
    database_id: str = ""

    def describe(self) -> list[str]:
        shown = [(name, count) for name, count in self.rows.items() if count]
        lines = [f"Copied {self.source} to {self.target}:"]
        lines += [f"  {noun(name):<24} {count:>10,}" for name, count in shown]
        lines.append(f"Checked on arrival: every table's row count, and {self.claims_checked:,} "
                     f"{'claim' if self.claims_checked == 1 else 'claims'} balanced to the cent "
                     "(charge = paid + adjusted + balances, and equal to the source's).")
        return lines

    def as_json(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "status": "copied",
                "rows": self.rows, "claims_checked": self.claims_checked,
                "database_id": self.database_id}


def copy_database(source: Store, target: Store, actor: Actor,
                  progress: TransferProgress | None = None) -> TransferReport:
    """Copy everything in ``source`` into the empty ``target`` (module notes).

    ``actor`` must be an admin of the source. Raises TransferRefused (nothing written)."""
    actor.require_admin("The database to copy")
    if source.label == target.label:
        raise TransferRefused("the source and the target are the same database")
    report = TransferReport(source.label, target.label)
    ordered = [t for t in SQLModel.metadata.sorted_tables]
    with cyclic_gc_paused(), source.read() as reading, target.write() as writing:
        src = reading.connection()
        dst = writing.connection()
        _refuse_unless_empty(dst, target.label)
        for table in ordered:
            if table.name == "postingcode":
                dst.execute(table.delete())  # the target's standard codes: replaced by the source's
            if table.name == "meta":
                dst.execute(table.delete())  # the source's database id (the keyring namespace)
            if table.name == "controlcounter":
                dst.execute(table.delete())  # the source's numbers go on: never one used twice
            report.rows[table.name] = _copy_table(src, dst, table, progress)
        _check_counts(src, dst, ordered)
        report.claims_checked = _check_balances(src, dst)
        report.database_id = source.database_id
        if dst.dialect.name == "postgresql":
            _advance_sequences(dst, ordered)
        audit.record(writing, actor.login, "database", None, source.label, "copied_in",
                     {"from": source.label, "rows": sum(report.rows.values())})
    return report


def _refuse_unless_empty(dst: Connection, label: str) -> None:
    held: list[tuple[str, int]] = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name in REFERENCE_TABLES:
            continue
        count = dst.execute(select(func.count()).select_from(table)).scalar_one()
        if count:
            held.append((table.name, count))
    if held:
        held.sort(key=lambda item: (item[0] not in TELLING, TELLING.index(item[0])
                                    if item[0] in TELLING else 0, item[0]))
        shown = ", ".join(f"{noun(name)}: {count:,}" for name, count in held[:4])
        raise TransferRefused(
            f"{label} already holds data ({shown}{', ...' if len(held) > 4 else ''}): "
            "migrate-data copies only into an empty database, so nothing was copied")


def _copy_table(src: Connection, dst: Connection, table: Table,
                progress: TransferProgress | None) -> int:
    """Every row of ``table`` in primary-key order (a reversal's earlier entry comes first),
    read and written ``CHUNK`` rows at a time."""
    order = list(table.primary_key.columns) or list(table.columns)
    result = src.execution_options(yield_per=CHUNK).execute(select(table).order_by(*order))
    copied = 0
    for chunk in result.mappings().partitions(CHUNK):
        dst.execute(insert(table), [dict(row) for row in chunk])
        copied += len(chunk)
        if progress is not None:
            progress(table.name, copied)
    return copied


def _check_counts(src: Connection, dst: Connection, ordered: list[Table]) -> None:
    for table in ordered:
        if table.name == "auditentry":
            continue  # the target gains the audit entry of this copy only after the check
        want = src.execute(select(func.count()).select_from(table)).scalar_one()
        got = dst.execute(select(func.count()).select_from(table)).scalar_one()
        if want != got:
            raise TransferRefused(f"the copy holds {got:,} {noun(table.name)}, the source "
                                  f"{want:,}; nothing was copied")


def _check_balances(src: Connection, dst: Connection) -> int:
    """Every claim, a page at a time in id order, in both databases: the same claims with the
    same charge, paid, adjusted and balance by party, each balanced. Summed here from the
    ledger rows directly (a reversal counting as what it undoes), independently of the screens'
    queries."""
    checked, after = 0, 0
    claim = tables.Claim.__table__  # type: ignore[attr-defined]
    while True:
        page = select(claim.c.id, claim.c.claim_id).where(claim.c.id > after).order_by(
            claim.c.id).limit(CLAIM_PAGE)
        theirs, ours = src.execute(page).all(), dst.execute(page).all()
        if [tuple(r) for r in theirs] != [tuple(r) for r in ours]:
            raise TransferRefused("the copy does not hold the same claims as the source; "
                                  "nothing was copied")
        if not ours:
            return checked
        pks = [pk for pk, _ in ours]
        before, now = _claim_totals(src, pks), _claim_totals(dst, pks)
        for pk, claim_id in ours:
            totals = now.get(pk, _EMPTY)
            if before.get(pk, _EMPTY) != totals:
                raise TransferRefused(f"claim {claim_id} does not match the source after the "
                                      "copy; nothing was copied")
            charge, paid, adjusted, balances = totals
            if charge != paid + adjusted + sum(amount for _, amount in balances):
                raise TransferRefused(f"claim {claim_id} does not balance after the copy "
                                      "(charge ≠ paid + adjusted + balances); nothing was copied")
        checked += len(ours)
        after = pks[-1]


_EMPTY: tuple[int, int, int, tuple[tuple[str, int], ...]] = (0, 0, 0, ())


def _claim_totals(conn: Connection, pks: list[int]) -> dict[int, tuple[int, int, int, tuple]]:
    """claim pk -> (charge, paid, adjusted, ((party, balance), ...)) in cents."""
    entry = tables.LedgerEntry.__table__.alias("entry")  # type: ignore[attr-defined]
    undone = tables.LedgerEntry.__table__.alias("undone")  # type: ignore[attr-defined]
    # A void of a reversal undoes what the reversal undid (as in claims.claim_balances).
    first = tables.LedgerEntry.__table__.alias("undone_first")  # type: ignore[attr-defined]
    reversal = EntryKind.REVERSAL.value
    kind = case((entry.c.kind != reversal, entry.c.kind),
                (undone.c.kind == reversal, first.c.kind), else_=undone.c.kind)
    query = (select(entry.c.claim_pk, kind, entry.c.party, func.sum(entry.c.amount_cents))
             .select_from(entry.outerjoin(undone, undone.c.id == entry.c.reverses_id)
                          .outerjoin(first, first.c.id == undone.c.reverses_id))
             .where(entry.c.claim_pk.in_(pks))
             .group_by(entry.c.claim_pk, kind, entry.c.party))
    sums: dict[int, dict[str, Any]] = {}
    for pk, effective, party, amount in conn.execute(query):
        claim = sums.setdefault(pk, {"charge": 0, "payment": 0, "adjustment": 0, "parties": {}})
        amount = int(amount or 0)
        if effective in ("charge", "payment", "adjustment"):
            claim[effective] += amount
        claim["parties"][party] = claim["parties"].get(party, 0) + amount
    return {pk: (c["charge"], -c["payment"], -c["adjustment"],
                 tuple(sorted((p, a) for p, a in c["parties"].items() if a)))
            for pk, c in sums.items()}


def _advance_sequences(dst: Connection, ordered: list[Table]) -> None:
    """New rows after the copy get ids past the copied ones (PostgreSQL's serial sequences)."""
    for table in ordered:
        for column in table.primary_key.columns:
            if not (column.autoincrement is True or (column.autoincrement == "auto"
                                                      and len(table.primary_key.columns) == 1
                                                      and column.type.python_type is int)):
                continue
            sequence = dst.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                   {"t": table.name, "c": column.name}).scalar()
            if sequence is None:
                continue
            dst.execute(text(
                f'SELECT setval(:s, COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 0) + 1, false)'),
                {"s": sequence})
