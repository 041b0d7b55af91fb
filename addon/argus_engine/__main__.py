"""Command line: `python -m argus_engine COMMAND ...`.

Each command lives in `commands/<name>.py` with `register(subparsers)` adding its parser
and `run(args) -> int` doing the work. Expected errors (bad input, missing model, bad
config) print one line to stderr and exit 2; only bugs print a traceback.
"""

import argparse
import importlib
import logging
import sys

from . import __version__
from .errors import ArgusError
from .stream_url import redact

COMMANDS = ("detect", "run", "demo", "replay", "bench", "model", "addon")


def build_parser() -> argparse.ArgumentParser:
    """Build the parser with every command that is installed."""
    parser = argparse.ArgumentParser(prog="argus_engine", description="Argus object detection engine")
    parser.add_argument("--version", action="version", version=f"argus_engine {__version__}")
    parser.add_argument(
        "--log-level",
        default="info",
        choices=("debug", "info", "warning", "error"),
        help="logging level (default: info)",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"argus_engine.commands.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"argus_engine.commands.{name}":
                raise
            continue
        command = module.register(subparsers)
        command.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return args.handler(args)
    except ArgusError as err:
        print(f"error: {redact(str(err))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
