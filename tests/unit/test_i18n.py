"""Catalogs are complete, and formatting follows the locale and Vietnam's time zone."""

from datetime import UTC, datetime

from bot.i18n import normalise_locale, translator
from content.locales import manage


def test_catalogs_complete_no_fuzzy_no_missing() -> None:
    problems = manage.problems()
    assert problems == [], "\n".join(problems[:30])


def test_vietnamese_is_default_and_english_available() -> None:
    assert translator("vi").gettext("Language saved.") == "Đã lưu ngôn ngữ."
    assert translator("en").gettext("Language saved.") == "Language saved."
    assert normalise_locale("en-US") == "en"
    assert normalise_locale("fr") == "vi"
    assert normalise_locale(None, "en") == "en"


def test_dates_in_ho_chi_minh_time() -> None:
    moment = datetime(2026, 6, 25, 20, 30, tzinfo=UTC)  # 03:30 on 26 June in Vietnam
    assert "26" in translator("vi").date(moment)
    assert "26" in translator("en").date(moment)
    assert "03:30" in translator("vi").datetime(moment)
    assert translator("vi").number(1234567) == "1.234.567"
    assert translator("en").number(1234567) == "1,234,567"


def test_catalog_check_catches_untranslated(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    vi = tmp_path / "vi" / "LC_MESSAGES"
    en = tmp_path / "en" / "LC_MESSAGES"
    vi.mkdir(parents=True)
    en.mkdir(parents=True)
    monkeypatch.setattr(manage, "LOCALES", tmp_path)
    monkeypatch.setattr(manage, "extract", lambda: {"core": {"Hello": ["x.py:1"], "Bye": ["x.py:2"]}})
    for folder, entries in ((vi, {"Hello": "Xin chào", "Bye": ""}), (en, {"Hello": "Hello"})):
        cat = Catalog(locale=folder.parent.name)
        for k, v in entries.items():
            cat.add(k, v, flags=("fuzzy",) if k == "Hello" and folder is en else ())
        with (folder / "core.po").open("wb") as fh:
            write_po(fh, cat)
    found = manage.problems()
    assert "vi/core.po: untranslated 'Bye'" in found
    assert "en/core.po: missing 'Bye' (x.py:2)" in found
    assert "en/core.po: fuzzy 'Hello'" in found
