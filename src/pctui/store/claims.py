"""Claims: storing claims, their charge ledger, and balances by who owes them.

Which claims of an 837P file are new, replace or void a claim on file, or are kept apart as a
conflict is decided in ``store/claim_intake.py``; this module stores them and reads them back.

Balances are never stored: every claim's balance per party (primary, secondary, tertiary,
patient) is the sum of its :class:`LedgerEntry` rows. An import writes the opening charges of
:func:`pctui.core.ledger.opening_charges`: one ``charge`` entry per service line, owed by the
claim's first payer (the primary, in every normal claim), so line balances start right; a claim
whose total charge (CLM02) differs from its lines gets one claim-level entry (``line_id`` NULL)
for the difference, so the claim balance always starts at its charge.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ARRAY, and_, any_, bindparam, case, func, insert, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, SQLModel, col, select

from pctui.core.claim import Claim as ClaimModel
from pctui.core.claim import ClaimPayerRef, ServiceLine
from pctui.core.claim_json import apply_claim_detail, claim_detail_to_data
from pctui.core.codes import Party, PayerLevel
from pctui.core.era import Finding, FindingSource, Severity
from pctui.core.ledger import (
    ClaimLedger,
    EntryKind,
    LedgerLine,
    LedgerTotals,
    PostingKind,
    PostingRecord,
    ledger_totals,
    opening_charges,
)
from pctui.core.money import ZERO, from_cents, to_cents
from pctui.store.db import Store
from pctui.store.errors import ValidationFailed
from pctui.store.tables import (
    Claim,
    ClaimLine,
    ClaimPosting,
    Era,
    ImportedFile,
    LedgerEntry,
    Payer,
    Release,
)

SOURCE_837 = "837"
SOURCE_DEMO = "demo"
_PAYER_COLUMN = {
    PayerLevel.PRIMARY: "primary_payer_id",
    PayerLevel.SECONDARY: "secondary_payer_id",
    PayerLevel.TERTIARY: "tertiary_payer_id",
}
# Past this many claims naming one unknown payer, the rest are summed up in one finding.
_UNKNOWN_PAYER_FINDINGS_EACH = 25
_IN_CHUNK = 500  # SQLite host-parameter limit is far above; keeps statements small
_ARRAY_CHUNK = 5_000  # PostgreSQL: the values go as one array parameter (see _among)


def _among(session: Session, column: Any, values: list) -> Any:  # noqa: ANN401
    """``column IN values``. On PostgreSQL ``column = ANY(one array)``: a short statement the
    driver prepares once, whatever the number of values, so a release's claims load in a few
    round trips (``_chunk``); on SQLite an IN list, as before."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return col(column).in_(values)


def _chunk(session: Session) -> int:
    return _ARRAY_CHUNK if session.get_bind().dialect.name == "postgresql" else _IN_CHUNK

# Told about a payer named on a claim that matched no payer (claim, level, payer, why).
UnmatchedPayer = Callable[[ClaimModel, PayerLevel, ClaimPayerRef, str], None]


# -- payers on claims ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PayerMatch:
    payer: Payer | None
    problem: str | None = None  # why no payer was chosen, when one was named


class PayerBook:
    """The project's payers, looked up by outbound ID (NM109) first, then by name."""

    def __init__(self, payers: Iterable[Payer]) -> None:
        self.by_id: dict[str, list[Payer]] = defaultdict(list)
        self.by_name: dict[str, list[Payer]] = defaultdict(list)
        # Active payers first, so a deactivated twin never wins over a live one.
        for payer in sorted(payers, key=lambda p: (not p.active, p.code)):
            if payer.outbound_id.strip():
                self.by_id[_key(payer.outbound_id)].append(payer)
            self.by_name[_key(payer.name)].append(payer)

    @classmethod
    def load(cls, session: Session) -> PayerBook:
        return cls(session.exec(select(Payer)).all())

    def match(self, ref: ClaimPayerRef) -> PayerMatch:
        name = _key(ref.name)
        candidates = self.by_id.get(_key(ref.payer_id or ""), [])
        if len(candidates) > 1:
            candidates = [p for p in candidates if _key(p.name) == name] or candidates
        if not candidates:
            candidates = self.by_name.get(name, []) if name else []
        if len({p.active for p in candidates}) > 1:
            candidates = [p for p in candidates if p.active]
        if len(candidates) == 1:
            return PayerMatch(candidates[0])
        if not candidates:
            return PayerMatch(None, "is not set up in pctui")
        codes = ", ".join(p.code for p in candidates)
        return PayerMatch(None, f"matches several payers in pctui ({codes}); none was chosen")


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def describe_payer(ref: ClaimPayerRef) -> str:
    """``'ACME HEALTH' (ID 99999)`` as the claim names it."""
    name = f"'{ref.name}'" if ref.name else "(no name)"
    return f"{name} (ID {ref.payer_id})" if ref.payer_id else name


# -- importing ----------------------------------------------------------------------------------


def add_demo_claim(session: Session, claim: ClaimModel, created_by: str = "demo") -> int:
    """Store one demo claim (source "demo"); a claim id already on file is left as it is.

    Demo payers are pctui's own, so a payer that does not match is a bug: ValueError.
    """
    existing = session.exec(select(Claim.id).where(Claim.claim_id == claim.claim_id)).first()
    if existing is not None:
        return existing

    def refuse(claim: ClaimModel, level: PayerLevel, ref: ClaimPayerRef, problem: str) -> None:
        raise ValueError(
            f"demo claim {claim.claim_id}: {level.value} payer {describe_payer(ref)} {problem}"
        )

    return _insert_claims(session, [claim], PayerBook.load(session), SOURCE_DEMO, None,
                          created_by, refuse)[0]  # fmt: skip


def _unknown_payer(
    findings: list[Finding],
    counts: dict[tuple[PayerLevel, str], int],
    claim: ClaimModel,
    level: PayerLevel,
    ref: ClaimPayerRef,
    problem: str,
) -> None:
    payer = describe_payer(ref)
    counts[(level, f"{payer} {problem}")] += 1
    if counts[(level, f"{payer} {problem}")] <= _UNKNOWN_PAYER_FINDINGS_EACH:
        findings.append(Finding(
            Severity.WARNING, FindingSource.MATCHING,
            f"Claim {claim.claim_id}: {level.value} payer {payer} {problem}", "NM1"))  # fmt: skip


def _unknown_payer_summaries(counts: dict[tuple[PayerLevel, str], int]) -> list[Finding]:
    return [
        Finding(
            Severity.WARNING,
            FindingSource.MATCHING,
            f"{count - _UNKNOWN_PAYER_FINDINGS_EACH} more claims: {level.value} payer {what}",
            "NM1",
        )  # fmt: skip
        for (level, what), count in counts.items()
        if count > _UNKNOWN_PAYER_FINDINGS_EACH
    ]


def _insert_claims(
    session: Session,
    claims: list[ClaimModel],
    book: PayerBook,
    source: str,
    file_id: int | None,
    created_by: str,
    on_unmatched: UnmatchedPayer,
) -> list[int]:
    """Claims, then their lines, then the opening charges: three bulk INSERTs.

    Plain row dicts, not table objects: building SQLModel objects took most of the time of a
    5,000-claim import.
    """
    if not claims:
        return []
    now = datetime.now(UTC)
    claim_rows = [_claim_values(c, book, source, file_id, now, on_unmatched) for c in claims]
    pks = list(session.scalars(_inserting(Claim), claim_rows))
    line_rows = [
        _line_values(pk, line) for pk, claim in zip(pks, claims, strict=True)
        for line in claim.service_lines
    ]  # fmt: skip
    line_pks = list(session.scalars(_inserting(ClaimLine), line_rows)) if line_rows else []
    line_ids = {
        (values["claim_pk"], values["line_number"]): line_pk
        for values, line_pk in zip(line_rows, line_pks, strict=True)
    }
    entries = [
        _opening_values(pk, claim, opening, line_ids, now, created_by)
        for pk, claim in zip(pks, claims, strict=True)
        for opening in opening_charges(claim)
    ]
    session.execute(insert(LedgerEntry), entries)
    return pks


def _inserting(table: type[SQLModel]):  # noqa: ANN202 - an INSERT .. RETURNING id
    # sort_by_parameter_order: the ids come back in the order the rows were given.
    return insert(table).returning(table.id, sort_by_parameter_order=True)  # type: ignore[attr-defined]


def _claim_values(
    claim: ClaimModel,
    book: PayerBook,
    source: str,
    file_id: int | None,
    now: datetime,
    on_unmatched: UnmatchedPayer,
) -> dict[str, object]:
    values: dict[str, object] = {
        "claim_id": claim.claim_id,
        "patient_name": claim.patient_name,
        "charge_cents": to_cents(claim.charge),
        "service_date": claim.service_date or _earliest_date(claim.service_lines),
        "payer_names": _payer_names_json(claim.payers),
        "file_id": file_id,
        "source": source,
        "created_at": now,
        "detail": detail_json(claim),
        "frequency_code": claim.frequency_code,
        **dict.fromkeys(_PAYER_COLUMN.values()),
    }
    for level, ref in claim.payers.items():
        match = book.match(ref)
        if match.payer is not None:
            values[_PAYER_COLUMN[level]] = match.payer.id
        elif (ref.name or ref.payer_id) and match.problem:
            on_unmatched(claim, level, ref, match.problem)
    return values


def detail_json(claim: ClaimModel) -> str:
    """The claim's 837P content beyond its columns, as stored in ``Claim.detail``."""
    if not claim.detailed:
        return "{}"
    return json.dumps(claim_detail_to_data(claim), separators=(",", ":"), ensure_ascii=False)


def _line_values(claim_pk: int, line: ServiceLine) -> dict[str, object]:
    return {
        "claim_pk": claim_pk,
        "line_number": line.line_number,
        "procedure": line.procedure,
        "modifiers": ",".join(line.modifiers),
        "charge_cents": to_cents(line.charge),
        "units": units_text(line.units),
        "unit_code": line.unit_code,
        "service_date": line.service_date,
        "control_number": line.control_number,
    }


def _opening_values(
    claim_pk: int,
    claim: ClaimModel,
    opening: LedgerLine,
    line_ids: dict[tuple[int, int], int],
    now: datetime,
    created_by: str,
) -> dict[str, object]:
    """One of the core's opening charges as a row, its LX number turned into the line's id."""
    return {
        "claim_pk": claim_pk,
        "line_id": None if opening.line is None else line_ids[(claim_pk, opening.line)],
        "kind": opening.kind.value,
        "party": opening.party.value,
        "amount_cents": to_cents(opening.amount),
        "code": opening.code,
        "group_code": opening.group_code,
        "reason_code": opening.reason_code,
        "era_id": None,
        "release_id": None,
        "payer_id": None,
        "reverses_id": None,
        "batch": "",
        "memo": _charge_memo(opening, claim),
        "created_at": now,
        "created_by": created_by,
    }


def _charge_memo(opening: LedgerLine, claim: ClaimModel) -> str:
    if opening.line is not None:
        return f"Line {opening.line} charge"
    return "Claim charge not on any service line" if claim.service_lines else "Claim charge"


def _payer_names_json(payers: dict[PayerLevel, ClaimPayerRef]) -> str:
    return json.dumps(
        {level.value: {"name": ref.name, "id": ref.payer_id} for level, ref in payers.items()},
        sort_keys=True,
    )


def _earliest_date(lines: list[ServiceLine]) -> date | None:
    dates = [line.service_date for line in lines if line.service_date]
    return min(dates) if dates else None


def units_text(units: Decimal) -> str:
    """Units as exact text without a trailing ``.00``: ``1``, ``10``, ``1.5``."""
    return format(units.normalize(), "f")


# -- listing and balances -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClaimBalance:
    """One row of the Claims view: what was charged, paid, adjusted, and who owes the rest."""

    pk: int
    claim_id: str
    patient_name: str
    service_date: date | None
    charge: Decimal
    paid: Decimal
    adjusted: Decimal
    balance: dict[Party, Decimal]
    voided: bool = False  # a void (CLM05-3 = 8) cancelled what was owed
    status: str = "ready"  # core.claim_status.ClaimStatus
    status_reason: str = ""

    @property
    def total_balance(self) -> Decimal:
        return sum(self.balance.values(), ZERO)


MAX_SEARCH = 200  # a claim id is at most 38 characters, a patient's name about 100


def _search_filter(search: str | None, status: str | None = None):  # noqa: ANN202 - SQL or None
    text = (search or "").strip()
    by_status = col(Claim.status) == status if status else None
    if not text:
        return by_status
    if len(text) > MAX_SEARCH:  # SQLite refuses LIKE patterns past 50,000 bytes anyway
        raise ValidationFailed({"search": f"at most {MAX_SEARCH} characters "
                                          f"({len(text):,} given)"})
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    found = or_(
        col(Claim.claim_id).ilike(pattern, escape="\\"),
        col(Claim.patient_name).ilike(pattern, escape="\\"),
    )
    return found if by_status is None else and_(found, by_status)


# The orders a claims list can be sorted in: a claim column, or a total from the ledger.
CLAIM_ORDERS = ("claim", "patient", "service", "charge", "paid", "adjusted", "balance",
                *(party.value for party in Party))


def _with_balance_filter():  # noqa: ANN202 - a SQL expression
    """Claims someone still owes on (the ledger's entries do not sum to zero)."""
    owing = (select(LedgerEntry.claim_pk).group_by(LedgerEntry.claim_pk)
             .having(func.sum(LedgerEntry.amount_cents) != 0))
    return col(Claim.id).in_(owing)


def _claims_query(query, search: str | None, with_balance: bool,  # noqa: ANN001, ANN202
                  status: str | None = None):
    where = _search_filter(search, status)
    if where is not None:
        query = query.where(where)
    if with_balance:
        query = query.where(_with_balance_filter())
    return query


def count_claims(store: Store, search: str | None = None, with_balance: bool = False,
                 status: str | None = None) -> int:
    """How many claims match ``search`` (claim id or patient, any part, any case); with
    ``with_balance``, only claims someone still owes on; with ``status``, only those."""
    query = _claims_query(select(func.count()).select_from(Claim), search, with_balance, status)
    with store.read() as session:
        return int(session.exec(query).one())


def list_claims(
    store: Store, search: str | None = None, offset: int = 0, limit: int = 200,
    order: str | None = None, descending: bool = False, with_balance: bool = False,
    status: str | None = None,
) -> list[ClaimBalance]:
    """One page of claims (claim id order unless ``order`` is one of :data:`CLAIM_ORDERS`),
    with totals summed from the ledger in one query.

    The page is chosen first, so only its claims' entries are summed. A reversal counts as the
    kind of entry it undoes, as in :func:`pctui.core.ledger.ledger_totals`, so reversing a
    payment lowers "paid".
    """
    with store.read() as session:
        return claim_balances(session, search, offset, limit, order, descending, with_balance,
                              status)


def _order_expression(order: str | None):  # noqa: ANN202 - (expression, ledger sums or None)
    """What to sort the page query by: a claim column, or a per-claim ledger total."""
    columns = {"claim": col(Claim.claim_id), "patient": col(Claim.patient_name),
               "service": col(Claim.service_date)}
    if order is None or order in columns:
        return columns.get(order or "claim", col(Claim.claim_id)), None
    if order not in CLAIM_ORDERS:
        raise ValueError(f"claims cannot be sorted by {order!r}")
    entry = aliased(LedgerEntry)
    undone = aliased(LedgerEntry)
    kind = case((entry.kind == EntryKind.REVERSAL.value, undone.kind), else_=entry.kind)
    condition = {
        "charge": kind == EntryKind.CHARGE.value,
        "paid": kind == EntryKind.PAYMENT.value,
        "adjusted": kind == EntryKind.ADJUSTMENT.value,
        "balance": None,
    }.get(order, entry.party == order)
    sign = -1 if order in ("paid", "adjusted") else 1  # payments lower a balance: negative
    amount = entry.amount_cents if condition is None else case((condition, entry.amount_cents),
                                                               else_=0)
    sums = (select(entry.claim_pk.label("claim_pk"), (sign * func.sum(amount)).label("total"))
            .outerjoin(undone, undone.id == entry.reverses_id)
            .group_by(entry.claim_pk).subquery())
    return func.coalesce(sums.c.total, 0), sums


def claim_balances(
    session: Session, search: str | None = None, offset: int = 0, limit: int = 200,
    order: str | None = None, descending: bool = False, with_balance: bool = False,
    status: str | None = None,
) -> list[ClaimBalance]:
    expression, sums = _order_expression(order)
    page = select(Claim.id)
    if sums is not None:
        page = page.outerjoin(sums, sums.c.claim_pk == Claim.id)
    page = _claims_query(page, search, with_balance, status)
    sort = expression.desc() if descending else expression.asc()
    tie = col(Claim.claim_id).desc() if descending else col(Claim.claim_id).asc()
    page = page.order_by(sort, tie).offset(max(offset, 0)).limit(max(limit, 0))
    ids = list(session.exec(page))
    if not ids:
        return []
    entry = aliased(LedgerEntry)
    undone = aliased(LedgerEntry)
    undone_first = aliased(LedgerEntry)  # a void of a reversal undoes what the reversal undid
    reversal = EntryKind.REVERSAL.value
    kind = case(
        (entry.kind != reversal, entry.kind),
        (undone.kind == reversal, undone_first.kind),
        else_=undone.kind,
    )

    def total(condition):  # noqa: ANN001, ANN202 - SQL expressions
        return func.coalesce(func.sum(case((condition, entry.amount_cents), else_=0)), 0)

    query = (
        select(
            Claim.id,
            Claim.claim_id,
            Claim.patient_name,
            Claim.service_date,
            Claim.voided_at,
            Claim.status,
            Claim.status_reason,
            total(kind == EntryKind.CHARGE.value),
            total(kind == EntryKind.PAYMENT.value),
            total(kind == EntryKind.ADJUSTMENT.value),
            *(total(entry.party == party.value) for party in Party),
        )  # fmt: skip
        .where(col(Claim.id).in_(ids))
        .outerjoin(entry, entry.claim_pk == Claim.id)
        .outerjoin(undone, undone.id == entry.reverses_id)
        .outerjoin(undone_first, undone_first.id == undone.reverses_id)
        .group_by(Claim.id)
    )
    rows = []
    for (pk, claim_id, patient, service_date, voided_at, status, reason, charge, paid, adjusted,
         *owed) in session.exec(query):
        rows.append(ClaimBalance(
            pk, claim_id, patient, service_date, from_cents(charge),
            # Payments and adjustments lower a balance, so their entries are negative.
            from_cents(-paid), from_cents(-adjusted),
            {party: from_cents(cents) for party, cents in zip(Party, owed, strict=True)},
            voided_at is not None, status, reason,
        ))  # fmt: skip
    position = {pk: index for index, pk in enumerate(ids)}
    return sorted(rows, key=lambda row: position[row.pk])


@dataclass(frozen=True, slots=True)
class LedgerEntryView:
    """One ledger entry as the claim's ledger shows it: code, source payment and batch."""

    id: int
    created_at: datetime
    kind: EntryKind
    party: Party
    amount: Decimal  # the change to the party's share of the balance
    code: str
    group_code: str
    reason_code: str
    line_number: int | None  # None: booked on the claim itself
    procedure: str | None
    era_id: int | None
    check_number: str | None  # TRN02 of the 835 the entry came from
    release_id: int | None
    batch: str
    payer_code: str | None
    reverses_id: int | None
    memo: str
    created_by: str


def claim_ledger(store: Store, claim_pk: int) -> list[LedgerEntryView]:
    """Every entry of one claim, oldest first."""
    with store.read() as session:
        return ledger_entries(session, claim_pk)


def ledger_entries(session: Session, claim_pk: int) -> list[LedgerEntryView]:
    query = (
        select(
            LedgerEntry,
            ClaimLine.line_number,
            ClaimLine.procedure,
            Era.check_number,
            Release.batch,
            Payer.code,
        )  # fmt: skip
        .outerjoin(ClaimLine, col(ClaimLine.id) == LedgerEntry.line_id)
        .outerjoin(Era, col(Era.id) == LedgerEntry.era_id)
        .outerjoin(Release, col(Release.id) == LedgerEntry.release_id)
        .outerjoin(Payer, col(Payer.id) == LedgerEntry.payer_id)
        .where(LedgerEntry.claim_pk == claim_pk)
        .order_by(col(LedgerEntry.id))
    )
    views = []
    for entry, line_number, procedure, check, release_batch, payer_code in session.exec(query):
        assert entry.id is not None
        views.append(LedgerEntryView(
            entry.id, entry.created_at, EntryKind(entry.kind), Party(entry.party),
            from_cents(entry.amount_cents), entry.code, entry.group_code, entry.reason_code,
            line_number, procedure, entry.era_id, check, entry.release_id,
            entry.batch or release_batch or "", payer_code, entry.reverses_id, entry.memo,
            entry.created_by,
        ))  # fmt: skip
    return views


# -- the posting engine's input -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PayerOnClaim:
    """A claim's payer at one level: as written on the claim, and the pctui payer it matched."""

    level: PayerLevel
    name: str  # NM103 as written on the claim
    outbound_id: str | None  # NM109 as written on the claim
    payer_pk: int | None  # None: the payer is not set up in pctui
    payer_code: str | None
    insurance_class: str | None


@dataclass(slots=True)
class ClaimForPosting:
    """A stored claim as a release reads it: the engine's :class:`ClaimLedger` and what it needs
    to write entries back (the claim's pk, each LX line's ``ClaimLine.id``, the payer rows)."""

    pk: int
    ledger: ClaimLedger
    line_ids: dict[int, int]  # LX line number -> ClaimLine.id
    payers: dict[PayerLevel, PayerOnClaim] = field(default_factory=dict)

    @property
    def claim(self) -> ClaimModel:
        return self.ledger.claim

    def payer_at(self, level: PayerLevel) -> PayerOnClaim | None:
        return self.payers.get(level)


def find_claim_pk(session: Session, claim_id: str) -> int | None:
    return session.exec(select(Claim.id).where(Claim.claim_id == claim_id)).first()


def load_claim_for_posting(session: Session, claim_id: str) -> ClaimForPosting | None:
    """The claim with CLM01 ``claim_id``, or None when pctui has no such claim."""
    return load_claims_for_posting(session, [claim_id]).get(claim_id.strip())


def lock_claims(session: Session, claim_ids: Iterable[str]) -> None:
    """Row locks on every claim of ``claim_ids`` that pctui has, until the transaction ends,
    taken in one fixed order (by id) so that two releases sharing claims queue instead of
    deadlocking. For writes that run beside each other on PostgreSQL (``write(parallel=True)``);
    on SQLite nothing is needed (a writer holds the whole database) and nothing is read."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return
    wanted = sorted({claim_id.strip() for claim_id in claim_ids})
    if dialect == "postgresql":
        # One statement, one round trip, whatever the number of claims: the ids as one array,
        # and the rows locked in the order they are sorted in (PostgreSQL locks a
        # SELECT ... ORDER BY ... FOR UPDATE's rows as the sort hands them out).
        session.connection().exec_driver_sql(
            "SELECT id FROM claim WHERE claim_id = ANY(%s) ORDER BY id FOR UPDATE", (wanted,)
        ).all()
        return
    pks: list[int] = []
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        pks += session.exec(select(Claim.id).where(col(Claim.claim_id).in_(chunk))).all()
    pks.sort()
    for start in range(0, len(pks), _IN_CHUNK):
        chunk = pks[start : start + _IN_CHUNK]
        session.exec(select(Claim.id).where(col(Claim.id).in_(chunk)).order_by(col(Claim.id))
                     .with_for_update()).all()


def load_claims_for_posting(
    session: Session, claim_ids: Iterable[str]
) -> dict[str, ClaimForPosting]:
    """Every claim of ``claim_ids`` that pctui has, by CLM01, in a few chunked queries.

    A release loads all the claims its 835 pays at once: four queries per 500 claims, not
    four per claim.
    """
    wanted = sorted({claim_id.strip() for claim_id in claim_ids})
    payers = {p.id: p for p in session.exec(select(Payer)).all()}
    payer_memo: dict[tuple, dict[PayerLevel, PayerOnClaim]] = {}  # claims share their payers
    loaded: dict[str, ClaimForPosting] = {}
    size = _chunk(session)
    for start in range(0, len(wanted), size):
        chunk = wanted[start : start + size]
        # The columns posting reads, not whole rows (a claim's 837P detail is large).
        rows = session.exec(select(*_POSTING_CLAIM_COLUMNS)
                            .where(_among(session, Claim.claim_id, chunk))).all()  # fmt: skip
        pks = [row.id for row in rows]
        lines = _lines_by_claim(session, pks)
        entries = _entries_by_claim(session, pks)
        postings = _postings_by_claim(session, pks)
        for row in rows:
            assert row.id is not None
            loaded[row.claim_id] = _claim_for_posting(
                row, lines.get(row.id, []), entries.get(row.id, []), payers,
                postings.get(row.id, []), payer_memo,
            )
    return loaded


def load_claims(session: Session, pks: Iterable[int]) -> dict[int, ClaimModel]:
    """Whole claims by primary key, with everything their 837P carried (for checking and
    writing them out). A claim stored before pctui kept 837P content has ``detailed=False``."""
    wanted = sorted(set(pks))
    payers = {p.id: p for p in session.exec(select(Payer)).all()}
    loaded: dict[int, ClaimModel] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        rows = session.exec(select(Claim).where(col(Claim.id).in_(chunk))).all()
        lines = _lines_by_claim(session, chunk, current_only=True)  # type: ignore[arg-type]
        for row in rows:
            assert row.id is not None
            claim = _claim_for_posting(row, lines.get(row.id, []), [], payers).claim
            claim.frequency_code = row.frequency_code
            loaded[row.id] = apply_claim_detail(claim, json.loads(row.detail or "{}"))
    return loaded


_LINE_COLUMNS = (
    ClaimLine.claim_pk, ClaimLine.id, ClaimLine.line_number, ClaimLine.procedure,
    ClaimLine.modifiers, ClaimLine.charge_cents, ClaimLine.units, ClaimLine.service_date,
    ClaimLine.control_number, ClaimLine.unit_code, ClaimLine.removed,
)  # fmt: skip
_ENTRY_COLUMNS = (
    LedgerEntry.claim_pk, LedgerEntry.id, LedgerEntry.line_id, LedgerEntry.kind,
    LedgerEntry.party, LedgerEntry.amount_cents, LedgerEntry.code, LedgerEntry.group_code,
    LedgerEntry.reason_code, LedgerEntry.payer_id, LedgerEntry.era_id, LedgerEntry.reverses_id,
    LedgerEntry.memo, LedgerEntry.posting_id,
)  # fmt: skip
_POSTING_CLAIM_COLUMNS = (
    Claim.id, Claim.claim_id, Claim.charge_cents, Claim.patient_name, Claim.service_date,
    Claim.primary_payer_id, Claim.secondary_payer_id, Claim.tertiary_payer_id,
    Claim.payer_names,
)  # fmt: skip
_POSTING_COLUMNS = (
    ClaimPosting.claim_pk, ClaimPosting.id, ClaimPosting.kind, ClaimPosting.level,
    ClaimPosting.payer_id, ClaimPosting.era_id, ClaimPosting.payer_claim_control,
    ClaimPosting.reverses_id, ClaimPosting.clp_index,
)  # fmt: skip


def _lines_by_claim(session: Session, pks: list[int | None], *, current_only: bool = False
                    ) -> dict[int, list[tuple]]:  # fmt: skip
    """``current_only``: leave out lines a replacement claim removed (for writing the claim)."""
    # Plain column tuples: a release reads thousands of lines and entries at once.
    query = (
        select(*_LINE_COLUMNS)
        .where(_among(session, ClaimLine.claim_pk, pks))
        .order_by(col(ClaimLine.claim_pk), col(ClaimLine.line_number))
    )
    if current_only:
        query = query.where(col(ClaimLine.removed).is_(False))
    grouped: dict[int, list[tuple]] = defaultdict(list)
    for values in session.connection().execute(query).all():  # Core rows, fetched at once
        grouped[values[0]].append(tuple(values))
    return grouped


def _entries_by_claim(session: Session, pks: list[int | None]) -> dict[int, list[tuple]]:
    query = (
        select(*_ENTRY_COLUMNS)
        .where(_among(session, LedgerEntry.claim_pk, pks))
        .order_by(col(LedgerEntry.id))
    )
    grouped: dict[int, list[tuple]] = defaultdict(list)
    for values in session.connection().execute(query).all():  # Core rows, fetched at once
        grouped[values[0]].append(tuple(values))
    return grouped


def _postings_by_claim(session: Session, pks: list[int | None]) -> dict[int, list[tuple]]:
    """The claims' posting records that stand in their history (voided ones do not)."""
    query = (
        select(*_POSTING_COLUMNS)
        .where(_among(session, ClaimPosting.claim_pk, pks), col(ClaimPosting.voided).is_(False))
        .order_by(col(ClaimPosting.id))
    )
    grouped: dict[int, list[tuple]] = defaultdict(list)
    for values in session.connection().execute(query).all():  # Core rows, fetched at once
        grouped[values[0]].append(tuple(values))
    return grouped


# Enum members by value: thousands of entries are read per release, and a dict is faster.
_KINDS = {k.value: k for k in EntryKind}
_PARTIES = {p.value: p for p in Party}
_LEVELS = {lv.value: lv for lv in PayerLevel}


def _posting_record(values: tuple) -> PostingRecord:
    posting_id, kind, level, payer, era, control, reverses, index = values
    return PostingRecord(posting_id, PostingKind(kind), _LEVELS.get(level) if level else None,
                         payer, era, control, reverses, index)  # fmt: skip


def _claim_for_posting(
    row: Claim,
    lines: list[tuple],
    entries: list[tuple],
    payers: dict[int | None, Payer],
    postings: list[tuple] = (),  # type: ignore[assignment]
    payer_memo: dict[tuple, dict[PayerLevel, PayerOnClaim]] | None = None,
) -> ClaimForPosting:
    assert row.id is not None
    if payer_memo is None:
        on_claim = _payers_on_claim(row, payers)
    else:  # the same payers as written, at the same levels: the same (frozen) PayerOnClaims
        key = (row.payer_names, row.primary_payer_id, row.secondary_payer_id,
               row.tertiary_payer_id)  # fmt: skip
        if key not in payer_memo:
            payer_memo[key] = _payers_on_claim(row, payers)
        on_claim = dict(payer_memo[key])
    claim = ClaimModel(
        claim_id=row.claim_id,
        charge=from_cents(row.charge_cents),
        patient_name=row.patient_name,
        service_lines=[_service_line(*values[2:]) for values in lines],
        payers={lvl: ClaimPayerRef(p.name, p.outbound_id) for lvl, p in on_claim.items()},
        service_date=row.service_date,
    )
    line_numbers = {values[1]: values[2] for values in lines}
    kinds: dict[int, EntryKind] = {}  # what each entry counts as (a reversal: what it undid)
    ledger = []
    for values in entries:
        line = _ledger_line(values[1:], line_numbers, kinds)
        kinds[values[1]] = line.effective_kind
        ledger.append(line)
    return ClaimForPosting(
        pk=row.id,
        ledger=ClaimLedger(claim, ledger, [_posting_record(v[1:]) for v in postings]),
        line_ids={number: line_id for line_id, number in line_numbers.items()},
        payers=on_claim,
    )


def _ledger_line(
    values: tuple, line_numbers: dict[int, int], kinds: dict[int, EntryKind]
) -> LedgerLine:
    entry_id, line_id, kind, party, cents, code, group, reason, payer, era, reverses, memo, posting = (
        values
    )
    return LedgerLine(
        kind=_KINDS[kind],
        party=_PARTIES[party],
        amount=from_cents(cents),
        line=line_numbers.get(line_id) if line_id is not None else None,
        code=code,
        group_code=group,
        reason_code=reason,
        payer_id=payer,
        era_id=era,
        entry_id=entry_id,
        reverses_id=reverses,
        reversed_kind=kinds.get(reverses) if reverses is not None else None,
        memo=memo,
        posting_id=posting,
    )


def _payers_on_claim(row: Claim, payers: dict[int | None, Payer]) -> dict[PayerLevel, PayerOnClaim]:
    written: dict[str, dict] = json.loads(row.payer_names or "{}")
    on_claim: dict[PayerLevel, PayerOnClaim] = {}
    for level, column in _PAYER_COLUMN.items():
        payer_pk = getattr(row, column)
        as_written = written.get(level.value)
        if payer_pk is None and as_written is None:
            continue
        payer = payers.get(payer_pk)
        as_written = as_written or {}
        on_claim[level] = PayerOnClaim(
            level=level,
            name=as_written.get("name") or (payer.name if payer else ""),
            outbound_id=as_written.get("id"),
            payer_pk=payer_pk,
            payer_code=payer.code if payer else None,
            insurance_class=payer.insurance_class if payer else None,
        )
    return on_claim


def _service_line(
    line_number: int,
    procedure: str,
    modifiers: str,
    charge_cents: int,
    units: str,
    service_date: date | None,
    control_number: str | None,
    unit_code: str,
    removed: bool = False,
) -> ServiceLine:
    return ServiceLine(
        line_number=line_number,
        procedure=procedure,
        modifiers=tuple(m for m in modifiers.split(",") if m),
        charge=from_cents(charge_cents),
        units=Decimal(units),
        service_date=service_date,
        control_number=control_number,
        unit_code=unit_code,
        removed=bool(removed),
    )


# -- one claim in full: the Claims view's ledger ------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClaimDetail:
    """One claim as its ledger view shows it: lines, payers per level, every entry, totals."""

    pk: int
    claim: ClaimModel
    payers: dict[PayerLevel, PayerOnClaim]
    entries: list[LedgerEntryView]
    totals: LedgerTotals  # from the whole ledger: charge = paid + adjusted + balances
    line_totals: dict[int | None, LedgerTotals]  # per LX line number; None: on the claim itself
    came_from: str  # the 837 file's name, or "demo data"
    voided: bool = False  # a void (CLM05-3 = 8) cancelled what was owed
    status: str = "ready"  # core.claim_status.ClaimStatus
    status_reason: str = ""


def claim_detail(store: Store, claim_pk: int) -> ClaimDetail | None:
    """The claim with primary key ``claim_pk`` with its lines, payers and ledger; None if gone."""
    with store.read() as session:
        row = session.get(Claim, claim_pk)
        if row is None:
            return None
        payers = {p.id: p for p in session.exec(select(Payer)).all()}
        lines = _lines_by_claim(session, [claim_pk]).get(claim_pk, [])
        ledger = _entries_by_claim(session, [claim_pk]).get(claim_pk, [])
        loaded = _claim_for_posting(row, lines, ledger, payers)
        apply_claim_detail(loaded.claim, json.loads(row.detail or "{}"))
        entries = ledger_entries(session, claim_pk)
        filename = None
        if row.file_id is not None:
            filename = session.exec(
                select(ImportedFile.filename).where(ImportedFile.id == row.file_id)
            ).first()
    by_line: dict[int | None, list[LedgerLine]] = defaultdict(list)
    for entry in loaded.ledger.entries:
        by_line[entry.line].append(entry)
    return ClaimDetail(
        pk=claim_pk,
        claim=loaded.claim,
        payers=loaded.payers,
        entries=entries,
        totals=ledger_totals(loaded.ledger.entries),
        line_totals={line: ledger_totals(found) for line, found in by_line.items()},
        came_from=filename or ("demo data" if row.source == SOURCE_DEMO else "an earlier import"),
        voided=row.voided_at is not None,
    )
