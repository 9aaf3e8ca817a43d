"""A query operation compiled into a tree of selections.

Field collection follows the spec's CollectFields: fragments spread and
inlined, fields merged by response key (an alias or the name), @skip and
@include decided from the variables. The outcome of those directives is part
of the cache key, so a tree is compiled once per document, operation and
combination of directive variables, and never per request.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLSkipDirective,
    GraphQLString,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
)
from graphql.execution.values import VariableValues, get_directive_values

from prescripcare.plans.registry import FieldPlan, plan_for

TYPENAME = "__typename"


@dataclass(frozen=True, slots=True)
class Selection:
    """One response key of an object: the field it names, its plan, and the
    selections of its object type (empty for leaves)."""

    key: str
    node: FieldNode  # the first node: validation makes the merged ones agree
    field: GraphQLField | None  # None for __typename
    type: GraphQLOutputType
    plan: FieldPlan | None  # None for __typename
    children: tuple[Selection, ...] = ()
    typename: str = ""  # the value of __typename
    leaf: bool = False  # a scalar or enum, maybe non-null, not in a list


Tree = tuple[Selection, ...]


class _Unplanned(Exception):
    """A field without a plan: the operation goes to the reference executor."""


def _included(
    node: FieldNode | FragmentSpreadNode | InlineFragmentNode, variables: VariableValues
) -> bool:
    skip = get_directive_values(GraphQLSkipDirective, node, variables)
    if skip is not None and skip["if"]:
        return False
    include = get_directive_values(GraphQLIncludeDirective, node, variables)
    return include is None or bool(include["if"])


class _Compiler:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: VariableValues,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def collect(
        self,
        parent: GraphQLObjectType,
        selection_set: SelectionSetNode,
        grouped: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        for selection in selection_set.selections:
            if not _included(selection, self.variables):  # type: ignore[arg-type]
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                grouped.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or condition.name.value == parent.name:
                    self.collect(parent, selection.selection_set, grouped, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                if fragment.type_condition.name.value == parent.name:
                    self.collect(parent, fragment.selection_set, grouped, visited)

    def tree(self, parent: GraphQLObjectType, selection_sets: list[SelectionSetNode]) -> Tree:
        grouped: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        for selection_set in selection_sets:
            self.collect(parent, selection_set, grouped, visited)
        return tuple(self.selection(parent, key, nodes) for key, nodes in grouped.items())

    def selection(self, parent: GraphQLObjectType, key: str, nodes: list[FieldNode]) -> Selection:
        name = nodes[0].name.value
        if name == TYPENAME:
            return Selection(
                key, nodes[0], None, GraphQLNonNull(GraphQLString), None, typename=parent.name
            )
        field = parent.fields.get(name)
        plan = plan_for(parent, name, field) if field is not None else None
        if field is None or plan is None:
            raise _Unplanned(f"{parent.name}.{name}")
        named = get_named_type(field.type)
        children: Tree = ()
        if isinstance(named, GraphQLObjectType):
            children = self.tree(named, [n.selection_set for n in nodes if n.selection_set])
        elif not is_leaf_type(named):
            raise _Unplanned(f"{parent.name}.{name}: abstract type")
        leaf = is_leaf_type(get_nullable_type(field.type))
        return Selection(key, nodes[0], field, field.type, plan, children, leaf=leaf)


def directive_variables(document: DocumentNode) -> tuple[str, ...]:
    """The variables that decide an @skip or @include anywhere in the
    document: their values select which compiled tree applies."""
    names: list[str] = []
    pending: list[object] = list(document.definitions)
    while pending:
        node = pending.pop()
        for directive in getattr(node, "directives", None) or ():
            if directive.name.value in (GraphQLSkipDirective.name, GraphQLIncludeDirective.name):
                for argument in directive.arguments:
                    if isinstance(argument.value, VariableNode):
                        names.append(argument.value.name.value)
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            pending.extend(selection_set.selections)
    return tuple(sorted(set(names)))


def compile_operation(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: VariableValues,
) -> Tree | None:
    """The operation's tree, or None when a field it selects has no plan."""
    if operation.operation is not OperationType.QUERY or schema.query_type is None:
        return None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    try:
        return _Compiler(schema, fragments, variables).tree(
            schema.query_type, [operation.selection_set]
        )
    except _Unplanned:
        return None


class PlanCache:
    """Compiled trees (and 'no plan' answers) by document text, operation
    name and directive outcome; least recently used first out, so a flood of
    unique documents cannot grow memory."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._trees: OrderedDict[tuple[object, ...], Tree | None] = OrderedDict()
        self._directives: OrderedDict[str, tuple[str, ...]] = OrderedDict()

    def _remember(self, store: OrderedDict, key: object, value: object) -> None:  # type: ignore[type-arg]
        store[key] = value
        if len(store) > self.maxsize:
            store.popitem(last=False)

    def get(
        self,
        schema: GraphQLSchema,
        text: str,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: VariableValues,
    ) -> Tree | None:
        names = self._directives.get(text)
        if names is None:
            names = directive_variables(document)
            self._remember(self._directives, text, names)
        outcome = tuple(bool(variables.coerced.get(n)) for n in names)
        name = operation.name.value if operation.name else None
        key = (text, name, outcome)
        if key in self._trees:
            self._trees.move_to_end(key)
            return self._trees[key]
        tree = compile_operation(schema, document, operation, variables)
        self._remember(self._trees, key, tree)
        return tree
