"""GraphQL execution with a fast path for plain leaf fields and parent-only list resolvers.

Fetching a 700-step nested run resolves some 15,000 fields, and nearly all of them are
plain attributes of a read model (``stepId``, ``content``, ``hash``...). graphql-core
spends most of a request's time on the generic machinery around each of them: a resolve
info object, strawberry's resolver wrapper, awaitable checks and the value-completion
dispatch. :class:`FastLeafExecutor` resolves such a field directly: the attribute, then the
scalar's or enum's ``coerce_output_value``, which is what the generic path computes for it.

A field takes the leaf fast path only when strawberry marked its resolver as the default
one (no resolver function, no field extensions or permissions), it has no arguments, its
type is a scalar or enum, or a list of them, and the field carries no directives (no
``@stream``). Anything unusual about the value (null where the type forbids it, a value
that is not a plain JSON-like Python value, a coercion that fails) hands the field to the
generic path, which reports it exactly as before.

A list field whose resolver is a synchronous function of its parent alone (``Step.
alternatives``) is called directly, without strawberry's wrapper: an empty list is the
answer as it is, any other list is completed by graphql-core as if the wrapper had returned
it, and a resolver that raises is run again the generic way, which reports the error.
No fast path is taken when a schema extension wraps resolvers (a ``resolve`` hook).
``tests/api/graphql/test_execution.py`` checks that every answer and error is the same.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

from graphql import (
    GraphQLField,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    Undefined,
    is_leaf_type,
)
from graphql.execution.executor import to_nodes
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

#: Python types a plain leaf value may have (anything else goes the generic way).
_PLAIN = frozenset({str, int, float, bool, list, dict})


class LeafPlan(NamedTuple):
    """How to resolve one plain leaf field."""

    attr: str
    coerce: Callable[[Any], Any]
    non_null: bool
    is_list: bool
    item_non_null: bool
    #: A String or ID (not a list): a ``str`` value is its own coerced value.
    str_identity: bool


class EmptyListPlan(NamedTuple):
    """A list field whose resolver is a plain synchronous function of the parent alone: it
    is called directly (no resolve info, no strawberry wrapper); an empty list is complete
    as it is, any other list is completed by graphql-core as if its resolver returned it."""

    call: Callable[[Any], Any]


_NO_PLAN: Any = object()


def empty_list_plan(field: GraphQLField) -> EmptyListPlan | None:
    """The plan for a list field resolved from its parent alone, else ``None``."""
    definition = (field.extensions or {}).get("strawberry-definition")
    resolver = getattr(definition, "base_resolver", None)
    t = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    if (resolver is None or field.args or getattr(definition, "extensions", True)
            or not isinstance(t, GraphQLList) or resolver.is_async
            or resolver.arguments or resolver.info_parameter is not None):
        return None
    func = resolver.wrapped_func
    with_self = resolver.self_parameter is not None
    names = [p.name for p in (resolver.parent_parameter, resolver.root_parameter)
             if p is not None]

    def call(source: Any) -> Any:
        kwargs = dict.fromkeys(names, source)
        return func(source, **kwargs) if with_self else func(**kwargs)

    return EmptyListPlan(call)


def leaf_plan(field: GraphQLField) -> LeafPlan | None:
    """The plan for ``field`` when it qualifies for the fast path, else ``None``."""
    if field.args or not getattr(field.resolve, "_is_default", False):
        return None
    definition = (field.extensions or {}).get("strawberry-definition")
    attr = getattr(definition, "python_name", None)
    if not isinstance(attr, str):
        return None
    t: GraphQLOutputType = field.type
    non_null = isinstance(t, GraphQLNonNull)
    if isinstance(t, GraphQLNonNull):
        t = t.of_type
    is_list = isinstance(t, GraphQLList)
    item_non_null = False
    if isinstance(t, GraphQLList):
        t = t.of_type
        item_non_null = isinstance(t, GraphQLNonNull)
        if isinstance(t, GraphQLNonNull):
            t = t.of_type
    if not is_leaf_type(t):
        return None
    coerce = getattr(t, "coerce_output_value", None)
    if coerce is None:
        return None
    return LeafPlan(attr, coerce, non_null, is_list, item_non_null,
                    not is_list and (t is GraphQLString or t is GraphQLID))


#: Plans per schema, keyed by (type name, field name); computed on first use.
_PLANS: WeakKeyDictionary[GraphQLSchema, dict[tuple[str, str], Any]] = WeakKeyDictionary()


class FastLeafExecutor(StrawberryGraphQLCoreExecutionContext):
    """strawberry's executor, resolving plain leaf fields directly (see the module doc)."""

    @cached_property
    def _leaf_plans(self) -> dict[tuple[str, str], Any]:
        plans = _PLANS.get(self.schema)
        if plans is None:
            plans = _PLANS[self.schema] = {}
        return plans

    def execute_fields(
        self, parent_type: GraphQLObjectType, source_value: Any, path: Any,
        grouped_field_set: Any, position_context: Any,
    ) -> Any:
        """graphql-core's ``execute_fields``, with plain leaves resolved in line (no path,
        no resolve info, no awaitable check: their values are plain)."""
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        type_name = parent_type.name
        try:
            for response_name, field_details_list, plan in self._compiled(
                    parent_type, grouped_field_set):
                if isinstance(plan, LeafPlan):
                    value = _resolved(plan, source_value)
                    if value is not Undefined:
                        results[response_name] = value
                        continue
                    result = super().execute_field(
                        parent_type, source_value, field_details_list,
                        Path(path, response_name, type_name), position_context)
                elif plan is not None:
                    value = _called(plan, source_value)
                    if type(value) is list and not value:
                        results[response_name] = value
                        continue
                    field_path = Path(path, response_name, type_name)
                    result = (super().execute_field(parent_type, source_value,
                                                    field_details_list, field_path,
                                                    position_context)
                              if value is Undefined else
                              self._complete_resolved(parent_type, field_details_list,
                                                      field_path, value, position_context))
                else:
                    result = super().execute_field(
                        parent_type, source_value, field_details_list,
                        Path(path, response_name, type_name), position_context)
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[f] for f in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[f] for f in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    def _complete_resolved(self, parent_type: GraphQLObjectType, field_details_list: Any,
                           path: Any, result: Any, position_context: Any) -> Any:
        """graphql-core's ``execute_field`` after its resolver call, for a value already
        resolved (the parent-only resolver ran once): completion and error handling alike."""
        field_def = parent_type.fields[field_details_list[0].node.name.value]
        return_type = field_def.type
        info = self.build_resolve_info(field_def, to_nodes(field_details_list), parent_type,
                                       path)
        try:
            completed = self.complete_value(return_type, field_details_list, info, path,
                                            result, position_context)
            if self.is_awaitable(completed):

                async def await_completed() -> Any:
                    try:
                        return await completed
                    except Exception as raw_error:
                        self.handle_field_error(raw_error, return_type, field_details_list,
                                                path)
                        return None

                return await_completed()
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        return completed

    @cached_property
    def _has_middleware(self) -> bool:
        """Schema extensions with a ``resolve`` hook wrap every resolver: no fast paths."""
        manager = self.middleware_manager
        return manager is not None and bool(getattr(manager, "_middleware_resolvers", True))

    @cached_property
    def _compiled_sets(self) -> dict[int, tuple[Any, GraphQLObjectType, list[Any]]]:
        return {}

    def _compiled(self, parent_type: GraphQLObjectType,
                  grouped_field_set: Any) -> list[tuple[str, Any, LeafPlan | EmptyListPlan | None]]:
        """The fields of a grouped field set with their plans. graphql-core memoizes the
        sub-field sets of a request (the one set is reused for every item of a list), so
        this is worked out once per set; the set is kept alive with it (ids stay unique)."""
        known = self._compiled_sets.get(id(grouped_field_set))
        if known is not None and known[0] is grouped_field_set and known[1] is parent_type:
            return known[2]
        fields: list[tuple[str, Any, LeafPlan | EmptyListPlan | None]] = []
        for response_name, field_details_list in grouped_field_set.items():
            name = field_details_list[0].node.name.value
            plan = self._leaf_plans.get((parent_type.name, name), _NO_PLAN)
            if plan is _NO_PLAN:
                plan = self._plan(parent_type, name)
            if plan is not None and _has_directives(field_details_list):
                plan = None
            fields.append((response_name, field_details_list, plan))
        self._compiled_sets[id(grouped_field_set)] = (grouped_field_set, parent_type, fields)
        return fields

    def _plan(self, parent_type: GraphQLObjectType,
              name: str) -> LeafPlan | EmptyListPlan | None:
        field = parent_type.fields.get(name)
        plan: LeafPlan | EmptyListPlan | None = None
        if field is not None and not self._has_middleware:
            plan = leaf_plan(field) or empty_list_plan(field)
        self._leaf_plans[(parent_type.name, name)] = plan
        return plan


def _called(plan: EmptyListPlan, source: Any) -> Any:
    """The resolver's list, or ``Undefined`` (the generic path then runs it and reports)."""
    try:
        value = plan.call(source)
    except Exception:
        return Undefined
    return value if type(value) is list else Undefined


def _has_directives(field_details_list: Any) -> bool:
    return any(details.node.directives for details in field_details_list)


def _resolved(plan: LeafPlan, source: Any) -> Any:
    """The completed value, or ``Undefined`` when the generic path must decide."""
    try:
        value = getattr(source, plan.attr)
    except Exception:
        return Undefined
    if type(value) is str and plan.str_identity:
        return value
    if value is None:
        return Undefined if plan.non_null else None
    if type(value) not in _PLAIN:
        return Undefined
    coerce = plan.coerce
    try:
        if not plan.is_list:
            out = coerce(value)
            return Undefined if out is None else out
        if type(value) is not list:
            return Undefined
        items: list[Any] = []
        for item in value:
            if item is None:
                if plan.item_non_null:
                    return Undefined
                items.append(None)
                continue
            if type(item) not in _PLAIN:
                return Undefined
            c = coerce(item)
            if c is None or c is Undefined:
                return Undefined
            items.append(c)
        return items
    except Exception:
        return Undefined
