"""Scrub, write and validate a submission of 500 / 2,000 / 8,000 claims (issue 14, part 7).

What one submission costs before anything leaves the machine, per size:

1. **edits**: every catalogue edit (``core.edits.check_claim``) on each claim as written;
2. **write**: the claims into one 837P 005010X222A1 (``x12.write837``);
3. **validate**: pyx12's full 5010 validation of that file (``x12.validate837``) — the bulk;
4. **re-read**: pctui's own 837 reader over the file, as the submission does.

Baseline, measured in the same run: pyx12's validation alone of the same file. Targets:
2,000 claims (the most a Claim.MD upload takes) under 10 s for all four steps; linear in claims
(seconds per 1,000 claims at 8,000 within 1.5x of the figure at 500). Each size runs three
times; the fastest counts (the machine is shared).

    .venv/bin/python bench/bench_submit.py [--sizes 500,2000,8000] [--repeat 3]

Exit status 0 when the targets are met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime

from pctui.core.edits import CATALOGUE, check_claim
from pctui.core.sample_claims import dependent_claim, sample_claim
from pctui.x12.read837 import read_837
from pctui.x12.validate837 import validate_837
from pctui.x12.write837 import Envelope, claim_view, write_837

ENVELOPE = Envelope("PCTUI0001", "CLAIMMD", 1, usage="T", receiver_name="CLAIM.MD",
                    created=datetime(2026, 12, 1, 9, 0))  # fmt: skip
TARGET_2000 = 10.0
LINEARITY = 1.5


def claims(n: int) -> list:
    """Realistic claims: one in three for a dependent (a patient level), 1-4 lines each."""
    out = []
    for i in range(n):
        build = dependent_claim if i % 3 == 0 else sample_claim
        out.append(build(f"BENCH{i:06d}", i, lines=1 + i % 4))
    return out


def timed(fn):  # noqa: ANN001, ANN201
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def measure(n: int, repeat: int) -> dict[str, float]:
    batch = claims(n)
    best: dict[str, float] = {}
    for _ in range(repeat):
        edits, failures = timed(lambda: [check_claim(c, claim_view(c), CATALOGUE) for c in batch])
        assert not any(failures), "the benchmark's claims must pass every edit"
        write, written = timed(lambda: write_837(batch, ENVELOPE))
        text = written.text
        validate, problems = timed(lambda text=text: validate_837(text))
        assert problems == [], problems[:3]
        reread, back = timed(lambda text=text: read_837(text))
        assert len(back.claims) == n
        run = {"edits": edits, "write": write, "validate": validate, "re-read": reread,
               "segments": written.segment_count}  # fmt: skip
        run["total"] = edits + write + validate + reread
        if not best or run["total"] < best["total"]:
            best = run
    baseline, _ = timed(lambda: validate_837(write_837(batch, ENVELOPE).text))
    best["pyx12 alone"] = baseline
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,2000,8000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'claims':>7} {'segments':>9} {'edits':>7} {'write':>7} {'validate':>9} "
          f"{'re-read':>8} {'total':>7} {'pyx12 alone':>12} {'s/1k claims':>12}")
    results = {}
    for n in sizes:
        r = measure(n, args.repeat)
        results[n] = r
        print(f"{n:>7} {int(r['segments']):>9} {r['edits']:>7.2f} {r['write']:>7.2f} "
              f"{r['validate']:>9.2f} {r['re-read']:>8.2f} {r['total']:>7.2f} "
              f"{r['pyx12 alone']:>12.2f} {r['total'] / n * 1000:>12.3f}", flush=True)
    ok = True
    if 2000 in results:
        total = results[2000]["total"]
        ratio = total / results[2000]["pyx12 alone"]
        print(f"2,000 claims: {total:.2f} s (target under {TARGET_2000:.0f} s); "
              f"{ratio:.2f}x pyx12's validation alone")
        ok &= total < TARGET_2000
    if len(sizes) > 1:
        small, large = min(sizes), max(sizes)
        per_small = results[small]["total"] / small
        per_large = results[large]["total"] / large
        growth = per_large / per_small
        print(f"per-claim cost at {large} vs {small}: {growth:.2f}x (target under {LINEARITY}x: "
              "linear)")
        ok &= growth < LINEARITY
    print("targets met" if ok else "targets MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
