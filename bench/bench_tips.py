"""Tips under load: N tipsters complete the whole flow at once, spread over W wards, through the
fake Bot API server and the real application (polling, rate limiter, outbox worker).

    .venv/bin/python bench/bench_tips.py [--tipsters 1000] [--wards 100] [--concurrency 100]

Reports tips lost (receipts shown vs cards delivered: must be 0), duplicate cards, submit→card
latency (from the commit of the tip to Telegram accepting its card, p50/p99), wall time and the
process's peak RSS (bot + fake server in one process).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import re
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import directory  # noqa: E402
from bot.app import running  # noqa: E402
from bot.config import Settings, load_settings  # noqa: E402
from bot.tip_police import TipPolice  # noqa: E402
from bot.tips import TipService  # noqa: E402
from bot.units import GROUP, WARD  # noqa: E402
from fakegram import FakeTelegram  # noqa: E402

ADMIN = 900001


def pick_wards(n: int) -> list[Any]:
    provinces = directory.provinces()
    out: list[Any] = []
    i = 0
    while len(out) < n:
        wards = directory.wards_of(provinces[i % len(provinces)].code)
        idx = i // len(provinces)
        if idx < len(wards):
            out.append(wards[idx])
        i += 1
    return out


async def main(tipsters: int, n_wards: int, concurrency: int) -> dict[str, Any]:
    submitted: dict[int, float] = {}
    delivered: dict[int, list[float]] = {}
    orig_submit = TipService.submit
    orig_delivered = TipPolice.delivered

    async def submit(self: TipService, user_id: int, d: dict[str, Any]) -> Any:
        sub = await orig_submit(self, user_id, d)
        submitted[sub.tip_id] = time.perf_counter()
        return sub

    async def on_delivered(self: TipPolice, row: Any, message_id: int) -> None:
        delivered.setdefault(int(row["tip_id"]), []).append(time.perf_counter())
        await orig_delivered(self, row, message_id)

    TipService.submit = submit  # type: ignore[method-assign]
    TipPolice.delivered = on_delivered  # type: ignore[method-assign]

    wards = pick_wards(n_wards)
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeTelegram(record_requests=False, reply_timeout=600) as tg:
            settings: Settings = dataclasses.replace(
                load_settings({}), token=tg.token, api_base_url=tg.base_url,
                api_file_url=tg.base_file_url, data_dir=Path(tmp) / "data",
                admin_ids=frozenset({ADMIN}),
                tips=dataclasses.replace(load_settings({}).tips, daily_limit=1000, burst_limit=1000),
            )
            async with running(settings, poll_timeout=5, jobs=False) as app:
                units = app.bot_data["rt"].services.units
                groups = {}
                for i, ward in enumerate(wards):
                    chat = -1009000000000 - i
                    officer = tg.user(id=800000 + i, first_name="O", started=True)
                    tg.group(id=chat, title=f"CA {ward.code}", members=[officer], bot_status="member")
                    invite = await units.issue_invite(ADMIN, WARD, ward.code, GROUP)
                    assert (await units.redeem(officer.id, invite.code, chat)).status == "bound"
                    groups[ward.code] = chat

                receipts: list[str] = []
                progress: Counter[str] = Counter()

                async def report() -> None:
                    while True:
                        await asyncio.sleep(10)
                        print(dict(progress), len(receipts), file=sys.stderr, flush=True)

                reporter = asyncio.create_task(report())
                errors: Counter[str] = Counter()

                async def press(u: Any, data: str) -> None:
                    await u.press(callback_data=data)
                    progress[data.split(":")[1]] += 1

                gate = asyncio.Semaphore(concurrency)

                async def tipster(i: int) -> None:
                    async with gate:
                        await flow(i)

                async def flow(i: int) -> None:
                    ward = wards[i % len(wards)]
                    u = tg.user(id=10_000_000 + i, first_name=f"T{i}", language_code="en")
                    try:
                        await u.send("/tip")
                        await press(u, "tip:go")
                        await press(u, "tip:c:spot")
                        province = directory.get_province(ward.province_code)
                        assert province is not None
                        await u.send(province.name)  # typed: the keyboard shows 12 a page
                        await u.send(ward.short_name)
                        await press(u, f"tip:w:{ward.code}")
                        await press(u, f"tip:wc:{ward.code}")
                        await press(u, "tip:ps")
                        await u.send(f"bench tip {i}: <b>xe máy</b> & hẻm 5")
                        await press(u, "tip:phd")
                        await press(u, "tip:t:now")
                        await press(u, "tip:send")
                        for _ in range(3000):
                            found = [m for m in u.messages[-1:] if re.search(r"\d{4} \d{4} \d{4} \d{4}", m.text)]
                            if found:
                                receipts.append(found[0].text)
                                return
                            await asyncio.sleep(0.2)
                        errors["no receipt"] += 1
                    except Exception as exc:  # counted, the bench goes on
                        errors[type(exc).__name__] += 1
                        if errors[type(exc).__name__] == 1:
                            print(str(exc)[:400], file=sys.stderr)

                t0 = time.perf_counter()
                await asyncio.gather(*(tipster(i) for i in range(tipsters)))
                t_flow = time.perf_counter() - t0
                reporter.cancel()
                deadline = time.perf_counter() + 300
                while len(delivered) < len(submitted) and time.perf_counter() < deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
                await asyncio.sleep(1.0)
                t_all = time.perf_counter() - t0
                cards: Counter[str] = Counter()
                for chat in groups.values():
                    for m in tg.sent_to(chat):
                        match = re.match(r"🛡 .*#([A-Z0-9]{6})", m.text)
                        if match:
                            cards[match.group(1)] += 1
                db = app.bot_data["rt"].db
                tip_rows = await db.fetchall("SELECT code FROM tips")
                codes = {r["code"] for r in tip_rows}
    lat = sorted((ts[0] - submitted[t]) * 1000 for t, ts in delivered.items() if t in submitted)
    q = statistics.quantiles(lat, n=100) if len(lat) >= 2 else [0.0] * 99
    return {
        "tipsters": tipsters,
        "wards": n_wards,
        "receipts_shown": len(receipts),
        "tips_stored": len(codes),
        "cards_delivered": sum(1 for c in codes if cards.get(c)),
        "tips_lost": len(receipts) - sum(1 for c in codes if cards.get(c)),
        "duplicate_cards": sum(n - 1 for n in cards.values() if n > 1),
        "errors": dict(errors),
        "submit_to_card_ms_p50": round(q[49], 1),
        "submit_to_card_ms_p99": round(q[98], 1),
        "submit_to_card_ms_max": round(max(lat), 1) if lat else None,
        "flow_wall_s": round(t_flow, 1),
        "all_cards_wall_s": round(t_all, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--tipsters", type=int, default=1000)
    parser.add_argument("--wards", type=int, default=100)
    # Tipsters mid-flow at once. fakegram's simulated clients rescan the shared event list on
    # every bot action (O(clients x events), profiled), so beyond ~100-200 at once the harness,
    # not the bot, is what is measured.
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    result = asyncio.run(main(args.tipsters, args.wards, args.concurrency))
    result["concurrency"] = args.concurrency
    print(json.dumps(result, indent=2, ensure_ascii=False))
