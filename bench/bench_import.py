"""Time ``pctui import`` of a large 835 against a bare pyx12 X12Reader pass over the same file.

Each side runs in its own fresh Python process, in the same run, so peak memory (VmHWM from
/proc/self/status, the process's own high-water mark) is the import's own. Each side runs three
times and the fastest run counts (the machine is shared; the minimum is the least disturbed).
Both wall-clock and CPU time are printed; the 3x target is judged on CPU time, which other
processes on a shared machine disturb far less than wall time (on a quiet machine they agree). The import side calls the real CLI entry point (``pctui.cli.main(["--db", ..,
"import", "--json", FILE])``): open the database (migrations), read, check, store, print. The
clock starts after Python and the modules are loaded and the database exists (as in daily use;
creating a new database runs its migrations once, about 0.2 s); interpreter start-up (the same for
any command) is reported separately as the wall time of the whole child process.

    .venv/bin/python bench/bench_import.py                 # generates a 100k-segment file
    .venv/bin/python bench/bench_import.py --file big.835  # or times an existing file
    .venv/bin/python bench/bench_import.py --validate 5000 # also time pyx12 full validation

Targets (issue 4): import within 3x the bare reader; peak memory under 200 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"

# Peak resident memory of the measuring subprocess (both scripts below start with it).
PEAK_MB = r"""
import resource
def peak_mb():
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

BARE = PEAK_MB + r"""
import json, sys, time
from pyx12.x12file import X12Reader
started, cpu = time.perf_counter(), time.process_time()
with X12Reader(sys.argv[1]) as reader:
    segments = sum(1 for _ in reader)
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({"segments": segments, "seconds": seconds, "cpu": cpu, "max_rss_mb": peak_mb()}))
"""

IMPORT = PEAK_MB + r"""
import contextlib, io, json, sys, time
from pctui import cli
from pctui.store.db import Store
Store.open(sys.argv[2]).close()  # an existing database, as in daily use (migrations done)
out = io.StringIO()
started, cpu = time.perf_counter(), time.process_time()
with contextlib.redirect_stdout(out):
    code = cli.main(["--db", sys.argv[2], "import", "--json", sys.argv[1]])
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
result = json.loads(out.getvalue())[0]
print(json.dumps({"exit": code, "seconds": seconds, "cpu": cpu, "status": result["status"],
                  "payments": len(result["created"]), "segments": result["segments"],
                  "validation": result["validation"], "max_rss_mb": peak_mb()}))
"""

LISTING = r"""
import json, sys, time
from pctui.store.db import Store
from pctui.store import eras, intake, users
store = Store.open(sys.argv[2])
actor = users.identify(store, "bench")
started = time.perf_counter()
(result,) = intake.import_paths(store, [sys.argv[1]], actor)
imported = time.perf_counter() - started
timings = {}
for name, call in [
    ("count all", lambda: eras.count_eras(store)),
    ("first page of 100", lambda: eras.list_eras(store, limit=100)),
    ("page at offset 9900", lambda: eras.list_eras(store, offset=9900, limit=100)),
    ("blocked only, first page", lambda: eras.list_eras(
        store, eras.EraFilter(status=eras.EraStatus.NO_PAYER_RULE), limit=100)),
    ("status counts", lambda: eras.status_counts(store)),
    ("all rows at once", lambda: eras.list_eras(store)),
]:
    t = time.perf_counter(); call(); timings[name] = time.perf_counter() - t
print(json.dumps({"payments": len(result.created), "import_seconds": imported,
                  "timings": timings}))
"""

VALIDATE = r"""
import json, sys, time
from pctui.x12.envelope import read_x12
from pctui.x12.validate import validate_interchanges
scanned = read_x12(open(sys.argv[1], "rb").read())
started = time.perf_counter()
findings = validate_interchanges(scanned.interchanges)
seconds = time.perf_counter() - started
print(json.dumps({"segments": scanned.segment_count, "seconds": seconds,
                  "findings": len(findings)}))
"""


def _child(code: str, *args: str) -> tuple[dict, float]:
    env = dict(os.environ, PYTHONPATH=str(SRC), PCTUI_KEYRING="memory")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                          text=True, check=False)  # fmt: skip
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"benchmark child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1]), wall


def _generate(path: Path, segments: int, seed: int = 835) -> None:
    sys.path.insert(0, str(HERE))
    from gen835 import generate

    path.write_text(generate(segments, seed=seed), encoding="ascii", newline="")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, help="an existing 835 (default: generate one)")
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--validate", type=int, metavar="SEGMENTS", default=0,
                        help="also time pyx12 full validation of a file this size")
    parser.add_argument("--list", type=int, metavar="PAYMENTS", default=0,
                        help="also import this many one-claim payments and time the ERA list")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        file = args.file or work / "bench.835"
        if args.file is None:
            _generate(file, args.segments)
        size = file.stat().st_size
        bare, _ = min((_child(BARE, str(file)) for _ in range(3)),
                      key=lambda run: run[0]["seconds"])  # fmt: skip
        runs = []
        for n in range(3):  # a fresh database each time: every run stores the file
            runs.append(_child(IMPORT, str(file), str(work / f"bench{n}.db")))
        imported, import_wall = min(runs, key=lambda run: run[0]["seconds"])
        segments = bare["segments"]
        ratio = imported["seconds"] / bare["seconds"]
        cpu_ratio = imported["cpu"] / bare["cpu"]
        print(f"file: {file.name}, {segments:,} segments, {size / 1e6:.1f} MB, "
              f"{imported['payments']} payments stored ({imported['status']}, validation "
              f"{imported['validation']})")
        print(f"bare X12Reader : {bare['seconds']:6.2f} s wall {segments / bare['seconds']:9,.0f} "
              f"seg/s | {bare['cpu']:5.2f} s CPU  peak {bare['max_rss_mb']:4.0f} MB")
        print(f"pctui import   : {imported['seconds']:6.2f} s wall "
              f"{segments / imported['seconds']:9,.0f} seg/s | {imported['cpu']:5.2f} s CPU  "
              f"peak {imported['max_rss_mb']:4.0f} MB  (whole process with start-up "
              f"{import_wall:.2f} s)")
        ok = cpu_ratio <= 3 and imported["max_rss_mb"] < 200
        print(f"ratio import / bare reader: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU "
              f"(target within 3x, judged on CPU time) {'OK' if cpu_ratio <= 3 else 'OVER'}")
        print(f"peak memory of the import process: {imported['max_rss_mb']:.0f} MB "
              f"(target < 200 MB) {'OK' if imported['max_rss_mb'] < 200 else 'OVER'}")
        if args.validate:
            small = work / "validate.835"
            _generate(small, args.validate, seed=7)
            checked, _ = _child(VALIDATE, str(small))
            print(f"pyx12 full 5010 validation: {checked['segments']:,} segments in "
                  f"{checked['seconds']:.2f} s = {checked['segments'] / checked['seconds']:,.0f} "
                  f"seg/s ({checked['findings']} findings)")
        if args.list:
            many = work / "many.835"
            sys.path.insert(0, str(HERE))
            from gen835 import generate_payments

            many.write_text(generate_payments(args.list, seed=3), encoding="ascii", newline="")
            listed, _ = _child(LISTING, str(many), str(work / "list.db"))
            print(f"ERA list data layer: {listed['payments']:,} payments imported in "
                  f"{listed['import_seconds']:.1f} s")
            for name, seconds in listed["timings"].items():
                print(f"  {name:<26} {seconds * 1000:7.1f} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
