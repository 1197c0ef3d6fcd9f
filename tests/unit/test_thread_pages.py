"""Paging a tip's thread into messages Telegram accepts (bot/thread_pages.py)."""

from __future__ import annotations

import html

from bot.thread_pages import nav_row, page_index, paginate, tg_len


def test_short_thread_is_one_page_without_footer() -> None:
    assert paginate("<b>H</b>", [("P: ", "a & b"), ("T: ", "c")]) == ["<b>H</b>\nP: a &amp; b\nT: c"]


def test_pages_fit_after_escaping_and_keep_every_character_in_order() -> None:
    items = [("👮 P: ", f"[{i}]" + "&<😀x" * 900) for i in range(5)]
    pages = paginate("💬 <b>Thread</b>", items, limit=4096)
    assert len(pages) > 5
    for n, page in enumerate(pages, start=1):
        assert tg_len(page) <= 4096
        assert page.startswith("💬 <b>Thread</b>\n") and page.endswith(f"📄 {n}/{len(pages)}")
    # Unescaped and without headers, footers, prefixes and continuation marks: the texts, whole.
    body = "".join(
        line.removeprefix("👮 P: ").removeprefix("… ")
        for page in pages for line in page.split("\n")[1:-2]
    )
    assert html.unescape(body) == "".join(text for _, text in items)


def test_page_index_and_nav() -> None:
    assert page_index(None, 3) == 2 and page_index(7, 3) == 2 and page_index(-1, 3) == 0
    assert nav_row(0, 1, "x", "<", ">") == []
    assert [b.data for b in nav_row(1, 3, "tpol:th:ABCDEF", "<", ">")] == [
        "tpol:th:ABCDEF:0", "tpol:th:ABCDEF:2"]


def test_nav_with_a_typed_action() -> None:
    from bot.tip_actions import FollowPage

    row = nav_row(1, 3, FollowPage, "<", ">")
    assert [b.action for b in row] == [FollowPage(0), FollowPage(2)]
    assert [b.data for b in row] == ["tip:fpg:0", "tip:fpg:2"]  # the data of older buttons
