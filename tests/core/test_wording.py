"""Counted nouns agree with their number in every message."""

from pctui.core.wording import plural


def test_one_is_singular_and_every_other_count_is_plural() -> None:
    assert plural(1, "claim") == "1 claim"
    assert plural(0, "claim") == "0 claims"
    assert plural(2, "error-report line") == "2 error-report lines"
    assert plural(1_250, "payment") == "1,250 payments"
    assert plural(3, "match", "matches") == "3 matches"
