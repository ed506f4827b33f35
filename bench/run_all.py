"""Run every benchmark in turn (`make bench`); each prints its own figures and baseline ratio.

Exit status 1 when any benchmark reports a missed target.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    "bench_import.py",  # 835 import vs bare pyx12 X12Reader, peak memory
    "bench_streaming.py",  # 100k / 500k / 2M-segment imports: flat memory, linear time
    "bench_validation.py",  # 156 small interchanges: validation vs pyx12's own validator
    "bench_release.py",  # release of 1k / 5k / 20k claims vs the bare posting engine
    "bench_backends.py",  # SQLite vs PostgreSQL: 5k/20k-claim release; 8 releases at once
    "bench_release_list.py",  # Release 835 list with 10,000 payments (Pilot)
    "bench_claims_view.py",  # Claims view with 50,000 claims (Pilot)
    "bench_submit.py",  # scrub + write + validate 500 / 2,000 / 8,000 claims vs pyx12 alone
]


def main() -> int:
    failed = []
    for name in BENCHMARKS:
        print(f"\n=== {name} ===", flush=True)
        if subprocess.run([sys.executable, str(HERE / name)]).returncode != 0:
            failed.append(name)
    print("\nall targets met" if not failed else f"\ntargets missed in: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
