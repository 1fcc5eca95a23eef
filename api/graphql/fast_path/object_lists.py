"""Lists of objects completed in one loop, for selections made only of plain fields.

A whole 700-step run is one ``steps { ... }`` list per trace: graphql-core completes each
step as an object (type check, collected sub-fields, a field loop, a path per field) and
each of its fields as a value. When every selected field of the item type takes a fast
path of :mod:`.execution` (a plain leaf, or a list resolved from its parent alone whose
items again qualify), the list is completed here instead: per item, the type check and
then the fields in selection order, which is the dict graphql-core would build.

Anything unusual about any item (a null where the type forbids it, a leaf value the fast
path does not vouch for, a type check that is not plainly true, a resolver that raises)
abandons the whole list, and graphql-core completes it again from the start: errors are
reported exactly as before. Resolvers of the parent-only kind are pure, so a second call
is harmless. No plan is made under ``@stream``, ``@defer``, directives on a field, or a
schema extension that wraps resolvers (:mod:`.execution` then plans no field).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from graphql import GraphQLBoolean, GraphQLFloat, GraphQLID, GraphQLInt, GraphQLString, Undefined

from .leaf_plans import EmptyListPlan, LeafPlan, called, resolved

#: How a field is completed. A value of the field's own Python type is its own completed
#: value for ``STR`` (String, ID), ``INT`` (Int, within 32 bits), ``FLOAT`` (Float, finite)
#: and ``BOOL``, and ``STRS`` (a list of String or ID, every item a ``str``); anything else
#: about them, and every ``LEAF`` (enums, custom scalars), goes through the leaf plan's
#: ``resolved``. ``LIST`` is a parent-only list of objects.
STR, INT, FLOAT, BOOL, STRS, LEAF, LIST = range(7)
_KINDS: dict[Any, int] = {GraphQLString: STR, GraphQLID: STR, GraphQLInt: INT, GraphQLFloat: FLOAT,
          GraphQLBoolean: BOOL}
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


class ObjectListPlan(NamedTuple):
    """How to complete every item of a list of one object type."""

    is_type_of: Callable[[Any, Any], Any] | None
    item_non_null: bool
    #: ``(response name, STR | LEAF | LIST, attribute, plan, item plan of a LIST)``
    fields: tuple[tuple[str, int, str, Any, ObjectListPlan | None], ...]


def field_entry(response_name: str, plan: LeafPlan | EmptyListPlan,
                items: ObjectListPlan | None) -> tuple[str, int, str, Any, ObjectListPlan | None]:
    """One field of an :class:`ObjectListPlan`."""
    if isinstance(plan, LeafPlan):
        kind = _KINDS.get(plan.named, LEAF)
        if plan.is_list:
            kind = STRS if kind == STR else LEAF
        return (response_name, kind, plan.attr, plan, None)
    return (response_name, LIST, "", plan, items)


def complete_objects(plan: ObjectListPlan, items: list[Any], info: Any) -> Any:
    """The completed list, or ``Undefined`` when graphql-core must complete it."""
    out: list[Any] = []
    append = out.append
    is_type_of = plan.is_type_of
    fields = plan.fields
    for item in items:
        if item is None:
            if plan.item_non_null:
                return Undefined
            append(None)
            continue
        if is_type_of is not None and is_type_of(item, info) is not True:
            return Undefined
        row: dict[str, Any] = {}
        for name, kind, attr, field_plan, item_plan in fields:
            if kind < LEAF:
                value: Any = getattr(item, attr, Undefined)
                t = type(value)
                if not (t is str if kind == STR else
                        t is int and _INT_MIN <= value <= _INT_MAX if kind == INT else
                        t is float and value - value == 0.0 if kind == FLOAT else
                        t is bool if kind == BOOL else
                        t is list and all(type(v) is str for v in value)):
                    value = resolved(field_plan, item)
            elif kind == LEAF:
                value = resolved(field_plan, item)
            else:
                value = called(field_plan, item)
                if value and value is not Undefined:
                    assert item_plan is not None
                    value = complete_objects(item_plan, value, info)
            if value is Undefined:
                return Undefined
            row[name] = value
        append(row)
    return out
