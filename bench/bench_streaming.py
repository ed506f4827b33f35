"""Streaming import: peak memory and time of ``pctui import`` on 100k / 500k / 2M-segment 835s,
against a bare pyx12 ``X12Reader`` pass over the same files, in the same run.

Each measurement runs in its own fresh Python process; peak memory is that process's high-water
mark (VmHWM), time is wall and CPU from just before the import to just after (the database
already exists, as in daily use); ratios and the linearity check use CPU time, since the machine
is shared. The files are written straight to disk, payment by payment
(400 claims each, about 6,800 segments: the largest payment bounds the import's memory), so the
generator never holds a big file either.

    .venv/bin/python bench/bench_streaming.py                       # 100k, 500k, 2M segments
    .venv/bin/python bench/bench_streaming.py --sizes 100000 500000  # fewer

Targets (issue 10): the 2M-segment import under 250 MB peak; time linear in size (seconds per
segment at 2M within 1.5x of that at 100k).
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

PEAK = r"""
def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

BARE = PEAK + r"""
import json, sys, time
from pyx12.x12file import X12Reader
started, cpu = time.perf_counter(), time.process_time()
with X12Reader(sys.argv[1]) as reader:
    segments = sum(1 for _ in reader)
print(json.dumps({"segments": segments, "seconds": time.perf_counter() - started,
                  "cpu": time.process_time() - cpu, "peak_mb": peak_mb()}))
"""

IMPORT = PEAK + r"""
import contextlib, io, json, sys, time
from pctui import cli
from pctui.store.db import Store
Store.open(sys.argv[2]).close()
out = io.StringIO()
started, cpu = time.perf_counter(), time.process_time()
with contextlib.redirect_stdout(out):
    code = cli.main(["--db", sys.argv[2], "import", "--json", sys.argv[1]])
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
result = json.loads(out.getvalue())[0]
print(json.dumps({"exit": code, "seconds": seconds, "cpu": cpu, "status": result["status"],
                  "payments": len(result["created"]), "segments": result["segments"],
                  "peak_mb": peak_mb()}))
"""


def _child(code: str, *args: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(SRC), PCTUI_KEYRING="memory")
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                          text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"benchmark child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_big_835(path: Path, segments: int) -> int:
    """An 835 of at least ``segments`` segments: one ISA/GS holding copies of a generated
    400-claim payment, each with its own trace number and control number. Returns the count."""
    sys.path.insert(0, str(HERE))
    from gen835 import generate

    sample = generate(7_000, seed=835)  # one or two payments of 400 claims
    segs = [s.strip() for s in sample.split("~") if s.strip()]
    isa, gs = segs[0], segs[1]
    first_st = next(i for i, s in enumerate(segs) if s.startswith("ST*"))
    first_se = next(i for i, s in enumerate(segs) if s.startswith("SE*"))
    body = segs[first_st + 1 : first_se]  # BPR .. the last segment before SE
    trn = next(i for i, s in enumerate(body) if s.startswith("TRN*"))
    per_payment = len(body) + 2
    count = 2
    payments = 0
    with path.open("w", encoding="ascii", newline="") as out:
        out.write(isa + "~\n" + gs + "~\n")
        while count < segments:
            payments += 1
            control = f"{payments:09d}"
            parts = body[trn].split("*")
            parts[2] = f"BENCH{payments:010d}"
            body[trn] = "*".join(parts)
            out.write(f"ST*835*{control}~\n")
            out.write("~\n".join(body))
            out.write(f"~\nSE*{per_payment}*{control}~\n")
            count += per_payment
        out.write(f"GE*{payments}*{gs.split('*')[6]}~\nIEA*1*{isa.split('*')[13]}~\n")
    return count + 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 500_000, 2_000_000])
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for size in args.sizes:
            file = work / f"{size}.835"
            started = time.perf_counter()
            written = write_big_835(file, size)
            made = time.perf_counter() - started
            bare = _child(BARE, str(file))
            imported = _child(IMPORT, str(file), str(work / f"{size}.db"))
            mb = file.stat().st_size / 1e6
            rows.append((size, written, mb, bare, imported))
            print(f"{written:>10,} segments ({mb:6.1f} MB, written in {made:.1f} s): "
                  f"bare X12Reader {bare['seconds']:6.1f} s ({bare['cpu']:5.1f} s CPU), peak "
                  f"{bare['peak_mb']:4.0f} MB | "
                  f"pctui import {imported['seconds']:6.1f} s ({imported['cpu']:6.1f} s CPU), "
                  f"peak {imported['peak_mb']:5.0f} MB, {imported['payments']} payments "
                  f"{imported['status']}", flush=True)
            file.unlink()
            (work / f"{size}.db").unlink()
    ok = True
    first = rows[0]
    base_rate = first[4]["cpu"] / first[1]
    print("\n  segments  import CPU s per M segments  vs bare reader (CPU)  peak MB  linear?")
    for _size, written, _mb, bare, imported in rows:
        rate = imported["cpu"] / written
        ratio = imported["cpu"] / bare["cpu"]
        linear = rate / base_rate
        print(f"{written:>10,}  {rate * 1e6:28.1f}  {ratio:20.2f}x  {imported['peak_mb']:7.0f}  "
              f"{linear:5.2f}x of the smallest")
        if imported["status"] != "imported" or imported["payments"] == 0:
            ok = False
        if linear > 1.5:
            ok = False
    biggest = rows[-1]
    if biggest[1] >= 2_000_000:
        under = biggest[4]["peak_mb"] < 250
        ok = ok and under
        print(f"\n2M-segment import peak memory {biggest[4]['peak_mb']:.0f} MB (target < 250 MB): "
              f"{'OK' if under else 'OVER'}")
    print("time linear in size (CPU per segment within 1.5x of the smallest): "
          f"{'OK' if all(r[4]['cpu'] / r[1] / base_rate <= 1.5 for r in rows) else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
