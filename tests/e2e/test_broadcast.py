"""Subscriptions and broadcasts end to end through the fake Bot API: opt-in, targeting,
one-tap unsubscribe, quiet hours, blocked users, 429 handling, the admin wizard and cancel."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from datetime import UTC, datetime
from typing import Any

from bot.broadcast import TOPIC_EVENTS, TOPIC_FACTS, Content, Target
from storage import broadcasts as bc_repo
from storage import subscriptions as subs_repo
from storage import users as users_repo

ADMIN = 900001
HCM, HANOI = "79", "01"
SAI_GON = "26740"  # Phường Sài Gòn, Hồ Chí Minh
AN_DONG = "27316"  # Phường An Đông, Hồ Chí Minh
DAY = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)  # 10:00 in Hồ Chí Minh


def daytime(bot: Any, when: datetime = DAY) -> None:
    bot.clock._now = when


async def subscribe(bot: Any, tg: Any, uid: int, province: str = HCM, ward: str | None = None,
                    topics: int = 7, locale: str = "en") -> Any:
    user = tg.user(id=uid, first_name=f"U{uid}", language_code=locale, started=True)
    await bot.service("subscriptions").subscribe(uid, province, ward, topics, locale)
    return user


async def campaign(bot: Any, text: str, target: Target | None = None, **kw: Any) -> int:
    cid = await bot.service("broadcast").create(
        Content({"vi": "VI " + text, "en": text}), target or Target(), check_permission=False, **kw
    )
    assert cid is not None
    return int(cid)


def got(tg: Any, uid: int, needle: str) -> int:
    return sum(needle in m.text for m in tg.sent_to(uid))


async def test_opt_in_through_the_wizard_creates_a_user_record_and_deleteme_erases_it(
    bot: Any, tg: Any
) -> None:
    tom = tg.user(id=3001, first_name="Tom", language_code="en")
    await tom.send("/subscriptions")
    assert "Get updates" in tom.last.text
    assert not await users_repo.exists(bot.rt.db, 3001)  # nothing kept before opting in
    await tom.press("Hồ Chí Minh")
    assert "choose your commune/ward" in tom.last.text
    await tom.send("sai gon")
    await tom.press("Phường Sài Gòn")
    assert "Phường Sài Gòn" in tom.last.text
    await tom.press("✅ Weekly awareness fact")  # switch one topic off
    await tom.press("🔔 Subscribe")
    assert "You are subscribed" in tom.last.text
    sub = await bot.service("subscriptions").get(3001)
    assert (sub.province_code, sub.ward_code, sub.topics, sub.locale) == (HCM, SAI_GON, 5, "en")
    await tom.send("/deleteme")
    await tom.press("Yes, erase everything")
    assert await bot.service("subscriptions").get(3001) is None
    assert not await users_repo.exists(bot.rt.db, 3001)


async def test_deep_link_offers_subscription(bot: Any, tg: Any) -> None:
    lan = tg.user(id=3002, first_name="Lan", language_code="vi")
    reply = await lan.send("/start sub")
    assert any("Hà Nội" in b for b in reply.button_texts)


async def test_targeting_by_province_ward_topic_and_language(bot: Any, tg: Any) -> None:
    daytime(bot)
    await subscribe(bot, tg, 3101, HCM, SAI_GON, topics=TOPIC_EVENTS)
    await subscribe(bot, tg, 3102, HCM, None, topics=TOPIC_FACTS)
    await subscribe(bot, tg, 3103, HANOI, None, topics=7, locale="vi")
    svc = bot.service("broadcast")
    await campaign(bot, "to-hcm", Target(province=HCM))
    await campaign(bot, "to-ward", Target(province=HCM, ward=SAI_GON))
    await campaign(bot, "to-facts", Target(topic=TOPIC_FACTS))
    await campaign(bot, "to-vi", Target(locale="vi"))
    await svc.tick(wait=True)
    assert [got(tg, 3101, t) for t in ("to-hcm", "to-ward", "to-facts", "to-vi")] == [1, 1, 0, 0]
    # 3102 follows the whole province, so a campaign to one of its wards reaches them too.
    assert [got(tg, 3102, t) for t in ("to-hcm", "to-ward", "to-facts", "to-vi")] == [1, 1, 1, 0]
    assert [got(tg, 3103, t) for t in ("to-hcm", "to-ward", "to-facts", "to-vi")] == [0, 0, 1, 1]
    assert "VI to-vi" in tg.sent_to(3103)[-1].text  # each recipient in their language
    # Every broadcast carries the one-tap unsubscribe button.
    assert all("🔕 Unsubscribe" in m.button_texts for m in tg.sent_to(3101))


async def test_ward_campaign_reaches_the_ward_and_province_wide_subscribers_only(
    bot: Any, tg: Any
) -> None:
    daytime(bot)
    await subscribe(bot, tg, 3111, HCM, SAI_GON)  # the ward itself
    await subscribe(bot, tg, 3112, HCM, None)  # the whole province of Hồ Chí Minh
    await subscribe(bot, tg, 3113, HCM, AN_DONG)  # another ward of the same province
    await subscribe(bot, tg, 3114, HANOI, None)  # another province
    svc = bot.service("broadcast")
    # The ward alone is enough: the engine adds its province.
    cid = await campaign(bot, "ward news", Target(ward=SAI_GON))
    assert (await svc.get(cid)).target == Target(province=HCM, ward=SAI_GON)
    assert await svc.count_recipients(Target(province=HCM, ward=SAI_GON)) == 2
    await svc.tick(wait=True)
    assert [got(tg, uid, "ward news") for uid in (3111, 3112, 3113, 3114)] == [1, 1, 0, 0]


async def test_one_tap_unsubscribe_stops_further_broadcasts(bot: Any, tg: Any) -> None:
    daytime(bot)
    tom = await subscribe(bot, tg, 3201)
    svc = bot.service("broadcast")
    await campaign(bot, "first")
    await svc.tick(wait=True)
    assert got(tg, 3201, "first") == 1
    reply = await tom.press("🔕 Unsubscribe", message=tg.sent_to(3201)[-1])
    assert reply.callback_answer.text == "Unsubscribed."
    assert await bot.service("subscriptions").get(3201) is None
    await campaign(bot, "second")
    await svc.tick(wait=True)
    assert got(tg, 3201, "second") == 0


async def test_quiet_hours_hold_a_campaign_until_morning(bot: Any, tg: Any) -> None:
    daytime(bot, datetime(2026, 6, 10, 16, 0, tzinfo=UTC))  # 23:00 local
    await subscribe(bot, tg, 3301)
    svc = bot.service("broadcast")
    cid = await campaign(bot, "night")
    await svc.tick(wait=True)
    assert got(tg, 3301, "night") == 0
    assert (await svc.get(cid)).status == "scheduled"
    bot.clock.advance(hours=8, minutes=30)  # 07:30 local
    await svc.tick(wait=True)
    assert got(tg, 3301, "night") == 1
    assert (await svc.get(cid)).status == "done"


async def test_blocked_users_are_marked_inactive_and_skipped(bot: Any, tg: Any) -> None:
    daytime(bot)
    await subscribe(bot, tg, 3401)
    blocker = await subscribe(bot, tg, 3402)
    never = tg.user(id=3403, language_code="en", started=False)  # 403 on send
    await bot.service("subscriptions").subscribe(3403, HCM, None, 7, "en")
    await blocker.block_bot()  # my_chat_member "kicked"
    for _ in range(50):
        if not (await bot.service("subscriptions").get(3402)).active:
            break
        await asyncio.sleep(0.02)
    assert not (await bot.service("subscriptions").get(3402)).active
    svc = bot.service("broadcast")
    cid = await campaign(bot, "hello")
    await svc.tick(wait=True)
    assert got(tg, 3401, "hello") == 1
    assert got(tg, 3402, "hello") == 0 and got(tg, 3403, "hello") == 0
    counts = await bc_repo.counts(bot.rt.db, cid)
    assert counts == {"sent": 1, "blocked": 1}  # 3402 was skipped before sending
    assert not (await bot.service("subscriptions").get(3403)).active
    assert never.id == 3403
    await blocker.unblock_bot()
    for _ in range(50):
        if (await bot.service("subscriptions").get(3402)).active:
            break
        await asyncio.sleep(0.02)
    assert (await bot.service("subscriptions").get(3402)).active


async def test_429_pauses_every_sender_and_nobody_gets_it_twice(bot: Any, tg: Any) -> None:
    daytime(bot)
    for uid in range(3501, 3511):
        await subscribe(bot, tg, uid)
    svc = bot.service("broadcast")
    injection = tg.inject("sendMessage", 429, retry_after=1, times=1)
    cid = await campaign(bot, "flood")
    started = time.monotonic()
    await svc.tick(wait=True)
    assert injection.hits == 1
    assert time.monotonic() - started >= 1.0  # everyone waited retry_after
    assert svc.pacer.pauses >= 1
    assert [got(tg, uid, "flood") for uid in range(3501, 3511)] == [1] * 10
    assert await bc_repo.counts(bot.rt.db, cid) == {"sent": 10}


async def test_admin_wizard_sends_with_progress_message(bot: Any, tg: Any) -> None:
    daytime(bot)
    await subscribe(bot, tg, 3601, HCM)
    await subscribe(bot, tg, 3602, HANOI)
    admin = tg.user(id=ADMIN, first_name="Admin", language_code="en")
    await admin.send("/broadcast")
    await admin.press("➕ New campaign")
    await admin.send("Join the June walk!")
    await admin.press("⏭ One text for everyone")
    await admin.press("⏭ No buttons")
    await admin.press("Hồ Chí Minh")
    await admin.press("📍 The whole province")
    await admin.press("Everyone subscribed in the area")
    await admin.press("All languages")
    await admin.press("▶️ Send now")
    await admin.wait_for("Recipients now: 1")
    assert "Join the June walk!" in admin.messages[-2].text  # the preview
    await admin.press("✅ Send")
    await bot.service("broadcast").wait_idle()
    assert got(tg, 3601, "Join the June walk!") == 1
    assert got(tg, 3602, "Join") == 0
    progress = admin.last
    assert "Campaign #" in progress.text and "Finished" in progress.text
    assert "Sent: 1" in progress.text


async def test_wizard_photo_reaches_everyone_and_is_uploaded_once(bot: Any, tg: Any) -> None:
    daytime(bot)
    for uid in (3621, 3622, 3623):
        await subscribe(bot, tg, uid, HCM)
    admin = tg.user(id=ADMIN, first_name="Admin", language_code="en")
    await admin.send("/broadcast")
    await admin.press("➕ New campaign")
    picture = b"\xff\xd8\xff poster of the June walk"
    await admin.send_photo(picture, caption="June walk <b>26/6</b>")
    await admin.press("⏭ One text for everyone")
    await admin.press("⏭ No buttons")
    await admin.press("Hồ Chí Minh")
    await admin.press("📍 The whole province")
    await admin.press("Everyone subscribed in the area")
    await admin.press("All languages")
    await admin.press("▶️ Send now")
    await admin.wait_for("Recipients now: 3")
    assert admin.messages[-2].photo == picture  # the preview, as recipients will see it
    tg.requests.clear()
    await admin.press("✅ Send")
    await bot.service("broadcast").wait_idle()
    for uid in (3621, 3622, 3623):
        [message] = [m for m in tg.sent_to(uid) if "June walk" in m.text]
        assert message.photo == picture
        assert "June walk &lt;b&gt;26/6&lt;/b&gt;" in message.text or "June walk <b>26/6</b>" in message.text
    photo_params = [r.params.get("photo") for r in tg.requests if r.method == "sendPhoto"]
    assert len(photo_params) == 3
    uploads = [p for p in photo_params if not isinstance(p, str) or p.startswith("attach://")]
    assert len(uploads) == 1  # uploaded once; then Telegram's file id
    stored = await bot.rt.db.fetchone("SELECT content FROM campaigns ORDER BY id DESC LIMIT 1")
    key = json.loads(stored["content"])["photo"]  # a media key (SHA-256), not a file id
    assert key == hashlib.sha256(picture).hexdigest()


async def test_wizard_link_buttons_and_a_second_language(bot: Any, tg: Any) -> None:
    daytime(bot)
    await subscribe(bot, tg, 3611, HCM, locale="vi")
    await subscribe(bot, tg, 3612, HCM, locale="en")
    admin = tg.user(id=ADMIN, first_name="Admin", language_code="en")
    await admin.send("/broadcast")
    await admin.press("➕ New campaign")
    await admin.send("Đi bộ vì cộng đồng <không ma túy> 26/6!")
    reply = await admin.press("🇬🇧 Add the English version")
    assert "Send the English version of the message." in reply.text
    await admin.send("Walk for a drug-free community on 26 June!")
    assert "link buttons under the message" in admin.last.text

    # Bad lines are refused politely and nothing changes: still the buttons step.
    reply = await admin.send("Register | ftp://example.org/x")
    assert "Line 1: “ftp://example.org/x” is not a link Telegram accepts." in reply.text
    reply = await admin.send("Register https://example.org")
    assert "Line 1: write the button text, then | and the link" in reply.text
    reply = await admin.send("A | https://a.org\nB | https://b.org\nC | https://c.org\nD | https://d.org")
    assert "At most 3 buttons" in reply.text
    reply = await admin.send("Register | https://example.org\n" + "x" * 41 + " | https://example.org")
    assert "Line 2: the button text is too long (at most 40 characters)." in reply.text
    assert (await bot.rt.sessions.get(ADMIN)).get("buttons") is None

    await admin.send("Register | https://example.org/walk?from=bot\nOur channel | tg://resolve?domain=khongmatuy")
    assert "Choose the area" in admin.last.text
    await admin.press("Hồ Chí Minh")
    await admin.press("📍 The whole province")
    await admin.press("Everyone subscribed in the area")
    await admin.press("All languages")
    reply = await admin.press("▶️ Send now")
    await admin.wait_for("Recipients now: 2")
    # The preview shows both versions with their link buttons, then the summary.
    previews = admin.messages[-3:-1]
    assert "Đi bộ vì cộng đồng <không ma túy> 26/6!" == previews[0].text
    assert "Walk for a drug-free community on 26 June!" == previews[1].text
    assert previews[0].buttons == [[("Register", "https://example.org/walk?from=bot")],
                                   [("Our channel", "tg://resolve?domain=khongmatuy")]]
    summary = admin.last.text
    assert "Tiếng Việt gets the first message, English the second." in summary
    assert "Link buttons: Register, Our channel" in summary
    await admin.press("✅ Send")
    await bot.service("broadcast").wait_idle()
    vi_msg, en_msg = tg.sent_to(3611)[-1], tg.sent_to(3612)[-1]
    assert vi_msg.text == "Đi bộ vì cộng đồng <không ma túy> 26/6!"
    assert en_msg.text == "Walk for a drug-free community on 26 June!"
    assert vi_msg.button_texts == ["Register", "Our channel", "🔕 Hủy đăng ký"]
    assert en_msg.button_texts == ["Register", "Our channel", "🔕 Unsubscribe"]
    assert en_msg.buttons[0][0] == ("Register", "https://example.org/walk?from=bot")


async def test_wizard_without_a_second_version_sends_the_main_text_to_everyone(
    bot: Any, tg: Any
) -> None:
    daytime(bot)
    await subscribe(bot, tg, 3621, HCM, locale="vi")
    await subscribe(bot, tg, 3622, HCM, locale="en")
    admin = tg.user(id=ADMIN, first_name="Admin", language_code="vi")
    await admin.send("/broadcast")
    await admin.press("➕ Đợt gửi mới")
    await admin.send("Một văn bản")
    await admin.press("⏭ Một nội dung cho mọi người")
    reply = await admin.send("Đăng ký | example.org")  # the error is in the admin's language
    assert "Dòng 1: “example.org” không phải là liên kết Telegram chấp nhận." in reply.text
    assert "⏭ Không có nút" in reply.button_texts
    await admin.press("⏭ Không có nút")
    await admin.press("🇻🇳 Toàn quốc")
    await admin.press("Mọi người đăng ký trong địa bàn")
    await admin.press("Mọi ngôn ngữ")
    await admin.press("▶️ Gửi ngay")
    await admin.wait_for("Số người nhận hiện tại: 2")
    assert "Nút liên kết: không có" in admin.last.text
    await admin.press("✅ Gửi")
    await bot.service("broadcast").wait_idle()
    assert tg.sent_to(3621)[-1].text == "Một văn bản"
    assert tg.sent_to(3622)[-1].text == "Một văn bản"  # falls back to the main text
    assert tg.sent_to(3622)[-1].button_texts == ["🔕 Unsubscribe"]


async def test_province_admin_only_reaches_own_province(bot: Any, tg: Any) -> None:
    from bot.broadcast import BroadcastError

    svc = bot.service("broadcast")
    units = bot.service("units")
    import pytest

    if units is None or not hasattr(units, "province_admin_of"):
        pytest.skip("units service not installed")
    async with bot.rt.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO province_admins(province_code, user_id, added_by, added_at) VALUES (?, ?, ?, ?)",
            (HANOI, 3701, ADMIN, 0),
        )
    with pytest.raises(BroadcastError):
        await svc.create(Content({"vi": "x"}), Target(province=HCM), created_by=3701)
    with pytest.raises(BroadcastError):
        await svc.create(Content({"vi": "x"}), Target(), created_by=3701)
    assert await svc.create(Content({"vi": "x"}), Target(province=HANOI), created_by=3701)
    with pytest.raises(BroadcastError):
        await svc.create(Content({"vi": "x"}), Target(), created_by=3702)  # nobody


async def test_cancel_button_stops_a_running_campaign(bot: Any, tg: Any) -> None:
    daytime(bot)
    svc = bot.service("broadcast")
    svc.pacer.interval = 0.1  # 10/s so the campaign is still running when Cancel is pressed
    for uid in range(3801, 3841):
        await subscribe(bot, tg, uid)
    admin = tg.user(id=ADMIN, first_name="Admin", language_code="en")
    await admin.send("/start")
    cid = await bot.service("broadcast").create(
        Content({"en": "long"}, admin_locale="en"), Target(), check_permission=False,
        created_by=ADMIN, progress_chat=ADMIN,
    )
    await svc.tick()
    await admin.wait_for("Campaign #", timeout=8)
    await admin.press("⏹ Cancel campaign", message=admin.last)
    await svc.wait_idle()
    c = await svc.get(cid)
    assert c.status == "cancelled"
    counts = await bc_repo.counts(bot.rt.db, cid)
    assert counts.get("skipped", 0) > 0
    sent = sum(got(tg, uid, "long") for uid in range(3801, 3841))
    assert sent == counts.get("sent", 0) < 40
    assert "Cancelled" in admin.last.text


async def test_subscription_status_toggles_and_totals(bot: Any, tg: Any) -> None:
    tom = await subscribe(bot, tg, 3901, HCM, SAI_GON, topics=7)
    await tom.send("/subscriptions")
    assert "Phường Sài Gòn" in tom.last.text
    await tom.press("✅ Quiz contests")
    assert (await bot.service("subscriptions").get(3901)).topics == 3
    assert await subs_repo.totals(bot.rt.db) == (1, 1)
    await tom.press("🔕 Unsubscribe")
    assert "You are unsubscribed" in tom.last.text
