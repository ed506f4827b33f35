"""Text from payers and users is shown as text: control characters become visible escapes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pctui.core.text import unsafe_characters, visible


def test_an_escape_sequence_from_an_835_is_shown_not_obeyed():
    assert visible("ACME\x1b[2J PAYER") == "ACME\\x1b[2J PAYER"


def test_markup_brackets_are_left_for_the_widget_to_show_literally():
    assert visible("Evil [/] payer [bold red]x") == "Evil [/] payer [bold red]x"


def test_right_to_left_override_and_zero_width_are_escaped():
    assert visible("abc\u202edef\u200b") == "abc\\u202edef\\u200b"


def test_newlines_are_kept_only_when_asked():
    assert visible("a\nb") == "a\\x0ab"
    assert visible("a\nb", keep_newlines=True) == "a\nb"


def test_unsafe_characters_are_named_once_each():
    assert unsafe_characters("a\x1bb\x1b\x00\u202e") == [
        "escape (\\x1b)", "NUL (\\x00)", "right-to-left override (\\u202e)",
    ]
    assert unsafe_characters("Blue Cross & Blue Shield [CA]") == []
    assert unsafe_characters("\ud800") == ["lone surrogate (\\ud800)"]


@given(st.text())
def test_visible_text_never_holds_a_control_character(text):
    shown = visible(text)
    assert unsafe_characters(shown) == []
    assert visible(shown) == shown
