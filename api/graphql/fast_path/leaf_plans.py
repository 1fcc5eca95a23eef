"""Plans for the fields :class:`~.execution.FastLeafExecutor` resolves without graphql-core's
generic machinery: plain leaves, and lists resolved from their parent alone (see
:mod:`.execution` for when a field qualifies)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from graphql import (
    GraphQLField,
    GraphQLID,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLOutputType,
    GraphQLString,
    Undefined,
    is_leaf_type,
)

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
    #: The scalar or enum type of the value (or of its items).
    named: GraphQLNamedType


class EmptyListPlan(NamedTuple):
    """A list field whose resolver is a plain synchronous function of the parent alone: it
    is called directly (no resolve info, no strawberry wrapper); an empty list is complete
    as it is, any other list is completed by graphql-core as if its resolver returned it."""

    call: Callable[[Any], Any]


NO_PLAN: Any = object()


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
                    not is_list and (t is GraphQLString or t is GraphQLID), t)


def called(plan: EmptyListPlan, source: Any) -> Any:
    """The resolver's list, or ``Undefined`` (the generic path then runs it and reports)."""
    try:
        value = plan.call(source)
    except Exception:
        return Undefined
    return value if type(value) is list else Undefined


def resolved(plan: LeafPlan, source: Any) -> Any:
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
