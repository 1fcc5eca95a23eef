"""Build the pydantic model of ``schema.inputs`` straight from a GraphQL input value.

GraphQL input types decorated with :func:`validated_by` are never instantiated: strawberry
hands the raw input value (a dict keyed by camelCase field names, already coerced by
graphql-core) to the hook, which drops explicit nulls and calls ``model_validate`` once.
This skips strawberry's per-field conversion, the cost of large ``recordSteps`` batches.
A ``ValidationError`` becomes :class:`InvalidInput` whose message names the field path
(``steps[3].confidence: Input should be less than or equal to 1``).

An instance of the model is taken as it is: list variables of these types are validated
before execution (:mod:`..variables`) and reach the hook as models.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from strawberry.types.arguments import InputContext
from strawberry.types.base import get_object_definition
from tracegraph.api.errors import validation_error
from tracegraph.schema.errors import InvalidInput

C = TypeVar("C", bound=type)

#: The pydantic model of every input type decorated with :func:`validated_by`.
MODELS: dict[type, type[BaseModel]] = {}


def input_error(exc: ValidationError, where: Sequence[str | int]) -> InvalidInput:
    """One error naming every failing field path (the first few) and pydantic's reason."""
    return validation_error(exc, where)


def validated_by(model: type[BaseModel]) -> Callable[[C], C]:
    """Make a strawberry input type produce ``model`` instances (see the module docstring)."""

    def from_input(_cls: type, value: Mapping[str, Any], context: InputContext) -> BaseModel:
        if isinstance(value, model):  # validated before execution
            return value
        data = {k: v for k, v in value.items() if v is not None}
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise input_error(exc, context.path) from None

    def decorate(cls: C) -> C:
        definition = get_object_definition(cls, strict=True)
        definition.from_input = from_input
        MODELS[cls] = model
        return cls

    return decorate
