"""The GraphQL query guard: a document is measured before anything runs, in time linear in its
size, and no operation runs past its deadline.

Why our own measures and not strawberry's ``QueryDepthLimiter`` and ``MaxAliasesLimiter``:
those walk a fragment once per spread, so a chain of fragments that each spread the next one
twice costs 2^n steps, on the event loop, before any key is checked (19 fragments, about
700 bytes, froze the server for seconds). Here every fragment is measured once and its measure
reused wherever it is spread.

Three figures per operation, with fragments inlined:

- **depth**: how deep fields nest; root fields are at depth 0, so ``{ lot { inputs { id } } }``
  has depth 2 (the same count strawberry's limiter used, so the setting keeps its meaning);
- **aliases**: how many fields carry an alias;
- **cost**: an estimate of how many objects the answer holds. A field that takes ``first``
  counts as that many (its default when not given); any other list of objects counts as its
  entry in ``LIST_ESTIMATES``, else ``DEFAULT_LIST_ESTIMATE``; a connection's ``edges`` count
  once (its ``first`` already counted them). Nested lists multiply. Scalars cost nothing.

The estimate is a guard, not a promise: a list may be longer than its estimate, which is why
execution also has a deadline (``TraceapiSchema.execute``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import anyio
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    validate,
    value_from_ast,
)
from graphql.language import ast as gast
from strawberry.extensions import SchemaExtension

from traceapi.errors import TraceapiError

CHECK_BUDGET_S = 1.0
"""The most a document's checks may take; they are linear, so this is a backstop."""

DEFAULT_LIST_ESTIMATE = 10
"""Objects counted for a list without ``first`` and without its own entry below: a lot's
inputs, outputs, steps, inspections, a step's inputs (most hold a handful, a blend a few dozen).
Estimates are typical sizes, not worst cases: the deadline catches the lists that run longer."""

LIST_ESTIMATES: Mapping[str, int] = {
    # Lists that grow with the plant's history, not with one lot's recipe.
    "Material.lots": 100,
    "Supplier.lots": 100,
    "Equipment.processSteps": 100,
    "Customer.shipments": 100,
    "Customer.onwardShipments": 100,
    # Trace and impact answers: a recall reaches hundreds of lots and consignees.
    "TraceResult.lots": 200,
    "TraceResult.processSteps": 200,
    "TraceResult.shipments": 200,
    "TraceResult.customers": 200,
    "ImpactResult.lots": 200,
    "ImpactResult.finishedLots": 200,
    "ImpactResult.stockOnHand": 200,
    "ImpactResult.shipments": 200,
    "ImpactResult.customers": 200,
    "ImpactResult.consignees": 200,
    # Root cause: candidates default to 50 (`limit`); a neighbourhood and a window run long.
    "RootCauseResult.candidates": 50,
    "RootCauseSubgraph.nodes": 200,
    "RootCauseSubgraph.edges": 200,
    "EquipmentWindowResult.processSteps": 100,
    "EquipmentWindowResult.lots": 100,
    "EquipmentWindowResult.carryOverSteps": 10,
    "EquipmentWindowResult.carryOverLots": 10,
    "ParameterWindowResult.readings": 100,
    "ParameterWindowResult.processSteps": 100,
    "ParameterWindowResult.lots": 100,
    "ParameterWindowResult.withoutParameter": 100,
    # A lot's serialised units and their places run to thousands; one unit's history is short.
    "LotUnitPlaces.units": 200,
    "LotUnitPlaces.passedOn": 200,
}
"""Estimates for lists known to run long; the README's limits section quotes them."""


class QueryRefused(GraphQLError):
    """A document over one of the guard's limits; ``extensions.code`` is LIMIT_EXCEEDED."""

    def __init__(self, message: str, *, nodes: Any = None, details: dict[str, Any]) -> None:
        super().__init__(message, nodes, extensions={"code": "LIMIT_EXCEEDED", "details": details})


@dataclass(frozen=True, slots=True)
class Shape:
    """Depth (deepest field, root fields at 0) and alias count of a selection, fragments inlined."""

    depth: int
    aliases: int


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _operations(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


class _ShapeMeter:
    """Measures selections; each fragment once. An unknown or cyclic spread measures as empty:
    the standard rules, which run next, name it (``Unknown fragment``, ``Cannot spread``)."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.memo: dict[str, Shape | None] = {}

    def selection(self, node: SelectionSetNode | None) -> Shape:
        """Deepest field level relative to this selection (-1 when it holds no field)."""
        if node is None:
            return Shape(depth=-1, aliases=0)
        depth, aliases = -1, 0
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                aliases += selection.alias is not None
                if selection.name.value.startswith("__"):
                    depth = max(depth, 0)  # introspection is not counted, as before
                    continue
                inner = self.selection(selection.selection_set)
                depth = max(depth, 0, inner.depth + 1)
                aliases += inner.aliases
            elif isinstance(selection, InlineFragmentNode):
                inner = self.selection(selection.selection_set)
                depth, aliases = max(depth, inner.depth), aliases + inner.aliases
            elif isinstance(selection, FragmentSpreadNode):
                inner = self.fragment(selection.name.value)
                depth, aliases = max(depth, inner.depth), aliases + inner.aliases
        return Shape(depth=depth, aliases=aliases)

    def fragment(self, name: str) -> Shape:
        if name in self.memo:
            return self.memo[name] or Shape(depth=-1, aliases=0)
        definition = self.fragments.get(name)
        if definition is None:
            return Shape(depth=-1, aliases=0)
        self.memo[name] = None  # in progress: a cycle measures as empty
        shape = self.selection(definition.selection_set)
        self.memo[name] = shape
        return shape


def shape_errors(document: DocumentNode, *, max_depth: int, max_aliases: int) -> list[GraphQLError]:
    """Depth and alias limits for every operation of ``document``."""
    meter = _ShapeMeter(_fragments(document))
    errors: list[GraphQLError] = []
    for operation in _operations(document):
        shape = meter.selection(operation.selection_set)
        name = operation.name.value if operation.name else "anonymous"
        if shape.depth > max_depth:
            errors.append(
                QueryRefused(
                    f"'{name}' exceeds maximum operation depth of {max_depth}",
                    nodes=[operation],
                    details={"depth": shape.depth, "max_depth": max_depth},
                )
            )
        if shape.aliases > max_aliases:
            errors.append(
                QueryRefused(
                    f"{shape.aliases} aliases found. Allowed: {max_aliases}",
                    nodes=[operation],
                    details={"aliases": shape.aliases, "max_aliases": max_aliases},
                )
            )
    return errors


def _unwrap_list(type_: Any) -> bool:
    """True when the field's type is a list (under any non-null wrappers)."""
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


class _CostMeter:
    """Estimated object count of selections; each (fragment, type) pair once."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.memo: dict[str, int | None] = {}

    def selection(self, node: SelectionSetNode | None, parent: GraphQLNamedType | None) -> int:
        if node is None or not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 0
        total = 0
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection(selection.selection_set, target)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value)
        return total

    def fragment(self, name: str) -> int:
        if name in self.memo:
            return self.memo[name] or 0
        definition = self.fragments.get(name)
        if definition is None:
            return 0
        self.memo[name] = None
        target = self.schema.get_type(definition.type_condition.name.value)
        cost = self.selection(definition.selection_set, target)
        self.memo[name] = cost
        return cost

    def field(self, node: FieldNode, parent: GraphQLObjectType | GraphQLInterfaceType) -> int:
        definition = parent.fields.get(node.name.value)
        if definition is None or node.selection_set is None:
            return 0  # a scalar, or introspection (its own few objects, not counted)
        target = get_named_type(definition.type)
        inner = self.selection(node.selection_set, target)
        return self.count(node, parent, definition) * (1 + inner)

    def count(self, node: FieldNode, parent: GraphQLNamedType, definition: GraphQLField) -> int:
        """How many objects one occurrence of this field stands for."""
        first = definition.args.get("first")
        if first is not None:
            given = next((a for a in node.arguments or () if a.name.value == "first"), None)
            value = first.default_value if given is None else self._value(given.value, first)
            return max(int(value), 0) if isinstance(value, int) else DEFAULT_LIST_ESTIMATE
        if not _unwrap_list(definition.type):
            return 1
        if parent.name.endswith("Connection") and node.name.value == "edges":
            return 1
        return LIST_ESTIMATES.get(f"{parent.name}.{node.name.value}", DEFAULT_LIST_ESTIMATE)

    def _value(self, value: gast.ValueNode, argument: Any) -> Any:
        if isinstance(value, VariableNode):
            name = value.name.value
            return self.variables.get(name, argument.default_value)
        return value_from_ast(value, argument.type)


def estimate_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    *,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """The estimated object count of the operation that would run (``operation_name``, or the
    only one); the largest operation's when the name matches none (validation reports that)."""
    meter = _CostMeter(schema, _fragments(document), variables or {})
    operations = _operations(document)
    chosen = [o for o in operations if operation_name and o.name and o.name.value == operation_name]
    costs = []
    for operation in chosen or operations:
        root = schema.get_root_type(operation.operation)
        costs.append(meter.selection(operation.selection_set, root))
    return max(costs, default=0)


class DocumentChecks:
    """Shape limits then the standard rules, cached by query text (both depend on the text
    alone); thread-safe, so it runs on the worker threads."""

    def __init__(self, *, max_depth: int, max_aliases: int, cache_size: int = 512) -> None:
        self.max_depth = max_depth
        self.max_aliases = max_aliases
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[str, tuple[type, ...]], list[GraphQLError]] = OrderedDict()
        self._lock = threading.Lock()

    def cached(self, query: str | None, rules: tuple[type, ...]) -> list[GraphQLError] | None:
        """The errors found for this text before, without running anything (or None)."""
        if query is None:
            return None
        with self._lock:
            hit = self._cache.get((query, rules))
            if hit is not None:
                self._cache.move_to_end((query, rules))
            return hit

    def errors(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        *,
        query: str | None,
        rules: tuple[type, ...],
    ) -> list[GraphQLError]:
        key = (query, rules) if query is not None else None
        found = shape_errors(document, max_depth=self.max_depth, max_aliases=self.max_aliases)
        if not found:
            found = list(validate(schema, document, rules, max_errors=20))
        if key is not None:
            with self._lock:
                self._cache[key] = found
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return found


def cost_errors(
    schema: GraphQLSchema,
    document: DocumentNode,
    *,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    max_cost: int,
) -> list[GraphQLError]:
    """The cost limit: refused with the estimate in the message."""
    cost = estimate_cost(schema, document, operation_name=operation_name, variables=variables)
    if cost <= max_cost:
        return []
    return [
        QueryRefused(
            f"query would return about {cost:,} objects, above the limit of {max_cost:,}: ask "
            "for fewer levels of lists, or pass smaller 'first' values",
            details={"estimated_cost": cost, "max_cost": max_cost},
        )
    ]


def iter_list_fields(schema: GraphQLSchema) -> Iterator[tuple[str, int]]:
    """Every list-of-objects field and the estimate it counts as (for docs and tests)."""
    for type_ in schema.type_map.values():
        if type_.name.startswith("__") or not isinstance(
            type_, GraphQLObjectType | GraphQLInterfaceType
        ):
            continue
        for name, field in type_.fields.items():
            if not _unwrap_list(field.type) or "first" in field.args:
                continue
            if not isinstance(get_named_type(field.type), GraphQLObjectType | GraphQLInterfaceType):
                continue
            if type_.name.endswith("Connection") and name == "edges":
                continue
            key = f"{type_.name}.{name}"
            yield key, LIST_ESTIMATES.get(key, DEFAULT_LIST_ESTIMATE)


class QueryGuard(SchemaExtension):
    """Checks the caller's key when one is sent (always in production), then
    runs ``DocumentChecks`` (on a worker thread, within ``CHECK_BUDGET_S``, unless cached) and
    the cost limit, before any resolver runs."""

    def __init__(self, *, checks: DocumentChecks, max_cost: int, production: bool) -> None:
        super().__init__()
        self.checks = checks
        self.max_cost = max_cost
        self.production = production

    async def on_validate(self) -> AsyncIterator[None]:
        ec = self.execution_context
        document = ec.graphql_document
        assert document is not None
        refusal = await self._key_refusal()
        if refusal is not None:
            ec.pre_execution_errors = [refusal]
            yield
            return
        schema = ec.schema._schema
        rules = tuple(ec.validation_rules)
        errors = self.checks.cached(ec.query, rules)
        if errors is None:
            try:
                with anyio.fail_after(CHECK_BUDGET_S):
                    errors = await anyio.to_thread.run_sync(
                        partial(self.checks.errors, schema, document, query=ec.query, rules=rules),
                        abandon_on_cancel=True,
                    )
            except TimeoutError:
                errors = [
                    QueryRefused(
                        f"query took longer than {CHECK_BUDGET_S:g} s to check",
                        details={"check_budget_seconds": CHECK_BUDGET_S},
                    )
                ]
        if not errors:
            errors = cost_errors(
                schema,
                document,
                operation_name=ec.operation_name,
                variables=ec.variables,
                max_cost=self.max_cost,
            )
        ec.pre_execution_errors = errors
        yield

    async def _key_refusal(self) -> GraphQLError | None:
        """The key check, first of all: when a key is sent (always in production), a missing,
        unknown or revoked one stops the operation here."""
        context = self.execution_context.context
        if not (self.production or getattr(context, "credentials", None)):
            return None
        try:
            await context.authorize("lots.read")
        except TraceapiError as exc:
            return GraphQLError(exc.message, original_error=exc)
        return None
