from __future__ import annotations

import pytest
from pydantic import ValidationError

from rankterm.core.model import (
    Choice,
    Judgment,
    choice_for_side,
    describe,
    from_ordinal,
    ordinal,
    shown_swapped,
    side_for_choice,
)


@pytest.mark.parametrize(
    ("side", "swapped", "expected"),
    [
        ("left", False, Choice.A),
        ("right", False, Choice.B),
        ("left", True, Choice.B),
        ("right", True, Choice.A),
    ],
)
def test_screen_side_maps_to_data_terms(side, swapped, expected):
    assert choice_for_side(side, Choice.A, swapped) is expected
    assert side_for_choice(expected, swapped) == side


def test_tie_and_both_bad_ignore_side():
    assert choice_for_side(None, Choice.TIE, True) is Choice.TIE
    assert side_for_choice(Choice.BOTH_BAD, False) is None


def test_ordinal_scale_round_trips():
    assert ordinal(Choice.A, 3) == -3 and ordinal(Choice.B, 1) == 1
    assert ordinal(Choice.TIE, None) == 0 and ordinal(Choice.BOTH_BAD, None) is None
    for value in range(-3, 4):
        assert ordinal(*from_ordinal(value)) == value


def test_strength_rules():
    with pytest.raises(ValidationError, match="strength"):
        Judgment(pair_id="p", annotator="a", choice="A")
    with pytest.raises(ValidationError, match="strength must be null"):
        Judgment(pair_id="p", annotator="a", choice="tie", strength=2)


def test_side_order_is_stable_and_balanced():
    assert shown_swapped("ann", "p1") == shown_swapped("ann", "p1")
    share = sum(shown_swapped("ann", f"p{i}") for i in range(2000)) / 2000
    assert 0.45 < share < 0.55


def test_describe_in_screen_terms():
    assert describe(Choice.A, 3, swapped=True) == "right much better"
    assert describe(Choice.B, 1, swapped=False) == "right slightly better"
