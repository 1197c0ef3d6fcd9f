"""The typed action codec: packing, parsing, and refusing anything else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.engine.actions import MAX_BYTES, Action, ActionError, parse


class Open(Action, prefix="t_open:x"):
    item: str
    page: int = 1


class Toggle(Action, prefix="t_toggle"):
    on: bool
    note: str | None = None


def test_round_trip_and_two_segment_prefix() -> None:
    packed = Open("n2o", 3).pack()
    assert packed == "t_open:x:n2o:3"
    assert parse(packed) == Open("n2o", 3)
    assert parse("t_toggle:1") == Toggle(True)
    assert Toggle(False, "hi").pack() == "t_toggle:0:hi"


def test_trailing_optional_is_dropped() -> None:
    assert Toggle(True).pack() == "t_toggle:1"
    assert parse("t_toggle:1:") is None or parse("t_toggle:1:") == Toggle(True)


@pytest.mark.parametrize("data", [
    "", "nope", "t_open:x", "t_open:x:a:b", "t_open:x:a:1:extra", "t_toggle:2",
    "t_toggle:yes", None, 42, "t_open:x:" + "a" * 70, "t_open:x:\x00:1",
])
def test_garbage_does_not_parse(data: object) -> None:
    assert parse(data) is None


def test_packing_refuses_what_cannot_round_trip() -> None:
    with pytest.raises(ActionError):
        Open("a:b").pack()
    with pytest.raises(ActionError):
        Open("x" * 60).pack()
    with pytest.raises(ActionError):

        class Bad(Action, prefix="Bad Prefix"):
            pass


def test_bad_field_types_are_refused_at_definition() -> None:
    with pytest.raises(ActionError):

        class Floaty(Action, prefix="t_floaty"):
            x: float


@given(st.text(min_size=1, max_size=20).filter(lambda s: ":" not in s and s.isprintable()),
       st.integers(min_value=-(10**12), max_value=10**12))
def test_any_valid_value_round_trips(item: str, page: int) -> None:
    action = Open(item, page)
    try:
        packed = action.pack()
    except ActionError:
        assert len(f"t_open:x:{item}:{page}".encode()) > MAX_BYTES
        return
    assert parse(packed) == action


@given(st.text(max_size=64))
def test_parse_never_raises(data: str) -> None:
    parse(data)


def test_two_segment_prefix_takes_up_to_twelve_characters() -> None:
    class Long(Action, prefix="t_long:urgent_ok"):  # "tip:urgent_ok" buttons stay valid
        pass

    assert parse("t_long:urgent_ok") == Long()
    with pytest.raises(ActionError):

        class TooLong(Action, prefix="t_long:abcdefghijklm"):
            pass
