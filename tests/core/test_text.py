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


def test_line_and_paragraph_separators_are_escaped_so_one_value_stays_one_line():
    # str.splitlines() and some terminals break a line at U+2028/U+2029: a payer name could
    # fake a second row in a listing
    assert visible("BLUE\u2028CROSS\u2029") == "BLUE\\u2028CROSS\\u2029"
    assert unsafe_characters("a\u2028b") == ["line separator (\\u2028)"]


def test_an_invisible_character_beyond_the_basic_plane_is_escaped_as_itself():
    # a tag character (used to hide text in plain sight) is \U000e0041, not \ue004 and a "1"
    assert visible("A\U000e0041B") == "A\\U000e0041B"
    assert unsafe_characters("\U000e0041") == ["tag latin capital letter a (\\U000e0041)"]


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


def test_a_date_that_is_not_one_is_told_why() -> None:
    from pctui.core.text import why_not_a_date

    assert why_not_a_date("2026-02-30") == "'2026-02-30' is not a day on the calendar"
    assert why_not_a_date("20261130") == "'20261130' is not a date: use YYYY-MM-DD"
    assert why_not_a_date("22/11/2026") == "'22/11/2026' is not a date: use YYYY-MM-DD"
