"""Time the Release 835 list with 10,000 payments against an empty list, in the same run.

Payments are generated straight into the ``era`` table with SQL (a mix of Ready and blocked: 40
Inbound IDs, half of them with a payer rule), then the real app is driven with Pilot at 80x24:

- start: from creating the app until it is running (every section mounted and read),
- open: F4 (Release 835 shown: count, first page of 200 rows, status counts, table filled),
- cursor: one Down key until the screen is idle again (mean, median and worst of 100 moves;
  on the empty list the same keys do nothing, which measures Pilot's own cost of a key press),
- page turn: Down on the last row of a page (the next 200 rows read and shown),
- poll: the 5-second re-read of the visible page (off the UI thread; timed here directly).

    .venv/bin/python bench/bench_release_list.py               # 10,000 payments
    .venv/bin/python bench/bench_release_list.py --payments 50000

Target (issue 4): opens in under a second with 10,000 payments; the cursor moves without lag.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

os.environ.setdefault("PCTUI_KEYRING", "memory")

from sqlalchemy import insert  # noqa: E402

from pctui.core.codes import PayerLevel  # noqa: E402
from pctui.secrets import SecretStore  # noqa: E402
from pctui.store import users  # noqa: E402
from pctui.store.db import Store  # noqa: E402
from pctui.store.tables import (  # noqa: E402
    Era,
    ImportedFile,
    Payer,
    PayerInboundId,
    PayerRule,
    PayerRuleLevel,
)

INBOUND_IDS = 40
MOVES = 100


def generate(store: Store, payments: int) -> None:
    """``payments`` Era rows in one INSERT; every other Inbound ID has a payer and a rule."""
    now = datetime.now(UTC)
    with store.write() as session:
        file_row = ImportedFile(filename="generated.835", sha256="bench", kind="835",
                                status="imported", loaded_at=now, loaded_by="bench",
                                validation_state="done")
        session.add(file_row)
        payer = Payer(code="BENCH", name="Bench Health Plan")
        session.add(payer)
        session.flush()
        assert file_row.id is not None and payer.id is not None
        for n in range(0, INBOUND_IDS, 2):
            inbound = f"{10000 + n}"
            session.add(PayerInboundId(value=inbound, payer_id=payer.id))
            rule = PayerRule(inbound_id=inbound, payer_id=payer.id, created_at=now, updated_at=now)
            session.add(rule)
            session.flush()
            assert rule.id is not None
            for level in PayerLevel:
                session.add(PayerRuleLevel(rule_id=rule.id, level=level.value,
                                           payment_code="PCON", adjustment_code="AIWO"))
        base = datetime(2026, 1, 1, tzinfo=UTC)
        session.execute(insert(Era), [
            {"file_id": file_row.id, "transaction_index": i, "check_number": f"EFT{i:09d}",
             "payer_key": f"P{i % INBOUND_IDS}", "payer_name": f"Payer number {i % INBOUND_IDS}",
             "inbound_id": f"{10000 + i % INBOUND_IDS}", "inbound_id_source": "N1*PR N104",
             "amount_cents": 1_234_56 + i, "payment_method": "ACH",
             "payment_date": date(2026, 1, 1) + timedelta(days=i % 300),
             "claim_count": i % 17 + 1, "status": "pending",
             "loaded_at": base + timedelta(minutes=i), "detail": "{}"}
            for i in range(payments)
        ])


async def measure(store: Store) -> dict[str, float]:
    from pctui.ui.app import PctuiApp
    from pctui.ui.screens.release_835 import PAGE_SIZE, Release835Section

    started = time.perf_counter()
    app = PctuiApp(store=store, secrets=SecretStore.in_memory(), login="bench")
    figures: dict[str, float] = {}
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        figures["start"] = time.perf_counter() - started

        t = time.perf_counter()
        await pilot.press("f4")
        await pilot.pause()
        figures["open"] = time.perf_counter() - t

        section = app.query_one(Release835Section)
        moves: list[float] = []
        # On the empty list Down does nothing: what is left is Pilot's own cost of a key.
        for _ in range(MOVES):
            t = time.perf_counter()
            await pilot.press("down")
            await pilot.pause()
            moves.append(time.perf_counter() - t)
        figures["cursor_mean"] = statistics.fmean(moves)
        figures["cursor_median"] = statistics.median(moves)
        figures["cursor_worst"] = max(moves)

        if section.state.total > PAGE_SIZE:
            section.table.move_cursor(row=section.table.row_count - 1)
            await pilot.pause()
            t = time.perf_counter()
            await pilot.press("down")
            await pilot.pause()
            figures["page_turn"] = time.perf_counter() - t
            assert section.state.page == 1

        t = time.perf_counter()
        section._read_page_in_background(section.state.generation, section.state.page,
                                         section.state.filters)
        await app.workers.wait_for_complete()
        await pilot.pause()
        figures["poll"] = time.perf_counter() - t
        figures["rows_in_table"] = section.table.row_count
        figures["payments"] = section.state.total
    return figures


def run(payments: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, count in (("empty", 0), (f"{payments:,} payments", payments)):
            path = Path(folder) / f"{count}.db"
            store = Store.open(path)
            users.identify(store, "bench")
            t = time.perf_counter()
            if count:
                generate(store, count)
            generated = time.perf_counter() - t
            results[name] = asyncio.run(measure(store))
            results[name]["generate"] = generated
            store.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=10_000)
    args = parser.parse_args()
    results = run(args.payments)
    print(f"{'':<18}{'start':>9}{'open F4':>9}{'cursor':>9}{'median':>9}{'worst':>9}"
          f"{'page':>9}{'poll':>9}   rows shown / payments")
    for name, f in results.items():
        page = f"{f['page_turn'] * 1000:7.0f}ms" if "page_turn" in f else f"{'—':>9}"
        print(f"{name:<18}{f['start'] * 1000:7.0f}ms{f['open'] * 1000:7.0f}ms"
              f"{f['cursor_mean'] * 1000:7.1f}ms{f['cursor_median'] * 1000:7.1f}ms"
              f"{f['cursor_worst'] * 1000:7.1f}ms{page}"
              f"{f['poll'] * 1000:7.0f}ms   {int(f['rows_in_table'])} / {int(f['payments'])}")
    big, empty = results[f"{args.payments:,} payments"], results["empty"]
    verdict = "meets" if big["open"] < 1.0 else "MISSES"
    print(f"Open with {args.payments:,} payments: {big['open']:.2f} s ({verdict} the 1 s target; "
          f"empty list {empty['open']:.2f} s). A cursor move costs "
          f"{(big['cursor_median'] - empty['cursor_median']) * 1000:.0f} ms (median) more than "
          "a key press that moves nothing.")


if __name__ == "__main__":
    main()
