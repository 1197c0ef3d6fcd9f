"""The buttons of the citizen's tip flow as typed actions (bot.engine.actions).

Each keeps the callback data its button had before the engine ("tip:c:spot", "tip:wq:12:ab…"),
so buttons already sitting in people's chats keep working. Nothing here is trusted: the flow
re-checks the step, the directory codes and the watch token on every press.
"""

from __future__ import annotations

from bot.engine.actions import Action


class Go(Action, prefix="tip:go"):
    """✍️ Start a tip (from the intro)."""


class FollowupStart(Action, prefix="tip:fu"):
    pass


class Privacy(Action, prefix="tip:privacy"):
    pass


class Cancel(Action, prefix="tip:x"):
    pass


class Resume(Action, prefix="tip:resume"):
    pass


class Restart(Action, prefix="tip:restart"):
    pass


class Category(Action, prefix="tip:c"):
    key: str


class UrgentOk(Action, prefix="tip:urgent_ok"):
    pass


class ProvincePage(Action, prefix="tip:pp"):
    page: int = 0


class Province(Action, prefix="tip:p"):
    code: str  # as the directory writes it ("79", "01")


class Ward(Action, prefix="tip:w"):
    code: str


class WardConfirm(Action, prefix="tip:wc"):
    code: str


class SkipPlace(Action, prefix="tip:ps"):
    pass


class PhotosDone(Action, prefix="tip:phd"):
    pass


class When(Action, prefix="tip:t"):
    key: str


class Edit(Action, prefix="tip:e"):
    what: str  # "cat", "place", "text", "photos", "when" or "nopin"


class Send(Action, prefix="tip:send"):
    pass


class WatchAsk(Action, prefix="tip:wq"):
    tip_id: int
    token: str


class WatchOn(Action, prefix="tip:won"):
    tip_id: int
    token: str


class FollowAnswer(Action, prefix="tip:fa"):
    pass


class FollowPhoto(Action, prefix="tip:fph"):
    pass


class FollowDone(Action, prefix="tip:fx"):
    pass


class FollowPage(Action, prefix="tip:fpg"):
    page: int
