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
from functools import lru_cache


@lru_cache(maxsize=65_536)
def fisher_greater(bad_with: int, bad_without: int, good_with: int, good_without: int) -> float:
    """One-sided Fisher exact p-value of the table [[bad_with, bad_without], [good_with,
    good_without]] (cached: most factors of one question share a handful of tables)."""
    from scipy.stats import fisher_exact  # scipy.stats takes about a second to import

    table = [[bad_with, bad_without], [good_with, good_without]]
    return float(fisher_exact(table, alternative="greater").pvalue)


def adjust(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted values, in the order given."""
    if not p_values:
        return []
    import numpy as np
    from scipy.stats import false_discovery_control

    adjusted = false_discovery_control(np.asarray(p_values, dtype=float), method="bh")
    return [float(v) for v in adjusted]
