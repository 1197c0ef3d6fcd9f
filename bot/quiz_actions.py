"""The quiz's buttons as typed actions (bot.engine.actions), shared by the services that build
the screens and the conversations that handle the presses.

The packed forms are the callback data the quiz used before the engine (`quiz:a:<contest>:
<position>:<choice>`, `quiz_teacher:c:<contest>`, …), so buttons already sitting in students'
and teachers' chats keep working. Parsing checks only the shape; the services re-check
existence, ownership and timing on every press.
"""

from __future__ import annotations

from bot.engine.actions import Action


class _NonNegative:
    """Ids, positions, choices and pages are never negative: a forged "-1" does not parse."""

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if isinstance(value, int) and not isinstance(value, bool) and value < 0:
                raise ValueError(f"{name} is negative")


# -- students ---------------------------------------------------------------------------------


class QuizHome(Action, prefix="quiz:home"):
    pass


class PracticeTopics(Action, prefix="quiz:topics"):
    pass


class Practice(Action, prefix="quiz:pt"):
    topic: str  # a bank topic or "mix"


class PracticeAnswer(_NonNegative, Action, prefix="quiz:p"):
    position: int
    choice: int


class PracticeNext(Action, prefix="quiz:pn"):
    pass


class AskCode(Action, prefix="quiz:join"):
    pass


class ContestGo(_NonNegative, Action, prefix="quiz:go"):
    contest: int


class ContestAnswer(_NonNegative, Action, prefix="quiz:a"):
    contest: int
    position: int
    choice: int


class ContestTop(_NonNegative, Action, prefix="quiz:top"):
    contest: int


class GetCertificate(_NonNegative, Action, prefix="quiz:cert"):
    contest: int


# -- teachers ---------------------------------------------------------------------------------


class NewContest(Action, prefix="quiz_teacher:new"):
    pass


class MyContests(Action, prefix="quiz_teacher:list"):
    pass


class Wizard(Action, prefix="quiz_teacher:w"):
    """A wizard step's button: `what` (count, tp, tpall, tpdone, diff, sec, bonus, start, dur,
    create, cancel) and its value."""

    what: str
    value: str | None = None


class OpenContest(_NonNegative, Action, prefix="quiz_teacher:c"):
    contest: int


class Leaderboard(_NonNegative, Action, prefix="quiz_teacher:lb"):
    contest: int


class ExportCsv(_NonNegative, Action, prefix="quiz_teacher:csv"):
    contest: int


class ShowQr(_NonNegative, Action, prefix="quiz_teacher:qr"):
    contest: int


class EndNow(_NonNegative, Action, prefix="quiz_teacher:end"):
    contest: int


class Announce(_NonNegative, Action, prefix="quiz_teacher:ann"):
    contest: int


class AnnounceTo(_NonNegative, Action, prefix="quiz_teacher:anx"):
    """An area to announce to: `w<ward>`, `p<province>` or `n` (nationwide); or `w` with the
    ward as `code` (a pick from a province's ward pages); or `wpg` with the province as `code`
    and a `page` (a page of that province's wards)."""

    contest: int
    area: str
    code: str | None = None
    page: int | None = None


class Names(_NonNegative, Action, prefix="quiz_teacher:names"):
    contest: int
    page: int


class NameOf(_NonNegative, Action, prefix="quiz_teacher:n"):
    contest: int
    entry: int


class Rename(_NonNegative, Action, prefix="quiz_teacher:rn"):
    contest: int
    entry: int


class RemoveName(_NonNegative, Action, prefix="quiz_teacher:rm"):
    contest: int
    entry: int
