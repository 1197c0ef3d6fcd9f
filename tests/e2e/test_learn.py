"""Learn, as a student sees it: topics, paging, related links, search, sharing, inline cards."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from bot.content import ContentService
from content.articles import DEFAULT_ROOT, load_library


async def test_browse_topic_and_page_through_an_article(bot: Any, tg: Any) -> None:
    lan = tg.user(id=2001, first_name="Lan", language_code="vi")
    await lan.send("/start")
    await lan.press("📚 Tìm hiểu")
    assert "Chọn một chủ đề" in lan.last.text
    topic_buttons = [text for row in lan.last.buttons for text, _ in row]
    assert any("bóng cười" in t.lower() or "khí cười" in t.lower() for t in topic_buttons)
    svc = bot.service("content")
    # Pick the longest article so there is a second page to go to, when one exists.
    articles = [ref for topic, _ in svc.topics("vi") for ref in svc.articles_in_topic(topic, "vi")]
    longest = max(articles, key=lambda r: svc.page(r.article_id, "vi").page_count)
    first = svc.page(longest.article_id, "vi", 1)
    await lan.send(f"/start a_{longest.article_id}")
    assert first.title in lan.last.text
    assert f"Trang 1/{first.page_count}" in lan.last.text
    if first.page_count > 1:
        await lan.press("▶")
        assert f"Trang 2/{first.page_count}" in lan.last.text
        await lan.press("◀")
        assert f"Trang 1/{first.page_count}" in lan.last.text
    texts = [text for row in lan.last.buttons for text, _ in row]
    assert "📤 Chia sẻ" in texts
    await lan.press("📑 Nguồn")
    assert "Nguồn" in lan.last.text


async def test_related_link_opens_the_other_article(bot: Any, tg: Any) -> None:
    svc = bot.service("content")
    page = next(
        svc.page(ref.article_id, "en")
        for topic, _ in svc.topics("en")
        for ref in svc.articles_in_topic(topic, "en")
        if svc.page(ref.article_id, "en").related
    )
    tom = tg.user(id=2002, first_name="Tom", language_code="en")
    await tom.send(f"/start a_{page.article_id}")
    _rid, title = page.related[0]
    await tom.press("↪ " + title)
    assert title in tom.last.text


async def test_search_with_and_without_diacritics(bot: Any, tg: Any) -> None:
    lan = tg.user(id=2003, first_name="Lan", language_code="vi")
    plain = await lan.send("/learn bong cuoi")
    accented = await lan.send("/learn bóng cười")
    assert "Kết quả" in plain.text
    assert plain.buttons[0] == accented.buttons[0]  # same best match either way
    await lan.press(plain.buttons[0][0][0], message=plain)
    assert "bóng cười" in lan.last.text.lower() or "khí cười" in lan.last.text.lower()


async def test_search_button_flow_and_no_results(bot: Any, tg: Any) -> None:
    tom = tg.user(id=2004, first_name="Tom", language_code="en")
    await tom.send("/learn")
    await tom.press("🔎 Search")
    reply = await tom.send("qwertyzzz")
    assert "No article matches" in reply.text
    await tom.press("🔎 Search again")
    reply = await tom.send("stamp paper")
    assert "Results for" in reply.text


async def test_inline_query_offers_cards(bot: Any, tg: Any) -> None:
    lan = tg.user(id=2005, first_name="Lan", language_code="vi")
    results = await lan.inline_query("tem giấy")
    assert results, "inline mode returned nothing"
    first = results[0]
    assert "tem" in first["title"].lower() or "bùa" in first["title"].lower()
    assert first["input_message_content"]["parse_mode"] == "HTML"
    assert "start=a_" in first["reply_markup"]["inline_keyboard"][0][0]["url"]
    plain = await lan.inline_query("tem giay")
    assert plain[0]["id"] == first["id"]


async def test_inline_cards_follow_each_askers_language(bot: Any, tg: Any) -> None:
    """Telegram caches inline answers (fakegram too): one person's cards must not be served to
    another who reads another language."""
    lan = tg.user(id=2007, first_name="Lan", language_code="vi")
    tom = tg.user(id=2008, first_name="Tom", language_code="en")
    vi_cards = await lan.inline_query("")
    en_cards = await tom.inline_query("")
    assert vi_cards and en_cards
    assert vi_cards[0]["reply_markup"]["inline_keyboard"][0][0]["text"] != "📚 Read in the bot"
    assert all(c["reply_markup"]["inline_keyboard"][0][0]["text"] == "📚 Read in the bot"
               for c in en_cards)
    assert {c["title"] for c in en_cards}.isdisjoint({c["title"] for c in vi_cards})
    assert await lan.inline_query("") == vi_cards  # a person's own answer may be cached


async def test_did_you_know_rotates(bot: Any, tg: Any) -> None:
    tom = tg.user(id=2006, first_name="Tom", language_code="en")
    await tom.send("/learn")
    await tom.press("💡 Did you know?")
    first = tom.last.text
    assert "Did you know?" in first
    await tom.press("Another fact")
    assert tom.last.text != first


async def test_long_article_pages_back_and_forth(bot: Any, tg: Any, tmp_path: Path) -> None:
    # The shipped articles each fit one page; a propaganda officer may write a longer one.
    root = tmp_path / "articles"
    shutil.copytree(DEFAULT_ROOT, root)
    for lang in ("vi", "en"):
        path = root / f"laughing-gas.{lang}.md"
        extra = "".join(f"\n\nParagraph {i}: " + "lorem ipsum dolor sit amet " * 12 for i in range(40))
        path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    svc = ContentService(load_library(root))
    bot.rt.services.content = svc
    count = svc.page("laughing-gas", "en").page_count
    assert count >= 3
    tom = tg.user(id=2007, first_name="Tom", language_code="en")
    await tom.send("/start a_laughing-gas")
    assert f"Page 1 of {count}" in tom.last.text
    assert "◀" not in tom.last.button_texts
    await tom.press("▶")
    assert f"Page 2 of {count}" in tom.last.text
    await tom.press("▶")
    assert f"Page 3 of {count}" in tom.last.text
    await tom.press("◀")
    assert f"Page 2 of {count}" in tom.last.text
    assert all(len(m.text) <= 4096 for m in tom.messages)
