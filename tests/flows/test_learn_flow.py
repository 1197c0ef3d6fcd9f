"""Learn through the stub: topics, paging, sources, search, did-you-know, deep links."""

from __future__ import annotations

from tests.flows.conftest import Flow


async def test_topic_article_paging_and_sources(flow: Flow) -> None:
    chat = flow.chat(1, "en")
    [topics] = await chat.command("learn")
    assert "<b>Learn</b>" in topics.text
    first_topic = topics.labels[0]
    [topic] = await chat.press(first_topic)
    assert topic.replaced and "⬅️ Topics" in topic.labels
    [article] = await chat.press(topic.labels[0])
    assert "Page 1 of" in article.text
    assert "📤 Share" not in article.labels  # the stub has no inline sharing
    if "▶" in article.labels:
        [page2] = await chat.press("▶")
        assert "Page 2 of" in page2.text
        [back] = await chat.press("◀")
        assert "Page 1 of" in back.text
    [sources] = await chat.press("📑 Sources")
    assert "⬅️ Back to the article" in sources.labels


async def test_search_flow_and_empty_input(flow: Flow) -> None:
    chat = flow.chat(2, "vi")
    await chat.command("learn")
    [prompt] = await chat.press("🔎 Tìm kiếm")
    assert "bóng cười" in prompt.text
    [results] = await chat.text("bóng cười")
    assert "bóng cười" in results.text.lower()
    assert len(results.labels) > 2
    [again] = await chat.text("bóng cười")  # the search flow ended: back to the frame
    assert "📚" in "".join(again.labels)


async def test_search_without_results_escapes_the_query(flow: Flow) -> None:
    chat = flow.chat(3, "en")
    [shown] = await chat.command("learn", "<b>zzqx</b>")
    assert "&lt;b&gt;zzqx&lt;/b&gt;" in shown.text


async def test_photo_in_search_flow_is_refused_politely(flow: Flow) -> None:
    chat = flow.chat(4, "en")
    await chat.command("learn")
    await chat.press("🔎 Search")
    [shown] = await chat.photo(b"\xff\xd8not really")
    assert shown.text == "Please type words to search for, or /cancel."


async def test_forged_article_and_page_are_refused(flow: Flow) -> None:
    chat = flow.chat(5, "en")
    await chat.command("learn")
    assert await chat.press_data("learn:a:no-such-article:1") == []
    assert chat.notices[-1][0] == "This button is no longer available."
    assert await chat.press_data("learn:a:x:notanumber") == []  # does not even parse


async def test_did_you_know_cycles(flow: Flow) -> None:
    chat = flow.chat(6, "en")
    await chat.command("learn")
    [fact] = await chat.press("💡 Did you know?")
    [other] = await chat.press("Another fact")
    assert fact.text != other.text


async def test_deep_link_opens_the_article_or_the_topics(flow: Flow) -> None:
    chat = flow.chat(7, "en")
    svc = flow.runtime.services.content
    article_id = svc.topics("en") and svc.articles_in_topic(svc.topics("en")[0][0], "en")[0].article_id
    [shown] = await chat.command("start", f"a_{article_id}")
    assert "Page 1 of" in shown.text
    [shown] = await chat.command("start", "a_nothing-here")
    assert "<b>Learn</b>" in shown.text
