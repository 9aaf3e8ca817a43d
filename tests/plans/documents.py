"""Random valid documents for the oracle.

hypothesis-graphql draws queries from schema.graphql with literal arguments;
each is then dressed the way the apps write documents, at random: aliases,
`__typename`, inline and named fragments, @skip/@include on variables, and
arguments moved into variables. The dressing keeps the document valid
(checked against the schema) and returns the variables it introduced.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import graphql
from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
    parse_type,
    print_ast,
    value_from_ast_untyped,
)
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes, queries

# The root fields with plans, and the ones without (their documents must
# reach the reference executor and agree too).
PLANNED_ROOTS = ["patients", "patient", "me"]


@dataclass
class Dressed:
    text: str
    variables: dict[str, Any] = field(default_factory=dict)


def scalar_strategies(patient_ids: list[str], now: datetime) -> dict[str, st.SearchStrategy[Any]]:
    """Arguments that reach real rows: known ids (and strangers), windows
    around now, small page sizes (and out-of-range ones)."""
    instants = [now + timedelta(days=d, hours=h) for d in range(-40, 10, 7) for h in (0, 13)]
    return {
        "ID": st.sampled_from(
            [*patient_ids, "not-an-id", "00000000-0000-4000-8000-000000000000"]
        ).map(nodes.String),
        "DateTime": st.sampled_from([i.isoformat() for i in instants]).map(nodes.String),
        "Date": st.sampled_from(
            [(now + timedelta(days=d)).date().isoformat() for d in range(-40, 3, 6)]
        ).map(nodes.String),
        "Int": st.sampled_from([1, 2, 3, 7, 30, 50, 0, -1, 400]).map(nodes.Int),
    }


def collect(
    schema: GraphQLSchema, patient_ids: list[str], now: datetime, count: int, from_seed: int
) -> list[DocumentNode]:
    """`count` documents drawn from the SDL (reproducibly, from `from_seed`)."""
    drawn: list[DocumentNode] = []
    strategy = queries(
        schema,
        fields=PLANNED_ROOTS,
        custom_scalars=scalar_strategies(patient_ids, now),
        print_ast=lambda document: document,
        allow_x00=False,
        codec="ascii",
    )

    @seed(from_seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def draw(document: DocumentNode) -> None:
        drawn.append(document)

    draw()
    return drawn


class _Dresser:
    def __init__(self, schema: GraphQLSchema, rng: random.Random) -> None:
        self.schema = schema
        self.rng = rng
        self.variables: dict[str, Any] = {}
        self.definitions: list[VariableDefinitionNode] = []
        self.fragments: list[FragmentDefinitionNode] = []
        self.counter = 0

    def _name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def _variable(self, type_text: str, value: Any) -> VariableNode:
        name = self._name("v")
        self.definitions.append(
            VariableDefinitionNode(
                variable=VariableNode(name=NameNode(value=name)), type=parse_type(type_text)
            )
        )
        self.variables[name] = value
        return VariableNode(name=NameNode(value=name))

    def _condition(self) -> tuple[DirectiveNode, ...]:
        roll = self.rng.random()
        if roll > 0.15:
            return ()
        name, keep = ("include", True) if roll < 0.08 else ("skip", False)
        value = keep if self.rng.random() < 0.75 else not keep
        condition = (
            self._variable("Boolean!", value)
            if self.rng.random() < 0.8
            else BooleanValueNode(value=value)
        )
        return (
            DirectiveNode(
                name=NameNode(value=name),
                arguments=(ArgumentNode(name=NameNode(value="if"), value=condition),),
            ),
        )

    def selection_set(self, parent: GraphQLObjectType, node: SelectionSetNode) -> SelectionSetNode:
        selections: list[Any] = []
        for selection in node.selections:
            assert isinstance(selection, FieldNode)
            selections.append(self.field(parent, selection))
        if self.rng.random() < 0.2:
            selections.insert(
                self.rng.randrange(len(selections) + 1),
                FieldNode(name=NameNode(value="__typename")),
            )
        if len(selections) > 1 and self.rng.random() < 0.3:
            cut = self.rng.randrange(1, len(selections))
            inner = SelectionSetNode(selections=tuple(selections[cut:]))
            if self.rng.random() < 0.5:
                wrapped: Any = InlineFragmentNode(
                    type_condition=NamedTypeNode(name=NameNode(value=parent.name))
                    if self.rng.random() < 0.7
                    else None,
                    selection_set=inner,
                    directives=self._condition(),
                )
            else:
                name = self._name("F")
                self.fragments.append(
                    FragmentDefinitionNode(
                        name=NameNode(value=name),
                        type_condition=NamedTypeNode(name=NameNode(value=parent.name)),
                        selection_set=inner,
                    )
                )
                wrapped = FragmentSpreadNode(
                    name=NameNode(value=name), directives=self._condition()
                )
            selections = [*selections[:cut], wrapped]
        return SelectionSetNode(selections=tuple(selections))

    def field(self, parent: GraphQLObjectType, node: FieldNode) -> FieldNode:
        definition = parent.fields[node.name.value]
        arguments = []
        for argument in node.arguments or ():
            value: Any = argument.value
            if self.rng.random() < 0.5 and not isinstance(value, VariableNode):
                type_text = str(definition.args[argument.name.value].type)
                value = self._variable(type_text, value_from_ast_untyped(value))
            arguments.append(ArgumentNode(name=argument.name, value=value))
        named = get_named_type(definition.type)
        selection_set = node.selection_set
        if selection_set is not None and isinstance(named, GraphQLObjectType):
            selection_set = self.selection_set(named, selection_set)
        alias = node.alias
        if alias is None and self.rng.random() < 0.2:
            alias = NameNode(value=self._name("a"))
        return FieldNode(
            alias=alias,
            name=node.name,
            arguments=tuple(arguments),
            directives=self._condition(),
            selection_set=selection_set,
        )


def dress(schema: GraphQLSchema, document: DocumentNode, rng: random.Random) -> Dressed:
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode) and schema.query_type is not None
    dresser = _Dresser(schema, rng)
    selection_set = dresser.selection_set(schema.query_type, operation.selection_set)
    dressed = DocumentNode(
        definitions=(
            OperationDefinitionNode(
                operation=operation.operation,
                name=NameNode(value="Generated"),
                variable_definitions=tuple(dresser.definitions),
                selection_set=selection_set,
            ),
            *dresser.fragments,
        )
    )
    errors = graphql.validate(schema, dressed)
    assert not errors, (errors, print_ast(dressed))
    return Dressed(print_ast(dressed), dresser.variables)
