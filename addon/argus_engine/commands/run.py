"""`run`: serve the engine's API and run its cameras until SIGTERM or SIGINT."""

import argparse
import asyncio
import logging
import signal
from pathlib import Path

from aiohttp import web

from ..config import load_file
from ..errors import ConfigError, ModelNotFoundError

_LOGGER = logging.getLogger(__name__)

DEFAULT_HOST = "0.0.0.0"
DEFAULT_PORT = 8765


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `run` command."""
    parser = subparsers.add_parser("run", help="run the engine and serve its API")
    parser.add_argument("--config", required=True, type=Path, help="config file (YAML or JSON) with cameras and detector")
    parser.add_argument("--data", required=True, type=Path, help="data dir for config changes, token, events and media")
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default: {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port to listen on (default: {DEFAULT_PORT})")
    parser.add_argument("--model", help="ONNX model file or known model name (default: config detector.model, then the model store)")
    return parser


def run(args: argparse.Namespace) -> int:
    """Run until a stop signal; return the exit code."""
    config = load_file(args.config)
    args.data.mkdir(parents=True, exist_ok=True)
    model_path = _find_model(args, config.detector.model)
    asyncio.run(serve(config, args.data, host=args.host, port=args.port, model_path=model_path))
    return 0


def _find_model(args: argparse.Namespace, configured: str | None) -> Path | None:
    from ..model_store import find_model

    try:
        return find_model(explicit=args.model or configured, config_dir=args.config.parent, cache_dir=args.data / "models")
    except ModelNotFoundError as err:
        if args.model:
            raise
        # The API still starts, so Home Assistant can show the problem (hello reports model null).
        _LOGGER.error("No detection model: %s; cameras will not run until one is installed", err)
        return None


async def serve(config, data_dir: Path, *, host: str, port: int, model_path: Path | None) -> None:
    """Start the engine and its API, wait for SIGTERM/SIGINT, then stop both."""
    from ..api import create_app
    from ..engine import Engine

    engine = Engine(config, data_dir, model_path=model_path)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    await engine.start()
    runner = web.AppRunner(create_app(engine), shutdown_timeout=5.0, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as err:
            raise ConfigError(f"cannot listen on {host}:{port}: {err.strerror or err}; choose another --port or --host") from err
        _LOGGER.info("Listening on http://%s:%d (%d camera(s): %s)", host, port, len(engine.cameras.cameras),
                     ", ".join(camera.id for camera in engine.cameras.cameras) or "none")
        await stop.wait()
        _LOGGER.info("Stop signal received, shutting down")
    finally:
        await runner.cleanup()
        await engine.stop()
