"""A claim's ledger in memory: append-only entries, balances derived by who owes them.

Every entry's ``amount`` is the signed change to ``party``'s share of the claim balance: a charge
is +, a payment or adjustment is −, a transfer is a − on one party and a + on another, and a
reversal negates an earlier entry exactly. So for every claim, at every moment,
``charge = paid + adjusted + sum(balances)`` holds by construction (see :func:`ledger_totals`).
At rest the store keeps the same entries as ``LedgerEntry`` rows with integer cents.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from pctui.core.claim import Claim, ServiceLine
from pctui.core.codes import Party, PayerLevel
from pctui.core.money import ZERO


class EntryKind(StrEnum):
    CHARGE = "charge"
    PAYMENT = "payment"
    ADJUSTMENT = "adjustment"
    TRANSFER = "transfer"
    REVERSAL = "reversal"


PARTIES = tuple(Party)  # iterating an Enum class is slow; postings do it for every claim
_LEVELS_AFTER = {level: tuple(PayerLevel)[n + 1:] for n, level in enumerate(PayerLevel)}


def party_of(level: PayerLevel) -> Party:
    return Party(level.value)


# Ids for entries and postings the engine makes before the store gives them real ones: negative,
# so they never meet a stored id. A reversal can then target a posting made earlier in the same
# simulated run (the release preview) exactly as it targets a stored one.
_temporary_ids = itertools.count(-1, -1)


def temporary_id() -> int:
    return next(_temporary_ids)


class PostingKind(StrEnum):
    """What one claim payment (CLP) did to a claim, as the claim's history keeps it."""

    POSTED = "posted"  # CLP02 1-3, 19-21: posted at its level
    DENIED = "denied"  # CLP02 4: nothing posted, but the payer answered at its level
    REVERSAL = "reversal"  # CLP02 22: undid one earlier posting


class LevelState(StrEnum):
    """Whether a payer level of a claim has a posting that stands (SPEC 2.3, "posted")."""

    POSTED = "posted"
    NONE = "none"  # no posting yet
    DENIED = "denied"  # the payer only denied
    REVERSED = "reversed"  # posted, then reversed and not posted again


@dataclass(frozen=True, slots=True)
class PostingRecord:
    """One CLP posted on a claim: its level, payer and payer claim control number (CLP07).

    Its ledger entries carry its ``posting_id``. A reversal names the posting it undid; a
    posting some reversal names no longer stands. Voided postings are not loaded at all.
    """

    posting_id: int
    kind: PostingKind
    level: PayerLevel | None
    payer_id: int | None
    era_id: int | None
    payer_claim_control: str = ""
    reverses_id: int | None = None
    clp_index: int | None = None  # the CLP's position in its 835


@dataclass(slots=True)  # not frozen: built by the hundred thousand in a release; never changed
class LedgerLine:
    """One ledger entry. ``line`` is the claim line's LX number (``None``: the whole claim)."""

    kind: EntryKind
    party: Party
    amount: Decimal
    line: int | None = None
    code: str = ""  # posting code: PCON, AIWO, ...
    group_code: str = ""  # CAS group (CO, PR, OA, PI, CR)
    reason_code: str = ""  # CARC
    payer_id: int | None = None  # the payer whose 835 posted it; reversals match on it
    era_id: int | None = None  # the 835 payment it came from
    entry_id: int | None = None  # set once stored; reversals point at it
    reverses_id: int | None = None
    reversed_kind: EntryKind | None = None  # the kind of the entry a reversal undoes
    memo: str = ""
    posting_id: int | None = None  # the PostingRecord that made it (None: a charge)

    @property
    def effective_kind(self) -> EntryKind:
        """What the entry counts as in the totals: a reversal counts as what it undoes."""
        if self.kind is EntryKind.REVERSAL and self.reversed_kind is not None:
            return self.reversed_kind
        return self.kind


@dataclass(frozen=True, slots=True)
class LedgerTotals:
    """What a biller reads on the Claims list: charge, paid, adjusted, balance by party."""

    charge: Decimal
    paid: Decimal
    adjusted: Decimal
    balances: dict[Party, Decimal]

    @property
    def balance(self) -> Decimal:
        return sum(self.balances.values(), ZERO)

    @property
    def is_balanced(self) -> bool:
        """charge = payments + adjustments + balances owed, to the cent."""
        return self.charge == self.paid + self.adjusted + self.balance


def ledger_totals(entries: Iterable[LedgerLine]) -> LedgerTotals:
    """Totals over a claim's entries. A reversal counts as what it undoes, looked up by id when
    unknown — through a void of a reversal back to the payment it undid."""
    kind_by_id: dict[int, EntryKind] = {}
    charge = paid = adjusted = ZERO
    balances = dict.fromkeys(PARTIES, ZERO)
    for entry in entries:
        balances[entry.party] += entry.amount
        kind = entry.effective_kind
        if kind is EntryKind.REVERSAL and entry.reverses_id is not None:
            kind = kind_by_id.get(entry.reverses_id, kind)
        if entry.entry_id is not None:
            kind_by_id[entry.entry_id] = kind
        if kind is EntryKind.CHARGE:
            charge += entry.amount
        elif kind is EntryKind.PAYMENT:
            paid -= entry.amount
        elif kind is EntryKind.ADJUSTMENT:
            adjusted -= entry.amount
    return LedgerTotals(charge, paid, adjusted, balances)


@dataclass(slots=True)
class ClaimLedger:
    """A claim with its lines and payers (``claim``) and every entry posted to it so far."""

    claim: Claim
    entries: list[LedgerLine] = field(default_factory=list)
    postings: list[PostingRecord] = field(default_factory=list)

    @property
    def claim_id(self) -> str:
        return self.claim.claim_id

    @property
    def lines(self) -> Sequence[ServiceLine]:
        return self.claim.service_lines

    def has_level(self, level: PayerLevel) -> bool:
        return level in self.claim.payers

    def next_party(self, level: PayerLevel) -> Party:
        """The next payer on the claim after ``level`` (skipping absent levels), else the patient."""
        for following in _LEVELS_AFTER[level]:
            if following in self.claim.payers:
                return party_of(following)
        return Party.PATIENT

    def balance(self, party: Party) -> Decimal:
        return sum((e.amount for e in self.entries if e.party is party), ZERO)

    def line_balance(self, party: Party, line: int | None) -> Decimal:
        """The part of ``party``'s balance booked on one line (``None``: on the claim itself)."""
        return sum((e.amount for e in self.entries if e.party is party and e.line == line), ZERO)

    def line_balances(self, party: Party) -> dict[int | None, Decimal]:
        """``party``'s balance on every line (``None``: on the claim itself), in one pass."""
        found: dict[int | None, Decimal] = {}
        for e in self.entries:
            if e.party is party:
                found[e.line] = found.get(e.line, ZERO) + e.amount
        return found

    def balances(self) -> dict[Party, Decimal]:
        """What each party owes (a plain sum by party: the totals' kinds are not needed)."""
        found = dict.fromkeys(PARTIES, ZERO)
        for e in self.entries:
            found[e.party] += e.amount
        return found

    def totals(self) -> LedgerTotals:
        return ledger_totals(self.entries)

    def with_entries(
        self, new: Iterable[LedgerLine], record: PostingRecord | None = None
    ) -> ClaimLedger:
        postings = [*self.postings, record] if record is not None else self.postings
        return ClaimLedger(self.claim, [*self.entries, *new], postings)

    def reversed_ids(self) -> set[int]:
        return {p.reverses_id for p in self.postings if p.reverses_id is not None}

    def standing(self) -> list[PostingRecord]:
        """Postings (not reversals, not denials) that no reversal has undone, oldest first."""
        undone = self.reversed_ids()
        return [
            p for p in self.postings
            if p.kind is PostingKind.POSTED and p.posting_id not in undone
        ]  # fmt: skip

    def level_state(self, level: PayerLevel) -> LevelState:
        at_level = [p for p in self.postings if p.level is level]
        undone = self.reversed_ids()
        posted = [p for p in at_level if p.kind is PostingKind.POSTED]
        if any(p.posting_id not in undone for p in posted):
            return LevelState.POSTED
        if posted:
            return LevelState.REVERSED
        if any(p.kind is PostingKind.DENIED for p in at_level):
            return LevelState.DENIED
        return LevelState.NONE


def opening_charges(claim: Claim) -> list[LedgerLine]:
    """The charge entries a new claim starts with: each line's charge, owed by the first payer.

    A claim total that differs from the sum of its lines (or a claim without lines) books the
    difference on the claim itself, so the ledger's charge always equals CLM02. A claim with no
    payer at all is owed by the patient.
    """
    owner = next((party_of(level) for level in PayerLevel if level in claim.payers), Party.PATIENT)
    entries = [
        LedgerLine(EntryKind.CHARGE, owner, line.charge, line=line.line_number)
        for line in claim.service_lines
    ]
    rest = claim.charge - sum((line.charge for line in claim.service_lines), ZERO)
    if rest or not entries:
        entries.append(LedgerLine(EntryKind.CHARGE, owner, rest))
    return entries
