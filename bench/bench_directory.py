"""Directory search: index build time and memory, search/nearest latency, accuracy per kind.

    .venv/bin/python bench/bench_directory.py [--repeat 5] [--heldout-seeds 1 2 3]

Accuracy is measured on the committed tests/data/directory_queries.csv and, with
--heldout-seeds, on fresh sets drawn by the same generator with other seeds (queries the
search was never tuned on).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
QUERIES = ROOT / "tests" / "data" / "directory_queries.csv"

COLD = """
import json, resource, sys, time, tracemalloc
trace = sys.argv[1] == "trace"
t0 = time.perf_counter()
from bot import directory
import rapidfuzz, vietnam_provinces.lookup  # noqa: F401  (imports are counted apart)
t1 = time.perf_counter()
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if trace:  # tracemalloc slows the build ~4x: memory and time are measured in separate runs
    tracemalloc.start()
directory.warm_up()
t2 = time.perf_counter()
rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = {"import_ms": (t1 - t0) * 1e3, "build_ms": (t2 - t1) * 1e3,
       "rss_growth_mib": (rss1 - rss0) / 1024}
if trace:
    out = {"index_mib": tracemalloc.get_traced_memory()[0] / 2**20}
print(json.dumps(out))
"""


def cold_start(mode: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", COLD, mode], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def load(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def accuracy(rows: list[dict[str, str]]) -> dict[str, tuple[int, float, float]]:
    from bot import directory as D

    hits: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for row in rows:
        got = [c.unit.code for c in D.search(row["query"], row["province_hint"] or None, limit=3)]
        want = int(row["expected_ward_code"])
        hits[row["kind"]].append((got[:1] == [want], want in got))
    hits["ALL"] = [h for v in list(hits.values()) for h in v]
    return {
        k: (len(v), sum(a for a, _ in v) / len(v), sum(b for _, b in v) / len(v))
        for k, v in sorted(hits.items())
    }


def where_step(units: list) -> None:
    """Bare ward names typed at the tip flow's "Where?" step: is the right ward on the first
    screen (8 buttons)? Old rule: a text read as a province opened that province's ward
    prompt, anything else got search(); new rule: places()."""
    from bot import directory as D
    from bot.directory.text import fold

    def old(text: str) -> list[int]:
        if D.find_province(text) is not None:
            return []
        return [c.unit.code for c in D.search(text, limit=8)]

    def new(text: str) -> list[int]:
        options, province = D.places(text, limit=8)
        return [] if province else [o.ward.unit.code for o in options if o.ward]

    print(f"\n\"Where?\" step, all {len(units)} bare ward names, right ward on the first screen:")
    for spelling, typed in (("as written", lambda u: u.short_name),
                            ("no diacritics", lambda u: fold(u.short_name))):  # fmt: skip
        for rule, fn in (("old", old), ("new", new)):
            times: list[float] = []
            ok = 0
            for u in units:
                t = time.perf_counter_ns()
                ok += u.code in fn(typed(u))
                times.append((time.perf_counter_ns() - t) / 1e6)
            print(f"  {spelling:14} {rule}: {ok / len(units):6.1%}"
                  f"  p50 {pct(times, 0.5):.3f} ms  p99 {pct(times, 0.99):.3f} ms")


def print_accuracy(title: str, table: dict[str, tuple[int, float, float]]) -> None:
    print(f"\n{title}\n  {'kind':15} {'n':>5} {'top-1':>7} {'top-3':>7}")
    for kind, (n, top1, top3) in table.items():
        print(f"  {kind:15} {n:5d} {top1:7.1%} {top3:7.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--heldout-seeds", type=int, nargs="*", default=[1, 2, 3])
    args = parser.parse_args()

    runs = [cold_start("time") for _ in range(5)] + [cold_start("trace")]
    print("Cold start (fresh interpreter, median of 5; index size from tracemalloc):")
    for key in ("import_ms", "build_ms", "rss_growth_mib", "index_mib"):
        values = [r[key] for r in runs if key in r]
        print(f"  {key:15} {statistics.median(values):8.1f}")

    from bot import directory as D

    D.warm_up()
    rows = load(QUERIES)
    units = [u for p in D.provinces() for u in D.wards_of(p.code)]
    workloads: dict[str, list[tuple[str, str | None]]] = {
        f"query set ({len(rows)}, mixed)": [(r["query"], r["province_hint"] or None) for r in rows],
        "all 3,321 names, no province": [(u.name, None) for u in units],
        "all 3,321 names + province text": [(f"{u.name}, {u.province_name}", None) for u in units],
    }
    print(f"\nSearch latency (warm, {args.repeat} passes, ms):")
    for name, queries in workloads.items():
        times: list[float] = []
        for _ in range(args.repeat):
            for query, hint in queries:
                t = time.perf_counter_ns()
                D.search(query, hint)
                times.append((time.perf_counter_ns() - t) / 1e6)
        print(f"  {name:34} p50 {pct(times, 0.5):.3f}  p99 {pct(times, 0.99):.3f}"
              f"  max {max(times):.3f}")  # fmt: skip

    rng = random.Random(7)
    pins = [(rng.uniform(8.6, 23.3), rng.uniform(102.2, 109.4)) for _ in range(2000)]
    times = []
    for lat, lon in pins:
        t = time.perf_counter_ns()
        D.nearest(lat, lon)
        times.append((time.perf_counter_ns() - t) / 1e6)
    print(f"  {'nearest() random pins':34} p50 {pct(times, 0.5):.3f}  p99 {pct(times, 0.99):.3f}")

    where_step(units)
    print_accuracy(f"Accuracy on {QUERIES.relative_to(ROOT)}:", accuracy(rows))
    gen = ROOT / "tests" / "data" / "make_directory_queries.py"
    for seed in args.heldout_seeds:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "q.csv"
            subprocess.run([sys.executable, str(gen), "--seed", str(seed), "--out", str(out)],
                           cwd=ROOT, check=True, capture_output=True)  # fmt: skip
            print_accuracy(f"Held-out set, seed {seed}:", accuracy(load(out)))


if __name__ == "__main__":
    main()
