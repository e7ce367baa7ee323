"""Subcommands beyond the core ones: each module has register(subparsers, common) and adds its parser."""
