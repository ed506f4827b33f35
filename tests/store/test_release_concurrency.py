"""Eight billers releasing at once, on either backend: one payment is released once, eight
payments are all released, and nothing deadlocks. On PostgreSQL, releases of different payments
run side by side (not one after another) while an import still waits for them; a connection
lost in the middle of a release posts nothing and says so, and the next release reconnects."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import func, select
from test_release import BCBS_IN, add_claim, add_payer, add_rule, import_835, payment, primary_pays
from tests import pgcluster

from pctui.core.codes import PayerLevel, Role
from pctui.store import claims, eras, release, tables, users
from pctui.store.db import Store

DEPOSIT = date(2026, 11, 22)
SPAWN = multiprocessing.get_context("spawn")
LOGINS = ["bob", "carol", "dave", "erin", "frank", "gina", "hank", "ivy"]


def _release_at_the_barrier(path: str, login: str, era_id: int, batch: str, barrier: Any,
                            results: Any) -> None:  # fmt: skip
    """One biller's session in its own process: open, wait for the others, release."""
    try:
        store = Store.open(path)
        actor = users.identify(store, login)
        barrier.wait(timeout=120)
        result = release.release_era(store, actor, era_id, DEPOSIT, batch)
        results.put((login, era_id, result.status.value, result.message, result.claims_posted))
        store.close()
    except BaseException as exc:  # the parent must see any traceback as a failure
        results.put((login, era_id, "crashed", f"{type(exc).__name__}: {exc}", 0))


def _eight_billers(store: Store, admin: users.Actor) -> None:
    for login in LOGINS[1:]:
        users.add_user(store, admin, login, Role.BILLER)


def _practice(store: Store) -> None:
    bcbs = add_payer(store, "BCBS", "Blue Cross", [BCBS_IN])
    add_rule(store, BCBS_IN, bcbs)


def _count(store: Store, table: type) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(table)).one()


def _run_at_once(db: Path | str, jobs: list[tuple[str, int, str]]) -> list[tuple]:
    barrier = SPAWN.Barrier(len(jobs))
    results = SPAWN.Queue()
    workers = [SPAWN.Process(target=_release_at_the_barrier,
                             args=(str(db), login, era_id, batch, barrier, results))
               for login, era_id, batch in jobs]  # fmt: skip
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert [w.exitcode for w in workers] == [0] * len(workers)
    return outcomes


def _every_claim_balances(store: Store) -> None:
    for row in claims.list_claims(store, limit=10_000):
        assert row.charge == row.paid + row.adjusted + row.total_balance, row.claim_id


def test_eight_processes_releasing_one_payment_post_it_once(
    store: Store, biller: users.Actor, admin: users.Actor, db_path: Path
) -> None:
    _eight_billers(store, admin)
    _practice(store)
    for n in range(30):
        add_claim(store, f"ONE{n:03d}", ["120.00", "80.00"], {PayerLevel.PRIMARY: "Blue Cross"})
    era_id = import_835(store, biller, payment("ONCE", BCBS_IN,
                                               *(primary_pays(f"ONE{n:03d}") for n in range(30))))
    charges = _count(store, tables.LedgerEntry)

    outcomes = _run_at_once(db_path, [(login, era_id, f"B-{login}") for login in LOGINS])

    winners = [o for o in outcomes if o[2] == "released"]
    assert len(winners) == 1, outcomes
    winner = winners[0][0]
    for login, _, status, message, posted in outcomes:
        if login == winner:
            continue
        assert (status, posted) == ("refused", 0), (login, message)
        assert message.startswith(f"Already released by {winner} at "), message
        assert "locked" not in message and "Traceback" not in message
    assert _count(store, tables.Release) == 1
    assert _count(store, tables.LedgerEntry) == charges + 30 * 10
    _every_claim_balances(store)


def test_eight_processes_releasing_eight_payments_all_succeed(
    store: Store, biller: users.Actor, admin: users.Actor, db_path: Path
) -> None:
    """Each payment pays its own claims, and all eight also pay a share of four claims the others
    pay too — listed in a different order in each 835 — so on PostgreSQL their row locks meet:
    taken in one order, they queue instead of deadlocking."""
    _eight_billers(store, admin)
    _practice(store)
    shared = [f"SHR{n}" for n in range(4)]
    for claim_id in shared:
        add_claim(store, claim_id, ["500.00"] * 8, {PayerLevel.PRIMARY: "Blue Cross"},
                  codes=["99213"] * 8)
    era_ids = []
    for k in range(8):
        own = [f"P{k}-{n:03d}" for n in range(20)]
        for claim_id in own:
            add_claim(store, claim_id, ["120.00", "80.00"], {PayerLevel.PRIMARY: "Blue Cross"})
        order = shared[k % 4:] + shared[: k % 4]
        if k % 2:
            order.reverse()
        paid = [primary_pays(c) for c in own[:10]] + [_pays_line(c, k) for c in order]
        paid += [primary_pays(c) for c in own[10:]]
        era_ids.append(import_835(store, biller, payment(f"PAR{k}", BCBS_IN, *paid)))

    outcomes = _run_at_once(db_path, [(login, era_id, f"B-{k}") for k, (login, era_id)
                                      in enumerate(zip(LOGINS, era_ids, strict=True))])

    for login, era_id, status, message, posted in outcomes:
        assert status in ("released", "released_with_errors"), (login, era_id, message)
        assert posted >= 20, (login, message)
    assert _count(store, tables.Release) == 8
    assert {eras.get_era(store, e).status for e in era_ids} <= {
        eras.EraStatus.RELEASED, eras.EraStatus.RELEASED_WITH_ERRORS}
    _every_claim_balances(store)


def _pays_line(claim_id: str, k: int):  # noqa: ANN202 - a ClaimPayment for line k+1 only
    from test_release import clp, svc

    return clp(claim_id, "1", svc(claim_id, k + 1, "99213", "500.00", "300.00",
                                  ("CO", "45", "200.00")))


# -- PostgreSQL only: side by side, waiting, a lost connection ----------------------------------


def _ready_payments(store: Store, biller: users.Actor, count: int, claims_each: int = 10) -> list[int]:
    _practice(store)
    era_ids = []
    for k in range(count):
        for n in range(claims_each):
            add_claim(store, f"S{k}-{n:03d}", ["120.00", "80.00"],
                      {PayerLevel.PRIMARY: "Blue Cross"})  # fmt: skip
        era_ids.append(import_835(store, biller, payment(
            f"SIDE{k}", BCBS_IN, *(primary_pays(f"S{k}-{n:03d}") for n in range(claims_each)))))
    return era_ids


class _HeldRelease:
    """A release of ``era_id`` in a thread, stopped inside its transaction (after it has written
    its entries) until ``go_on()``."""

    def __init__(self, location: str, login: str, era_id: int,
                 monkeypatch: pytest.MonkeyPatch, batch: str | None = "HELD") -> None:  # fmt: skip
        self.inside = threading.Event()
        self.proceed = threading.Event()
        self.result: Any = None
        self.store = Store.open(location)
        self.actor = users.identify(self.store, login)
        self.era_id = era_id
        self.batch = batch
        real = release._record_provider_adjustments
        holder = self

        def hold(*args: Any, **kwargs: Any) -> Any:
            if threading.current_thread() is holder.thread:
                holder.inside.set()
                assert holder.proceed.wait(60), "never told to go on"
            return real(*args, **kwargs)

        monkeypatch.setattr(release, "_record_provider_adjustments", hold)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.result = release.release_era(self.store, self.actor, self.era_id, DEPOSIT,
                                          self.batch)  # fmt: skip

    def __enter__(self) -> _HeldRelease:
        self.thread.start()
        assert self.inside.wait(60), "the release never got inside its transaction"
        return self

    def __exit__(self, *exc: object) -> None:
        self.proceed.set()
        self.thread.join(60)
        self.store.close()


def test_postgresql_releases_another_payment_while_one_is_in_progress(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store.open(pg_url)
    admin = users.identify(store, "alice")
    users.add_user(store, admin, "bob", Role.BILLER)
    biller = users.identify(store, "bob")
    first, second = _ready_payments(store, biller, 2)
    with _HeldRelease(pg_url, "bob", first, monkeypatch) as held:
        started = time.monotonic()
        other = release.release_era(store, admin, second, DEPOSIT, "OTHER")
        assert other.status.value == "released", other.message
        assert time.monotonic() - started < 10  # not queued behind the held one
        assert held.result is None  # which is still open
    assert held.result is not None and held.result.status.value == "released"
    _every_claim_balances(store)
    store.close()


@pytest.mark.parametrize("batches", [(None, None), ("DEP-1", "DEP-1")],
                         ids=["each generates a batch", "both join one typed batch"])
def test_postgresql_a_batch_number_does_not_make_releases_queue(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, batches: tuple[str | None, str | None]
) -> None:
    """Most billers leave the batch empty: the number generated for a release in progress is
    skipped by the other (no wait for it), and each gets its own. Joining a typed batch already
    on file does not make them wait either. (Two billers starting one new typed batch at the
    same moment do wait: whether it exists depends on the first one's outcome.)"""
    store = Store.open(pg_url)
    admin = users.identify(store, "alice")
    first, second, earlier = _ready_payments(store, admin, 3)
    if batches[0] is not None:
        assert release.release_era(store, admin, earlier, DEPOSIT, batches[0]).released
    with _HeldRelease(pg_url, "alice", first, monkeypatch, batches[0]) as held:
        started = time.monotonic()
        other = release.release_era(store, admin, second, DEPOSIT, batches[1])
        assert other.status.value == "released", other.message
        assert time.monotonic() - started < 10
        assert held.result is None
    assert held.result.status.value == "released", held.result.message
    if batches[0] is None:
        assert {held.result.batch, other.batch} == {"B20261122-01", "B20261122-02"}
    else:
        assert held.result.batch == other.batch == "DEP-1"
    _every_claim_balances(store)
    store.close()


def test_postgresql_an_import_waits_for_a_release_in_progress(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Releases share the write lock among themselves only: an import (any ordinary write)
    waits until the release is done, as on SQLite — and says it is waiting; then both are on
    file, nothing deadlocked, and the imported payment (for a claim the release posted to)
    releases in its turn."""
    store = Store.open(pg_url)
    admin = users.identify(store, "alice")
    (era_id,) = _ready_payments(store, admin, 1)
    heard: list[float | None] = []
    store.waits.listener = heard.append
    monkeypatch.setenv("PCTUI_WRITE_WAIT", "30")
    imported: list[int] = []
    with _HeldRelease(pg_url, "alice", era_id, monkeypatch) as held:
        done = threading.Event()

        def import_another_payment() -> None:
            imported.append(import_835(store, admin, payment("LATE", BCBS_IN,
                                                             primary_pays("S0-001"))))
            done.set()

        writer = threading.Thread(target=import_another_payment, daemon=True)
        writer.start()
        assert not done.wait(2.5)  # waiting for the release
        assert any(h is not None for h in heard)  # and told so
    writer.join(30)
    assert done.is_set() and heard[-1] is None
    assert held.result.status.value == "released"
    later = release.release_era(store, admin, imported[0], DEPOSIT, "LATER")
    assert later.status.value in ("released", "released_with_errors"), later.message
    _every_claim_balances(store)
    store.close()


def test_postgresql_a_lost_connection_mid_release_posts_nothing_and_the_next_try_works(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store.open(pg_url)
    admin = users.identify(store, "alice")
    (era_id,) = _ready_payments(store, admin, 1)
    entries = _count(store, tables.LedgerEntry)
    real = release._record_provider_adjustments

    def cut_the_connection(session, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN001
        pid = session.connection().exec_driver_sql("select pg_backend_pid()").scalar()
        with pgcluster._admin_connection(os.environ[pgcluster.ENV_URL]) as other:
            other.execute("select pg_terminate_backend(%s)", (pid,))
        return real(session, *args, **kwargs)

    monkeypatch.setattr(release, "_record_provider_adjustments", cut_the_connection)
    result = release.release_era(store, admin, era_id, DEPOSIT, "B1")
    assert result.status.value == "failed"
    assert result.message == (
        f"Payment #{era_id} was not released: the connection to the database server was lost "
        "during the release, and the server rolled it back — nothing was posted. pctui "
        "reconnects by itself: release it again.")
    monkeypatch.setattr(release, "_record_provider_adjustments", real)
    assert _count(store, tables.LedgerEntry) == entries
    assert _count(store, tables.Release) == 0
    assert eras.get_era(store, era_id).status is eras.EraStatus.READY
    again = release.release_era(store, admin, era_id, DEPOSIT, "B1")  # same Store: reconnects
    assert again.status.value == "released", again.message
    store.close()
