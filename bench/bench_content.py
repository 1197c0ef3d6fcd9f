"""Benchmark the content library: load + validate time, search and page latency.

.venv/bin/python bench/bench_content.py
"""

from __future__ import annotations

import statistics
import time

from bot.content import ContentService
from content.articles import load_library, validate_library

QUERIES = [
    "bong cuoi",
    "bóng cười",
    "tem giay",
    "N2O",
    "ngao da",
    "thuoc la dien tu",
    "ma túy",
    "bong cuio",
]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def main() -> None:
    t0 = time.perf_counter()
    problems = validate_library()
    t1 = time.perf_counter()
    library = load_library()
    t2 = time.perf_counter()
    service = ContentService(
        library, deep_link=lambda aid: f"https://t.me/KhongMaTuyBot?start=a_{aid}"
    )
    t3 = time.perf_counter()
    print(f"validate_library: {_ms(t1 - t0)} ({len(problems)} problems)")
    print(f"load_library:     {_ms(t2 - t1)} ({len(library.articles)} files)")
    print(f"ContentService(): {_ms(t3 - t2)} (search index)")

    rounds = 200
    timings = []
    for _ in range(rounds):
        for q in QUERIES:
            s = time.perf_counter()
            service.search(q, "vi")
            timings.append(time.perf_counter() - s)
    timings.sort()
    print(
        f"search: median {_ms(statistics.median(timings))}, "
        f"p95 {_ms(timings[int(len(timings) * 0.95)])}, max {_ms(timings[-1])} "
        f"({len(timings)} queries)"
    )
    ids = library.ids()
    s = time.perf_counter()
    for _ in range(rounds):
        for aid in ids:
            service.page(aid, "vi", 1)
    per_page = (time.perf_counter() - s) / (rounds * len(ids))
    print(f"page(): {_ms(per_page)} per page")
    s = time.perf_counter()
    for _ in range(rounds):
        service.inline_results("bong cuoi", "vi", 20)
    print(f"inline_results(): {_ms((time.perf_counter() - s) / rounds)} per query")


if __name__ == "__main__":
    main()
