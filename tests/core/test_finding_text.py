"""How a finding reads to a biller: what is wrong, where, and how often (issue 10 item 5)."""

from pctui.core.era import Finding, FindingSource, Severity, collapse


def _finding(message: str, position: int | None) -> Finding:
    return Finding(Severity.WARNING, FindingSource.STRUCTURE, message, "CLP", position)


def test_a_finding_that_does_not_name_its_place_is_given_it() -> None:
    assert _finding("Claim 123 does not balance", 1234).text == \
        "Claim 123 does not balance (at segment 1,234)"


def test_a_finding_that_names_its_place_is_not_told_it_twice() -> None:
    assert _finding("Segment 5 (BPR): the payment date is missing", 5).text == \
        "Segment 5 (BPR): the payment date is missing"
    assert _finding("Transaction set 1 (segments 3-4) is not a payment", 3).text == \
        "Transaction set 1 (segments 3-4) is not a payment"
    assert _finding("Required segment N3 (Payer Address) is missing", 9).text == \
        "Required segment N3 (Payer Address) is missing (at segment 9)"


def test_a_finding_without_a_place_is_just_its_words() -> None:
    assert _finding("Payment amount does not balance", None).text == \
        "Payment amount does not balance"


def test_the_same_finding_repeated_is_one_with_a_count_and_its_first_places() -> None:
    (one,) = collapse(_finding("Claim has no payer claim number", p) for p in range(10, 420))
    assert one.count == 410
    assert one.text == ("Claim has no payer claim number "
                        "(410 times: segments 10, 11, 12, 13, 14 and more)")
    (two,) = collapse(_finding("Claim has no payer claim number", p) for p in (7, 9))
    assert two.text == "Claim has no payer claim number (2 times: segments 7, 9)"
