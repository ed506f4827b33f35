"""Adjudication order for payments released together (SPEC 2.3).

Payments post by payment date, and for each claim primary before secondary before tertiary —
the level order wins over dates — so the result never depends on the order in which a biller
marked them. Payments with the same date keep the order they were loaded in (their ids).

Each payment is still posted whole, in its own transaction, so two payments can need opposite
orders for different claims (A pays claim X as primary and claim Y as secondary; B pays Y as
primary and X as secondary). No order serves both. Then the earlier payment by date (then by
id) goes first; the CLPs of the other one that find their earlier level unposted are held, and
the release reworks them as soon as the payment that posts that level has been released — in
the same run, each in its own transaction (see :mod:`pctui.store.release`). The money lands as
adjudication order says; the held lines stay on the first payment's error report, marked
reworked.

A CLP with no level of its own (a reversal, a denial) is placed at the level the 835's payer
holds on the claim, so a reversal of a primary comes after the primary it reverses and before
the secondary.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class PaymentToOrder:
    """One payment of a release: its id, payment date (BPR16) and, per claim it pays, the
    ranks (0 primary, 1 secondary, 2 tertiary) of its CLPs for that claim."""

    key: int
    payment_date: date | None
    claim_levels: Mapping[str, frozenset[int]] = field(default_factory=dict)

    @property
    def sort_key(self) -> tuple[date, int]:
        return (self.payment_date or date.max, self.key)


def adjudication_order(payments: Sequence[PaymentToOrder]) -> list[int]:
    """The payments' keys in the order they post (module notes)."""
    by_key = {p.key: p for p in payments}
    after: dict[int, set[int]] = defaultdict(set)  # key -> keys that must come after it
    holders: dict[str, list[PaymentToOrder]] = defaultdict(list)
    for payment in payments:
        for claim_id in payment.claim_levels:
            holders[claim_id].append(payment)
    for claim_id, group in holders.items():
        if len(group) < 2:
            continue
        for a in group:
            for b in group:
                if a.key != b.key and min(a.claim_levels[claim_id], default=9) < max(
                    b.claim_levels[claim_id], default=-1
                ):
                    after[a.key].add(b.key)
    waiting = {p.key: 0 for p in payments}
    for later in after.values():
        for other in later:
            waiting[other] += 1
    ready = [(by_key[k].sort_key, k) for k, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order: list[int] = []
    done: set[int] = set()
    while len(order) < len(payments):
        if not ready:  # opposite orders for different claims: the earliest payment goes first
            stuck = min((by_key[k] for k in waiting if k not in done), key=lambda p: p.sort_key)
            heapq.heappush(ready, (stuck.sort_key, stuck.key))
            waiting[stuck.key] = 0
        _, key = heapq.heappop(ready)
        if key in done:
            continue
        done.add(key)
        order.append(key)
        for other in after.get(key, ()):
            if other in done:
                continue
            waiting[other] -= 1
            if waiting[other] == 0:
                heapq.heappush(ready, (by_key[other].sort_key, other))
    return order
