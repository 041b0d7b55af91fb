"""Command-line commands; each module registers one subcommand."""
