"""`gatehouse --help` and each command's: every command, argument and option says what it is."""

from __future__ import annotations

from typing import Any

import typer

from gatehouse.cli import app


def commands(group: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Every command of the tree, by its full name ("tenant add-domain"). (Typer's click is
    its own copy: typed loosely here.)"""
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if hasattr(command, "commands"):
            found += commands(command, f"{prefix}{name} ")
    return found


def test_every_command_argument_and_option_has_a_help_text() -> None:
    """`tenant add-domain`'s TENANT_ID and DOMAIN had none: an operator had to guess which
    names it takes."""
    root = typer.main.get_command(app)
    silent = [
        f"{name} {param.name}"
        for name, command in commands(root)
        for param in command.params
        if not getattr(param, "help", None)
    ] + [name for name, command in commands(root) if not command.help]
    assert silent == []
