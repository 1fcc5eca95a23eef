"""List variables of validated input types, coerced and validated in one pass before execution.

A ``recordSteps`` batch arrives as a ``[StepInput!]!`` variable. graphql-core coerces it
item by item and field by field (every field of the type looked up for every item, each
value through its scalar, a depth walk first), strawberry converts the list item by item,
and :func:`~..inputs.validated.validated_by`'s hook builds one pydantic model per item:
tens of microseconds per step. :class:`PrevalidatingExecutor` takes such a variable
(``[T!]`` or ``[T!]!``, ``T`` an input type with a pydantic model, its value a list of
objects) before execution: each object's fields are coerced as graphql-core's
``coerce_input_value`` coerces them (a leaf by its scalar's or enum's own coercion, called
directly; a ``str`` for a ``String`` or ``ID`` is its own coerced value; a list by
``coerce_input_value`` itself), explicit nulls dropped as the hook drops them, and the
whole list validated by pydantic in one call. The executor is built with ``[]`` standing
for the variable and then given the models as its coerced value (and the client's value as
its source); the hook passes models through.

The coerced value is what the generic path computes, so the models are the same. Anything
the generic path could answer differently leaves the variable to it, which reports the
problem exactly as before: a value that is not a list of objects, an unknown or missing
field, a null for a non-null field, a value its type refuses, a type with a field default,
a ``@oneOf`` type or nested input objects, or a pydantic error (the generic path then
raises the same ``InvalidInput`` from the resolver, naming the field path).

>>> from tracegraph.api.graphql.schema import build_schema
>>> schema = build_schema()._schema
>>> from graphql import parse
>>> doc = parse("mutation($t: ID!, $s: [StepInput!]!) "
...             "{ recordSteps(traceId: $t, steps: $s) { stepId } }")
>>> got = prevalidated(schema, doc, None, {"t": "x", "s": [{"stepType": "reasoning"}]})
>>> [m.step_type for m in got["s"]]
['Reasoning']
>>> prevalidated(schema, doc, None, {"t": "x", "s": [{"stepType": "x", "confidence": 2}]})
{}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

from graphql import (
    DocumentNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLID,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
    Undefined,
    is_leaf_type,
    type_from_ast,
)
from graphql.execution.values import VariableValueSource
from graphql.utilities import coerce_input_value
from pydantic import BaseModel, TypeAdapter, ValidationError
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from ..inputs.validated import MODELS


class FieldPlan(NamedTuple):
    """How to coerce one field of a validated input type."""

    type: GraphQLInputType
    #: ``String`` or ``ID`` (nullable or not): a ``str`` is its own coerced value.
    str_identity: bool
    non_null: bool
    #: The key of the coerced value (graphql-core's ``out_name``, else the field's name).
    key: str
    #: The scalar or enum of a field that is not a list: its coercion is called directly,
    #: as graphql-core's ``coerce_input_value`` calls it for a leaf (an exception or
    #: ``Undefined`` means invalid); lists go through ``coerce_input_value`` itself.
    leaf: GraphQLScalarType | GraphQLEnumType | None


class InputPlan(NamedTuple):
    """How to coerce and validate a list of one validated input type."""

    fields: dict[str, FieldPlan]
    required: frozenset[str]
    models: TypeAdapter[list[BaseModel]]


_NO_PLAN: Any = object()
#: Plans per input type (``None``: the type is left to the generic path).
_PLANS: WeakKeyDictionary[GraphQLInputObjectType, InputPlan | None] = WeakKeyDictionary()


def input_plan(type_: GraphQLInputObjectType) -> InputPlan | None:
    """The plan for ``type_`` when its lists can be prevalidated, else ``None``."""
    plan = _PLANS.get(type_, _NO_PLAN)
    if plan is _NO_PLAN:
        plan = _PLANS[type_] = _make_plan(type_)
    return plan  # type: ignore[no-any-return]


def _make_plan(type_: GraphQLInputObjectType) -> InputPlan | None:
    definition = (type_.extensions or {}).get("strawberry-definition")
    model = MODELS.get(getattr(definition, "origin", None))  # type: ignore[arg-type]
    if (model is None or type_.is_one_of
            or type_.out_type is not GraphQLInputObjectType.out_type):
        return None
    fields: dict[str, FieldPlan] = {}
    required = []
    for name, field in type_.fields.items():
        if field.default is not None or field.default_value is not Undefined:
            return None  # the generic path fills in defaults
        non_null = isinstance(field.type, GraphQLNonNull)
        inner = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        is_list = isinstance(inner, GraphQLList)
        named = inner.of_type if isinstance(inner, GraphQLList) else inner
        if isinstance(named, GraphQLNonNull):
            named = named.of_type
        if not is_leaf_type(named):
            return None  # nested input objects (and lists of lists) stay generic
        if non_null:
            required.append(name)
        str_identity = not is_list and (named is GraphQLString or named is GraphQLID)
        leaf = None if is_list else named
        fields[name] = FieldPlan(field.type, str_identity, non_null, field.out_name or name,
                                 leaf)
    return InputPlan(fields, frozenset(required), TypeAdapter(list[model]))  # type: ignore[valid-type]


def list_item_type(type_: GraphQLInputType) -> GraphQLInputObjectType | None:
    """``T`` for a variable of type ``[T!]`` or ``[T!]!`` with ``T`` an input object type."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if not isinstance(type_, GraphQLList) or not isinstance(type_.of_type, GraphQLNonNull):
        return None
    item = type_.of_type.of_type
    return item if isinstance(item, GraphQLInputObjectType) else None


def coerce_items(plan: InputPlan, value: Any) -> list[dict[str, Any]] | None:
    """Each object's coerced fields without nulls (what the hook validates), or ``None``
    when the generic path must decide."""
    if type(value) is not list:
        return None
    fields = plan.fields
    required = plan.required
    out: list[dict[str, Any]] = []
    for item in value:
        if type(item) is not dict or not required.issubset(item):
            return None
        data: dict[str, Any] = {}
        for name, v in item.items():
            f = fields.get(name)
            if f is None:
                return None
            if v is None:
                if f.non_null:
                    return None
                continue
            if not (f.str_identity and type(v) is str):
                if f.leaf is not None:
                    try:
                        v = f.leaf.coerce_input_value(v)
                    except Exception:
                        return None
                else:
                    v = coerce_input_value(v, f.type)
                if v is Undefined:
                    return None
                if v is None:
                    continue
            data[f.key] = v
        out.append(data)
    return out


def prevalidated(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
                 raw: Mapping[str, Any] | None) -> dict[str, list[BaseModel]]:
    """The operation's list variables of validated input types that validate, as models."""
    if not raw:
        return {}
    operation = _operation(document, operation_name)
    if operation is None:
        return {}
    found: dict[str, list[BaseModel]] = {}
    for var_def in operation.variable_definitions or ():
        name = var_def.variable.name.value
        value = raw.get(name)
        if type(value) is not list:
            continue
        item_type = list_item_type(type_from_ast(schema, var_def.type))  # type: ignore[arg-type]
        plan = None if item_type is None else input_plan(item_type)
        if plan is None:
            continue
        items = coerce_items(plan, value)
        if items is None:
            continue
        try:
            found[name] = plan.models.validate_python(items)
        except ValidationError:
            continue
    return found


def _operation(document: DocumentNode,
               operation_name: str | None) -> OperationDefinitionNode | None:
    """The operation graphql-core will run, or ``None`` when it is not clear-cut."""
    chosen = None
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if operation_name is None:
            if chosen is not None:
                return None
            chosen = definition
        elif definition.name is not None and definition.name.value == operation_name:
            chosen = definition
    return chosen


class PrevalidatingExecutor(StrawberryGraphQLCoreExecutionContext):
    """strawberry's executor, with list variables of validated input types prevalidated
    (see the module doc)."""

    @classmethod
    def build(cls, schema: GraphQLSchema, document: DocumentNode, root_value: Any = None,
              context_value: Any = None, raw_variable_values: dict[str, Any] | None = None,
              operation_name: str | None = None, *args: Any,
              **kwargs: Any) -> list[GraphQLError] | Any:
        found = prevalidated(schema, document, operation_name, raw_variable_values)
        if not found:
            return super().build(schema, document, root_value, context_value,
                                 raw_variable_values, operation_name, *args, **kwargs)
        assert raw_variable_values is not None
        stand_in = {**raw_variable_values, **dict.fromkeys(found, ())}
        executor = super().build(schema, document, root_value, context_value, stand_in,
                                 operation_name, *args, **kwargs)
        if isinstance(executor, list):
            return executor
        values = executor.variable_values
        for name, models in found.items():
            values.coerced[name] = models
            values.sources[name] = VariableValueSource(values.sources[name].signature,
                                                       raw_variable_values[name])
        return executor

