"""The one topic list shared by the article library, the quiz bank and every menu.

Topic ids are stable (scores and callback data refer to them); their titles, in every language,
live in ``content/articles/topics.yaml`` so that articles, quiz menus and contest summaries show
one name per topic.
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

import yaml

TOPICS: tuple[str, ...] = (
    "synthetic-drugs",
    "laughing-gas",
    "stamp-paper",
    "synthetic-cannabinoids",
    "disguised-drugs",
    "opioids",
    "dealer-tactics",
    "trafficking",
    "helping-a-friend",
    "saying-no",
    "families-schools",
    "law",
    "getting-help",
    "treatment",
    "hiv-harm-reduction",
    "community",
    "scale",
)
"""Known topics, in the order menus show them."""

TITLES_FILE = Path(__file__).resolve().parent / "articles" / "topics.yaml"
DEFAULT_LANGUAGE = "vi"


@functools.cache
def _titles(path: Path = TITLES_FILE) -> dict[str, dict[str, str]]:
    try:
        raw = yaml.safe_load(unicodedata.normalize("NFC", path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {
        str(topic): {str(k): str(v) for k, v in titles.items()}
        for topic, titles in raw.items()
        if isinstance(titles, dict)
    }


def topic_title(topic: str, language: str | None) -> str:
    """The title of ``topic`` in ``language`` (Vietnamese when missing, the id as last resort)."""
    titles = _titles().get(topic, {})
    return titles.get(language or DEFAULT_LANGUAGE) or titles.get(DEFAULT_LANGUAGE) or topic
