"""The GraphQL fast paths: execution over strawberry's and graphql-core's internals.

Everything here reaches below the libraries' public API (graphql-core's
``ExecutionContext`` methods and value-completion internals, strawberry's resolver
wrappers and execution context class), so it is isolated in this package and the two
libraries are pinned in pyproject.toml to the versions it was written and checked against
(strawberry-graphql 0.341.x, graphql-core 3.3.x).
``tests/api/graphql/test_execution.py`` runs representative queries and mutations through
this executor and through strawberry's stock one and asserts identical data and errors;
``test_fast_path_pins`` fails when an installed version leaves the pinned range.

* :mod:`.execution`: :class:`FastLeafExecutor`, plain leaves and parent-only lists in line;
* :mod:`.leaf_plans`: which fields qualify, and how each is resolved;
* :mod:`.object_lists`: lists of objects made only of such fields, in one loop;
* :mod:`.variables`: list variables of validated input types, coerced and validated once.
"""

from __future__ import annotations

from .execution import FastLeafExecutor

#: The library versions this package relies on (the pins of pyproject.toml).
PINNED = {"strawberry-graphql": ("0.341.2", "0.342"), "graphql-core": ("3.3.2", "3.4")}

__all__ = ["PINNED", "FastLeafExecutor"]
