"""Assembles the `prescripcare` command from the groups in `cli/commands/`
and runs the handler the chosen subcommand registered."""

from __future__ import annotations

import argparse

from prescripcare.cli.commands import GROUPS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="prescripcare", description="The `prescripcare` command.")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    from prescripcare.observability.logs import configure_logging

    args = build_parser().parse_args(argv)
    # Development commands log text for a person; the rest log what
    # LOG_FORMAT says (JSON by default) once the settings are read.
    configure_logging("INFO", "text")
    args.handler(args)
