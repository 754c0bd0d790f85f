"""The ranking's statistics: the vectorised one-sided Fisher p-values are scipy's
``fisher_exact`` ones, and the Benjamini-Hochberg values match a hand-worked example."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import fisher_exact

from traceapi.services.rootcause.statistics import adjust, fisher_greater


@st.composite
def tables(draw: st.DrawFn) -> tuple[int, int, list[tuple[int, int]]]:
    n_bad = draw(st.integers(1, 60))
    n_good = draw(st.integers(0, 400))
    counts = draw(
        st.lists(st.tuples(st.integers(0, n_bad), st.integers(0, n_good)), min_size=1, max_size=8)
    )
    return n_bad, n_good, counts


@settings(max_examples=200, deadline=None)
@given(tables())
def test_vectorised_p_values_are_fisher_exacts(case: tuple[int, int, list[tuple[int, int]]]):
    n_bad, n_good, counts = case
    got = fisher_greater(counts, n_bad=n_bad, n_good=n_good)
    for (a, c), p in zip(counts, got, strict=True):
        table = [[a, n_bad - a], [c, n_good - c]]
        assert p == pytest.approx(fisher_exact(table, alternative="greater").pvalue, rel=1e-9)


def test_a_factor_on_all_six_bad_lots_and_no_good_one_by_hand():
    """6 anomalous lots, 10 good: all 6 have it, none of the good ones: p = 1 / C(16, 6)."""
    (p,) = fisher_greater([(6, 0)], n_bad=6, n_good=10)
    assert p == pytest.approx(1 / 8008)


def test_benjamini_hochberg_by_hand():
    # sorted 0.01, 0.03, 0.04, 0.5 (m = 4): 0.5; min(0.5, 0.04*4/3); min(that, 0.03*4/2);
    # min(that, 0.01*4)
    assert adjust([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5])
    assert adjust([]) == []
