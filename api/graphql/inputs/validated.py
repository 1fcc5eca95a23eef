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
from tracegraph.schema.errors import InvalidInput

C = TypeVar("C", bound=type)
MAX_REPORTED = 5

#: The pydantic model of every input type decorated with :func:`validated_by`.
MODELS: dict[type, type[BaseModel]] = {}


def field_path(parts: Sequence[str | int]) -> str:
    """``("steps", 3, "confidence")`` -> ``steps[3].confidence``."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def input_error(exc: ValidationError, where: Sequence[str | int]) -> InvalidInput:
    """One error naming every failing field path (the first few) and pydantic's reason."""
    problems: list[str] = []
    first_path = ""
    errors = exc.errors(include_url=False, include_input=False)
    for err in errors[:MAX_REPORTED]:
        path = field_path([*where, *err["loc"]])
        first_path = first_path or path
        cause = err.get("ctx", {}).get("error")
        msg = str(cause) if err["type"] == "value_error" and cause is not None else err["msg"]
        problems.append(f"{path}: {msg}")
    if len(errors) > MAX_REPORTED:
        problems.append(f"and {len(errors) - MAX_REPORTED} more")
    return InvalidInput("; ".join(problems), field=first_path or None)


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
