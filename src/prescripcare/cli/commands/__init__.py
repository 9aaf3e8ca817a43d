"""One module per command group; each registers its subcommands with
`register(subparsers)`, in the order `prescripcare --help` lists them."""

from prescripcare.cli.commands import (
    accounts,
    audit,
    backup,
    data,
    dev,
    graphiql,
    keys,
    migrate,
    schema,
    serve,
)

GROUPS = (serve, migrate, accounts, data, schema, keys, audit, graphiql, backup, dev)
