"""What an operation costs, computed from the document before any resolver runs.

The shape follows Saleor's query cost: every field has a complexity (1 for a
field that returns objects, 0 for a scalar, more for fields in COST_MAP), and
a list multiplies the cost of its subtree by how many items it can return:
`first` clamped exactly as the resolver clamps it (its default when absent),
the days of a dose or adherence window, or LIST_ESTIMATE for the short lists
that take no size argument (a patient's prescriptions, a drug's ingredients).
Depth and alias limits bound the shape of a document; the cost bounds the
work it asks for (100 patients x 93 days of doses x reminders).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    get_named_type,
)
from graphql.utilities import get_operation_ast, value_from_ast_untyped

from prescripcare.adherence.service import MAX_WINDOW_DAYS as MAX_ADHERENCE_WINDOW_DAYS
from prescripcare.doses.service import MAX_WINDOW_DAYS as MAX_DOSE_WINDOW_DAYS
from prescripcare.graphql.pagination import AUDIT_LOG_PAGE, DRUGS_PAGE, PATIENTS_PAGE, PageSize

# Lists without a size argument are short (a handful of prescriptions per
# patient, of ingredients per drug); this is what each is assumed to hold.
LIST_ESTIMATE = 5

Arguments = Mapping[str, Any]
# (the field's arguments, the window in days set by an enclosing field) -> items
Multiplier = Callable[[Arguments, int], int]


@dataclass(frozen=True, slots=True)
class FieldCost:
    complexity: int | None = None
    multiplier: Multiplier | None = None
    # Days of a window that the field's children are counted over.
    window: Callable[[Arguments], int] | None = None


def first(page: PageSize) -> Multiplier:
    def multiplier(args: Arguments, _window: int) -> int:
        value = args.get("first")
        return page.clamp(value if isinstance(value, int) else None)

    return multiplier


def count_of(argument: str, maximum: int) -> Multiplier:
    def multiplier(args: Arguments, _window: int) -> int:
        value = args.get(argument)
        return max(1, min(len(value), maximum)) if isinstance(value, list) else 1

    return multiplier


def _instant(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _day(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def dose_window_days(args: Arguments, _window: int = 0) -> int:
    start, end = _instant(args.get("from")), _instant(args.get("to"))
    if start is None or end is None or (start.tzinfo is None) != (end.tzinfo is None):
        # Unreadable: the resolver refuses it, but count the worst case.
        return MAX_DOSE_WINDOW_DAYS
    days = math.ceil((end - start).total_seconds() / 86400)
    return max(1, min(days, MAX_DOSE_WINDOW_DAYS))


def adherence_window_days(args: Arguments) -> int:
    days = args.get("days")
    if isinstance(days, int):
        return max(1, min(days, MAX_ADHERENCE_WINDOW_DAYS))
    start, end = _day(args.get("from")), _day(args.get("to"))
    if start is None or end is None:
        return MAX_ADHERENCE_WINDOW_DAYS
    return max(1, min((end - start).days + 1, MAX_ADHERENCE_WINDOW_DAYS))


def per_day_of_window(args: Arguments, window: int) -> int:
    return max(1, window)


# Fields whose cost is not the default. Keys are (type, field) as in the SDL.
COST_MAP: dict[tuple[str, str], FieldCost] = {
    ("Query", "patients"): FieldCost(multiplier=first(PATIENTS_PAGE)),
    ("Query", "drugs"): FieldCost(complexity=2, multiplier=first(DRUGS_PAGE)),
    ("Query", "auditLog"): FieldCost(multiplier=first(AUDIT_LOG_PAGE)),
    ("Query", "interactions"): FieldCost(complexity=2, multiplier=count_of("rxcuis", 100)),
    ("Patient", "doses"): FieldCost(multiplier=dose_window_days),
    # An adherence figure is a computation over every day of its window.
    ("Patient", "adherence"): FieldCost(complexity=2, window=adherence_window_days),
    ("Prescription", "adherence"): FieldCost(complexity=2, window=adherence_window_days),
    ("Adherence", "daily"): FieldCost(multiplier=per_day_of_window),
    ("Patient", "interactions"): FieldCost(complexity=2, multiplier=lambda _a, _w: LIST_ESTIMATE),
    ("Mutation", "prescribe"): FieldCost(complexity=5),
}


class _Walker:
    def __init__(
        self,
        document: DocumentNode,
        variables: Mapping[str, Any] | None,
        cost_map: Mapping[tuple[str, str], FieldCost],
    ) -> None:
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.variables = dict(variables or {})
        self.cost_map = cost_map

    def selections(
        self, parent: GraphQLOutputType, selection_set: SelectionSetNode, window: int
    ) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(parent, selection, window)
            elif isinstance(selection, InlineFragmentNode):
                total += self.selections(parent, selection.selection_set, window)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    total += self.selections(parent, fragment.selection_set, window)
        return total

    def arguments(self, definition: GraphQLField, node: FieldNode) -> dict[str, Any]:
        """Argument values as sent (variables raw, literals unparsed): enough
        to read sizes and windows; execution coerces and reports bad ones."""
        given = {a.name.value: a.value for a in node.arguments or ()}
        args: dict[str, Any] = {}
        for name, argument in definition.args.items():
            if name in given:
                args[name] = value_from_ast_untyped(given[name], self.variables)
            elif argument.default_value is not Undefined:
                args[name] = argument.default_value
        return args

    def field(self, parent: GraphQLOutputType, node: FieldNode, window: int) -> int:
        name = node.name.value
        named_parent = get_named_type(parent)
        # Introspection is off in production and GraphiQL's own query must run.
        if name.startswith("__") or not isinstance(named_parent, GraphQLObjectType):
            return 0
        definition = named_parent.fields.get(name)
        if definition is None:
            return 0
        args = self.arguments(definition, node)
        rule = self.cost_map.get((named_parent.name, name), FieldCost())
        result_type = get_named_type(definition.type)
        returns_objects = isinstance(
            result_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType
        )
        own = rule.complexity if rule.complexity is not None else int(returns_objects)
        child_window = rule.window(args) if rule.window is not None else window
        children = (
            self.selections(definition.type, node.selection_set, child_window)
            if node.selection_set is not None
            else 0
        )
        if rule.multiplier is not None:
            factor = rule.multiplier(args, window)
        elif name == "edges" and named_parent.name.endswith("Connection"):
            factor = 1  # the connection field already counted `first` items
        elif returns_objects and _is_list(definition.type):
            factor = LIST_ESTIMATE
        else:
            factor = 1
        return (own + children) * factor


def _is_list(type_: GraphQLOutputType) -> bool:
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    return isinstance(inner, GraphQLList)


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    cost_map: Mapping[tuple[str, str], FieldCost] = COST_MAP,
) -> int:
    """The cost of the operation that would run (0 when none would)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]
    if root is None:
        return 0
    return _Walker(document, variables, cost_map).selections(root, operation.selection_set, 1)
