"""Issue 9 item 5: payments released by separate sessions at the same moment, each with a
generated batch, never share a batch number (it is taken inside each release's transaction)."""

from __future__ import annotations

import multiprocessing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from test_release import BCBS_IN, add_claim, add_payer, add_rule, import_835, payment, primary_pays

from pctui.core.codes import PayerLevel, Role
from pctui.store import batches, release, users
from pctui.store.db import Store

DEPOSIT = date(2026, 11, 22)
SPAWN = multiprocessing.get_context("spawn")


def _release_with_a_generated_batch(path: str, login: str, era_id: int, barrier: Any,
                                    results: Any) -> None:  # fmt: skip
    try:
        store = Store.open(path)
        actor = users.identify(store, login)
        barrier.wait(timeout=60)
        (result,) = release.release_eras(store, actor, [era_id], DEPOSIT)
        results.put((login, result.status, result.batch, result.message))
        store.close()
    except BaseException as exc:  # the parent must see any traceback as a failure
        results.put((login, "crashed", "", f"{type(exc).__name__}: {exc}"))


@pytest.mark.parametrize("round_", range(3))
def test_sessions_releasing_at_once_each_get_their_own_generated_batch(
    store: Store, admin: users.Actor, db_path: Path, round_: int
) -> None:
    logins = ["bob", "carol", "dave", "erin"]
    for login in logins:
        users.add_user(store, admin, login, Role.BILLER)
    bcbs = add_payer(store, "BCBS", "Blue Cross", [BCBS_IN])
    add_rule(store, BCBS_IN, bcbs)
    era_ids = []
    for n, _login in enumerate(logins):
        add_claim(store, f"PCN{n}", ["120.00", "80.00"], {PayerLevel.PRIMARY: "Blue Cross"})
        era_ids.append(import_835(store, admin, payment(f"CHK{n}", BCBS_IN,
                                                        primary_pays(f"PCN{n}"))))
    barrier = SPAWN.Barrier(len(logins))
    results = SPAWN.Queue()
    workers = [
        SPAWN.Process(target=_release_with_a_generated_batch,
                      args=(str(db_path), login, era_id, barrier, results))
        for login, era_id in zip(logins, era_ids, strict=True)
    ]  # fmt: skip
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)

    assert all(status == "released" for _, status, _, _ in outcomes), outcomes
    assert sorted(batch for _, _, batch, _ in outcomes) == [
        f"B20261122-0{n}" for n in range(1, len(logins) + 1)]
    reports = batches.batch_reports(store)
    assert sorted(len(r.payments) for r in reports) == [1] * len(logins)
