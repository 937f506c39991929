"""Wilson score intervals against hand-computed values and their defining property."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hil.campaign.stats import StatsError, proportions, trials_for_half_width, wilson, z_value

Z95 = 1.959963984540054  # standard normal 97.5 % quantile (tables: 1.95996)


def test_z_value() -> None:
    assert z_value(0.95) == pytest.approx(Z95, abs=1e-12)
    assert z_value(0.99) == pytest.approx(2.5758293035489, abs=1e-9)


def test_hand_computed_intervals() -> None:
    # 0 of 10: upper bound z^2 / (n + z^2) = 3.841459 / 13.841459
    none = wilson(0, 10)
    assert none.low == 0.0 and none.high == pytest.approx(0.2775328, abs=1e-6)
    # 10 of 10: the mirror image
    every = wilson(10, 10)
    assert every.high == 1.0 and every.low == pytest.approx(1 - 0.2775328, abs=1e-6)
    # 5 of 10: centre 0.5, half width z sqrt(0.025 + z^2/400) / (1 + z^2/10)
    half = wilson(5, 10)
    assert half.low == pytest.approx(0.2365931, abs=1e-6)
    assert half.high == pytest.approx(0.7634069, abs=1e-6)
    # 1 of 4 (worked by hand from the quadratic): 0.0455, 0.6994
    one = wilson(1, 4)
    assert one.low == pytest.approx(0.04559, abs=1e-4)
    assert one.high == pytest.approx(0.69936, abs=1e-4)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 100_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_bounds_solve_the_score_equation(case: tuple[int, int]) -> None:
    """Wilson's bounds are the p0 with (p - p0)^2 = z^2 p0 (1 - p0) / n (score test)."""
    successes, trials = case
    p = successes / trials
    interval = wilson(successes, trials)
    assert interval.low <= p <= interval.high
    for bound in (interval.low, interval.high):
        if bound in (0.0, 1.0) and bound in (0.0 if successes == 0 else -1,
                                             1.0 if successes == trials else -1):
            continue
        lhs = (p - bound) ** 2
        rhs = Z95 ** 2 * bound * (1 - bound) / trials
        assert math.isclose(lhs, rhs, rel_tol=1e-6, abs_tol=1e-12)


def test_profiles_md_9600_injections_give_one_percent() -> None:
    assert trials_for_half_width(0.01) == 9604
    interval = wilson(4800, 9600)
    assert (interval.high - interval.low) / 2 == pytest.approx(0.01, abs=1e-4)


def test_proportions_cover_every_class() -> None:
    result = proportions({"a": 3, "b": 1}, ["a", "b", "c"])
    assert [result[k].successes for k in "abc"] == [3, 1, 0]
    assert all(p.trials == 4 for p in result.values())


def test_no_trials_and_bad_counts() -> None:
    empty = wilson(0, 0)
    assert (empty.low, empty.high, empty.estimate) == (0.0, 1.0, 0.0)
    for successes, trials in ((5, 4), (-1, 3)):
        with pytest.raises(StatsError):
            wilson(successes, trials)
    with pytest.raises(StatsError):
        z_value(1.0)
