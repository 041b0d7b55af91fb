"""`addon`: the add-on container's entry point (see supervisor.py for each step).

Paths and the Supervisor address have flags and environment variables so the same
entry point runs against a local mock Supervisor in tests.
"""

import argparse
import asyncio
import logging
import os
import signal
from pathlib import Path

import aiohttp
from aiohttp import web

from .. import supervisor
from ..supervisor import AddonPaths

_LOGGER = logging.getLogger(__name__)

DEFAULT_PORT = 8765


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `addon` command."""
    parser = subparsers.add_parser("addon", help="run as a Home Assistant add-on (reads /data/options.json)")
    env = os.environ.get
    parser.add_argument("--options", type=Path, default=Path(env("ARGUS_OPTIONS", "/data/options.json")),
                        help="add-on options file (default: $ARGUS_OPTIONS, else /data/options.json)")
    parser.add_argument("--data", type=Path, default=Path(env("ARGUS_DATA_DIR", "/data")),
                        help="engine data dir (default: $ARGUS_DATA_DIR, else /data)")
    parser.add_argument("--config-dir", type=Path, default=Path(env("ARGUS_CONFIG_DIR", "/config")),
                        help="add-on config folder with argus.yaml and custom models (default: $ARGUS_CONFIG_DIR, else /config)")
    parser.add_argument("--host", default="0.0.0.0", help="address the API listens on (default: 0.0.0.0)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"API port (default: {DEFAULT_PORT})")
    parser.add_argument("--supervisor-url", default=env("ARGUS_SUPERVISOR_URL", "http://supervisor"),
                        help="Supervisor API base URL (default: $ARGUS_SUPERVISOR_URL, else http://supervisor)")
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the add-on until SIGTERM or SIGINT."""
    paths = AddonPaths(options_file=args.options, data_dir=args.data, config_dir=args.config_dir)
    asyncio.run(run_addon(paths, host=args.host, port=args.port, supervisor_url=args.supervisor_url))
    return 0


async def run_addon(
    paths: AddonPaths,
    *,
    host: str,
    port: int,
    supervisor_url: str,
    stop: asyncio.Event | None = None,
) -> None:
    """Start the engine, its API and the discovery announcement; stop when `stop` is set."""
    from ..api import create_app
    from ..engine import Engine

    stop = stop or _stop_on_signals()
    _LOGGER.info("Reading add-on options from %s", paths.options_file)
    options = supervisor.read_options(paths.options_file)
    logging.getLogger().setLevel(options.log_level.upper())
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    _LOGGER.info("Data dir %s, config dir %s", paths.data_dir, paths.config_dir)

    config = supervisor.build_engine_config(options, paths)
    model_path = await asyncio.to_thread(supervisor.find_addon_model, options, paths)
    engine = Engine(config, paths.data_dir, model_path=model_path, token=options.api_token)
    if options.media_dir:
        # NOTE: event media paths are stored relative to the media dir, so changing
        # media_dir later leaves earlier snapshots and clips behind in the old folder.
        engine.media_dir = Path(options.media_dir)
        engine.media_dir.mkdir(parents=True, exist_ok=True)
    _LOGGER.info("Starting the engine (media in %s)", engine.media_dir)
    await engine.start()

    runner = web.AppRunner(create_app(engine), shutdown_timeout=5.0, access_log=None)
    await runner.setup()
    announcing: asyncio.Task[str | None] | None = None
    try:
        await web.TCPSite(runner, host, port).start()
        _LOGGER.info("API listening on %s:%d", host, port)
        async with aiohttp.ClientSession() as session:
            announcing = _start_announcing(session, supervisor_url, port, engine.tokens.value)
            await stop.wait()
            _LOGGER.info("Stop requested, shutting down")
            if announcing is not None:
                announcing.cancel()
                await asyncio.gather(announcing, return_exceptions=True)
    finally:
        await runner.cleanup()
        await engine.stop()


def _start_announcing(session: aiohttp.ClientSession, supervisor_url: str, port: int, token: str) -> asyncio.Task | None:
    supervisor_token = os.environ.get("SUPERVISOR_TOKEN")
    if not supervisor_token:
        _LOGGER.warning("SUPERVISOR_TOKEN is not set, so this is not running under the Supervisor; discovery skipped")
        return None
    host = supervisor.discovery_host()
    _LOGGER.info("Announcing the engine to Home Assistant as %s:%d via %s", host, port, supervisor_url)
    payload = supervisor.discovery_payload(host, port, token)
    return asyncio.create_task(supervisor.announce(session, supervisor_url, supervisor_token, payload), name="argus-discovery")


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    return stop
