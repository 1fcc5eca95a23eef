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
A list of objects whose selected fields all take these fast paths (a run's steps and their
alternatives) is completed in one loop over its items (:mod:`.object_lists`); the plans
themselves are in :mod:`.leaf_plans`. No fast path is taken when a schema extension wraps
resolvers (a ``resolve`` hook).
``tests/api/graphql/test_execution.py`` checks that every answer and error is the same.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any
from weakref import WeakKeyDictionary

from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    Undefined,
)
from graphql.execution.executor import to_nodes
from graphql.pyutils import Path, gather_with_cancel

from .leaf_plans import (
    NO_PLAN,
    EmptyListPlan,
    LeafPlan,
    called,
    empty_list_plan,
    leaf_plan,
    resolved,
)
from .object_lists import ObjectListPlan, complete_objects, field_entry
from .variables import PrevalidatingExecutor

#: Plans per schema, keyed by (type name, field name); computed on first use.
_PLANS: WeakKeyDictionary[GraphQLSchema, dict[tuple[str, str], Any]] = WeakKeyDictionary()


class FastLeafExecutor(PrevalidatingExecutor):
    """strawberry's executor, resolving plain leaf fields directly (see the module doc), with
    list variables of validated input types prevalidated (:mod:`.variables`)."""

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
                    value = resolved(plan, source_value)
                    if value is not Undefined:
                        results[response_name] = value
                        continue
                    result = super().execute_field(
                        parent_type, source_value, field_details_list,
                        Path(path, response_name, type_name), position_context)
                elif plan is not None:
                    value = called(plan, source_value)
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
            plan = self._leaf_plans.get((parent_type.name, name), NO_PLAN)
            if plan is NO_PLAN:
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

    # -- lists of objects -------------------------------------------------------------------
    def complete_iterable_value(
        self, item_type: GraphQLOutputType, field_details_list: Any, info: Any, path: Any,
        items: Any, position_context: Any,
    ) -> Any:
        """graphql-core's list completion, or one loop over the items when the item type's
        selection is made only of fast-path fields (:mod:`.object_lists`)."""
        if type(items) is list and position_context is None:
            plan = self._object_list_plan(item_type, field_details_list)
            if plan is not None:
                try:
                    done = complete_objects(plan, items, info)
                except Exception:
                    done = Undefined
                if done is not Undefined:
                    return done
        return super().complete_iterable_value(item_type, field_details_list, info, path,
                                               items, position_context)

    @cached_property
    def _object_list_plans(self) -> dict[int, tuple[Any, Any, ObjectListPlan | None]]:
        return {}

    def _object_list_plan(self, item_type: GraphQLOutputType,
                          field_details_list: Any) -> ObjectListPlan | None:
        """The plan for lists of ``item_type`` selected by ``field_details_list`` (kept per
        request like graphql-core's collected sub-fields, the list kept alive with it)."""
        known = self._object_list_plans.get(id(field_details_list))
        if known is not None and known[0] is field_details_list and known[1] is item_type:
            return known[2]
        plan = self._make_object_list_plan(item_type, field_details_list)
        self._object_list_plans[id(field_details_list)] = (field_details_list, item_type, plan)
        return plan

    def _make_object_list_plan(self, item_type: GraphQLOutputType,
                               field_details_list: Any) -> ObjectListPlan | None:
        non_null = isinstance(item_type, GraphQLNonNull)
        t = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if (not isinstance(t, GraphQLObjectType) or self._has_middleware
                or _has_directives(field_details_list)):
            return None
        grouped_field_set, new_defer_usages, _ = self.collect_subfields(t, field_details_list)
        if new_defer_usages:
            return None
        fields = []
        for response_name, details, plan in self._compiled(t, grouped_field_set):
            items: ObjectListPlan | None = None
            if isinstance(plan, EmptyListPlan):
                list_type = t.fields[details[0].node.name.value].type
                if isinstance(list_type, GraphQLNonNull):
                    list_type = list_type.of_type
                if not isinstance(list_type, GraphQLList):
                    return None
                items = self._object_list_plan(list_type.of_type, details)
                if items is None:
                    return None
            elif plan is None:
                return None
            fields.append(field_entry(response_name, plan, items))
        return ObjectListPlan(t.is_type_of, non_null, tuple(fields))


def _has_directives(field_details_list: Any) -> bool:
    return any(details.node.directives for details in field_details_list)
