"""The statistics of the ranking: a one-sided Fisher exact test per factor, Benjamini-Hochberg
over all of them.

For a factor, the analysed lots make a 2x2 table: anomalous lots with and without it, baseline
lots with and without it. The p-value is that of Fisher's exact test against the alternative
that the factor is *more* common among anomalous lots (odds ratio above 1): how likely at least
this many anomalous lots would share it if anomalies fell on the analysed lots at random.
Adjusted values control the false discovery rate over every factor tested, so "significant at
0.05" means: among the factors so called, at most about 5 % are expected to be chance.
"""

from __future__ import annotations

from collections.abc import Sequence


def fisher_greater(tables: Sequence[tuple[int, int]], *, n_bad: int, n_good: int) -> list[float]:
    """One-sided Fisher exact p-values of many factors at once, each given as (anomalous lots
    with it, baseline lots with it) out of ``n_bad`` and ``n_good``."""
    return fisher_greater_tables([(a, n_bad - a, c, n_good - c) for a, c in tables])


def fisher_greater_tables(tables: Sequence[tuple[int, int, int, int]]) -> list[float]:
    """One-sided Fisher exact p-values of 2x2 tables (a, b, c, d) = [[a, b], [c, d]].

    Against the alternative "more common among the first row" (odds ratio above 1), the
    p-value is the hypergeometric tail P(X >= a), X the first row's share of the a + c lots
    with the factor, drawn from all a + b + c + d: exactly what
    ``scipy.stats.fisher_exact(table, alternative="greater")`` computes, one table per call
    (tests hold the two equal). One vectorised call instead of thousands: a question at size M
    tests some 10,000 factors."""
    if not tables:
        return []
    import numpy as np
    from scipy.stats import hypergeom

    t = np.asarray(tables, dtype=np.int64)
    a, b, c, d = t[:, 0], t[:, 1], t[:, 2], t[:, 3]
    tails = hypergeom.sf(a - 1, a + b + c + d, a + c, a + b)
    return [min(1.0, float(p)) for p in tails]


def adjust(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted values, in the order given."""
    if not p_values:
        return []
    import numpy as np
    from scipy.stats import false_discovery_control

    adjusted = false_discovery_control(np.asarray(p_values, dtype=float), method="bh")
    return [float(v) for v in adjusted]
