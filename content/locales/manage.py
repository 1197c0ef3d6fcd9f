"""Keep the gettext catalogs in step with the code.

    python -m content.locales.manage update [DOMAIN...]  # extract, add new strings, keep the rest
    python -m content.locales.manage check    # exit 1 on untranslated, fuzzy, missing, unused

Source strings are English. Each feature has its own domain (content/locales/<lang>/
LC_MESSAGES/<feature>.po) so teams can translate features independently; the frame's strings
live in core.po. The English catalogs are filled automatically (msgstr = msgid); the
Vietnamese ones are written by people.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
LOCALES = Path(__file__).resolve().parent
SOURCE_DIRS = ("bot", "handlers")
LANGS = ("vi", "en")
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}
# Files of the frame share the "core" domain; any other module name is its own domain.
CORE = {
    "start", "common", "errors", "commands", "registry", "app", "__main__", "config", "i18n",
    "runtime", "users", "sessions", "screens", "jobs", "doctor", "playground", "webhook",
    "command_menus", "dispatch", "conversation", "render", "inputs", "router", "actions",
}
# Channel-only modules whose strings belong to a feature's domain.
FEATURE_OF = {"inline": "learn", "chat_port": "tip_police"}  # (Zalo's chat port: tip cards)
# bot/units.py split by job: one feature, one domain.
FEATURE_OF |= dict.fromkeys(("unit_types", "unit_codes", "unit_csv", "unit_screens"), "units")
# bot/quiz.py split by job: one feature, one domain; Telegram's quiz polls with group rounds.
FEATURE_OF |= dict.fromkeys(("quiz_practice", "quiz_contests", "quiz_rounds", "quiz_rules"), "quiz")
FEATURE_OF |= {"quiz_polls": "quiz_group"}
FEATURE_OF |= {"pages": "web", "console": "web", "demo": "web", "web_console": "web",
               "board": "web"}


def domain_of(path: Path) -> str:
    stem = path.stem
    return "core" if stem in CORE else FEATURE_OF.get(stem, stem)


def extract() -> dict[str, dict[str, list[str]]]:
    """{domain: {msgid: [locations]}} for every marked string in the code."""
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for folder in SOURCE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for lineno, message, _comments, _context in extract_from_file(
                "python", str(path), keywords=KEYWORDS
            ):
                msgids = message if isinstance(message, tuple) else (message,)
                for msgid in msgids:
                    if msgid:
                        found[domain_of(path)][msgid].append(f"{path.relative_to(ROOT)}:{lineno}")
    return found


def po_path(lang: str, domain: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / f"{domain}.po"


def read(lang: str, domain: str) -> Catalog:
    path = po_path(lang, domain)
    if not path.exists():
        return Catalog(locale=lang, domain=domain, project="khong-ma-tuy")
    with path.open("rb") as fh:
        return read_po(fh, locale=lang, domain=domain)


def update(only: set[str] | None = None) -> None:
    """Rewrite the catalogs of the given domains (all when None) from the code."""
    found = extract()
    for lang in LANGS:
        for domain, messages in found.items():
            if only and domain not in only:
                continue
            old = read(lang, domain)
            new = Catalog(locale=lang, domain=domain, project="khong-ma-tuy",
                          creation_date=old.creation_date)  # no header churn on each update
            for msgid, locations in messages.items():
                previous = old.get(msgid)
                msgstr = previous.string if previous is not None and previous.string else ""
                if lang == "en" and not msgstr:
                    msgstr = msgid
                new.add(msgid, msgstr, locations=[(loc.split(":")[0], int(loc.split(":")[1])) for loc in locations])
            path = po_path(lang, domain)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as fh:
                # Without line numbers: an edit elsewhere in a file does not rewrite every
                # catalog entry of it (and merges of parallel work do not conflict on them).
                write_po(fh, new, width=100, sort_output=False, omit_header=False,
                         include_lineno=False)


def problems() -> list[str]:
    found = extract()
    issues: list[str] = []
    for lang in LANGS:
        domains = {p.stem for p in (LOCALES / lang / "LC_MESSAGES").glob("*.po")}
        for domain in sorted(domains | set(found)):
            catalog = read(lang, domain)
            wanted = found.get(domain, {})
            for msgid in wanted:
                entry = catalog.get(msgid)
                if entry is None:
                    issues.append(f"{lang}/{domain}.po: missing {msgid[:60]!r} ({wanted[msgid][0]})")
                elif not entry.string:
                    issues.append(f"{lang}/{domain}.po: untranslated {msgid[:60]!r}")
                elif entry.fuzzy:
                    issues.append(f"{lang}/{domain}.po: fuzzy {msgid[:60]!r}")
            for entry in catalog:
                if entry.id and entry.id not in wanted:
                    issues.append(f"{lang}/{domain}.po: unused {str(entry.id)[:60]!r}")
    return issues


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update(set(argv[1:]) or None)
    found = problems()
    for line in found:
        print(line)
    print(f"{len(found)} catalog problem(s)")
    return 1 if found and command == "check" else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
