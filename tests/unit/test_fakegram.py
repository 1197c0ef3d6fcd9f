"""fakegram against a real python-telegram-bot Application (long polling over HTTP)."""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
import json
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, EndPointNotFound, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    PollAnswerHandler,
    TypeHandler,
    filters,
)

from fakegram import FakeTelegram, load_spec
from fakegram.markup import EntityParseError, parse_html, parse_markdown_v2
from fakegram.pytest_plugin import fake_telegram  # noqa: F401  (fixture under test)

# --------------------------------------------------------------------------- the test bot
MAIN_KB = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Tìm hiểu về ma túy", callback_data="learn")],
        [InlineKeyboardButton("Trang web", url="https://example.org/khongmatuy")],
    ]
)
BACK_KB = InlineKeyboardMarkup([[InlineKeyboardButton("⬅️ Quay lại", callback_data="back")]])
QUIZ_OPTIONS = ["Heroin", "Nước cam", "Trà xanh"]


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message and update.effective_user
    payload = " ".join(context.args or [])
    text = f"Xin chào <b>{update.effective_user.first_name}</b> &amp; chúc một ngày tốt!"
    if payload:
        text += f"\nMã: <code>{payload}</code>"
    await update.effective_message.reply_text(text, parse_mode=ParseMode.HTML,
                                              reply_markup=MAIN_KB)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    q = update.callback_query
    assert q is not None
    if q.data == "learn":
        await q.answer("Đã chọn")
        await q.edit_message_text("Ma túy gây <i>nghiện</i>.", parse_mode=ParseMode.HTML,
                                  reply_markup=BACK_KB)
    else:
        await q.answer()
        await q.edit_message_text("Menu chính", reply_markup=MAIN_KB)


async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    msg = update.effective_message
    assert msg is not None and msg.photo
    f = await msg.photo[-1].get_file()
    data = await f.download_as_bytearray()
    await msg.reply_text(f"Ảnh {len(data)} bytes, {len(msg.photo)} cỡ")


async def on_location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    msg = update.effective_message
    assert msg is not None and msg.location
    await msg.reply_text(f"Vị trí: {msg.location.latitude:.4f}, {msg.location.longitude:.4f}")


async def quiz(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat
    await context.bot.send_poll(
        update.effective_chat.id, "Chất nào là ma túy?", QUIZ_OPTIONS, type="quiz",
        correct_option_ids=[0], is_anonymous=False, explanation="Heroin là ma túy.",
        open_period=60,
    )


async def on_poll_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ans = update.poll_answer
    assert ans is not None and ans.user is not None
    verdict = "Đúng rồi!" if list(ans.option_ids) == [0] else "Sai rồi."
    await context.bot.send_message(ans.user.id, verdict)


async def on_inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    q = update.inline_query
    assert q is not None
    results = [
        InlineQueryResultArticle(
            id=f"r{i}", title=f"{q.query} #{i}",
            input_message_content=InputTextMessageContent(f"<b>{q.query}</b> {i}",
                                                          parse_mode=ParseMode.HTML),
        )
        for i in range(2)
    ]
    await q.answer(results, cache_time=0)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message and update.effective_message.text
    await update.effective_message.reply_text(update.effective_message.text)


def build_app(tg: FakeTelegram) -> Application:
    app = (
        ApplicationBuilder()
        .token(tg.token)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("quiz", quiz))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(filters.PHOTO, on_photo))
    app.add_handler(MessageHandler(filters.LOCATION, on_location))
    app.add_handler(PollAnswerHandler(on_poll_answer))
    app.add_handler(InlineQueryHandler(on_inline))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return app


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # RetryAfter.retry_after as timedelta, no warning


@pytest_asyncio.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest_asyncio.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Application]:
    app = build_app(tg)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=10)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


def jpeg(width: int = 1000, height: int = 700) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buf, format="JPEG")
    return buf.getvalue()


def retry_seconds(exc: RetryAfter) -> float:
    ra = exc.retry_after
    return ra.total_seconds() if isinstance(ra, dtm.timedelta) else float(ra)


# --------------------------------------------------------------------------- transcripts
async def test_start_press_and_edit(tg: FakeTelegram, bot: Application) -> None:
    lan = tg.user(id=1001, first_name="Lan", username="lan")

    reply = await lan.send("/start ref42")
    assert reply.text == "Xin chào Lan & chúc một ngày tốt!\nMã: ref42"
    assert "<b>Lan</b>" in reply.last.html
    assert reply.last.buttons == [
        [("Tìm hiểu về ma túy", "learn")],
        [("Trang web", "https://example.org/khongmatuy")],
    ]
    assert lan.last.entities[0]["type"] == "bold"

    reply = await lan.press("Tìm hiểu về ma túy")
    assert reply.callback_answer is not None and reply.callback_answer.text == "Đã chọn"
    assert reply.messages == []
    edited = reply.edits[0]
    assert edited.edited and edited.text == "Ma túy gây nghiện."
    assert edited.button_texts == ["⬅️ Quay lại"]
    assert len(lan.messages) == 1  # edited in place

    reply = await lan.press(callback_data="back")
    assert reply.last.text == "Menu chính"

    with pytest.raises(AssertionError, match="available buttons"):
        await lan.press("Không tồn tại")
    with pytest.raises(AssertionError, match="url button"):
        await lan.press("Trang web")

    reply = await lan.send("xin chào")
    assert reply.text == "xin chào"
    await lan.send("không trả lời", wait=False)
    with pytest.raises(AssertionError, match="expected no reply"):
        await lan.expect_no_reply(timeout=0.5)
    tg.assert_no_violations()


async def test_photo_download_location_poll_inline(tg: FakeTelegram, bot: Application) -> None:
    u = tg.user(id=1002, first_name="Minh")
    data = jpeg()

    reply = await u.send_photo(data, caption="ảnh hiện trường")
    assert reply.text == f"Ảnh {len(data)} bytes, 4 cỡ"
    assert tg.calls["getFile"] == 1 and tg.calls["<download>"] == 1

    reply = await u.share_location(21.0285, 105.8542)
    assert reply.text == "Vị trí: 21.0285, 105.8542"

    reply = await u.send("/quiz")
    poll = reply.last.poll
    assert poll is not None and poll["type"] == "quiz" and poll["correct_option_ids"] == [0]
    assert [o["text"] for o in poll["options"]] == QUIZ_OPTIONS
    reply = await u.answer_poll(option_ids=[0])
    assert reply.text == "Đúng rồi!"
    assert u.messages[-2].poll is not None
    assert u.messages[-2].poll["total_voter_count"] == 1
    with pytest.raises(AssertionError, match="revoting"):
        await u.answer_poll(option_ids=[1])

    results = await u.inline_query("tem giấy")
    assert [r["title"] for r in results] == ["tem giấy #0", "tem giấy #1"]
    assert results[0]["input_message_content"]["message_text"] == "<b>tem giấy</b> 0"
    tg.assert_no_violations()


async def test_group_commands_privacy_and_blocking(tg: FakeTelegram, bot: Application) -> None:
    owner = tg.user(id=2001, first_name="Hùng")
    other = tg.user(id=2002, first_name="Mai")
    g = tg.group(id=-1001234567890, title="Công an phường X", members=[other],
                 bot_status="left")

    await g.add_bot(by=owner)
    await tg.wait_delivered()
    assert tg.chats[g.id].bot_status == "member"

    reply = await owner.send("/start@khongmatuy_bot", chat=g)
    assert reply.last.text.startswith("Xin chào Hùng")
    assert tg.sent_to(g)[-1].chat_id == g.id
    with pytest.raises(AssertionError, match="privacy mode"):
        await other.send("chuyện riêng", chat=g)

    # a user who never started the bot cannot be messaged; a blocked one gives 403
    with pytest.raises(Forbidden, match=r"(?i)can't initiate"):
        await bot.bot.send_message(other.id, "hi")
    await other.send("/start")
    await other.block_bot()
    with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
        await bot.bot.send_message(other.id, "hi")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.bot.send_message(424242, "hi")
    await other.unblock_bot()
    await bot.bot.send_message(other.id, "chào lại")
    assert other.last.text == "chào lại"
    tg.assert_no_violations()


async def test_bot_api_state_methods(tg: FakeTelegram, bot: Application) -> None:
    u = tg.user(id=3001, first_name="An", started=True)
    b = bot.bot
    me = await b.get_me()
    assert me.username == "khongmatuy_bot" and me.is_bot

    await b.set_my_commands([("start", "Bắt đầu"), ("quiz", "Câu đố")], language_code="vi")
    assert [c.command for c in await b.get_my_commands(language_code="vi")] == ["start", "quiz"]
    assert tg.commands(language_code="vi") == [("start", "Bắt đầu"), ("quiz", "Câu đố")]
    await b.set_my_commands([("start", "Start")],
                            scope=__import__("telegram").BotCommandScopeAllPrivateChats())
    assert tg.commands(scope="all_private_chats") == [("start", "Start")]
    await b.delete_my_commands(language_code="vi")
    assert await b.get_my_commands(language_code="vi") == ()

    m = await b.send_message(u.id, "một")
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await b.edit_message_text("một", chat_id=u.id, message_id=m.message_id)
    await b.edit_message_text("hai", chat_id=u.id, message_id=m.message_id)
    assert u.last.text == "hai" and u.last.history == ["một"]
    copy = await b.copy_message(u.id, u.id, m.message_id)
    assert tg.chats[u.id].messages[copy.message_id].data["text"] == "hai"
    assert await b.delete_message(u.id, m.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await b.delete_message(u.id, m.message_id)

    doc = await b.send_document(u.id, b"%PDF-1.4 hello", filename="huong-dan.pdf",
                                caption="Tài liệu")
    assert doc.document is not None and doc.document.file_name == "huong-dan.pdf"
    assert u.last.document == b"%PDF-1.4 hello" and u.last.filename == "huong-dan.pdf"
    f = await b.get_file(doc.document.file_id)
    assert bytes(await f.download_as_bytearray()) == b"%PDF-1.4 hello"

    chat = await b.get_chat(u.id)
    assert chat.type == "private" and chat.first_name == "An"
    member = await b.get_chat_member(u.id, u.id)
    assert member.status == "member"
    assert await b.send_chat_action(u.id, "typing")
    assert await b.set_my_description("Chatbot phòng chống ma túy")
    assert (await b.get_my_description()).description == "Chatbot phòng chống ma túy"
    msgs = await b.send_media_group(u.id, [
        __import__("telegram").InputMediaPhoto(jpeg(50, 50), caption="a"),
        __import__("telegram").InputMediaPhoto(jpeg(60, 60)),
    ])
    assert len(msgs) == 2 and msgs[0].media_group_id == msgs[1].media_group_id
    loc = await b.send_location(u.id, 10.77, 106.7)
    assert loc.location is not None and u.last.location == (10.77, 106.7)
    poll = await b.send_poll(u.id, "Bạn có đồng ý?", ["Có", "Không"])
    stopped = await b.stop_poll(u.id, poll.message_id)
    assert stopped.is_closed
    tg.assert_no_violations()


# --------------------------------------------------------------------------- violations
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBUserWarning")  # do_api_request
async def test_violations_are_refused_and_recorded(tg: FakeTelegram, bot: Application) -> None:
    u = tg.user(id=4001, first_name="Vi", started=True)
    b = bot.bot

    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await b.send_message(u.id, "x" * 4097)
    assert tg.violations[-1].method == "sendMessage"
    # 4096 characters after entity parsing are fine even though the markup is longer
    await b.send_message(u.id, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)

    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await b.send_message(u.id, "kb", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("quá dài", callback_data="đ" * 33)]]))  # 66 bytes

    many = [[InlineKeyboardButton(f"{r}-{c}", callback_data=f"{r}-{c}") for c in range(8)]
            for r in range(13)]
    many[-1] = many[-1][:5]  # 12*8 + 5 = 101 buttons
    with pytest.raises(BadRequest, match=r"(?i)too long: 101 buttons"):
        await b.send_message(u.id, "kb", reply_markup=InlineKeyboardMarkup(many))

    with pytest.raises(BadRequest, match=r"(?i)too many buttons in row"):
        await b.send_message(u.id, "kb", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton(str(i), callback_data=str(i)) for i in range(9)]]))

    with pytest.raises(EndPointNotFound):  # Telegram answers 404 Not Found for unknown methods
        await b.do_api_request("sendMesage", api_kwargs={"chat_id": u.id, "text": "hi"})
    assert tg.violations[-1].method == "sendMesage"

    with pytest.raises(BadRequest, match=r"(?i)chat_id is empty"):
        await b.do_api_request("sendMessage", api_kwargs={"text": "hi"})

    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await b.send_message(u.id, "1 < 2 & <b>đậm", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities: Unsupported start tag \"div\""):
        await b.send_message(u.id, "<div>x</div>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)reserved"):
        await b.send_message(u.id, "Hết hạn.", parse_mode=ParseMode.MARKDOWN_V2)

    with pytest.raises(BadRequest, match=r"(?i)unknown parameter"):
        await b.do_api_request("sendMessage", api_kwargs={"chat_id": u.id, "text": "hi",
                                                          "colour": "red"})
    with pytest.raises(BadRequest, match=r"(?i)must be Integer"):
        await b.do_api_request("deleteMessage", api_kwargs={"chat_id": u.id,
                                                            "message_id": "abc"})

    descriptions = [v.description for v in tg.violations]
    assert len(descriptions) == 11, descriptions
    with pytest.raises(AssertionError, match="11 Bot API violation"):
        tg.assert_no_violations()
    tg.violations.clear()


async def test_callback_and_poll_limits(tg: FakeTelegram) -> None:
    u = tg.user(id=4101, first_name="Vi", started=True)
    async with httpx.AsyncClient(base_url=f"{tg.base_url}{tg.token}/") as http:
        r = await http.post("sendPoll", json={"chat_id": u.id, "question": "q" * 301,
                                              "options": [{"text": "a"}, {"text": "b"}]})
        assert r.status_code == 400 and "poll question is too long" in r.json()["description"]
        r = await http.post("sendPoll", json={"chat_id": u.id, "question": "q",
                                              "options": [{"text": "a"}]})
        assert r.status_code == 400
        r = await http.post("answerInlineQuery", json={
            "inline_query_id": "1",
            "results": [{"type": "article", "id": str(i), "title": "t",
                         "input_message_content": {"message_text": "x"}} for i in range(51)]})
        assert r.status_code == 400 and "RESULTS_TOO_MUCH" in r.json()["description"]
        r = await http.post("answerCallbackQuery", data={"callback_query_id": "1",
                                                         "text": "x" * 201})
        assert r.status_code == 400
        r = await http.post("sendMessage", json={
            "chat_id": u.id, "text": "kb",
            "reply_markup": {"inline_keyboard": [[{"text": "no action"}]]}})
        assert "Text buttons are unallowed" in r.json()["description"]
        r = await http.get("getMe")
        assert r.json()["ok"] and r.json()["result"]["username"] == "khongmatuy_bot"
        r = await http.get("GETME")  # method names are case-insensitive
        assert r.json()["ok"]
    async with httpx.AsyncClient() as http:
        r = await http.get(f"{tg.base_url}123:wrong/getMe")
        assert r.status_code == 401 and r.json()["description"] == "Unauthorized"
    assert len(tg.violations) == 5
    tg.violations.clear()


# --------------------------------------------------------------------------- faults & limits
async def test_injected_429_and_errors(tg: FakeTelegram, bot: Application) -> None:
    u = tg.user(id=5001, first_name="Flood", started=True)
    tg.inject("sendMessage", 429, retry_after=7, times=1)
    with pytest.raises(RetryAfter) as exc:
        await bot.bot.send_message(u.id, "1")
    assert retry_seconds(exc.value) == 7
    await bot.bot.send_message(u.id, "2")  # injection used up

    tg.inject("sendMessage", 502, chat_id=u.id)
    with pytest.raises(NetworkError):
        await bot.bot.send_message(u.id, "3")
    slow = tg.inject("sendChatAction", delay=0.2)
    t0 = asyncio.get_running_loop().time()
    await bot.bot.send_chat_action(u.id, "typing")
    assert asyncio.get_running_loop().time() - t0 >= 0.2 and slow.hits == 1
    assert tg.stats["injected"] == 3 and tg.stats["429"] == 1
    assert [m.text for m in u.messages] == ["2"]
    tg.assert_no_violations()


async def test_flood_limits(tg: FakeTelegram, bot: Application) -> None:
    u = tg.user(id=5101, first_name="Flood", started=True)
    v = tg.user(id=5102, first_name="Other", started=True)
    tg.set_flood_limits(global_per_second=3, per_chat_per_second=1)
    await bot.bot.send_message(u.id, "1")
    with pytest.raises(RetryAfter) as exc:
        await bot.bot.send_message(u.id, "2")
    assert retry_seconds(exc.value) == 1
    await bot.bot.send_message(v.id, "1")
    w = tg.user(id=5103, first_name="Third", started=True)
    await bot.bot.send_message(w.id, "1")
    x = tg.user(id=5104, first_name="Fourth", started=True)
    with pytest.raises(RetryAfter):  # 4th message within a second: global limit
        await bot.bot.send_message(x.id, "1")
    assert tg.stats["flood_429"] == 2
    tg.assert_no_violations()


# --------------------------------------------------------------------------- getUpdates
async def test_get_updates_offsets_and_long_poll(tg: FakeTelegram) -> None:
    u = tg.user(id=6001, first_name="Off")
    await u.send("một", wait=False)
    await u.send("hai", wait=False)
    async with httpx.AsyncClient(base_url=f"{tg.base_url}{tg.token}/") as http:
        ups = (await http.post("getUpdates", json={})).json()["result"]
        assert [x["message"]["text"] for x in ups] == ["một", "hai"]
        again = (await http.post("getUpdates", json={})).json()["result"]
        assert len(again) == 2  # not confirmed yet -> redelivered
        first = ups[0]["update_id"]
        ups = (await http.post("getUpdates", json={"offset": first + 1})).json()["result"]
        assert [x["message"]["text"] for x in ups] == ["hai"]
        ups = (await http.post("getUpdates", json={"offset": first + 2, "timeout": 0})).json()
        assert ups["result"] == []

        # a long poll is woken up immediately by a new update
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        poll = asyncio.create_task(http.post("getUpdates", json={"offset": first + 2,
                                                                 "timeout": 5}))
        await asyncio.sleep(0)  # let the request start
        await u.send("ba", wait=False)
        res = (await poll).json()["result"]
        assert [x["message"]["text"] for x in res] == ["ba"] and loop.time() - t0 < 2

        # allowed_updates filters (and drops) other update kinds
        await u.send("bốn", wait=False)
        res = (await http.post("getUpdates", json={"offset": res[0]["update_id"] + 1,
                                                   "allowed_updates": ["callback_query"]})).json()
        assert res["result"] == []
        assert tg.pending_updates == 0

        # a webhook blocks getUpdates like in Telegram
        await http.post("setWebhook", json={"url": "https://example.org/hook"})
        r = await http.post("getUpdates", json={})
        assert r.status_code == 409
        await http.post("deleteWebhook", json={})
    tg.assert_no_violations()


async def test_stop_wakes_long_poll() -> None:
    tg = FakeTelegram()
    await tg.start()
    async with httpx.AsyncClient() as http:
        task = asyncio.create_task(http.post(f"{tg.base_url}{tg.token}/getUpdates",
                                             json={"timeout": 30}, timeout=40))
        await asyncio.sleep(0.05)
        t0 = asyncio.get_running_loop().time()
        await tg.stop()
        r = await task
        assert r.json() == {"ok": True, "result": []}
        assert asyncio.get_running_loop().time() - t0 < 1


# --------------------------------------------------------------------------- parsers & spec
def test_html_parser() -> None:
    text, ents = parse_html('<b>Đậm</b> &lt;3 &#128512; <a href="https://x.vn">link</a> '
                            '<pre><code class="language-python">x = 1</code></pre>'
                            '<blockquote expandable>q</blockquote>')
    assert text == "Đậm <3 😀 link x = 1q"
    assert [e["type"] for e in ents] == ["bold", "text_link", "pre", "expandable_blockquote"]
    assert ents[1]["offset"] == 10  # the emoji counts as 2 UTF-16 code units
    assert ents[2]["language"] == "python"
    for bad in ["a < b", "AT&T", "<b>x", "<b>x</i>", "<span>x</span>", "<p>x</p>"]:
        with pytest.raises(EntityParseError):
            parse_html(bad)


def test_markdown_v2_parser() -> None:
    text, ents = parse_markdown_v2(r"*đậm _nghiêng_* \. [web](https://x\.vn) `a\`b`")
    assert text == "đậm nghiêng . web a`b"
    assert [e["type"] for e in ents] == ["bold", "italic", "text_link", "code"]
    assert ents[2]["url"] == "https://x.vn"
    with pytest.raises(EntityParseError, match="reserved"):
        parse_markdown_v2("1.5")


def test_spec_checks_types() -> None:
    spec = load_spec()
    assert spec.version.startswith("Bot API")
    assert spec.resolve_method("SENDMESSAGE") is not None
    assert spec.check_value({"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]},
                            ["InlineKeyboardMarkup"], "reply_markup") is None
    err = spec.check_value({"inline_keyboard": [[{"text": 1}]]}, ["InlineKeyboardMarkup"],
                           "reply_markup")
    assert err is not None and "String" in err
    assert spec.check_value({"type": "chat", "chat_id": 5}, ["BotCommandScope"], "s") is None
    assert spec.check_value({"type": "nope"}, ["BotCommandScope"], "s") is not None
    assert spec.check_value(json.loads("[1, 2]"), ["Array of Integer"], "ids") is None


# --------------------------------------------------------------------------- update shapes
async def test_every_user_action_is_valid_for_ptb(tg: FakeTelegram) -> None:
    """All updates fakegram fabricates parse with PTB's de_json into the right objects."""
    seen: list[Update] = []
    all_seen = asyncio.Event()
    expected = 12

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update)
        if len(seen) >= expected:
            all_seen.set()

    app = build_app(tg)
    app.handlers.clear()
    app.add_handler(TypeHandler(Update, record))
    u = tg.user(id=7001, first_name="Tú", last_name="Lê", username="tule")
    g = tg.group(id=-1009, title="Đoàn thanh niên", bot_status="administrator", members=[u])
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=0, timeout=10, allowed_updates=Update.ALL_TYPES)
        try:
            await u.send("/help@khongmatuy_bot arg", wait=False)
            await u.send_document(b"abc", "tip.txt", "text/plain", caption="#tip", wait=False)
            await u.send_voice(b"OggS", duration=3, wait=False)
            await u.send_video(b"\x00\x00", duration=2, caption="clip", wait=False)
            await u.send_contact("+84901234567", wait=False)
            await u.send("trong nhóm", chat=g, wait=False)
            await u.choose_inline_result("r1", "tem")
            await u.block_bot()
            await u.unblock_bot()
            other = tg.user(id=7002, first_name="Khách")
            await g.add_member(other)
            await g.remove_bot(by=u)
            await tg.wait_delivered()
            await asyncio.wait_for(all_seen.wait(), 5)
        finally:
            await app.updater.stop()
            await app.stop()
    msgs = [s.message for s in seen if s.message]
    cmd = msgs[0]
    assert cmd.text == "/help@khongmatuy_bot arg"
    assert cmd.entities[0].type == "bot_command" and cmd.entities[0].length == 20
    assert msgs[1].document is not None and msgs[1].document.file_name == "tip.txt"
    assert msgs[1].caption_entities[0].type == "hashtag"
    assert msgs[2].voice is not None and msgs[2].voice.duration == dtm.timedelta(seconds=3)
    assert msgs[3].video is not None and msgs[3].caption == "clip"
    assert msgs[4].contact is not None and msgs[4].contact.user_id == u.id
    assert msgs[5].chat.type == "supergroup" and msgs[5].chat.title == "Đoàn thanh niên"
    chosen = [s.chosen_inline_result for s in seen if s.chosen_inline_result]
    assert chosen[0].result_id == "r1"
    statuses = [s.my_chat_member.new_chat_member.status for s in seen if s.my_chat_member]
    assert statuses == ["kicked", "member", "kicked"]
    assert any(s.chat_member for s in seen)  # delivered because ALL_TYPES was requested
    assert any(m.new_chat_members for m in msgs)
    assert tg.internal_errors == []


async def test_more_bot_methods_and_helpers(tg: FakeTelegram, bot: Application) -> None:
    b = bot.bot
    u = tg.user(id=8001, first_name="Hoa", started=True)
    admin = tg.user(id=8002, first_name="Quân")
    g = tg.group(id=-100555, title="Tổ dân phố", owner=admin, bot_status="administrator")

    photo = await b.send_photo(u.id, jpeg(200, 100), caption="<i>ảnh</i>",
                               parse_mode=ParseMode.HTML, reply_markup=MAIN_KB)
    assert u.last.photo is not None and u.last.text == "ảnh"
    await b.edit_message_caption(u.id, photo.message_id, caption="ảnh mới")
    assert u.last.text == "ảnh mới" and u.last.buttons == []  # markup dropped like Telegram
    await b.edit_message_reply_markup(u.id, photo.message_id, reply_markup=BACK_KB)
    assert u.last.button_texts == ["⬅️ Quay lại"]
    with pytest.raises(BadRequest, match=r"(?i)no text in the message"):
        await b.edit_message_text("x", chat_id=u.id, message_id=photo.message_id)

    fwd = await b.forward_message(g.id, u.id, photo.message_id)
    assert fwd.forward_origin is not None and g.last.photo == u.last.photo
    admins = await b.get_chat_administrators(g.id)
    assert {a.user.id for a in admins} == {admin.id, tg.bot.id}
    assert await b.get_chat_member_count(g.id) == 2
    assert await b.set_chat_menu_button(u.id)
    assert (await b.get_chat_menu_button(u.id)).type == "default"

    # reply keyboards, wait_for and tap
    from telegram import KeyboardButton, ReplyKeyboardMarkup

    await b.send_message(u.id, "Chọn:", reply_markup=ReplyKeyboardMarkup(
        [[KeyboardButton("Gửi vị trí", request_location=True)], ["Thoát"]]))
    assert u.reply_keyboard == [["Gửi vị trí"], ["Thoát"]]
    reply = await u.tap("Gửi vị trí", location=(16.05, 108.2))
    assert reply.text == "Vị trí: 16.0500, 108.2000"

    # pressing a button on an older reply, and a redelivered (duplicate) update
    first = await u.send("/start")
    await u.send("/start")
    reply = await u.press("Tìm hiểu về ma túy", message=first)
    assert reply.edits[0].message_id == first.last.message_id
    echo = await u.send("tin khác")
    before = len(u.messages)
    await tg.redeliver_last_update()  # the echo bot has no de-duplication ...
    again = await u.wait_for(lambda m: m.message_id > echo.last.message_id)
    assert again.text == "tin khác" and len(u.messages) == before + 1  # ... so it repeats

    # a group where the bot already is (default); writers join silently
    g2 = tg.group(id=-100777, title="Lớp 9A")
    reply = await u.send("/start", chat=g2)
    assert reply.last.chat_id == g2.id and tg.chats[g2.id].members[u.id] == "creator"

    await u.send("chờ", wait=False)
    msg = await u.wait_for("chờ")
    assert msg.text == "chờ"
    with pytest.raises(AssertionError, match="no bot message matching"):
        await u.wait_for(lambda m: m.text == "không bao giờ", timeout=0.2)
    await u.expect_no_reply(timeout=0.1)
    assert tg.calls["sendMessage"] >= 2 and tg.requests[-1].method in tg.calls
    tg.assert_no_violations()


async def test_pytest_plugin_fixture(fake_telegram: FakeTelegram) -> None:  # noqa: F811
    assert fake_telegram.port is not None
    async with httpx.AsyncClient() as http:
        r = await http.get(f"{fake_telegram.base_url}{fake_telegram.token}/getMe")
    assert r.json()["result"]["is_bot"] is True
