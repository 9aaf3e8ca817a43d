"""The `prescripcare` command.

Each module of `cli/commands/` registers its own subcommands (parser and
handler side by side); `app.py` assembles them and runs the one asked for.
"""

from prescripcare.cli.app import build_parser, main

__all__ = ["build_parser", "main"]
