"""Subcommands of the `heaviside` CLI, one module each.

Each module defines ``add_arguments(parser)`` and ``main(args) -> int``.
"""
