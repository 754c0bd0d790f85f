"""The GraphQL SDL is a contract: a rename shows up here and must be made on purpose."""

from __future__ import annotations

from pathlib import Path

from traceapi.gql.schema import build_schema

SNAPSHOT = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_matches_the_snapshot():
    current = str(build_schema()).strip()
    recorded = SNAPSHOT.read_text(encoding="utf-8").strip()
    assert current == recorded, (
        "The GraphQL schema changed. If that is intended, regenerate the snapshot with\n"
        "    .venv/bin/python -m traceapi.gql.schema > schema.graphql\n"
        "and commit it with the change (and update docs/contracts if a name changed)."
    )


def test_contract_fields_exist():
    sdl = str(build_schema())
    for field in (
        "lot(id: ID!): Lot",
        "lots(first: Int = 50, after: String = null, status: LotStatus = null",
        "whereUsed(lot: ID!, maxDepth: Int = null): TraceResult",
        "whereFrom(lot: ID!, maxDepth: Int = null): TraceResult",
        "recallImpact(lots: [ID!]!, maxDepth: Int = null): ImpactResult",
        "rootCauseNeighbourhood(lots: [ID!]!",
        "auditTrail(first: Int = 50, after: String = null): AuditTrailConnection",
    ):
        assert field in sdl, field
