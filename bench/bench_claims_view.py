"""Time PAYMENTS → Claims with 50,000 claims, driven through the real app with Pilot.

The data is written straight into SQLite with executemany (claims, two service lines each, their
opening charges, and for two claims in three a released payment: PCON payment, CO-45
adjustment, PR-2 transfer to the secondary or the patient), so generating it takes seconds, not
a 50,000-claim 837 import. The same run times a 100-claim database as the baseline.

    .venv/bin/python bench/bench_claims_view.py                  # 50,000 claims and 100
    .venv/bin/python bench/bench_claims_view.py --claims 200000  # any size

What is timed (median of --repeat runs, milliseconds):
- start: ``run_test`` until the first screen is up (every section mounts and reads its data);
- open: switching to Claims (it re-reads its page), then compositing the whole screen;
- ↓, PgDn: moving the cursor inside the page; next page: ``n`` (a new page from SQL);
- last page: the page at the deepest OFFSET; search: a patient name typed and Enter
  (a LIKE over every claim); ledger: Enter on a claim until its ledger is drawn.
Each step ends with a full composite of the screen (``render_update(full=True)``), the work a
terminal refresh does, so "open" includes drawing the table, not just filling it.

Target (issue 5 part 7): the Claims view with 50,000 claims opens in under a second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

os.environ.setdefault("PCTUI_KEYRING", "memory")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from pctui.secrets import SecretStore  # noqa: E402
from pctui.store import claims  # noqa: E402
from pctui.store.db import Store  # noqa: E402

STAMP = "2024-02-01 15:30:00.000000"  # how SQLAlchemy stores a UTC datetime in SQLite
SURNAMES = ("GARCIA", "SMITH", "NGUYEN", "JOHNSON", "PATEL", "BROWN", "KIM", "LOPEZ", "DOE",
            "MILLER", "DAVIS", "WILSON", "TAYLOR", "CLARK", "LEWIS", "WALKER")  # fmt: skip
GIVEN = ("ANA", "JOHN", "MARIA", "WEI", "PRIYA", "JAMES", "LINDA", "OMAR", "JANE", "PETER")
PAYERS = ((1, "BCBS", "Blue Cross Blue Shield", "BCBSX"), (2, "MCR", "Medicare Part B", "01312"),
          (3, "AETNA", "Aetna", "60054"))  # fmt: skip
ERAS = 20


def generate(path: Path, count: int, seed: int = 5) -> None:
    """A new database with ``count`` claims and their ledgers, written with executemany."""
    Store.open(path).close()  # schema and reference data through the real migrations
    rng = random.Random(seed)
    con = sqlite3.connect(path)
    with con:
        con.executemany(
            "INSERT INTO payer (id, code, name, insurance_class, outbound_id, active) "
            "VALUES (?, ?, ?, 'commercial', ?, 1)", PAYERS)  # fmt: skip
        con.execute(
            "INSERT INTO importedfile (id, filename, sha256, kind, status, errors, segment_count,"
            " loaded_at, loaded_by, validation_state) VALUES (1, 'bench.835', 'bench', '835',"
            f" 'imported', '[]', 0, '{STAMP}', 'bench', 'done')")  # fmt: skip
        con.executemany(
            "INSERT INTO era (id, file_id, transaction_index, control_number, check_number,"
            " trn_originator, payer_key, payer_name, inbound_id, inbound_id_source, amount_cents,"
            " payment_method, payee_name, claim_count, plb_total_cents, status, loaded_at, detail)"
            " VALUES (?, 1, ?, '', ?, '', 'BCBSX', 'BLUE CROSS', '84980', 'REF*2U', 0, 'ACH', '',"
            f" 0, 0, 'released', '{STAMP}', '{{}}')",
            [(n, n, f"EFT{n:06d}") for n in range(1, ERAS + 1)])  # fmt: skip
        con.executemany(
            "INSERT INTO release (id, era_id, deposit_date, batch, released_by, released_at,"
            f" status, claims_posted, error_report, summary) VALUES (?, ?, '2024-02-01', ?,"
            f" 'bench', '{STAMP}', 'released', 0, '[]', '{{}}')",
            [(n, n, f"DEP-{n:04d}") for n in range(1, ERAS + 1)])  # fmt: skip
        claim_rows, line_rows, entry_rows = _rows(count, rng)
        con.executemany(
            "INSERT INTO claim (id, claim_id, patient_name, charge_cents, service_date,"
            " primary_payer_id, secondary_payer_id, tertiary_payer_id, payer_names, file_id,"
            f" source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, '{{}}', NULL, 'demo',"
            f" '{STAMP}')", claim_rows)  # fmt: skip
        con.executemany(
            "INSERT INTO claimline (id, claim_pk, line_number, procedure, modifiers, charge_cents,"
            " units, unit_code, service_date, control_number) VALUES (?, ?, ?, ?, '', ?, '1',"
            " 'UN', ?, ?)", line_rows)  # fmt: skip
        con.executemany(
            "INSERT INTO ledgerentry (claim_pk, line_id, kind, party, amount_cents, code,"
            " group_code, reason_code, era_id, release_id, payer_id, reverses_id, batch, memo,"
            f" created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, '', '',"
            f" '{STAMP}', 'bench')", entry_rows)  # fmt: skip
    con.close()


def _rows(count: int, rng: random.Random) -> tuple[list[tuple], list[tuple], list[tuple]]:
    claim_rows: list[tuple] = []
    line_rows: list[tuple] = []
    entries: list[tuple] = []
    for pk in range(1, count + 1):
        visit, lab = rng.randint(9_000, 30_000), rng.randint(1_500, 4_500)
        day = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        secondary = 2 if pk % 4 == 0 else None
        patient = f"{SURNAMES[pk % len(SURNAMES)]}, {GIVEN[(pk // 7) % len(GIVEN)]} {pk}"
        claim_rows.append((pk, f"CLM{pk:07d}", patient, visit + lab, day, 1, secondary))
        first, second = 2 * pk - 1, 2 * pk
        line_rows += [(first, pk, 1, "99214", visit, day, f"CLM{pk:07d}-1"),
                      (second, pk, 2, "36415", lab, day, f"CLM{pk:07d}-2")]  # fmt: skip
        entries += [(pk, first, "charge", "primary", visit, "", "", "", None, None, None),
                    (pk, second, "charge", "primary", lab, "", "", "", None, None, None)]  # fmt: skip
        if pk % 3:
            era = pk % ERAS + 1
            paid, written_off = visit * 6 // 10, visit * 2 // 10
            share = visit - paid - written_off
            moved_to = "secondary" if secondary else "patient"
            posted = (era, era, 1)
            entries += [
                (pk, first, "payment", "primary", -paid, "PCON", "", "", *posted),
                (pk, first, "adjustment", "primary", -written_off, "AIWO", "CO", "45", *posted),
                (pk, first, "transfer", "primary", -share, "", "PR", "2", *posted),
                (pk, first, "transfer", moved_to, share, "", "PR", "2", *posted),
            ]  # fmt: skip
    return claim_rows, line_rows, entries


Timing = tuple[float, float]  # wall ms, CPU ms of this process


async def _timed(pilot, step: Callable[[], Awaitable[object]]) -> Timing:
    """Wall and CPU time from the step until the app is idle and the screen is composited."""
    wall, cpu = time.perf_counter(), time.process_time()
    await step()
    await pilot.pause()
    pilot.app.screen._compositor.render_update(full=True)  # what a terminal refresh draws
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


async def _one_run(store: Store, total: int, record: Callable[[str, Timing], None]) -> None:
    from textual.widgets import Input

    from pctui.ui.app import PctuiApp
    from pctui.ui.screens.claims import ClaimsSection

    app = PctuiApp(store=store, secrets=SecretStore.in_memory(), login="bench")
    wall, cpu = time.perf_counter(), time.process_time()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.screen._compositor.render_update(full=True)
        record(
            "start (every section)",
            ((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000),
        )
        section = app.query_one(ClaimsSection)

        async def show_claims() -> None:
            app.action_show_section("claims")

        async def last_page() -> None:
            section.page_start = total  # clamped to the last page's start
            section.refresh_data()

        record("open Claims", await _timed(pilot, show_claims))
        record("cursor down", await _timed(pilot, lambda: pilot.press("down")))
        record("PgDn in the page", await _timed(pilot, lambda: pilot.press("pagedown")))
        record("next page (n)", await _timed(pilot, lambda: pilot.press("n")))
        record("last page", await _timed(pilot, last_page))
        await pilot.press("s")
        section.query_one("#claims-search", Input).value = "lopez"
        record("search a patient (Enter)", await _timed(pilot, lambda: pilot.press("enter")))
        record("open a ledger (Enter)", await _timed(pilot, lambda: pilot.press("enter")))
        await pilot.press("escape")
        await pilot.pause()


async def measure(path: Path, repeat: int) -> dict[str, Timing]:
    store = Store.open(path)
    total = claims.count_claims(store)
    times: dict[str, list[Timing]] = {}
    for _ in range(repeat):
        await _one_run(store, total, lambda name, t: times.setdefault(name, []).append(t))
    store.close()
    return {
        name: (statistics.median(w for w, _ in values), statistics.median(c for _, c in values))
        for name, values in times.items()
    }


def _sql_times(path: Path) -> dict[str, Timing]:
    store = Store.open(path)
    total = claims.count_claims(store)
    out: dict[str, Timing] = {}
    for name, call in [
        ("sql: count", lambda: claims.count_claims(store)),
        ("sql: first page", lambda: claims.list_claims(store, limit=200)),
        ("sql: last page", lambda: claims.list_claims(store, offset=max(total - 200, 0))),
        ("sql: search page", lambda: claims.list_claims(store, search="lopez")),
    ]:
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        out[name] = ((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000)
    store.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=50_000)
    parser.add_argument("--baseline", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    results: dict[int, dict[str, Timing]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for count in (args.baseline, args.claims):
            path = Path(tmp) / f"claims-{count}.db"
            started = time.perf_counter()
            generate(path, count)
            made = time.perf_counter() - started
            with sqlite3.connect(path) as con:
                entries = con.execute("SELECT count(*) FROM ledgerentry").fetchone()[0]
            print(f"{count:,} claims, {2 * count:,} lines, {entries:,} ledger entries "
                  f"generated in {made:.1f} s")  # fmt: skip
            results[count] = {**_sql_times(path), **asyncio.run(measure(path, args.repeat))}
    small, big = results[args.baseline], results[args.claims]
    print(f"\nmedian of {args.repeat} runs (SQL: one run), ms: wall / CPU")
    print(f"{'':<28}{args.baseline:>10,} claims{args.claims:>10,} claims")
    for name in big:
        print(f"{name:<28}{small[name][0]:>8.0f} /{small[name][1]:>5.0f}"
              f"{big[name][0]:>10.0f} /{big[name][1]:>5.0f}")  # fmt: skip
    opened = big["open Claims"][0]
    verdict = "met" if opened < 1000 else "MISSED"
    print(
        f"\ntarget: Claims with {args.claims:,} claims opens in under 1 s (wall): {verdict} "
        f"({opened:.0f} ms; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    return 0 if opened < 1000 else 1


if __name__ == "__main__":
    raise SystemExit(main())
