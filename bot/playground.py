"""The local playground: the real bot against the project's fake Telegram server, chatted with
from a terminal. No Telegram account, no token, no internet.

Type a message or a /command. `:N` presses button N of the last message. Other commands:
`:loc LAT LON` shares a location, `:photo FILE` sends a photo, `:group TEXT` writes in a test
police group, `:as ID` becomes another person, `:help`, `:quit`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import shlex
import sys
from pathlib import Path
from typing import Any

from bot.config import ensure_data_dir, load_settings

PLAYGROUND_USER = 1000001
PLAYGROUND_GROUP = -1001000001
HELP = (
    "Type a message or a /command (try /start). Buttons are numbered: type :1, :2 … to press.\n"
    ":loc LAT LON  share a location    :photo FILE  send a photo\n"
    ":group TEXT   write in a test police group as yourself\n"
    ":as ID        become another person  :help  this text  :quit  leave\n"
    "You are a national admin here, so /invite and the police features work too."
)


def _render(reply: Any, numbered: list[Any]) -> None:
    """Print what the bot did this turn; remember the buttons of the last message."""
    seen = False
    for msg in [*reply.messages, *reply.edits]:
        seen = True
        prefix = "🤖 (edited) " if msg in reply.edits and msg not in reply.messages else "🤖 "
        print(prefix + msg.text.replace("\n", "\n   "))
        if getattr(msg, "photo", None) is not None:
            print("   [photo]")
        if getattr(msg, "document", None) is not None:
            print(f"   [file: {msg.filename}]")
    answer = reply.callback_answer
    if answer is not None and answer.text:
        print(f"   ⓘ {answer.text}")
    for chat_id, msgs in reply.elsewhere.items():
        for msg in msgs:
            print(f"📨 to chat {chat_id}: " + msg.text.replace("\n", "\n   "))
    if not seen and answer is None:
        print("   (no reply)")
    numbered.clear()
    try:
        last = reply.last
    except AssertionError:
        return
    for row in last.buttons:
        cells = []
        for button in row:
            numbered.append((last, button))
            cells.append(f"[{len(numbered)}] {button.text}")
        print("   " + "   ".join(cells))


async def playground(stdin: Any = None) -> int:
    from bot.app import running
    from fakegram import FakeTelegram

    logging.basicConfig(level=logging.WARNING)
    base = load_settings()
    stdin = stdin or sys.stdin
    async with FakeTelegram(reply_timeout=15) as tg:
        settings = dataclasses.replace(
            base,
            token=tg.token,
            api_base_url=tg.base_url,
            api_file_url=tg.base_file_url,
            data_dir=base.data_dir / "playground",
            admin_ids=base.admin_ids | {PLAYGROUND_USER},
        )
        from storage import updates
        from storage.db import Database

        ensure_data_dir(base)  # 0700, like the real bot's
        ensure_data_dir(settings)
        async with Database(settings.db_path) as db:
            await updates.forget_all(db)  # each fake server numbers its updates from 1 again
        async with running(settings, poll_timeout=5):
            you = tg.user(id=PLAYGROUND_USER, first_name="Bạn", language_code=settings.default_locale)
            group = tg.group(id=PLAYGROUND_GROUP, title="Công an phường (thử nghiệm)")
            print(f"Playground: the real bot, a fake Telegram at {tg.base_url}, data in "
                  f"{settings.data_dir}.\n{HELP}\n")
            numbered: list[Any] = []
            _render(await you.send("/start"), numbered)
            while True:
                print("> ", end="", flush=True)
                line = await asyncio.to_thread(stdin.readline)
                if not line:
                    break
                line = line.strip()
                if not line:
                    continue
                try:
                    if line in (":quit", ":q"):
                        break
                    if line == ":help":
                        print(HELP)
                        continue
                    if line.startswith(":") and line[1:].isdigit():
                        index = int(line[1:]) - 1
                        if not 0 <= index < len(numbered):
                            print("   no such button")
                            continue
                        msg, button = numbered[index]
                        if button.kind != "callback_data":
                            print(f"   (link: {button[1]})")
                            continue
                        reply = await you.press(callback_data=button[1], message=msg)
                    elif line.startswith(":loc "):
                        lat, lon = (float(x) for x in line.split()[1:3])
                        reply = await you.share_location(lat, lon)
                    elif line.startswith(":photo "):
                        path = Path(shlex.split(line)[1]).expanduser()
                        reply = await you.send_photo(path.read_bytes())
                    elif line.startswith(":group "):
                        reply = await you.send(line[len(":group "):], chat=group)
                    elif line.startswith(":as "):
                        uid = int(line.split()[1])
                        you = tg.user(id=uid, first_name=f"User {uid}", language_code=settings.default_locale)
                        print(f"   you are now user {uid}")
                        continue
                    else:
                        reply = await you.send(line)
                except Exception as exc:  # a playground typo must not end the session
                    print(f"   {exc}")
                    continue
                _render(reply, numbered)
    return 0
