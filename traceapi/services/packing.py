"""Whether an item was still inside a container when the container moved: the one rule the
impact answer (a shipment's content) and a unit's whereabouts (the shipments that carried it)
share.

A ``PACKED_IN`` edge (aggregation ``ADD`` / ``OBSERVE``) stays in the graph when the item is
taken out again (aggregation ``DELETE``): the edge then records ``removed_at``. An item taken
out at or before the moment the container left did not travel with it; a container that left
at no recorded time is taken to have left after every removal.
"""

from __future__ import annotations


def still_inside(removed_at: str | None, when: str | None) -> bool:
    """True when an item packed into a container (and taken out at ``removed_at``, or never)
    was still in it at ``when`` (UTC ISO times as stored, compared as text)."""
    return removed_at is None or (when is not None and removed_at > when)
