"""SQLite and PostgreSQL side by side: one big release, and eight releases at once.

1. **One payment of N claims** (5,000 and 20,000 by default; two service lines each, the realistic
   835 of ``bench_release.py``), released with ``release_era`` on a SQLite file and on a
   PostgreSQL database holding the same data (copied there with ``pctui migrate-data``'s
   ``transfer.copy_database``). Figures: seconds on each, and PostgreSQL's time as a ratio of
   SQLite's (the baseline, measured in the same run). ``--fk-cost`` adds a diagnostic row: the
   same release on PostgreSQL with the server's foreign-key checks switched off for the
   session (``session_replication_role = replica``; superuser only, the throwaway cluster's
   role is one) — what those checks cost. Never a way to run pctui.
2. **Eight payments of different claims** (1,000 claims each by default): released one after
   another in one process (the serial baseline), then by eight processes at the same moment (a
   barrier), each releasing its own payment — on each backend, each time on a fresh copy of the
   same prepared data. Figures: wall seconds serial and concurrent, and the speed-up
   (serial / concurrent). On SQLite the eight take turns on the write lock; on PostgreSQL they
   run side by side (``write(parallel=True)`` plus row locks), so PostgreSQL's speed-up should
   be above 1 — bounded by the machine's cores, which the PostgreSQL server shares.
   ``--payments 2,4,8`` runs it for each count. **CPU**: the seconds of CPU the releases took
   (pctui's processes, plus the PostgreSQL server's when it is the throwaway cluster started
   here), how many of the machine's cores were busy meanwhile (every process on the machine,
   from /proc/stat), and the best speed-up those CPU seconds allow on this machine's cores
   (serial wall / (concurrent CPU seconds / cores)): a speed-up near that bound, with the cores
   all busy, means the releases are waiting for CPU, not for each other. **Waits** (PostgreSQL):
   what the releases' server processes were doing, sampled every 20 ms from
   ``pg_stat_activity`` during the concurrent run — the share of samples waiting for a lock
   (a row, a table, an advisory lock: another release holding it) and for pctui (the server idle
   inside the transaction while the Python side works).

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
import contextlib
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
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
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from tests import pgcluster  # noqa: E402

from pctui.core.era import ClaimPayment, ProviderAdjustment, Remittance  # noqa: E402
from pctui.store import intake, release, transfer, users  # noqa: E402
from pctui.store.db import Store  # noqa: E402
from pctui.x12.write835 import write_835  # noqa: E402

D = Decimal
DEPOSIT = date(2026, 11, 3)
SPAWN = multiprocessing.get_context("spawn")


# -- CPU ----------------------------------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _machine_busy() -> float | None:
    """CPU seconds every process on the machine has used so far (all cores; Linux only)."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (sum(fields) - fields[3] - (fields[4] if len(fields) > 4 else 0)) / _TICKS


def _server_cpu(postmaster: int | None) -> float | None:
    """CPU seconds of the throwaway PostgreSQL server: the postmaster, the backends it has
    reaped, and those still running (Linux /proc; None when unknown)."""
    if postmaster is None:
        return None

    def ticks(pid: str | int) -> tuple[int, list[str]]:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return int(fields[1]), fields  # parent pid; fields[11:15] = utime stime cutime cstime

    try:
        _, own = ticks(postmaster)
    except OSError:
        return None
    total = sum(int(v) for v in own[11:15])
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                parent, fields = ticks(pid)
                if parent == postmaster:
                    total += int(fields[11]) + int(fields[12])
    return total / _TICKS


class CpuMeter:
    """CPU used between :meth:`start` and :meth:`stop`: the machine's, the server's."""

    def __init__(self, postmaster: int | None) -> None:
        self.postmaster = postmaster
        self.machine = self.server = None  # type: float | None
        self._start: tuple[float | None, float | None, float] = (None, None, 0.0)

    def start(self) -> None:
        self._start = (_machine_busy(), _server_cpu(self.postmaster), time.perf_counter())

    def stop(self) -> None:
        busy, server, started = self._start
        now_busy, now_server = _machine_busy(), _server_cpu(self.postmaster)
        self.wall = time.perf_counter() - started
        self.machine = now_busy - busy if busy is not None and now_busy is not None else None
        self.server = now_server - server if server is not None and now_server is not None else None


class WaitSampler:
    """Samples what pctui's PostgreSQL backends wait for, every 20 ms, in a thread."""

    QUERY = ("SELECT state, wait_event_type FROM pg_stat_activity WHERE application_name = "
             "'pctui' AND pid <> pg_backend_pid() AND state <> 'idle'")  # fmt: skip

    def __init__(self, location: str) -> None:
        from pctui.store.db import server_url

        self.url = server_url(location)
        self.samples: list[tuple[str, str | None]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        from sqlalchemy import create_engine

        engine = create_engine(self.url)
        with engine.connect() as conn:
            while not self._stop.is_set():
                self.samples += [tuple(r) for r in conn.exec_driver_sql(self.QUERY)]
                conn.rollback()
                time.sleep(0.02)
        engine.dispose()

    def __enter__(self) -> WaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def share(self, kind: str) -> float:
        if not self.samples:
            return 0.0
        if kind == "client":
            hits = sum(1 for state, wait in self.samples
                       if state == "idle in transaction" or wait == "Client")  # fmt: skip
        else:
            hits = sum(1 for _, wait in self.samples if wait == kind)
        return hits / len(self.samples)


@dataclass
class Run:
    """One way of releasing the payments: wall seconds and CPU seconds."""

    wall: float
    clients: float  # CPU seconds of pctui's processes in their releases
    server: float | None  # the PostgreSQL server's, when known
    machine: float | None  # every process on the machine, meanwhile
    window: float  # the wall seconds the machine figure covers
    waits: str = ""  # PostgreSQL, concurrent: what the server processes waited for

    @property
    def cpu(self) -> float:
        return self.clients + (self.server or 0.0)

    @property
    def cores_busy(self) -> float | None:
        return self.machine / self.window if self.machine is not None and self.window else None


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

    def __init__(self, work: Path, admin_url: str | None, postmaster: int | None = None) -> None:
        self.work = work
        self.admin_url = admin_url
        self.postmaster = postmaster  # the throwaway server's process, for its CPU seconds
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


_NO_FK_CHECKS = {"on": False}


@event.listens_for(Engine, "connect")
def _no_fk_checks(dbapi_connection: Any, _record: Any) -> None:  # noqa: ANN401
    """--fk-cost only: a PostgreSQL session whose foreign-key triggers do not fire."""
    if _NO_FK_CHECKS["on"] and "psycopg" in type(dbapi_connection).__module__:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
        dbapi_connection.commit()


def _release_once(location: str, era_id: int, batch: str) -> tuple[float, Any]:
    store = Store.open(location)
    actor = users.identify(store, "bench")
    started = time.perf_counter()
    result = release.release_era(store, actor, era_id, DEPOSIT, batch)
    seconds = time.perf_counter() - started
    store.close()
    assert result.released, result.message
    return seconds, result


def bench_big(backends: Backends, sizes: list[int], runs: int, fk_cost: bool = False) -> None:
    print(f"\n1. One payment, released on each backend (fastest of {runs})")
    print(f"{'claims':>7} {'backend':>11} {'release s':>10} {'claims/s':>9} {'posted':>8} "
          f"{'vs SQLite':>10}")
    for size in sizes:
        prepared, era_id, _ = single._prepared(size, backends.work)
        baseline = None
        shown = backends.names + (["postgresql"] if fk_cost and backends.admin_url else [])
        for n, backend in enumerate(shown):
            best = None
            _NO_FK_CHECKS["on"] = n == 2  # the diagnostic row
            for _ in range(runs):
                location = backends.copy(prepared, backend)
                try:
                    seconds, result = _release_once(location, era_id, "BIG-1")
                finally:
                    backends.drop(location)
                best = seconds if best is None else min(best, seconds)
            _NO_FK_CHECKS["on"] = False
            assert best is not None
            baseline = baseline or best
            name = "pg, no FK" if n == 2 else backend
            print(f"{size:>7,} {name:>11} {best:>10.2f} {size / best:>9,.0f} "
                  f"{result.claims_posted:>8,} {best / baseline:>9.2f}x")
        prepared.unlink()


# -- 2. eight payments at once --------------------------------------------------------------------


def _one_of_many(location: str, era_id: int, batch: str, barrier: Any, results: Any) -> None:
    try:
        store = Store.open(location)
        actor = users.identify(store, "bench")
        barrier.wait(timeout=300)
        started, cpu = time.time(), time.process_time()
        result = release.release_era(store, actor, era_id, DEPOSIT, batch)
        cpu = time.process_time() - cpu
        results.put((era_id, result.status.value, result.message, started, time.time(), cpu))
        store.close()
    except BaseException as exc:  # the parent reports it
        results.put((era_id, "crashed", f"{type(exc).__name__}: {exc}", 0.0, 0.0, 0.0))


def _serial(location: str, era_ids: list[int], meter: CpuMeter) -> Run:
    store = Store.open(location)
    actor = users.identify(store, "bench")
    meter.start()
    started, cpu = time.perf_counter(), time.process_time()
    for k, era_id in enumerate(era_ids):
        result = release.release_era(store, actor, era_id, DEPOSIT, f"SER-{k}")
        assert result.released, result.message
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    meter.stop()
    store.close()
    return Run(seconds, cpu, meter.server, meter.machine, meter.wall)


def _concurrent(location: str, era_ids: list[int], meter: CpuMeter) -> Run:
    barrier = SPAWN.Barrier(len(era_ids) + 1)  # this process too: the meter starts with them
    results = SPAWN.Queue()
    workers = [SPAWN.Process(target=_one_of_many,
                             args=(location, era_id, f"PAR-{k}", barrier, results))
               for k, era_id in enumerate(era_ids)]  # fmt: skip
    for worker in workers:
        worker.start()
    sampler = WaitSampler(location) if location.startswith("postgres") else None
    with sampler or contextlib.nullcontext():
        barrier.wait(timeout=300)
        meter.start()
        outcomes = [results.get(timeout=900) for _ in workers]
        meter.stop()
    waits = (f"lock {sampler.share('Lock'):.0%}, LWLock {sampler.share('LWLock'):.0%}, "
             f"pctui {sampler.share('client'):.0%} of {len(sampler.samples)}"
             if sampler is not None else "")  # fmt: skip
    for worker in workers:
        worker.join(timeout=60)
    failed = [o for o in outcomes if o[1] not in ("released", "released_with_errors")]
    assert not failed, failed
    wall = max(o[4] for o in outcomes) - min(o[3] for o in outcomes)
    return Run(wall, sum(o[5] for o in outcomes), meter.server, meter.machine, meter.wall, waits)


def _cpu_text(run: Run, backend: str) -> str:
    server = (f"+{run.server:.2f}" if run.server is not None
              else "+?" if backend == "postgresql" else "")  # fmt: skip
    return f"{run.clients:.2f}{server}"


def bench_parallel(backends: Backends, counts: list[int], claims_each: int, runs: int) -> None:
    cores = os.cpu_count() or 1
    print(f"\n2. N payments of {claims_each:,} different claims each: one after another in one "
          f"process, then N processes at once (fastest of {runs}; CPU of that run)")
    print(f"{'backend':>11} {'N':>3} {'serial s':>9} {'concurrent s':>13} {'speed-up':>9} "
          f"{'CPU s serial':>13} {'CPU s conc.':>12} {'cores busy':>11} {'CPU bound':>10}  waits")
    for count in counts:
        prepared, era_ids = _prepare_parallel(backends.work, count, claims_each)
        for backend in backends.names:
            meter = CpuMeter(backends.postmaster if backend == "postgresql" else None)
            serial = concurrent = None
            for _ in range(runs):
                location = backends.copy(prepared, backend)
                done = _serial(location, era_ids, meter)
                backends.drop(location)
                serial = done if serial is None or done.wall < serial.wall else serial
                location = backends.copy(prepared, backend)
                done = _concurrent(location, era_ids, meter)
                backends.drop(location)
                concurrent = done if concurrent is None or done.wall < concurrent.wall else concurrent
            assert serial is not None and concurrent is not None
            busy = concurrent.cores_busy
            bound = serial.wall / (concurrent.cpu / cores) if concurrent.cpu else 0.0
            print(f"{backend:>11} {count:>3} {serial.wall:>9.2f} {concurrent.wall:>13.2f} "
                  f"{serial.wall / concurrent.wall:>8.2f}x {_cpu_text(serial, backend):>13} "
                  f"{_cpu_text(concurrent, backend):>12} "
                  f"{f'{busy:.2f} of {cores}' if busy is not None else '?':>11} "
                  f"{bound:>9.2f}x  {concurrent.waits}")
        prepared.unlink()
    print("speed-up = serial seconds / concurrent seconds (wall clock, first start to last end); "
          "above 1: the releases ran side by side.\n"
          "CPU s = pctui's processes + the PostgreSQL server (throwaway cluster only). cores busy = "
          "every process on the machine during the concurrent run (other users' work too).\n"
          f"CPU bound = serial seconds / (concurrent CPU seconds / {cores} cores): the best "
          "speed-up this machine's cores allow for that work, whatever the locking.\n"
          "waits = of the samples of pctui's server processes in a transaction: waiting for a "
          "lock another holds, for an LWLock (the server's internals), for pctui's side")


def _with_postgresql(admin: str | None, run: Callable[[str | None, int | None], None]) -> None:
    if admin:
        run(admin, None)
        return
    bindir = pgcluster.server_bindir()
    if bindir is None:
        print("PostgreSQL: SKIPPED — no server programs (apt-get install postgresql) and no --pg "
              "URL; SQLite only")
        run(None, None)
        return
    cluster = pgcluster.ThrowawayCluster(bindir)
    try:
        url = cluster.start()
        print(f"PostgreSQL: a throwaway cluster from {bindir} (Unix socket, fsync off)")
        run(url, _postmaster(cluster.folder))
    finally:
        cluster.stop()


def _postmaster(folder: str) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        return int(Path(folder, "data", "postmaster.pid").read_text().split()[0])
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,20000", help="claims in the one big payment")
    parser.add_argument("--payments", default="8",
                        help="payments released at once; several counts: 2,4,8")
    parser.add_argument("--claims-each", type=int, default=1000,
                        help="claims in each of those payments")
    parser.add_argument("--runs", type=int, default=2, help="runs per figure; the fastest counts")
    parser.add_argument("--pg", metavar="URL", help="an existing PostgreSQL server to use")
    parser.add_argument("--fk-cost", action="store_true",
                        help="also release the big payment on PostgreSQL with foreign-key checks "
                             "off (a diagnosis of what they cost; needs a superuser)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    counts = [int(n) for n in args.payments.split(",") if n.strip() and int(n) > 0]

    def run(admin: str | None, postmaster: int | None) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            backends = Backends(Path(tmp), admin, postmaster)
            if sizes:
                bench_big(backends, sizes, max(args.runs, 1), args.fk_cost)
            if counts:
                bench_parallel(backends, counts, args.claims_each, max(args.runs, 1))

    _with_postgresql(args.pg, run)
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs "
          f"(1, 5, 15 min: {', '.join(f'{v:.2f}' for v in os.getloadavg())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
