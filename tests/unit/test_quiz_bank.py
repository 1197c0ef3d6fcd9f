"""The shipped question bank and its validator."""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from content.markup import tg_len
from content.quiz_bank import (
    AUDIENCES,
    DEFAULT_DIR,
    DIFFICULTIES,
    MAX_EXPLANATION,
    MAX_OPTION,
    MAX_QUESTION,
    TOPICS,
    BankError,
    Problem,
    QuestionBank,
    balance_problems,
    load_bank,
    longest_correct_share,
    validate_bank,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bank() -> QuestionBank:
    return load_bank()


# ---------------------------------------------------------------------------------------------
# The shipped bank


def test_shipped_bank_is_valid() -> None:
    assert validate_bank() == []


def test_at_least_150_questions(bank: QuestionBank) -> None:
    assert len(bank) >= 150


def test_every_topic_is_covered_at_every_difficulty(bank: QuestionBank) -> None:
    # TOPICS is shared with the article library; a topic may have articles before questions.
    counts = bank.topics()
    assert set(counts) <= set(TOPICS)
    assert len(counts) >= 11
    for topic, n in counts.items():
        assert n >= 10, f"{topic} has only {n} questions"
        difficulties = {q.difficulty for q in bank if q.topic == topic}
        assert {"easy", "medium"} <= difficulties, topic
    by_difficulty = collections.Counter(q.difficulty for q in bank)
    assert all(by_difficulty[d] >= 20 for d in DIFFICULTIES), by_difficulty


def test_every_audience_has_enough_questions(bank: QuestionBank) -> None:
    for audience in AUDIENCES:
        assert len(bank.filter(audience=audience)) >= 60, audience


def test_one_file_per_topic(bank: QuestionBank) -> None:
    for question in bank:
        assert Path(question.path).stem == question.topic


def test_lengths_fit_telegram_quiz_polls(bank: QuestionBank) -> None:
    for q in bank:
        for lang in ("vi", "en"):
            assert tg_len(q.text[lang]) <= MAX_QUESTION
            assert tg_len(q.explanation[lang]) <= MAX_EXPLANATION
            assert all(tg_len(o) <= MAX_OPTION for o in q.options[lang])
            assert len(q.options[lang]) == q.option_count


def test_every_question_has_a_source(bank: QuestionBank) -> None:
    for q in bank:
        assert q.source.title and q.source.publisher
        assert q.source.date or q.source.url or q.source.ref
        # Every claim is traced to the project's facts file.
        # ... or to a published source found since, named by its address.
        assert (q.source.ref and q.source.ref.startswith("awareness-facts.md#")) or (
            q.source.url and q.source.url.startswith("https://")), q.id


def test_correct_answers_are_not_always_in_the_same_place(bank: QuestionBank) -> None:
    positions = collections.Counter(q.correct[0] for q in bank)
    assert len(positions) >= 3
    assert max(positions.values()) < len(bank) / 2


def test_vietnamese_has_diacritics(bank: QuestionBank) -> None:
    # A Vietnamese text typed without diacritics would be nearly pure ASCII.
    for q in bank:
        assert any(ord(ch) > 127 for ch in q.text["vi"] + q.explanation["vi"]), q.id


def test_no_hard_coded_local_hotlines(bank: QuestionBank) -> None:
    # Only the national short numbers from the facts file may appear; local police hotlines are
    # configuration of each unit, never content.
    phone = re.compile(r"(?<!\d)(?:0\d{8,10}|1[89]00\d{3,6}|11\d)(?!\d)")
    for q in bank:
        for lang in ("vi", "en"):
            for text in (q.text[lang], q.explanation[lang], *q.options[lang]):
                for number in phone.findall(text.replace(" ", "").replace(".", "")):
                    assert number in {"111", "113", "114", "115"}, (q.id, number)


def test_article_links_exist(bank: QuestionBank) -> None:
    articles = pytest.importorskip("content.articles")
    library = articles.load_library()
    known = {article_id for article_id, _lang in library.articles}
    linked = {q.article for q in bank if q.article}
    assert linked, "questions should link to articles"
    assert linked <= known, linked - known


def test_no_drug_trafficking_framing_of_the_hoanh_bo_case(bank: QuestionBank) -> None:
    # The facts file: police classified it as poisoning from a cannabis supplement, not trafficking.
    cases = [q for q in bank if "Hoành Bồ" in q.text["vi"] + q.explanation["vi"]]
    assert len(cases) >= 3
    for q in cases:
        for index in q.correct:
            answer = q.options["en"][index].casefold()
            assert "dealer" not in answer and "stranger" not in answer, q.id
        assert "trafficking" not in q.explanation["en"] or "not trafficking" in q.explanation["en"]


# ---------------------------------------------------------------------------------------------
# The validator


GOOD = """\
topic: laughing-gas
questions:
  - id: lg-one
    topic: laughing-gas
    difficulty: easy
    audience: [adults]
    text: {vi: "Câu hỏi?", en: "Question?"}
    options:
      vi: ["Một", "Hai"]
      en: ["One", "Two"]
    correct: [1]
    explanation: {vi: "Giải thích.", en: "Explanation."}
    source: {title: "T", publisher: "P", date: "2024"}
"""


def write(tmp_path: Path, text: str, name: str = "laughing-gas.yaml") -> Path:
    (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def test_a_good_file_passes(tmp_path: Path) -> None:
    bank = load_bank(write(tmp_path, GOOD))
    assert len(bank) == 1
    q = bank.get("lg-one")
    assert q is not None
    assert q.correct == (1,)
    assert q.options_for("en") == ("One", "Two")
    assert q.text_for("fr") == "Câu hỏi?"  # unknown locale falls back to Vietnamese


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


@pytest.mark.parametrize(
    ("old", "new", "line", "needle"),
    [
        ("difficulty: easy", "difficulty: extreme", 5, "unknown difficulty"),
        ("audience: [adults]", "audience: [toddlers]", 6, "unknown audience"),
        ("    topic: laughing-gas", "    topic: cocaine", 4, "unknown topic"),
        ("correct: [1]", "correct: [2]", 11, "out of range"),
        ("correct: [1]", "correct: [0, 1]", 11, "every option is correct"),
        ('      en: ["One", "Two"]', '      en: ["One", "Two", "Three"]', 10, "option counts differ"),
        ('      vi: ["Một", "Hai"]', '      vi: ["Một"]', 9, "allowed 2–6"),
        ('en: "Question?"', f'en: "{"x" * 301}"', 7, "301 characters"),
        ('      en: ["One", "Two"]', f'      en: ["One", "{"y" * 101}"]', 10, "101 characters"),
        ('en: "Explanation."', f'en: "{"z" * 201}"', 12, "Telegram allows 200"),
        ('source: {title: "T", publisher: "P", date: "2024"}', 'source: {title: "T", publisher: "P"}',
         13, "date, url or ref"),
        ('source: {title: "T", publisher: "P", date: "2024"}', "source: {date: '2024'}", 13,
         "no title"),
        ('      en: ["One", "Two"]', '      en: ["One", No]', 10, "quote words like yes/no"),
        ('      en: ["One", "Two"]', '      en: ["One", "All of the above"]', 10, "shuffled"),
        ("    difficulty: easy\n", "", 3, "missing 'difficulty'"),
        ("    correct: [1]", "    correct: [1]\n    corect: [0]", 12, "unknown key 'corect'"),
        ("id: lg-one", "id: LG One", 3, "slug"),
    ],
)
def test_broken_files_fail_with_file_and_line(
    tmp_path: Path, old: str, new: str, line: int, needle: str
) -> None:
    assert old in GOOD
    directory = write(tmp_path, GOOD.replace(old, new, 1))
    problems = validate_bank(directory)
    assert problems, "expected a problem"
    match = [p for p in problems if needle in p.message]
    assert match, problems
    problem = match[0]
    assert problem.path.endswith("laughing-gas.yaml")
    assert problem.line == line, problem
    assert str(problem).startswith(f"{problem.path}:{line}: ")
    with pytest.raises(BankError):
        load_bank(directory)


def test_duplicate_ids_across_files_name_both_places(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    write(tmp_path, GOOD.replace("laughing-gas", "law"), "law.yaml")
    problem = only(validate_bank(tmp_path))
    assert "duplicate id 'lg-one'" in problem.message
    assert problem.path.endswith("law.yaml") and problem.line == 3
    assert "laughing-gas.yaml:3" in problem.message


def test_question_topic_must_match_file_topic(tmp_path: Path) -> None:
    problem = only(validate_bank(write(tmp_path, GOOD.replace("    topic: laughing-gas", "    topic: law"))))
    assert "differs from the file's topic" in problem.message and problem.line == 4


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    problem = only(validate_bank(write(tmp_path, GOOD.replace("text: {vi:", "text: {vi: [", 1))))
    assert problem.message.startswith("YAML error") and problem.line >= 7


def test_duplicate_keys_are_reported(tmp_path: Path) -> None:
    text = GOOD.replace("    difficulty: easy", "    difficulty: easy\n    difficulty: hard")
    problem = only(validate_bank(write(tmp_path, text)))
    assert "appears twice" in problem.message and problem.line == 6


def test_empty_directory_is_a_problem(tmp_path: Path) -> None:
    assert "no .yaml files" in only(validate_bank(tmp_path)).message
    assert "not found" in only(validate_bank(tmp_path / "missing")).message


def test_anchors_and_aliases_work(tmp_path: Path) -> None:
    text = GOOD.replace(
        "questions:",
        'sources:\n  s: &s {title: "T", publisher: "P", ref: "awareness-facts.md#scale"}\nquestions:',
    ).replace('source: {title: "T", publisher: "P", date: "2024"}', "source: *s")
    bank = load_bank(write(tmp_path, text))
    assert bank.questions[0].source.ref == "awareness-facts.md#scale"


# ---------------------------------------------------------------------------------------------
# CLI


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "content.quiz_bank", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )


def test_cli_ok_on_the_shipped_bank() -> None:
    result = run_cli("check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: ")


def test_cli_exits_1_with_file_and_line(tmp_path: Path) -> None:
    shutil.copy(DEFAULT_DIR / "law.yaml", tmp_path / "law.yaml")
    write(tmp_path, GOOD.replace("difficulty: easy", "difficulty: extreme"))
    result = run_cli("check", str(tmp_path))
    assert result.returncode == 1
    assert "laughing-gas.yaml:5: question 'lg-one': unknown difficulty 'extreme'" in result.stdout


def test_cli_usage() -> None:
    assert run_cli().returncode == 2


# ---------------------------------------------------------------------------------------------
# Bank-wide editorial rules


def question_yaml(qid: str, text: str, options: list[str], correct: int = 0,
                  extra: str = "", vi_text: str | None = None) -> str:
    opts = ", ".join(f'"{o}"' for o in options)
    return (f"  - id: {qid}\n    topic: laughing-gas\n    difficulty: easy\n    audience: [adults]\n"
            f'    text: {{vi: "{vi_text or text}", en: "{text}"}}\n'
            f"    options:\n      vi: [{opts}]\n      en: [{opts}]\n    correct: [{correct}]\n"
            f'    explanation: {{vi: "Giải thích.", en: "Explanation."}}\n'
            f'    source: {{title: "T", publisher: "P", date: "2024"}}\n{extra}')


def bank_dir(tmp_path: Path, *questions: str) -> Path:
    (tmp_path / "laughing-gas.yaml").write_text("topic: laughing-gas\nquestions:\n"
                                                 + "".join(questions), encoding="utf-8")
    return tmp_path


def test_longest_right_answer_share_is_measured_and_limited(tmp_path: Path) -> None:
    longest = [question_yaml(f"q{i}", f"Question number {i} about gas?",
                             ["A much longer right answer", "Short", "Tiny"]) for i in range(2)]
    balanced = question_yaml("q9", "Another different question on balloons?",
                             ["Right one", "A wrong option that is longer", "No"])
    questions = load_bank(bank_dir(tmp_path, *longest, balanced)).questions
    assert longest_correct_share(questions, "en") == pytest.approx(2 / 3)
    assert [p.message.split(";")[0] for p in balance_problems(questions)] == [
        "the right answer is the longest option in 67% of single-answer questions (vi)",
        "the right answer is the longest option in 67% of single-answer questions (en)",
    ]
    assert balance_problems(questions, limit=0.7) == []


def test_shipped_bank_right_answers_are_not_mostly_the_longest(bank: QuestionBank) -> None:
    # 76% (vi) before the December 2026 review; the rule allows at most 35%.
    assert balance_problems(bank.questions) == []


def test_near_duplicates_are_reported(tmp_path: Path) -> None:
    first = question_yaml("seize-a", "How much methamphetamine did Asia seize in 2024?",
                          ["236 tonnes", "23.6 tonnes", "2,360 tonnes"])
    second = question_yaml("seize-b", "How much methamphetamine did Asia seize in 2024 (UNODC)?",
                           ["236 tonnes", "50.5 tonnes", "500.5 tonnes"])
    other = question_yaml("other", "Which vitamin does laughing gas inactivate?",
                          ["B12", "C12", "D3"])
    problems = validate_bank(bank_dir(tmp_path, first, second, other), articles=None)
    assert [p.message.split(" (")[0] for p in problems] == [
        "question 'seize-b' is a near-duplicate of 'seize-a'"]


def test_adults_and_pupils_are_never_addressed_as_em(tmp_path: Path) -> None:
    em = question_yaml("em-q", "What should you do?", ["Say no", "Say yes"],
                       vi_text="Em nên làm gì?")
    child = question_yaml("child-q", "Which number protects children?", ["111", "114"],
                          vi_text="Số nào bảo vệ trẻ em và em gái của bạn?")
    problems = validate_bank(bank_dir(tmp_path, em, child), articles=None)
    assert [p.message for p in problems] == [
        "question 'em-q' addresses the reader as 'em': the bank says 'bạn' to every audience"]


def write_articles(tmp_path: Path) -> Path:
    root = tmp_path / "articles"
    shutil.copytree(ROOT / "content" / "articles", root)
    return root


def test_read_more_link_must_contain_the_answer(tmp_path: Path) -> None:
    articles = write_articles(tmp_path)
    good = question_yaml("b12", "Which vitamin does N2O inactivate?", ["B12", "C12"],
                         extra="    article: laughing-gas\n")
    wrong = question_yaml("wrong-link", "Which decree lists the narcotic substances?",
                          ["Decree 28/2026", "Decree 144/2021"], extra="    article: saying-no\n")
    keyed = question_yaml("keyed", "What fine does using a vape bring now?",
                          ["Three to five million", "Only a warning, no fine at all"],
                          extra='    article: drug-law-basics\n    keys: ["371/2025"]\n')
    missing = question_yaml("missing", "Is there such an article?", ["Yes", "Not at all"],
                            extra="    article: no-such-article\n")
    (tmp_path / "bank").mkdir()
    problems = validate_bank(bank_dir(tmp_path / "bank", good, wrong, keyed, missing),
                             articles=articles)
    assert sorted(p.message for p in problems) == [
        "question 'missing': 'read more' article 'no-such-article' does not exist in vi",
        "question 'wrong-link': article 'saying-no' (vi) contains none of the key terms "
        "['28/2026']: link an article that answers it, or set 'keys'",
    ]
