"""Several processes releasing one payment at the same moment, and a process killed mid-release:
one posting or none, never a traceback or "database is locked"."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import func, select
from test_release import (
    BCBS_IN,
    add_claim,
    add_payer,
    add_rule,
    balances,
    import_835,
    owed,
    payment,
    primary_pays,
)

from pctui.core.codes import PayerLevel, Role
from pctui.store import eras, release, tables, users
from pctui.store.db import Store

DEPOSIT = date(2026, 11, 22)
SPAWN = multiprocessing.get_context("spawn")


def _release_when_all_are_ready(path: str, login: str, era_id: int, barrier: Any,
                                results: Any) -> None:  # fmt: skip
    """One session in its own process: open, wait for the others, release."""
    try:
        store = Store.open(path)
        actor = users.identify(store, login)
        barrier.wait(timeout=60)
        result = release.release_era(store, actor, era_id, DEPOSIT, f"B-{login}")
        results.put((login, result.status, result.message, result.claims_posted))
        store.close()
    except BaseException as exc:  # the parent must see any traceback as a failure
        results.put((login, "crashed", f"{type(exc).__name__}: {exc}", 0))


def _release_and_hang_half_way(path: str, login: str, era_id: int, halfway: Any) -> None:
    """Release, but stop for good after the entries are written (to be killed there)."""

    def hang(*args: object) -> None:
        halfway.set()
        time.sleep(120)

    release._record_provider_adjustments = hang  # type: ignore[assignment]
    store = Store.open(path)
    release.release_era(store, users.identify(store, login), era_id, DEPOSIT, "B1")


def _ready_payment(store: Store, biller: users.Actor, claims: int = 40) -> int:
    bcbs = add_payer(store, "BCBS", "Blue Cross", [BCBS_IN])
    add_rule(store, BCBS_IN, bcbs)
    for n in range(claims):
        add_claim(store, f"PCN{n:03d}", ["120.00", "80.00"], {PayerLevel.PRIMARY: "Blue Cross"})
    era = payment("RACE1", BCBS_IN, *(primary_pays(f"PCN{n:03d}") for n in range(claims)))
    return import_835(store, biller, era)


def _count(store: Store, table: type) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(table)).one()


@pytest.mark.parametrize("sessions", [2, 4])
def test_simultaneous_releases_post_once_and_tell_the_others_who_did(
    store: Store, biller: users.Actor, admin: users.Actor, db_path: Path, sessions: int
) -> None:
    logins = ["bob", "carol", "dave", "erin"][:sessions]
    for login in logins[1:]:
        users.add_user(store, admin, login, Role.BILLER)
    era_id = _ready_payment(store, biller)
    charges = _count(store, tables.LedgerEntry)
    barrier = SPAWN.Barrier(sessions)
    results = SPAWN.Queue()
    workers = [
        SPAWN.Process(target=_release_when_all_are_ready,
                      args=(str(db_path), login, era_id, barrier, results))
        for login in logins
    ]  # fmt: skip
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)

    winners = [o for o in outcomes if o[1] == "released"]
    losers = [o for o in outcomes if o[1] != "released"]
    assert len(winners) == 1, outcomes
    assert winners[0][3] == 40
    for login, status, message, posted in losers:
        assert (status, posted) == ("refused", 0), (login, message)
        assert message.startswith(f"Already released by {winners[0][0]} at "), message
        assert message.endswith(f"(payment #{era_id}, batch B-{winners[0][0]})")
        assert "locked" not in message and "Traceback" not in message
    assert _count(store, tables.Release) == 1
    # 40 claims, each: 2 payments, 2 write-offs, 2 PR moves (2 entries), 1 transfer (2 entries).
    assert _count(store, tables.LedgerEntry) == charges + 40 * 10
    assert balances(store, "PCN000") == owed(patient="40.00", charge="200.00", paid="130.00",
                                             adjusted="30.00")  # fmt: skip


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_process_killed_mid_release_leaves_the_payment_unreleased_and_no_entries(
    store: Store, biller: users.Actor, db_path: Path
) -> None:
    era_id = _ready_payment(store, biller)
    charges = _count(store, tables.LedgerEntry)
    halfway = SPAWN.Event()
    worker = SPAWN.Process(target=_release_and_hang_half_way,
                           args=(str(db_path), "bob", era_id, halfway))  # fmt: skip
    worker.start()
    assert halfway.wait(timeout=60), "the release never got half-way"

    assert worker.pid is not None
    os.kill(worker.pid, signal.SIGKILL)
    worker.join(timeout=30)

    assert worker.exitcode == -signal.SIGKILL
    assert _count(store, tables.LedgerEntry) == charges
    assert _count(store, tables.Release) == 0
    assert eras.get_era(store, era_id).status is eras.EraStatus.READY
    # The next session releases it normally: the killed one held no lock.
    result = release.release_era(store, biller, era_id, DEPOSIT, "B2")
    assert (result.status, result.claims_posted) == ("released", 40)
