"""The web channel under load, compared in the same run with the same flow through the
Telegram adapter (bench/bench_tips.py).

    .venv/bin/python bench/bench_web.py [--tipsters 1000] [--wards 100] [--concurrency 100]
                                         [--students 2000] [--skip-telegram]

Web phase: N simulated browsers (each its own cookie jar, real HTTP on 127.0.0.1) file the
whole tip — /tip, category, province and ward typed and chosen, text, (with --photos one photo
uploaded and cleaned), when, send — at most `concurrency` mid-flow at once, against the app
served in this process; a "request" is a form POST with the page it redirects to. Reports receipts vs tips stored (lost, duplicates), requests, p50/p99 per request,
requests/s, wall time and peak RSS. Telegram phase: bench_tips.main with the same numbers.
Contest phase (--students): N browsers joined by the link answer question 1 within --window
seconds (a share double-taps); answers lost and duplicates accepted come from the database;
beside bench_quiz's run through the Telegram adapter.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import io
import json
import re
import resource
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from PIL import Image  # noqa: E402

from bot import directory  # noqa: E402
from bot.channels.web.app import RUNNER_OPTIONS, make_app  # noqa: E402
from bot.channels.web.serve import install_services  # noqa: E402
from bot.config import WebSettings, load_settings  # noqa: E402
from bot.runtime import Runtime  # noqa: E402
from bot.units import OFFICER, WARD  # noqa: E402
from tests.web.browser import WebBrowser  # noqa: E402

ADMIN = 900001
RECEIPT = re.compile(r"\d{4} \d{4} \d{4} \d{4}")


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 60, 30)).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def p50_p99(latencies: list[float]) -> tuple[float, float]:
    """Milliseconds at the 50th and 99th percentile of latencies given in seconds."""
    lat = sorted(x * 1000 for x in latencies)
    q = statistics.quantiles(lat, n=100) if len(lat) >= 2 else [0.0] * 99
    return round(q[49], 1), round(q[98], 1)


def rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def web_phase(tipsters: int, n_wards: int, concurrency: int,
                    photos: bool = False) -> dict[str, Any]:
    from bench.bench_tips import pick_wards

    wards = pick_wards(n_wards)
    photo = jpeg()
    with tempfile.TemporaryDirectory() as tmp, socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        base = f"http://127.0.0.1:{port}"
        plain = load_settings({})
        settings = dataclasses.replace(
            plain, data_dir=Path(tmp) / "data", admin_ids=frozenset({ADMIN}),
            web=WebSettings("127.0.0.1", port, base),
            tips=dataclasses.replace(plain.tips, daily_limit=1000, burst_limit=1000),
        )
        runtime = await Runtime.open(settings)
        try:
            await install_services(runtime)
            units = runtime.services.units
            for i, ward in enumerate(wards):  # each ward's unit has an officer on the web
                officer = await runtime.accounts.user_id("web", f"bench-officer-{i}")
                invite = await units.issue_invite(ADMIN, WARD, ward.code, OFFICER)
                assert (await units.redeem(officer, invite.code, None)).status == "enrolled"
            runner = web.AppRunner(make_app(runtime), **RUNNER_OPTIONS)  # type: ignore[arg-type]
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            receipts: list[str] = []
            latencies: list[float] = []
            errors: Counter[str] = Counter()
            gate = asyncio.Semaphore(concurrency)
            connector = aiohttp.TCPConnector(limit=concurrency)

            async def flow(i: int) -> None:
                ward = wards[i % len(wards)]
                province = directory.get_province(ward.province_code)
                assert province is not None
                async with gate, aiohttp.ClientSession(
                        connector=connector, connector_owner=False,
                        cookie_jar=aiohttp.CookieJar(unsafe=True),  # 127.0.0.1 is an IP
                        headers={"Accept-Language": "en"}) as http:
                    b = WebBrowser(http, base)
                    try:
                        await b.get("/")
                        await b.say("/tip")
                        await b.press("✍️")
                        await b.press("📍")
                        await b.say(province.name)
                        await b.say(ward.short_name)
                        await b.press(ward.name)
                        await b.press("✅")
                        await b.press("Skip")
                        await b.say(f"bench tip {i}: <b>xe máy</b> & hẻm 5")
                        if photos:
                            await b.photo(photo)
                            await b.press("Done")
                        else:
                            await b.press("No photos")
                        await b.press("Just now")
                        page = await b.press("📨")
                        found = RECEIPT.search(page)
                        if found:
                            receipts.append(found.group(0))
                        else:
                            errors["no receipt"] += 1
                    except Exception as exc:  # counted; the bench goes on
                        errors[type(exc).__name__] += 1
                        if errors[type(exc).__name__] == 1:
                            print(str(exc)[:300], file=sys.stderr)
                    finally:
                        latencies.extend(b.latencies)

            t0 = time.perf_counter()
            await asyncio.gather(*(flow(i) for i in range(tipsters)))
            wall = time.perf_counter() - t0
            await connector.close()
            rows = await runtime.db.fetchall("SELECT code, unit_id FROM tips")
            await runner.cleanup()
        finally:
            await runtime.close()
    p50, p99 = p50_p99(latencies)
    return {
        "channel": "web" + (" (with a photo each)" if photos else ""),
        "tipsters": tipsters,
        "receipts_shown": len(receipts),
        "tips_stored": len(rows),
        "tips_routed_to_a_unit": sum(1 for r in rows if r["unit_id"] is not None),
        "tips_lost": tipsters - len(receipts),
        "duplicates": len(rows) - len(set(receipts)),
        "errors": dict(errors),
        "requests": len(latencies),
        "request_ms_p50": p50,
        "request_ms_p99": p99,
        "requests_per_s": round(len(latencies) / wall, 1),
        "wall_s": round(wall, 1),
        "peak_rss_mb": rss_mb(),
    }


async def contest_phase(students: int, window: float, dup_share: float) -> dict[str, Any]:
    """N students, each a browser session that joined the contest by its link and opened
    question 1 (untimed set-up), answer it spread over `window` seconds; every
    1/dup_share-th student double-taps (the second press is of a replaced screen)."""
    from bench.bench_quiz import _verify

    with tempfile.TemporaryDirectory() as tmp, socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        base = f"http://127.0.0.1:{port}"
        settings = dataclasses.replace(load_settings({}), data_dir=Path(tmp) / "data",
                                       web=WebSettings("127.0.0.1", port, base))
        runtime = await Runtime.open(settings)
        try:
            await install_services(runtime)
            quiz = runtime.services.quiz
            teacher = await runtime.accounts.user_id("web", "bench-teacher")
            now = runtime.clock.timestamp()
            contest = await quiz.create_contest(
                teacher, title="Benchmark", count=5, topics=[], difficulty="", seconds=600,
                speed_bonus=False, starts_at=now, ends_at=now + 3600, locale="vi")
            runner = web.AppRunner(make_app(runtime), **RUNNER_OPTIONS)  # type: ignore[arg-type]
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            connector = aiohttp.TCPConnector(limit=200)
            sessions: list[aiohttp.ClientSession] = []
            browsers: list[WebBrowser] = []
            gate = asyncio.Semaphore(100)

            async def join(i: int) -> None:
                http = aiohttp.ClientSession(connector=connector, connector_owner=False,
                                             cookie_jar=aiohttp.CookieJar(unsafe=True))
                sessions.append(http)
                b = WebBrowser(http, base)
                async with gate:
                    await b.get(f"/c/{contest.code}")
                    await b.say(f"HS {i}")
                    await b.press("▶️")
                browsers.append(b)

            t0 = time.perf_counter()
            await asyncio.gather(*(join(i) for i in range(students)))
            setup_s = time.perf_counter() - t0
            latencies: list[float] = []
            errors: Counter[str] = Counter()
            every = max(1, round(1 / dup_share)) if dup_share > 0 else 0
            step = window / students

            async def answer(i: int, b: WebBrowser) -> None:
                await asyncio.sleep(i * step)
                bubble, action, _label = b.buttons()[-1]
                form = {"csrf": b.csrf, "b": bubble, "a": action}
                presses = 2 if every and i % every == 0 else 1
                for _ in range(presses):
                    started = time.perf_counter()
                    try:
                        async with b.client.post(base + "/act", data=form) as resp:
                            await resp.read()
                            if resp.status != 200:
                                errors[str(resp.status)] += 1
                    except Exception as exc:
                        errors[type(exc).__name__] += 1
                    latencies.append(time.perf_counter() - started)

            wall0 = time.perf_counter()
            await asyncio.gather(*(answer(i, b) for i, b in enumerate(browsers)))
            wall = time.perf_counter() - wall0
            lost, over = await _verify(runtime.db, contest.id, students)
            for http in sessions:
                await http.close()
            await connector.close()
            await runner.cleanup()
        finally:
            await runtime.close()
    p50, p99 = p50_p99(latencies)
    return {
        "channel": "web contest", "students": students, "window_s": window,
        "answer_requests": len(latencies), "lost": lost, "duplicates_accepted": over,
        "errors": dict(errors), "request_ms_p50": p50,
        "request_ms_p99": p99, "requests_per_s": round(len(latencies) / wall, 1),
        "answers_wall_s": round(wall, 1), "setup_s": round(setup_s, 1), "peak_rss_mb": rss_mb(),
    }


async def telegram_contest_phase(students: int, window: float, dup_share: float) -> dict[str, Any]:
    from bench.bench_quiz import fake_server_path

    result = await fake_server_path(students, window, dup_share)
    result["channel"] = "telegram contest (fakegram)"
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in result.items()}


async def telegram_phase(tipsters: int, n_wards: int, concurrency: int) -> dict[str, Any]:
    from bench.bench_tips import main as tips_main

    result = await tips_main(tipsters, n_wards, concurrency)
    updates = tipsters * 12  # /tip, 9 presses, 2 typed place names, the text (bench_tips)
    result["channel"] = "telegram (fakegram)"
    result["updates_per_s"] = round(updates / result["flow_wall_s"], 1) if result["flow_wall_s"] else None
    return result


async def main(args: argparse.Namespace) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []

    def show(result: dict[str, Any]) -> None:
        results.append(result)
        print(json.dumps(result, indent=2, ensure_ascii=False), flush=True)

    if args.tipsters:
        show(await web_phase(args.tipsters, args.wards, args.concurrency, args.photos))
        if not args.skip_telegram:
            show(await telegram_phase(args.tipsters, args.wards, args.concurrency))
    if args.students:
        show(await contest_phase(args.students, args.window, args.dup_share))
        if not args.skip_telegram:
            show(await telegram_contest_phase(args.students, args.window, args.dup_share))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--tipsters", type=int, default=1000)
    parser.add_argument("--wards", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--skip-telegram", action="store_true")
    parser.add_argument("--photos", action="store_true", help="each web tip uploads a photo")
    parser.add_argument("--students", type=int, default=0, help="contest phase (e.g. 2000)")
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--dup-share", type=float, default=0.1)
    asyncio.run(main(parser.parse_args()))
