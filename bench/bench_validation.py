"""Full validation of a file of many small interchanges: ``pctui import`` (which validates files
under 20,000 segments during the import) against pyx12's own validator on the same file, in the
same run, each in a fresh process.

The file is the shape that was slow (issue 10, item 7): about 10,800 segments in 156
interchanges. pyx12's maps used to be loaded once per interchange (6.9 s against 0.86 s for
pyx12's own validator); now the file goes to pyx12 once, so its maps load once.

    .venv/bin/python bench/bench_validation.py
    .venv/bin/python bench/bench_validation.py --interchanges 400 --segments 30000

Target: the whole import, validation included, within 2x of pyx12's validator alone (judged on
CPU time: the machine is shared; wall time is printed too).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"

PYX12 = r"""
import io, json, logging, sys, time
import pyx12.params, pyx12.x12n_document
logging.getLogger("pyx12").setLevel(logging.CRITICAL + 1)
param = pyx12.params.ParamsBase()
param.set("exclude_external_codes", "remark_code")
started, cpu = time.perf_counter(), time.process_time()
with open(sys.argv[1]) as fd:
    pyx12.x12n_document.x12n_document(param, fd, None, None, fd_json=io.StringIO())
print(json.dumps({"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu}))
"""

PER_INTERCHANGE = r"""
import io, json, logging, sys, time
import pyx12.params, pyx12.x12n_document
from pctui.x12.envelope import read_x12
logging.getLogger("pyx12").setLevel(logging.CRITICAL + 1)
param = pyx12.params.ParamsBase()
param.set("exclude_external_codes", "remark_code")
scanned = read_x12(open(sys.argv[1], "rb").read())
started, cpu = time.perf_counter(), time.process_time()
for interchange in scanned.interchanges:  # how pctui validated before: maps loaded each time
    pyx12.x12n_document.x12n_document(param, io.StringIO(interchange.text), None, None,
                                      fd_json=io.StringIO())
print(json.dumps({"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu}))
"""

IMPORT = r"""
import contextlib, io, json, sys, time
from pctui import cli
from pctui.store.db import Store
Store.open(sys.argv[2]).close()
out = io.StringIO()
started, cpu = time.perf_counter(), time.process_time()
with contextlib.redirect_stdout(out):
    cli.main(["--db", sys.argv[2], "import", "--json", sys.argv[1]])
result = json.loads(out.getvalue())[0]
print(json.dumps({"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu,
                  "status": result["status"],
                  "validation": result["validation"], "segments": result["segments"],
                  "payments": len(result["created"])}))
"""


def _child(code: str, *args: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(SRC), PCTUI_KEYRING="memory")
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                          text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"benchmark child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=10_700)
    parser.add_argument("--interchanges", type=int, default=156)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from gen835 import generate

    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "many.835"
        file.write_text(generate(args.segments, claims_per_payment=3,
                                 interchanges=args.interchanges), encoding="ascii")  # fmt: skip
        bare = min((_child(PYX12, str(file)) for _ in range(3)), key=lambda r: r["cpu"])
        before = _child(PER_INTERCHANGE, str(file))
        runs = [_child(IMPORT, str(file), str(Path(tmp) / f"{n}.db")) for n in range(3)]
        imported = min(runs, key=lambda r: r["cpu"])
    ratio = imported["cpu"] / bare["cpu"]
    print(f"file: {imported['segments']:,} segments in {args.interchanges} interchanges, "
          f"{imported['payments']} payments ({imported['status']}, validation "
          f"{imported['validation']})")
    print(f"pyx12's own validator     : {bare['cpu']:6.2f} s CPU ({bare['seconds']:.2f} s wall)")
    print(f"pyx12 once per interchange: {before['cpu']:6.2f} s CPU  (how pctui validated "
          f"before: {before['cpu'] / bare['cpu']:.1f}x)")
    print(f"pctui import + validation : {imported['cpu']:6.2f} s CPU ({imported['seconds']:.2f} s "
          f"wall)  {ratio:.2f}x of pyx12's validator: reading, checking, storing and validating")
    ok = ratio <= 2 and imported["validation"] == "done"
    print(f"target within 2x of pyx12's validator alone (CPU): {'OK' if ok else 'OVER'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
