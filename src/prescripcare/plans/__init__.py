"""Planned execution of the apps' query documents.

graphql-core resolves a document field by field, each async resolver its own
awaitable; for a 50-patient list that is thousands of resolutions and
hundreds of asyncio tasks. Like graphql-jit, a document is compiled once (per
operation and @skip/@include outcome) into a tree of selections; like
Grafast's plans, each field of the tree is a *batch* step over every parent
object at its level, so a list costs the same steps whatever its length:

    compile.py    document -> tree of `Selection`s (fragments, aliases,
                  @skip/@include resolved; None when a field has no plan)
    registry.py   which fields have a plan: every plain attribute field by
                  construction, and the resolver fields in fields/
    execute.py    runs a tree level by level, completing values with the
                  schema's own serializers and the spec's nullability rules
    fields/       batch plans of resolver fields, loading through the same
                  viewer-filtered loaders the resolvers use
    extension.py  answers a query operation in place of graphql-core when the
                  whole operation has a plan

A plan answers only what it can answer exactly: any error (bad argument, not
found, a null in a non-null field, a failed serializer) abandons the plan and
the operation runs through Strawberry's executor from the start, so errors,
their paths, null propagation and masking are graphql-core's own.
"""
