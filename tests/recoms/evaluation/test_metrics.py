"""Ranking metrics on examples worked out by hand."""

from __future__ import annotations

import math

import pytest

from recoms.evaluation.metrics import hit_rate, mean_scores, ndcg, precision, recall


def test_one_hit_at_the_second_place() -> None:
    ranked, targets = ["a", "b", "c", "d"], {"b", "d"}
    assert hit_rate(ranked, targets, 3) == 1.0
    assert precision(ranked, targets, 3) == pytest.approx(1 / 3)
    assert recall(ranked, targets, 3) == pytest.approx(1 / 2)
    # Gain 1/log2(3) at position 2; the ideal list has both targets on top: 1 + 1/log2(3).
    ideal = 1 + 1 / math.log2(3)
    assert ndcg(ranked, targets, 3) == pytest.approx((1 / math.log2(3)) / ideal)


def test_the_cut_off_is_respected() -> None:
    ranked, targets = ["a", "b", "c", "d"], {"d"}
    assert hit_rate(ranked, targets, 3) == 0.0
    assert ndcg(ranked, targets, 3) == 0.0
    assert ndcg(ranked, targets, 4) == pytest.approx(1 / math.log2(5))


def test_a_perfect_list_scores_one() -> None:
    assert ndcg(["x", "y"], {"x", "y"}, 10) == pytest.approx(1.0)
    assert recall(["x", "y"], {"x", "y"}, 10) == 1.0
    # A short list is not rewarded in precision: two hits out of ten places.
    assert precision(["x", "y"], {"x", "y"}, 10) == pytest.approx(0.2)


def test_repeated_items_count_once() -> None:
    assert precision(["x", "x", "x"], {"x"}, 3) == pytest.approx(1 / 3)
    assert ndcg(["x", "x"], {"x", "y"}, 2) == pytest.approx(1 / (1 + 1 / math.log2(3)))


def test_no_targets_scores_zero_and_is_left_out_of_the_mean() -> None:
    assert recall(["a"], set(), 10) == 0.0
    assert ndcg(["a"], set(), 10) == 0.0
    scores = mean_scores([["a", "b"], ["c"], ["d"]], [{"b"}, set(), {"e"}], 2)
    assert scores.cases == 2
    assert scores.hit_rate == pytest.approx(0.5)
    assert scores.precision == pytest.approx(0.25)
    assert scores.recall == pytest.approx(0.5)
    assert scores.ndcg == pytest.approx((1 / math.log2(3)) / 2)


def test_mean_of_nothing_is_zero() -> None:
    scores = mean_scores([], [], 10)
    assert (scores.cases, scores.hit_rate, scores.ndcg) == (0, 0.0, 0.0)
