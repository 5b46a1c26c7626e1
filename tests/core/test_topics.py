"""Topic patterns: ``*`` is one word, ``#`` is zero or more words, bad patterns are refused."""

from __future__ import annotations

import pytest

from monitor.core.topics import compile_pattern, topic_matches


@pytest.mark.parametrize(
    ("pattern", "topic", "expected"),
    [
        ("orders.*", "orders.placed", True),
        ("orders.*", "orders", False),
        ("orders.*", "orders.placed.eu", False),
        ("*.placed", "orders.placed", True),
        ("*.placed", "placed", False),
        ("orders.*.eu", "orders.placed.eu", True),
        ("orders.*.eu", "orders.eu", False),
        ("*", "orders", True),
        ("*", "orders.placed", False),
    ],
)
def test_star_matches_exactly_one_word(pattern: str, topic: str, expected: bool) -> None:
    assert topic_matches(pattern, topic) is expected


@pytest.mark.parametrize(
    ("pattern", "topic", "expected"),
    [
        ("orders.#", "orders", True),
        ("orders.#", "orders.placed", True),
        ("orders.#", "orders.placed.eu", True),
        ("orders.#", "ordersx", False),
        ("orders.#", "payments.placed", False),
        ("#", "orders", True),
        ("#", "orders.placed.eu.x", True),
        ("#.placed", "placed", True),
        ("#.placed", "orders.placed", True),
        ("#.placed", "a.b.placed", True),
        ("#.placed", "orders.placed.eu", False),
        ("orders.#.eu", "orders.eu", True),
        ("orders.#.eu", "orders.placed.eu", True),
        ("orders.#.eu", "orders.placed.x.eu", True),
        ("orders.#.eu", "orders.placed", False),
        ("#.*", "orders", True),
        ("*.#", "orders.placed", True),
        ("*.#", "orders", True),
        # '#' next to '#' is still zero-or-more words (regression: '#.#' matched nothing)
        ("#.#", "orders", True),
        ("#.#", "orders.placed", True),
        ("a.#.#.b", "a.b", True),
        ("a.#.#.b", "a.x.y.b", True),
    ],
)
def test_hash_matches_zero_or_more_words(pattern: str, topic: str, expected: bool) -> None:
    assert topic_matches(pattern, topic) is expected


def test_plain_words_match_literally_not_as_regex() -> None:
    assert topic_matches("orders.placed", "orders.placed")
    assert not topic_matches("orders.placed", "orders.placedx")
    assert not topic_matches("orders.placed", "ordersXplaced")  # '.' is not a regex wildcard
    assert topic_matches("a+b.c", "a+b.c")


@pytest.mark.parametrize("pattern", ["", "orders.pl*", "orders.#x", "a*.b", "#orders", "o*#"])
def test_invalid_patterns_raise_value_error(pattern: str) -> None:
    with pytest.raises(ValueError):
        compile_pattern(pattern)
    with pytest.raises(ValueError):
        topic_matches(pattern, "orders.placed")
