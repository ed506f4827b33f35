"""Import streams: the memory an import needs does not grow with the number of payments in the
file (test-sized; ``bench/bench_import.py --streaming`` has the 100k/500k/2M-segment figures).

Each import runs in a fresh Python process whose peak resident memory (VmHWM) is read before and
after the import: the growth is what the import itself needed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.x12.claim_samples import ClaimSpec, Line, build_837
from tests.x12.era_samples import sample_payment

from pctui.x12.write835 import write_835

CHILD = r"""
import json, sys
from pathlib import Path
from pctui.store import intake, users
from pctui.store.db import Store

def peak_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

store = Store.open(sys.argv[2])
actor = users.identify(store, "bench")
before = peak_kb()
result = intake.import_file(store, Path(sys.argv[1]), actor)
print(json.dumps({"grew_kb": peak_kb() - before, "stored": len(result.created),
                  "status": result.status.value}))
"""


def _import_in_child(tmp_path: Path, payments: int, claims: bool = False) -> dict:
    if claims:
        path = tmp_path / f"{payments}.837"
        path.write_text(build_837([[ClaimSpec(f"PCN{n}", "100.00", [Line("99213", "60.00"),
                                                                   Line("36415", "40.00")])
                                    for n in range(payments)]]))  # fmt: skip
    else:
        path = tmp_path / f"{payments}.835"
        path.write_text(write_835([sample_payment(f"EFT{n}") for n in range(payments)]))
    env = dict(os.environ, PCTUI_KEYRING="memory")
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), str(path) + ".db"],
                          capture_output=True, text=True, env=env, check=True, timeout=300)
    return {**json.loads(done.stdout), "file_kb": path.stat().st_size // 1024}


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_peak_memory_does_not_grow_with_the_number_of_payments(tmp_path: Path) -> None:
    small = _import_in_child(tmp_path, 1000)
    large = _import_in_child(tmp_path, 5000)  # five times the file (about 4 MB)

    assert (small["stored"], large["stored"]) == (1000, 5000)
    assert large["file_kb"] > 4 * small["file_kb"]
    # Holding the file and its payments, as import did before it streamed, took about 45 MB
    # more for the large one; streaming, the difference is SQLite's page cache and the ids.
    assert large["grew_kb"] - small["grew_kb"] < 5 * 1024, (small, large)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_peak_memory_does_not_grow_with_the_number_of_claims(tmp_path: Path) -> None:
    small = _import_in_child(tmp_path, 1000, claims=True)
    large = _import_in_child(tmp_path, 5000, claims=True)

    assert (small["stored"], large["stored"]) == (1000, 5000)
    assert large["grew_kb"] - small["grew_kb"] < 5 * 1024, (small, large)
