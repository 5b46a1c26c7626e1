"""How counts, durations, sizes and ids read, one way everywhere."""

from __future__ import annotations

import pytest

from monitor.core.wording import count, format_duration, format_size, plural_of, short_id


@pytest.mark.parametrize(
    ("n", "noun", "plural", "said"),
    [
        (0, "topic", None, "0 topics"),
        (1, "topic", None, "1 topic"),
        (1204, "event", None, "1,204 events"),
        (2, "match", None, "2 matches"),
        (2, "delivery", "deliveries", "2 deliveries"),
        (1, "delivery", "deliveries", "1 delivery"),
    ],
)
def test_count_says_the_number_with_its_noun(
    n: int, noun: str, plural: str | None, said: str
) -> None:
    assert count(n, noun, plural) == said


def test_plural_of_is_the_word_alone() -> None:
    assert plural_of(1, "event") == "event" and plural_of(3, "box") == "boxes"


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (-3, "0 ms"),
        (0.85, "850 ms"),
        (4.24, "4.2 s"),
        (12.4, "12 s"),
        (185, "3 min 5 s"),
        (7800, "2 h 10 min"),
        (3 * 86400 + 4 * 3600, "3 d 4 h"),
    ],
)
def test_durations_read_as_people_say_them(seconds: float, said: str) -> None:
    assert format_duration(seconds) == said


@pytest.mark.parametrize(
    ("size", "said"),
    [(512, "512 B"), (12_800, "12.5 KB"), (3_250_586, "3.1 MB"), (5 * 1024**4, "5120.0 GB")],
)
def test_sizes_in_powers_of_1024(size: int, said: str) -> None:
    assert format_size(size) == said


def test_a_short_id_is_the_start_a_person_can_type_back() -> None:
    assert short_id("24cd9194-1111-4222-8333-444455556666") == "24cd9194"
    assert short_id(None) == "-" and short_id("abc") == "abc"
