"""SQLite and PostgreSQL side by side: one big release, and eight releases at once.

1. **One payment of N claims** (5,000 and 20,000 by default; two service lines each, the realistic
   835 of ``bench_release.py``), released with ``release_era`` on a SQLite file and on a
   PostgreSQL database holding the same data (copied there with ``pctui migrate-data``'s
   ``transfer.copy_database``). Figures: seconds on each, and PostgreSQL's time as a ratio of
   SQLite's (the baseline, measured in the same run).
2. **Eight payments of different claims** (1,000 claims each by default): released one after
   another in one process (the serial baseline), then by eight processes at the same moment (a
   barrier), each releasing its own payment — on each backend, each time on a fresh copy of the
   same prepared data. Figures: wall seconds serial and concurrent, and the speed-up
   (serial / concurrent). On SQLite the eight take turns on the write lock; on PostgreSQL they
   run side by side (``write(parallel=True)`` plus row locks), so PostgreSQL's speed-up should
   be above 1 — bounded by the machine's cores, which the PostgreSQL server shares.

PostgreSQL is a throwaway cluster started here (``tests/pgcluster.py``; needs the server
programs, e.g. Debian's ``postgresql`` package), or ``--pg postgresql://user@host/postgres`` (a
role that may create databases). Without either, only SQLite runs, and the output says so.

    .venv/bin/python bench/bench_backends.py
    .venv/bin/python bench/bench_backends.py --sizes 5000 --payments 8 --claims-each 500

Each figure is the fastest of ``--runs`` runs (default 2): the machine is shared, and the
minimum is the least disturbed. The load average is printed at the end.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("PCTUI_KEYRING", "memory")

import bench_release as single  # noqa: E402
from tests import pgcluster  # noqa: E402

from pctui.core.era import ClaimPayment, ProviderAdjustment, Remittance  # noqa: E402
from pctui.store import intake, release, transfer, users  # noqa: E402
from pctui.store.db import Store  # noqa: E402
from pctui.x12.write835 import write_835  # noqa: E402

D = Decimal
DEPOSIT = date(2026, 11, 3)
SPAWN = multiprocessing.get_context("spawn")


# -- data ---------------------------------------------------------------------------------------


def _payments(count: int, claims_each: int) -> tuple[str, list[Remittance]]:
    """One 837P with ``count`` x ``claims_each`` claims, and ``count`` 835s: payment k pays
    only its own claims (``P<k>-<n>``), so no two payments share a claim."""
    rng = random.Random(88)
    claims: list[tuple[str, list[tuple[str, Decimal]], bool]] = []
    remittances = []
    for k in range(count):
        paid: list[ClaimPayment] = []
        for n in range(claims_each):
            claim_id = f"P{k}-{n:06d}"
            lines = [rng.choice(single.PROCEDURES), rng.choice(single.PROCEDURES)]
            claims.append((claim_id, lines, n % 3 == 0))
            paid.append(single._clp(rng, claim_id, lines, n))
        plb = [ProviderAdjustment("1234567893", date(2026, 12, 31), "L6", f"INT{k}", D("-1.25"))]
        amount = sum((c.paid for c in paid), D("0.00")) - sum((p.amount for p in plb), D("0.00"))
        remittances.append(Remittance(
            control_number=f"{k + 1:04d}", interchange_control=f"{k + 1:09d}", sender_id="BCBS",
            amount=amount, payment_method="ACH", payment_date=date(2026, 11, 2),
            check_number=f"PAR{k}", trn_originator="1362345671", payer_name="BLUE CROSS",
            payer_id=single.INBOUND, payee_name="BENCH CLINIC", claims=paid,
            provider_adjustments=plb,
        ))  # fmt: skip
    return single._claims_837(claims), remittances


def _prepare_parallel(work: Path, count: int, claims_each: int) -> tuple[Path, list[int]]:
    path = work / f"parallel-{count}x{claims_each}.db"
    store = Store.open(path)
    actor = users.identify(store, "bench")
    single._setup_practice(store)
    claims_text, remittances = _payments(count, claims_each)
    done = intake.import_bytes(store, "claims.837", claims_text.encode(), actor)
    assert done.status is intake.ImportStatus.IMPORTED, done.errors
    era_ids = []
    for k, remittance in enumerate(remittances):
        payment = intake.import_bytes(store, f"pay-{k}.835", write_835([remittance]).encode(),
                                      actor)  # fmt: skip
        assert payment.status is intake.ImportStatus.IMPORTED, payment.errors
        era_ids.append(payment.created[0])
    store.close()
    return path, era_ids


class Backends:
    """Fresh copies of a prepared SQLite file: as another SQLite file, or in PostgreSQL."""

    def __init__(self, work: Path, admin_url: str | None) -> None:
        self.work = work
        self.admin_url = admin_url
        self.made: list[str] = []
        self.names = ["sqlite"] + (["postgresql"] if admin_url else [])

    def copy(self, prepared: Path, backend: str) -> str:
        if backend == "sqlite":
            target = self.work / f"copy-{len(self.made)}.db"
            shutil.copyfile(prepared, target)
            self.made.append(str(target))
            return str(target)
        assert self.admin_url is not None
        url = pgcluster.create_database(self.admin_url, template=None)
        self.made.append(url)
        source, target = Store.open(prepared, create=False), Store.open(url)
        transfer.copy_database(source, target, users.identify(source, "bench"))
        source.close()
        target.close()
        return url

    def drop(self, location: str) -> None:
        if location.startswith("postgresql"):
            assert self.admin_url is not None
            pgcluster.drop_database(self.admin_url, pgcluster.database_name(location))
        else:
            Path(location).unlink(missing_ok=True)


# -- 1. one big payment ---------------------------------------------------------------------------


def _release_once(location: str, era_id: int, batch: str) -> tuple[float, Any]:
    store = Store.open(location)
    actor = users.identify(store, "bench")
    started = time.perf_counter()
    result = release.release_era(store, actor, era_id, DEPOSIT, batch)
    seconds = time.perf_counter() - started
    store.close()
    assert result.released, result.message
    return seconds, result


def bench_big(backends: Backends, sizes: list[int], runs: int) -> None:
    print(f"\n1. One payment, released on each backend (fastest of {runs})")
    print(f"{'claims':>7} {'backend':>11} {'release s':>10} {'claims/s':>9} {'posted':>8} "
          f"{'vs SQLite':>10}")
    for size in sizes:
        prepared, era_id, _ = single._prepared(size, backends.work)
        baseline = None
        for backend in backends.names:
            best = None
            for _ in range(runs):
                location = backends.copy(prepared, backend)
                seconds, result = _release_once(location, era_id, "BIG-1")
                backends.drop(location)
                best = seconds if best is None else min(best, seconds)
            assert best is not None
            baseline = baseline or best
            print(f"{size:>7,} {backend:>11} {best:>10.2f} {size / best:>9,.0f} "
                  f"{result.claims_posted:>8,} {best / baseline:>9.2f}x")
        prepared.unlink()


# -- 2. eight payments at once --------------------------------------------------------------------


def _one_of_many(location: str, era_id: int, batch: str, barrier: Any, results: Any) -> None:
    try:
        store = Store.open(location)
        actor = users.identify(store, "bench")
        barrier.wait(timeout=300)
        started = time.time()
        result = release.release_era(store, actor, era_id, DEPOSIT, batch)
        results.put((era_id, result.status.value, result.message, started, time.time()))
        store.close()
    except BaseException as exc:  # the parent reports it
        results.put((era_id, "crashed", f"{type(exc).__name__}: {exc}", 0.0, 0.0))


def _serial(location: str, era_ids: list[int]) -> float:
    store = Store.open(location)
    actor = users.identify(store, "bench")
    started = time.perf_counter()
    for k, era_id in enumerate(era_ids):
        result = release.release_era(store, actor, era_id, DEPOSIT, f"SER-{k}")
        assert result.released, result.message
    seconds = time.perf_counter() - started
    store.close()
    return seconds


def _concurrent(location: str, era_ids: list[int]) -> float:
    barrier = SPAWN.Barrier(len(era_ids))
    results = SPAWN.Queue()
    workers = [SPAWN.Process(target=_one_of_many,
                             args=(location, era_id, f"PAR-{k}", barrier, results))
               for k, era_id in enumerate(era_ids)]  # fmt: skip
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=900) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    failed = [o for o in outcomes if o[1] not in ("released", "released_with_errors")]
    assert not failed, failed
    return max(o[4] for o in outcomes) - min(o[3] for o in outcomes)


def bench_parallel(backends: Backends, count: int, claims_each: int, runs: int) -> None:
    print(f"\n2. {count} payments of {claims_each:,} different claims each: one after another "
          f"in one process, then {count} processes at once (fastest of {runs})")
    print(f"{'backend':>11} {'serial s':>9} {'concurrent s':>13} {'speed-up':>9}")
    prepared, era_ids = _prepare_parallel(backends.work, count, claims_each)
    for backend in backends.names:
        serial = concurrent = None
        for _ in range(runs):
            location = backends.copy(prepared, backend)
            seconds = _serial(location, era_ids)
            backends.drop(location)
            serial = seconds if serial is None else min(serial, seconds)
            location = backends.copy(prepared, backend)
            seconds = _concurrent(location, era_ids)
            backends.drop(location)
            concurrent = seconds if concurrent is None else min(concurrent, seconds)
        assert serial is not None and concurrent is not None
        print(f"{backend:>11} {serial:>9.2f} {concurrent:>13.2f} {serial / concurrent:>8.2f}x")
    prepared.unlink()
    print("speed-up = serial seconds / concurrent seconds (wall clock, first start to last end); "
          "above 1: the releases ran side by side")


def _with_postgresql(admin: str | None, run: Callable[[str | None], None]) -> None:
    if admin:
        run(admin)
        return
    bindir = pgcluster.server_bindir()
    if bindir is None:
        print("PostgreSQL: SKIPPED — no server programs (apt-get install postgresql) and no --pg "
              "URL; SQLite only")
        run(None)
        return
    cluster = pgcluster.ThrowawayCluster(bindir)
    try:
        url = cluster.start()
        print(f"PostgreSQL: a throwaway cluster from {bindir} (Unix socket, fsync off)")
        run(url)
    finally:
        cluster.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,20000", help="claims in the one big payment")
    parser.add_argument("--payments", type=int, default=8, help="payments released at once")
    parser.add_argument("--claims-each", type=int, default=1000,
                        help="claims in each of those payments")
    parser.add_argument("--runs", type=int, default=2, help="runs per figure; the fastest counts")
    parser.add_argument("--pg", metavar="URL", help="an existing PostgreSQL server to use")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    def run(admin: str | None) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            backends = Backends(Path(tmp), admin)
            if sizes:
                bench_big(backends, sizes, max(args.runs, 1))
            if args.payments > 0:
                bench_parallel(backends, args.payments, args.claims_each, max(args.runs, 1))

    _with_postgresql(args.pg, run)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
