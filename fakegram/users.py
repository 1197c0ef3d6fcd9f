"""Acting as Telegram users: send messages, press buttons, answer polls ... and read replies.

Every action enqueues a realistic update and (unless ``wait=False``) waits - without sleeps -
until the bot reacted in that chat, then collects everything the bot did during a short quiet
period (``tg.quiet_period``, 50 ms by default) into a :class:`Reply`.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .markup import auto_entities, entities_to_html
from .state import (
    JSON,
    BotEvent,
    CallbackQueryRecord,
    ChatRecord,
    InlineQueryRecord,
    PollRecord,
    StoredMessage,
    UserRecord,
    now,
)

if TYPE_CHECKING:
    from .server import FakeBotApi as FakeTelegram  # the views need only the server

_rng = random.Random(1001)


def bot_messages(tg: FakeTelegram, chat_id: int) -> list[BotMessage]:
    """Bot messages currently visible in a chat (oldest first, edits applied)."""
    rec = tg.chats.get(chat_id)
    if rec is None:
        return []
    return [BotMessage(tg, m) for m in rec.messages.values() if m.from_bot and not m.deleted]
_query_ids = itertools.count(1)
_VISIBLE = ("send", "edit", "delete", "error")


class Button(tuple[str, str | None]):
    """An inline keyboard button; compares equal to ``(text, callback_data | url | ...)``.

    ``kind`` tells which field the button uses (``"callback_data"``, ``"url"``, ...).
    """

    kind: str

    def __new__(cls, text: str, data: str | None, kind: str = "callback_data") -> Button:
        self = super().__new__(cls, (text, data))
        self.kind = kind
        return self

    @property
    def text(self) -> str:
        return self[0]

    @property
    def data(self) -> str | None:
        return self[1]

    def __repr__(self) -> str:
        return f"Button({self[0]!r}, {self[1]!r}, kind={self.kind!r})"


class CallbackAnswer(NamedTuple):
    """What ``answerCallbackQuery`` showed to the user."""

    text: str | None
    show_alert: bool
    url: str | None


class BotMessage:
    """A live view of one bot message (reflects later edits and deletion)."""

    def __init__(self, tg: FakeTelegram, stored: StoredMessage) -> None:
        self._tg = tg
        self._m = stored

    # -------------------------------------------------------------- identity
    @property
    def message_id(self) -> int:
        return self._m.message_id

    @property
    def chat_id(self) -> int:
        return self._m.chat_id

    @property
    def data(self) -> JSON:
        """The current Bot API ``Message`` JSON."""
        return self._m.data

    @property
    def edited(self) -> bool:
        return self._m.edited

    @property
    def deleted(self) -> bool:
        return self._m.deleted

    @property
    def history(self) -> list[str]:
        """Texts (or captions) of previous versions, oldest first."""
        return [str(d.get("text", d.get("caption", ""))) for d in self._m.history]

    # -------------------------------------------------------------- content
    @property
    def text(self) -> str:
        """Text (or caption) as the user sees it, i.e. after HTML/Markdown parsing."""
        d = self._m.data
        return str(d.get("text", d.get("caption", "")))

    @property
    def entities(self) -> list[JSON]:
        d = self._m.data
        return list(d.get("entities") or d.get("caption_entities") or [])

    @property
    def html(self) -> str:
        """The text as the bot sent it in HTML mode, else the entities rendered to HTML."""
        if self._m.sent_text is not None and (self._m.parse_mode or "").lower() == "html":
            return self._m.sent_text
        return entities_to_html(self.text, self.entities)

    @property
    def buttons(self) -> list[list[Button]]:
        """Inline keyboard as rows of ``(text, callback_data | url | ...)``."""
        rows = self._m.data.get("reply_markup", {}).get("inline_keyboard", [])
        return [[_button(b) for b in row] for row in rows]

    @property
    def button_texts(self) -> list[str]:
        return [b.text for row in self.buttons for b in row]

    def _file(self, kind: str) -> Any:
        if kind not in self._m.data:
            return None
        info = self._m.data[kind]
        fid = info[-1]["file_id"] if isinstance(info, list) else info["file_id"]
        return self._tg.files[fid]

    @property
    def photo(self) -> bytes | None:
        """Bytes of the largest photo size, if this is a photo message."""
        f = self._file("photo")
        return f.data if f else None

    @property
    def document(self) -> bytes | None:
        f = self._file("document")
        return f.data if f else None

    @property
    def filename(self) -> str | None:
        for kind in ("document", "video", "audio", "animation"):
            f = self._file(kind)
            if f is not None:
                return f.file_name
        return None

    @property
    def location(self) -> tuple[float, float] | None:
        loc = self._m.data.get("location")
        return (loc["latitude"], loc["longitude"]) if loc else None

    @property
    def poll(self) -> JSON | None:
        """The Bot API ``Poll`` (live: vote counts update as users answer)."""
        p = self._m.data.get("poll")
        return p if isinstance(p, dict) else None

    @property
    def reply_to(self) -> int | None:
        r = self._m.data.get("reply_to_message")
        return r["message_id"] if r else None

    def button(self, text: str | None = None, *, callback_data: str | None = None) -> Button:
        return _find_button(self, text, callback_data)

    def __contains__(self, item: str) -> bool:
        return item in self.text

    def __repr__(self) -> str:
        flags = "".join([" edited" if self.edited else "", " deleted" if self.deleted else ""])
        extra = f" buttons={self.button_texts}" if self.buttons else ""
        media = next((k for k in ("photo", "document", "location", "poll", "video", "voice")
                      if k in self._m.data), None)
        if media:
            extra += f" [{media}]"
        return f"<BotMessage #{self.message_id}{flags} {self.text[:80]!r}{extra}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BotMessage) and other._m is self._m

    def __hash__(self) -> int:
        return hash((self._m.chat_id, self._m.message_id))


class Reply:
    """What the bot did in reaction to one user action (a transcript turn)."""

    def __init__(self, tg: FakeTelegram, chat_id: int, start: int, update_id: int | None,
                 query_id: str | None = None) -> None:
        self._tg = tg
        self.chat_id = chat_id
        self.start = start
        self.end: int | None = None
        self.update_id = update_id
        self.query_id = query_id

    @property
    def events(self) -> list[BotEvent]:
        return self._tg.events[self.start:self.end]

    def _in_chat(self, kinds: Sequence[str]) -> list[BotEvent]:
        return [e for e in self.events if e.chat_id == self.chat_id and e.kind in kinds]

    @property
    def messages(self) -> list[BotMessage]:
        """New bot messages in this chat (current state)."""
        return _unique(BotMessage(self._tg, e.message)
                       for e in self._in_chat(("send",)) if e.message is not None)

    @property
    def edits(self) -> list[BotMessage]:
        """Bot messages in this chat that were edited during this turn."""
        return _unique(BotMessage(self._tg, e.message)
                       for e in self._in_chat(("edit",)) if e.message is not None)

    @property
    def deleted(self) -> list[int]:
        return [mid for e in self._in_chat(("delete",)) for mid in e.message_ids]

    @property
    def errors(self) -> list[BotEvent]:
        """Bot requests refused during this turn (any chat)."""
        return [e for e in self.events if e.kind == "error"]

    @property
    def callback_answer(self) -> CallbackAnswer | None:
        for e in self.events:
            if e.kind == "callback_answer" and e.query_id == self.query_id:
                p = e.params
                return CallbackAnswer(p.get("text"), bool(p.get("show_alert", False)),
                                      p.get("url"))
        return None

    @property
    def elsewhere(self) -> dict[int, list[BotMessage]]:
        """Messages the bot sent to *other* chats during this turn."""
        out: dict[int, list[BotMessage]] = {}
        for e in self.events:
            if e.kind == "send" and e.chat_id != self.chat_id and e.message is not None:
                out.setdefault(e.chat_id or 0, []).append(BotMessage(self._tg, e.message))
        return out

    @property
    def last(self) -> BotMessage:
        """The last message the bot sent or edited in this chat during this turn."""
        for e in reversed(self._in_chat(("send", "edit"))):
            if e.message is not None:
                return BotMessage(self._tg, e.message)
        raise AssertionError(f"the bot neither sent nor edited a message here: {self!r}")

    @property
    def text(self) -> str:
        """Texts of the new messages (or of the edited ones if none), blank-line separated."""
        msgs = self.messages or self.edits
        return "\n\n".join(m.text for m in msgs)

    @property
    def buttons(self) -> list[list[Button]]:
        return self.last.buttons

    @property
    def button_texts(self) -> list[str]:
        return self.last.button_texts

    def __contains__(self, item: str) -> bool:
        ans = self.callback_answer
        return any(item in m.text for m in [*self.messages, *self.edits]) or bool(
            ans and ans.text and item in ans.text)

    def __repr__(self) -> str:
        lines = [f"<Reply chat={self.chat_id}"]
        for e in self.events:
            if e.kind in ("send", "edit") and e.message is not None:
                lines.append(f"  {e.kind}: {BotMessage(self._tg, e.message)!r}")
            elif e.kind == "callback_answer":
                lines.append(f"  answer: {e.params.get('text')!r}")
            elif e.kind == "error":
                lines.append(f"  error {e.method}: {e.description}")
            elif e.kind != "chat_action":
                lines.append(f"  {e.kind} {e.method}")
        return "\n".join(lines) + ">"


class _Actor:
    """Shared waiting logic of users."""

    _tg: FakeTelegram

    async def _collect(self, reply: Reply, relevant: Callable[[BotEvent], bool],
                       timeout: float | None, what: str) -> Reply:  # noqa: ASYNC109
        tg = self._tg
        limit = tg.reply_timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        scanned = reply.start  # scan only events not seen yet: many clients wait at once
        while True:
            end = len(tg.events)
            if any(relevant(tg.events[i]) for i in range(scanned, end)):
                break
            scanned = end
            remaining = deadline - loop.time()
            if remaining <= 0:
                fetched = reply.update_id is None or tg._delivered_upto >= reply.update_id
                hint = ("the update was delivered to the bot" if fetched else
                        "the bot never fetched the update - is it polling this server?")
                recent = [f"{e.kind} {e.method} chat={e.chat_id} {e.description or ''}"
                          for e in tg.events[reply.start:]]
                raise AssertionError(
                    f"no reaction from the bot within {limit}s to {what} ({hint}); "
                    f"other bot activity meanwhile: {recent or 'none'}"
                )
            await tg._activity.wait(remaining)
        hard = loop.time() + max(limit, 1.0)
        if tg.reports_handling and reply.update_id is not None:
            # The bot says when it is done with the update: no need to wait for silence.
            while reply.update_id not in tg.handled and (budget := hard - loop.time()) > 0:
                await tg._activity.wait(budget)
            reply.end = len(tg.events)
            return reply
        while True:
            budget = min(tg.quiet_period, hard - loop.time())
            if budget <= 0 or not await tg._activity.wait(budget):
                break
        reply.end = len(tg.events)
        return reply


class FakeUser(_Actor):
    """A Telegram user talking to the bot. Create with ``tg.user(...)``."""

    def __init__(self, tg: FakeTelegram, rec: UserRecord) -> None:
        self._tg = tg
        self.rec = rec
        self._mark = 0  # events index after which `expect_no_reply` looks
        self._action_start = 0  # events index where the last action started (`wait_for`)
        self._pending_update: int | None = None

    # -------------------------------------------------------------- identity & reading
    @property
    def id(self) -> int:
        return self.rec.id

    @property
    def first_name(self) -> str:
        return self.rec.first_name

    @property
    def username(self) -> str | None:
        return self.rec.username

    @property
    def chat(self) -> ChatRecord:
        """The private chat with the bot."""
        return self._tg.chats[self.id]

    @property
    def messages(self) -> list[BotMessage]:
        """Bot messages in the private chat, oldest first, after edits, without deleted."""
        return bot_messages(self._tg, self.id)

    @property
    def last(self) -> BotMessage:
        """The latest bot message in the private chat."""
        msgs = self.messages
        if not msgs:
            raise AssertionError(f"the bot has not sent anything to {self.first_name}")
        return msgs[-1]

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """The reply keyboard currently shown in the private chat (button texts)."""
        kb = self.chat.reply_keyboard
        if not kb:
            return None
        return [[b if isinstance(b, str) else b["text"] for b in row] for row in kb["keyboard"]]

    # -------------------------------------------------------------- plumbing
    def _chat_of(self, chat: Any) -> ChatRecord:
        if chat is None:
            return self.chat
        cid = chat if isinstance(chat, int) else chat.id
        rec = self._tg.chats.get(cid)
        if rec is None:
            raise AssertionError(f"unknown chat {cid}")
        return rec

    def _new_message(self, chat: ChatRecord, extra: JSON,
                     reply_to: BotMessage | int | None = None) -> StoredMessage:
        if chat.type == "private":
            if self.rec.blocked:
                raise AssertionError(f"{self.first_name} blocked the bot; unblock_bot() first")
            self.rec.started = True
        else:
            status = chat.members.get(self.id, "left")
            if status == "kicked":
                raise AssertionError(f"{self.first_name} is banned from {chat.title!r}")
            if status == "left":
                has_owner = "creator" in chat.members.values()
                chat.members[self.id] = "member" if has_owner else "creator"
        data: JSON = {"message_id": chat.next_message_id(), "from": self.rec.to_api(),
                      "chat": chat.to_api(), "date": now()}
        if reply_to is not None:
            mid = reply_to if isinstance(reply_to, int) else reply_to.message_id
            target = chat.messages.get(mid)
            if target is None:
                raise AssertionError(f"no message {mid} to reply to in chat {chat.id}")
            data["reply_to_message"] = {k: v for k, v in target.data.items()
                                        if k != "reply_to_message"}
        data.update(extra)
        return self._tg._store_message(chat, data, from_bot=False)

    async def _post(self, chat: ChatRecord, msg: StoredMessage, *, wait: bool,
                    timeout: float | None, what: str) -> Reply:  # noqa: ASYNC109
        tg = self._tg
        text = msg.data.get("text") or msg.data.get("caption")
        ents = msg.data.get("entities") or msg.data.get("caption_entities") or []
        reply_target = chat.messages.get(msg.data.get("reply_to_message", {}).get("message_id",
                                                                                  -1))
        if not tg._bot_sees_group_message(chat, text, ents, reply_target):
            if wait:
                why = ("the bot is not in this group" if chat.bot_status in ("left", "kicked")
                       else "privacy mode: in groups the bot only gets commands, mentions and "
                            "replies to it (set tg.privacy_mode=False or make the bot admin)")
                raise AssertionError(f"{what} is not delivered to the bot: {why}")
            return self._start_reply(chat.id, None)
        return await self._act(chat.id, "message", msg.data, wait=wait, timeout=timeout,
                               what=what)

    def _start_reply(self, chat_id: int, update_id: int | None,
                     query_id: str | None = None) -> Reply:
        start = len(self._tg.events)
        self._mark = self._action_start = start
        self._pending_update = update_id
        return Reply(self._tg, chat_id, start, update_id, query_id)

    async def _act(self, chat_id: int, kind: str, payload: JSON, *, wait: bool,
                   timeout: float | None, what: str, query_id: str | None = None,  # noqa: ASYNC109
                   relevant: Callable[[BotEvent], bool] | None = None) -> Reply:
        reply = self._start_reply(chat_id, None, query_id)
        reply.update_id = self._pending_update = self._tg._enqueue(kind, payload)
        if not wait:
            return reply

        def default(e: BotEvent) -> bool:
            return (e.chat_id == chat_id and e.kind in _VISIBLE) or (
                query_id is not None and e.query_id == query_id)

        await self._collect(reply, relevant or default, timeout, what)
        self._mark = reply.end or self._mark
        return reply

    # -------------------------------------------------------------- actions
    async def send(self, text: str, chat: Any = None, *, reply_to: BotMessage | int | None = None,
                   entities: list[JSON] | None = None, wait: bool = True,
                   timeout: float | None = None) -> Reply:  # noqa: ASYNC109
        """Send a text message (commands get ``bot_command`` entities like in Telegram)."""
        if not text.strip():
            raise ValueError("Telegram clients do not send empty messages")
        c = self._chat_of(chat)
        extra: JSON = {"text": text}
        ents = entities if entities is not None else auto_entities(text)
        if ents:
            extra["entities"] = ents
        msg = self._new_message(c, extra, reply_to)
        return await self._post(c, msg, wait=wait, timeout=timeout, what=f"message {text!r}")

    async def tap(self, text: str, *, wait: bool = True, timeout: float | None = None,  # noqa: ASYNC109
                  location: tuple[float, float] | None = None,
                  phone_number: str | None = None) -> Reply:
        """Press a reply-keyboard button in the private chat (sends its text / location /
        contact)."""
        kb = self.chat.reply_keyboard
        rows = kb["keyboard"] if kb else []
        for row in rows:
            for b in row:
                btext = b if isinstance(b, str) else b["text"]
                if btext != text:
                    continue
                if kb and kb.get("one_time_keyboard"):
                    self.chat.reply_keyboard = None
                if isinstance(b, dict) and b.get("request_location"):
                    lat, lon = location or (21.0285, 105.8542)
                    return await self.share_location(lat, lon, wait=wait, timeout=timeout)
                if isinstance(b, dict) and b.get("request_contact"):
                    return await self.send_contact(phone_number or "+84900000000", wait=wait,
                                                   timeout=timeout)
                return await self.send(text, wait=wait, timeout=timeout)
        raise AssertionError(f"no reply-keyboard button {text!r}; keyboard: {self.reply_keyboard}")

    async def press(self, text: str | None = None, *, callback_data: str | None = None,
                    message: BotMessage | Reply | int | None = None, chat: Any = None,
                    wait: bool = True, timeout: float | None = None) -> Reply:  # noqa: ASYNC109
        """Press an inline button (by its text or ``callback_data``) on ``message`` or on the
        latest bot message with an inline keyboard. ``reply.callback_answer`` has the toast."""
        c = self._chat_of(chat)
        msg = self._keyboard_message(c, message)
        button = _find_button(msg, text, callback_data)
        if button.kind != "callback_data":
            raise AssertionError(
                f"button {button.text!r} is a {button.kind} button ({button.data!r}); pressing it "
                "does not send anything to the bot"
            )
        return await self._callback(c, msg, str(button.data), f"pressing {button.text!r}", wait,
                                    timeout)

    async def press_forged(self, callback_data: str, *, message: BotMessage | Reply | int,
                           chat: Any = None, wait: bool = True,
                           timeout: float | None = None) -> Reply:  # noqa: ASYNC109
        """Send a callback query with any ``callback_data`` on ``message``, whether or not it
        has that button now: a modified client, or a stale keyboard (a button the bot has since
        removed, pressed on a device that had not synced yet)."""
        c = self._chat_of(chat)
        if isinstance(message, Reply):
            message = message.last
        mid = message if isinstance(message, int) else message.message_id
        stored = c.messages.get(mid)
        if stored is None:
            raise AssertionError(f"no message {mid} in chat {c.id}")
        msg = BotMessage(self._tg, stored)
        return await self._callback(c, msg, callback_data, f"forged press {callback_data!r}",
                                    wait, timeout)

    async def _callback(self, c: ChatRecord, msg: BotMessage, data: str, what: str, wait: bool,
                        timeout: float | None) -> Reply:  # noqa: ASYNC109
        qid = str(_rng.randrange(10**17, 10**19))
        self._tg.callback_queries[qid] = CallbackQueryRecord(
            id=qid, user_id=self.id, chat_id=c.id, message_id=msg.message_id, data=data)
        payload: JSON = {
            "id": qid,
            "from": self.rec.to_api(),
            "message": msg.data,
            "chat_instance": str(abs(hash((c.id, self._tg.bot.id))) % 10**18),
            "data": data,
        }
        return await self._act(c.id, "callback_query", payload, wait=wait, timeout=timeout,
                               what=what, query_id=qid)

    def _keyboard_message(self, chat: ChatRecord,
                          message: BotMessage | Reply | int | None) -> BotMessage:
        if isinstance(message, Reply):
            message = message.last
        if message is not None:
            mid = message if isinstance(message, int) else message.message_id
            stored = chat.messages.get(mid)
            if stored is None or stored.deleted:
                raise AssertionError(f"message {mid} does not exist (or was deleted)")
            return BotMessage(self._tg, stored)
        for stored in reversed(chat.messages.values()):
            if stored.from_bot and not stored.deleted and stored.data.get("reply_markup"):
                return BotMessage(self._tg, stored)
        raise AssertionError(f"no bot message with an inline keyboard in chat {chat.id}")

    async def share_location(self, latitude: float, longitude: float, chat: Any = None, *,
                             horizontal_accuracy: float | None = None, wait: bool = True,
                             timeout: float | None = None) -> Reply:  # noqa: ASYNC109
        c = self._chat_of(chat)
        loc: JSON = {"latitude": float(latitude), "longitude": float(longitude)}
        if horizontal_accuracy is not None:
            loc["horizontal_accuracy"] = float(horizontal_accuracy)
        msg = self._new_message(c, {"location": loc})
        return await self._post(c, msg, wait=wait, timeout=timeout, what="a location")

    async def _send_media(self, kind: str, data: bytes, chat: Any, caption: str | None,
                          extra: JSON, *, file_name: str | None = None,
                          mime_type: str | None = None, wait: bool,
                          timeout: float | None) -> Reply:  # noqa: ASYNC109
        c = self._chat_of(chat)
        f = self._tg.store_file(data, kind, file_name=file_name, mime_type=mime_type)
        content: JSON = {kind: self._tg.media_json(kind, f, extra)}
        if caption:
            content["caption"] = caption
            ents = auto_entities(caption)
            if ents:
                content["caption_entities"] = ents
        msg = self._new_message(c, content)
        msg.file_ids.append(f.file_id)
        return await self._post(c, msg, wait=wait, timeout=timeout, what=f"a {kind}")

    async def send_photo(self, data: bytes, caption: str | None = None, chat: Any = None, *,
                         wait: bool = True, timeout: float | None = None) -> Reply:  # noqa: ASYNC109
        """Send a photo; the bot sees several PhotoSize entries, the largest is ``data``."""
        return await self._send_media("photo", data, chat, caption, {},
                                      mime_type="image/jpeg", wait=wait, timeout=timeout)

    async def send_document(self, data: bytes, filename: str,
                            mime_type: str = "application/octet-stream",
                            caption: str | None = None, chat: Any = None, *, wait: bool = True,
                            timeout: float | None = None) -> Reply:  # noqa: ASYNC109
        return await self._send_media("document", data, chat, caption, {}, file_name=filename,
                                      mime_type=mime_type, wait=wait, timeout=timeout)

    async def send_voice(self, data: bytes, duration: int = 1, mime_type: str = "audio/ogg",
                         chat: Any = None, *, wait: bool = True,
                         timeout: float | None = None) -> Reply:  # noqa: ASYNC109
        return await self._send_media("voice", data, chat, None, {"duration": duration},
                                      mime_type=mime_type, wait=wait, timeout=timeout)

    async def send_video(self, data: bytes, duration: int = 1, width: int = 640,
                         height: int = 360, caption: str | None = None,
                         filename: str = "video.mp4", mime_type: str = "video/mp4",
                         chat: Any = None, *, wait: bool = True,
                         timeout: float | None = None) -> Reply:  # noqa: ASYNC109
        return await self._send_media(
            "video", data, chat, caption,
            {"duration": duration, "width": width, "height": height},
            file_name=filename, mime_type=mime_type, wait=wait, timeout=timeout)

    async def send_contact(self, phone_number: str, first_name: str | None = None,
                           last_name: str | None = None, *, own: bool = True,
                           chat: Any = None, wait: bool = True,
                           timeout: float | None = None) -> Reply:  # noqa: ASYNC109
        """Share a contact (``own=True``: the user's own, with ``user_id``)."""
        c = self._chat_of(chat)
        contact: JSON = {"phone_number": phone_number,
                         "first_name": first_name or self.first_name}
        if last_name or (own and self.rec.last_name):
            contact["last_name"] = last_name or self.rec.last_name
        if own:
            contact["user_id"] = self.id
        msg = self._new_message(c, {"contact": contact})
        return await self._post(c, msg, wait=wait, timeout=timeout, what="a contact")

    async def answer_poll(self, poll: BotMessage | str | None = None,
                          option_ids: Sequence[int] = (0,), *, wait: bool = True,
                          timeout: float | None = None) -> Reply:  # noqa: ASYNC109
        """Vote in a poll the bot sent (default: the latest poll in a chat the user is in)."""
        tg = self._tg
        rec = self._find_poll(poll)
        data = rec.data
        if rec.is_closed():
            raise AssertionError(f"poll {data['question']!r} is closed")
        n = len(data["options"])
        ids = list(option_ids)
        if any(not 0 <= i < n for i in ids) or len(set(ids)) != len(ids):
            raise AssertionError(f"bad option_ids {ids} for a poll with {n} options")
        if len(ids) > 1 and not data["allows_multiple_answers"]:
            raise AssertionError("this poll allows only one answer")
        if rec.votes.get(self.id) and not data.get("allows_revoting", False):
            raise AssertionError(f"{self.first_name} already voted and revoting is off")
        if not ids and not rec.votes.get(self.id):
            raise AssertionError("nothing to retract")
        rec.votes[self.id] = ids
        rec.recount()
        chat_id = rec.chat_id
        reply = self._start_reply(chat_id, None)
        if not data["is_anonymous"]:
            answer: JSON = {"poll_id": rec.id, "user": self.rec.to_api(), "option_ids": ids,
                            "option_persistent_ids": [data["options"][i]["persistent_id"]
                                                      for i in ids]}
            tg._enqueue("poll_answer", answer)
        reply.update_id = self._pending_update = tg._enqueue("poll", dict(data))
        if not wait:
            return reply

        def relevant(e: BotEvent) -> bool:
            return e.kind in _VISIBLE and e.chat_id in (chat_id, self.id)

        await self._collect(reply, relevant, timeout, f"a vote in {data['question']!r}")
        self._mark = reply.end or self._mark
        return reply

    def _find_poll(self, poll: BotMessage | str | None) -> PollRecord:
        tg = self._tg
        if isinstance(poll, BotMessage):
            if poll.poll is None:
                raise AssertionError(f"{poll!r} is not a poll")
            return tg.polls[poll.poll["id"]]
        if isinstance(poll, str):
            if poll not in tg.polls:
                raise AssertionError(f"unknown poll id {poll}")
            return tg.polls[poll]
        for rec in reversed(tg.polls.values()):
            chat = tg.chats[rec.chat_id]
            in_chat = rec.chat_id == self.id or chat.members.get(self.id, "left") not in (
                "left", "kicked")
            msg = chat.messages.get(rec.message_id)
            if in_chat and msg is not None and not msg.deleted:
                return rec
        raise AssertionError(f"no poll visible to {self.first_name}")

    async def inline_query(self, query: str, *, offset: str = "", chat_type: str = "sender",
                           timeout: float | None = None) -> list[JSON]:  # noqa: ASYNC109
        """Type ``@bot query``; returns the results the bot answered with — or, like Telegram,
        the results of an earlier answer still in Telegram's cache (its ``cache_time``: for
        everyone, or for this user only when it was ``is_personal``) without asking the bot."""
        tg = self._tg
        for owner in (self.id, None):
            cached = tg.inline_cache.get((query, offset, owner))
            if cached is not None and cached[0] > time.monotonic():
                return list(cached[1])
        qid = str(next(_query_ids) * 7919 + _rng.randrange(10**12))
        rec = InlineQueryRecord(id=qid, user_id=self.id, query=query, offset=offset)
        tg.inline_queries[qid] = rec
        payload: JSON = {"id": qid, "from": self.rec.to_api(), "query": query,
                         "offset": offset, "chat_type": chat_type}
        reply = await self._act(
            self.id, "inline_query", payload, wait=True, timeout=timeout,
            what=f"inline query {query!r}", query_id=qid,
            relevant=lambda e: e.query_id == qid,
        )
        if rec.results is None:
            errs = [e.description for e in reply.errors if e.query_id == qid]
            raise AssertionError(f"the bot's answer to inline query {query!r} failed: {errs}")
        return rec.results

    async def choose_inline_result(self, result_id: str, query: str = "", *,
                                   wait: bool = False, timeout: float | None = None) -> Reply:  # noqa: ASYNC109
        """Report a chosen inline result (``chosen_inline_result`` update)."""
        payload: JSON = {"result_id": result_id, "from": self.rec.to_api(), "query": query}
        return await self._act(self.id, "chosen_inline_result", payload, wait=wait,
                               timeout=timeout, what=f"choosing inline result {result_id!r}")

    async def block_bot(self, *, wait: bool = False, timeout: float | None = None) -> Reply:  # noqa: ASYNC109
        """Block the bot: it gets ``my_chat_member`` (kicked) and then 403 on sends."""
        self.rec.blocked = True
        return await self._my_chat_member("member", "kicked", wait, timeout)

    async def unblock_bot(self, *, wait: bool = False, timeout: float | None = None) -> Reply:  # noqa: ASYNC109
        self.rec.blocked = False
        return await self._my_chat_member("kicked", "member", wait, timeout)

    async def _my_chat_member(self, old: str, new: str, wait: bool,
                              timeout: float | None) -> Reply:  # noqa: ASYNC109
        bot = self._tg.bot.to_api()
        payload: JSON = {
            "chat": self.chat.to_api(), "from": self.rec.to_api(), "date": now(),
            "old_chat_member": _member_json(old, bot), "new_chat_member": _member_json(new, bot),
        }
        return await self._act(self.id, "my_chat_member", payload, wait=wait, timeout=timeout,
                               what=f"{self.first_name} changing bot status to {new}")

    # -------------------------------------------------------------- waiting helpers
    async def wait_for(self, match: str | Callable[[BotMessage], bool], *,
                       timeout: float | None = None, chat: Any = None) -> BotMessage:  # noqa: ASYNC109
        """Wait until a bot message sent or edited since the start of the last action (its
        reply included) matches ``match`` (a substring or a predicate); returns it."""
        tg = self._tg
        c = self._chat_of(chat)
        pred: Callable[[BotMessage], bool] = (
            (lambda m: match in m.text) if isinstance(match, str) else match)
        limit = tg.reply_timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        since = self._action_start
        while True:
            for e in reversed(tg.events[since:]):
                if e.chat_id == c.id and e.kind in ("send", "edit") and e.message is not None:
                    m = BotMessage(tg, e.message)
                    if not m.deleted and pred(m):
                        self._mark = len(tg.events)
                        return m
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"no bot message matching {match!r} in chat {c.id} within {limit}s; "
                    f"current messages: {bot_messages(tg, c.id)[-5:]}")
            await tg._activity.wait(remaining)

    async def expect_no_reply(self, timeout: float = 0.3, chat: Any = None) -> None:  # noqa: ASYNC109
        """Assert the bot sends/edits/deletes nothing in the chat (after it fetched the last
        update) for ``timeout`` seconds."""
        tg = self._tg
        c = self._chat_of(chat)
        if self._pending_update is not None:
            await tg.wait_delivered(self._pending_update, timeout=tg.reply_timeout)
        since = self._mark
        loop = asyncio.get_running_loop()
        pending = self._pending_update
        if tg.reports_handling and pending is not None:
            # Wait until the bot is done with the update, then a short grace for anything it
            # left running; the bot's own report replaces most of the silence.
            hard = loop.time() + tg.reply_timeout
            while pending not in tg.handled and (budget := hard - loop.time()) > 0:
                await tg._activity.wait(budget)
            timeout = min(timeout, 0.05)
        deadline = loop.time() + timeout
        while (remaining := deadline - loop.time()) > 0:
            await tg._activity.wait(remaining)
            got = [e for e in tg.events[since:] if e.chat_id == c.id and e.kind in _VISIBLE]
            if got:
                shown = [f"{e.kind}: {BotMessage(tg, e.message)!r}" if e.message else
                         f"{e.kind} {e.method} {e.description or ''}" for e in got]
                raise AssertionError(f"expected no reply, but the bot did: {shown}")
        self._mark = len(tg.events)

    def __repr__(self) -> str:
        return f"<FakeUser {self.id} {self.first_name!r}>"


class FakeGroup:
    """A group or supergroup. Create with ``tg.group(...)``."""

    def __init__(self, tg: FakeTelegram, chat: ChatRecord) -> None:
        self._tg = tg
        self.chat = chat

    @property
    def id(self) -> int:
        return self.chat.id

    @property
    def title(self) -> str:
        return self.chat.title or ""

    @property
    def messages(self) -> list[BotMessage]:
        return bot_messages(self._tg, self.id)

    @property
    def last(self) -> BotMessage:
        msgs = self.messages
        if not msgs:
            raise AssertionError(f"the bot has not sent anything to {self.title!r}")
        return msgs[-1]

    def _ensure_member(self, user: FakeUser) -> None:
        if self.chat.members.get(user.id, "left") in ("left", "kicked"):
            has_owner = "creator" in self.chat.members.values()
            self.chat.members[user.id] = "member" if has_owner else "creator"

    async def _bot_status(self, by: FakeUser, new: str, rights: JSON | None, service: JSON | None,
                          wait: bool, timeout: float | None) -> Reply:  # noqa: ASYNC109
        tg = self._tg
        self._ensure_member(by)
        old_member = tg._chat_member(self.chat, tg.bot.id)
        self.chat.bot_status = new  # type: ignore[assignment]
        if rights is not None:
            self.chat.bot_rights = rights
        new_member = tg._chat_member(self.chat, tg.bot.id)
        payload: JSON = {"chat": self.chat.to_api(), "from": by.rec.to_api(), "date": now(),
                         "old_chat_member": old_member, "new_chat_member": new_member}
        reply = by._start_reply(self.id, None)
        reply.update_id = by._pending_update = tg._enqueue("my_chat_member", payload)
        if service is not None:
            msg = by._new_message(self.chat, service) if new not in ("left", "kicked") else \
                tg._store_message(self.chat, {"message_id": self.chat.next_message_id(),
                                              "from": by.rec.to_api(),
                                              "chat": self.chat.to_api(), "date": now(),
                                              **service}, from_bot=False)
            if new not in ("left", "kicked"):
                reply.update_id = by._pending_update = tg._enqueue("message", msg.data)
        if wait:
            await by._collect(reply, lambda e: e.chat_id == self.id and e.kind in _VISIBLE,
                              timeout, f"adding the bot to {self.title!r}")
        return reply

    async def add_bot(self, by: FakeUser, *, admin: bool = False, wait: bool = False,
                      timeout: float | None = None) -> Reply:  # noqa: ASYNC109
        """``by`` adds the bot (``my_chat_member`` + a ``new_chat_members`` service message)."""
        from .server import _admin_rights

        rights = _admin_rights(can_delete_messages=True) if admin else None
        return await self._bot_status(
            by, "administrator" if admin else "member", rights,
            {"new_chat_members": [self._tg.bot.to_api()]}, wait, timeout)

    async def promote_bot(self, by: FakeUser, *, wait: bool = False, **rights: bool) -> Reply:
        from .server import _admin_rights

        return await self._bot_status(by, "administrator", _admin_rights(**rights), None, wait,
                                      None)

    async def remove_bot(self, by: FakeUser, *, wait: bool = False) -> Reply:
        status = "kicked" if self.chat.type == "supergroup" else "left"
        return await self._bot_status(by, status, None,
                                      {"left_chat_member": self._tg.bot.to_api()}, wait, None)

    async def add_member(self, user: FakeUser, *, status: str = "member",
                         wait: bool = False, timeout: float | None = None) -> Reply:  # noqa: ASYNC109
        """``user`` joins (service message ``new_chat_members``; ``chat_member`` update)."""
        tg = self._tg
        old = self.chat.members.get(user.id, "left")
        self.chat.members[user.id] = status  # type: ignore[assignment]
        return await self._member_change(user, old, status, {"new_chat_members": [
            user.rec.to_api()]}, wait, timeout, tg)

    async def remove_member(self, user: FakeUser, *, wait: bool = False,
                            timeout: float | None = None) -> Reply:  # noqa: ASYNC109
        tg = self._tg
        old = self.chat.members.get(user.id, "left")
        self.chat.members[user.id] = "left"
        return await self._member_change(user, old, "left", {"left_chat_member":
                                                             user.rec.to_api()}, wait, timeout, tg)

    async def _member_change(self, user: FakeUser, old: str, new: str, service: JSON,
                             wait: bool, timeout: float | None, tg: FakeTelegram) -> Reply:  # noqa: ASYNC109
        data: JSON = {"message_id": self.chat.next_message_id(), "from": user.rec.to_api(),
                      "chat": self.chat.to_api(), "date": now(), **service}
        tg._store_message(self.chat, data, from_bot=False)
        reply = user._start_reply(self.id, None)
        cm: JSON = {"chat": self.chat.to_api(), "from": user.rec.to_api(), "date": now(),
                    "old_chat_member": _member_json(old, user.rec.to_api()),
                    "new_chat_member": _member_json(new, user.rec.to_api())}
        tg._enqueue("chat_member", cm)
        if self.chat.bot_status not in ("left", "kicked"):
            reply.update_id = user._pending_update = tg._enqueue("message", data)
        if wait:
            await user._collect(reply, lambda e: e.chat_id == self.id and e.kind in _VISIBLE,
                                timeout, f"{user.first_name} joining {self.title!r}")
        return reply

    def __repr__(self) -> str:
        return f"<FakeGroup {self.id} {self.title!r}>"


# ---------------------------------------------------------------------------- helpers
def _button(b: JSON) -> Button:
    for kind in ("callback_data", "url", "switch_inline_query",
                 "switch_inline_query_current_chat", "web_app", "login_url", "pay",
                 "callback_game", "copy_text", "switch_inline_query_chosen_chat"):
        if kind in b:
            v = b[kind]
            if isinstance(v, dict):
                v = v.get("url") or v.get("text") or str(v)
            return Button(b["text"], v if isinstance(v, str) else None, kind)
    return Button(b["text"], None, "unknown")


def _find_button(msg: BotMessage, text: str | None, callback_data: str | None) -> Button:
    if text is None and callback_data is None:
        raise ValueError("give the button text or callback_data")
    buttons = [b for row in msg.buttons for b in row]
    if callback_data is not None:
        found = [b for b in buttons if b.kind == "callback_data" and b.data == callback_data]
    else:
        assert text is not None
        found = [b for b in buttons if b.text == text]
        if not found:
            norm = text.strip().casefold()
            found = [b for b in buttons if b.text.strip().casefold() == norm]
        if not found:
            found = [b for b in buttons if norm in b.text.casefold()]
            if len(found) > 1:
                raise AssertionError(
                    f"button {text!r} is ambiguous on {msg!r}: {[b.text for b in found]}")
    if not found:
        avail = [[(b.text, b.data) for b in row] for row in msg.buttons]
        wanted = repr(text) if callback_data is None else f"callback_data={callback_data!r}"
        raise AssertionError(f"no button {wanted} on {msg!r}; available buttons: {avail}")
    return found[0]


def _member_json(status: str, user: JSON) -> JSON:
    if status == "kicked":
        return {"status": "kicked", "user": user, "until_date": 0}
    if status == "creator":
        return {"status": "creator", "user": user, "is_anonymous": False}
    if status == "administrator":
        from .server import _admin_rights

        return {"status": "administrator", "user": user, "can_be_edited": False,
                "is_anonymous": False, **_admin_rights()}
    if status in ("member", "restricted"):
        return {"status": "member", "user": user}
    return {"status": "left", "user": user}


def _unique(msgs: Iterable[BotMessage]) -> list[BotMessage]:
    seen: set[int] = set()
    out = []
    for m in msgs:
        if m.message_id not in seen:
            seen.add(m.message_id)
            out.append(m)
    return out
