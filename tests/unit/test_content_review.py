"""Rules added by the December 2026 content review: review age, catalogs, shared topics, dates."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from babel.messages.pofile import read_po

from bot.i18n import Translator
from content import articles, quiz_bank
from content.articles import load_library, review_warnings
from content.topics import TOPICS, topic_title

ROOT = Path(__file__).resolve().parents[2]


def test_old_article_with_a_law_gets_a_warning(tmp_path: Path) -> None:
    root = tmp_path / "articles"
    shutil.copytree(ROOT / "content" / "articles", root)
    today = dt.date(2026, 12, 1)
    assert review_warnings(root, today=today) == []
    # A year and a day later, every article that quotes a law or a figure needs a new review.
    later = review_warnings(root, today=today + dt.timedelta(days=366))
    paths = {Path(w.path).name for w in later}
    assert "drug-law-2025-changes.vi.md" in paths  # "Điều 256a", "86/2025/QH15"
    assert "drug-situation.en.md" in paths  # "236 tonnes"
    assert "saying-no.vi.md" not in paths  # no law, no figure
    assert all("warning: last reviewed" in w.message for w in later)


def test_every_catalog_passes_babels_format_checker() -> None:
    # The same check as `msgfmt -c` for python-format strings, without needing gettext installed.
    for path in sorted((ROOT / "content" / "locales").glob("*/LC_MESSAGES/*.po")):
        with path.open("rb") as fh:
            catalog = read_po(fh)
        errors = [(m.id, [str(e) for e in errs]) for m, errs in catalog.check()]
        assert errors == [], path


def test_quiz_and_articles_share_one_topic_list_with_one_name_each() -> None:
    assert articles.TOPICS == quiz_bank.TOPICS == TOPICS
    library = load_library()
    titles = {t.id: t for t in library.topics}
    for topic in TOPICS:
        for lang in ("vi", "en"):
            assert topic_title(topic, lang) == titles[topic].title(lang)
    assert topic_title("laughing-gas", "vi") == "Bóng cười (khí N₂O)"


def test_english_dates_are_unambiguous() -> None:
    en, vi = Translator("en"), Translator("vi")
    when = dt.datetime(2026, 12, 2, 1, 30, tzinfo=dt.UTC)  # 08:30 in Hanoi
    assert en.date(when) == "2 Dec 2026"
    assert en.date(when, "short") == "2 Dec 2026"
    assert en.datetime(when) == "2 Dec 2026, 08:30"
    assert vi.date(when) == "2 thg 12, 2026"  # Vietnamese is day-first already
