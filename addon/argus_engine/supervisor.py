"""Running the engine as a Home Assistant add-on under the Supervisor.

Start-up, with one log line per step:

1. read the add-on options (`/data/options.json`, written by the Supervisor from the
   options the user set in the add-on's Configuration tab);
2. build the engine config: cameras, zones and groups from `<config dir>/argus.yaml`
   when the user keeps one there, detector and retention from the options. Cameras and
   zones changed through the API live in `<data>/config.json` and win over the file,
   so changing options never loses them;
3. find the model (add-on config dir, then the download cache in `<data>/models`,
   then a download when `model_url` is set);
4. start the engine and its API, and check the labels the cameras use against the
   model's classes;
5. post a discovery message to the Supervisor, retrying until it accepts, so Home
   Assistant offers to set up the Argus integration with the host, port and token.
"""

import asyncio
import json
import logging
import os
import socket
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import voluptuous as vol

from .config import EngineConfig, load_file
from .errors import ConfigError, ModelError
from .model_store import DEFAULT_MODEL, find_model

_LOGGER = logging.getLogger(__name__)

DISCOVERY_SERVICE = "argus"
ENGINE_CONFIG_FILE = "argus.yaml"
FIRST_RETRY_DELAY = 1.0
MAX_RETRY_DELAY = 60.0

OPTIONS_SCHEMA = vol.Schema(
    {
        vol.Optional("log_level", default="info"): vol.In(("debug", "info", "warning", "error")),
        vol.Optional("detector_threads", default=0): vol.All(int, vol.Range(min=0, max=256)),
        vol.Optional("model", default=DEFAULT_MODEL): vol.All(str, vol.Length(min=1)),
        vol.Optional("labels"): vol.Any(None, str),
        vol.Optional("model_url"): vol.Any(None, vol.Url()),
        vol.Optional("model_sha256"): vol.Any(None, vol.Match(r"^[0-9a-fA-F]{64}$")),
        vol.Optional("retention_days", default=10): vol.All(int, vol.Range(min=1, max=3650)),
        vol.Optional("media_dir"): vol.Any(None, str),
        vol.Optional("api_token"): vol.Any(None, "", vol.All(str, vol.Length(min=16, msg="must be at least 16 characters"))),
    },
    # Options of a newer add-on version survive a downgrade instead of stopping it.
    extra=vol.REMOVE_EXTRA,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class AddonOptions:
    """The add-on's user options, as declared in addon/config.yaml."""

    log_level: str = "info"
    detector_threads: int = 0
    model: str = DEFAULT_MODEL
    labels: str | None = None
    model_url: str | None = None
    model_sha256: str | None = None
    retention_days: int = 10
    media_dir: str | None = None
    # Fixed API token for clients set up by hand; None lets the engine generate one.
    api_token: str | None = None

    @classmethod
    def from_dict(cls, data: Any) -> "AddonOptions":
        """Validate options data; raise ConfigError naming the bad option."""
        try:
            values = OPTIONS_SCHEMA(data)
        except vol.Invalid as err:
            where = ".".join(str(part) for part in err.path) or "options"
            raise ConfigError(f"invalid add-on option {where}: {err.msg}") from err
        return cls(**{key: value for key, value in values.items() if value not in (None, "")})


@dataclass(frozen=True, slots=True, kw_only=True)
class AddonPaths:
    """Paths of the add-on's files inside the container."""

    options_file: Path = Path("/data/options.json")
    # The engine's data dir: persisted cameras, token, event log, media, model cache.
    data_dir: Path = Path("/data")
    # The `addon_config` map: files the user edits (argus.yaml, custom models, labels).
    config_dir: Path = Path("/config")


def read_options(path: Path) -> AddonOptions:
    """Read and validate the options file the Supervisor wrote."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"add-on options file not found: {path}; is this running under the Supervisor?") from None
    except (OSError, ValueError) as err:
        raise ConfigError(f"cannot read add-on options file {path}: {err}") from None
    return AddonOptions.from_dict(data)


def build_engine_config(options: AddonOptions, paths: AddonPaths) -> EngineConfig:
    """Combine the optional engine config file with the add-on options."""
    config_file = paths.config_dir / ENGINE_CONFIG_FILE
    if config_file.is_file():
        config = load_file(config_file)
        _LOGGER.info("Read %d camera(s) from %s", len(config.cameras), config_file)
    else:
        config = EngineConfig()
        _LOGGER.info("No %s; cameras come from %s/config.json or the Argus integration", config_file, paths.data_dir)

    labels = str(paths.config_dir / options.labels) if options.labels else config.detector.labels
    detector = replace(config.detector, model=options.model, labels=labels, threads=options.detector_threads)
    return replace(config, detector=detector, retention_days=float(options.retention_days))


def find_addon_model(options: AddonOptions, paths: AddonPaths) -> Path | None:
    """Find the model, downloading it when a URL is set; None (after logging why) if absent.

    Blocking: it may download. The engine still starts without a model, so Home
    Assistant can connect and show the problem instead of a crash loop.
    """
    try:
        path = find_model(
            explicit=options.model,
            config_dir=paths.config_dir,
            cache_dir=paths.data_dir / "models",
            allow_fetch=options.model_url is not None,
            url=options.model_url,
            sha256=options.model_sha256,
        )
    except ModelError as err:
        # Not found, or a download that failed or did not match its checksum. The
        # engine's own hint names shell commands, which an add-on user cannot run.
        _LOGGER.error(
            "No detection model, so cameras will not run: %s. In Home Assistant, copy the model into the "
            "add-on's folder addon_configs/<id>_argus/ (Samba or File editor) and restart the add-on, "
            "or set the model_url and model_sha256 options",
            err,
        )
        return None
    _LOGGER.info("Using model %s", path)
    return path


def discovery_host() -> str:
    """Return the name Home Assistant reaches this add-on by.

    The Supervisor sets the container's hostname to the add-on's hostname on its
    internal network, so the system hostname is the right default.
    """
    return os.environ.get("ARGUS_DISCOVERY_HOST") or socket.gethostname()


def discovery_payload(host: str, port: int, token: str) -> dict[str, Any]:
    """Return the message body the Supervisor forwards to the Argus integration."""
    return {"service": DISCOVERY_SERVICE, "config": {"host": host, "port": port, "token": token}}


async def announce(
    session: Any,
    supervisor_url: str,
    supervisor_token: str,
    payload: dict[str, Any],
    *,
    first_delay: float = FIRST_RETRY_DELAY,
    max_delay: float = MAX_RETRY_DELAY,
) -> str | None:
    """Post `payload` to the Supervisor's discovery API until it is accepted.

    Retries with doubling delays while the Supervisor is unreachable or returns 5xx
    (it returns 503 while Home Assistant is still starting). Returns the discovery
    uuid, or None after a 4xx response, which a retry cannot fix.
    """
    import aiohttp

    url = f"{supervisor_url.rstrip('/')}/discovery"
    headers = {"Authorization": f"Bearer {supervisor_token}"}
    delay = first_delay
    attempt = 1
    while True:
        try:
            async with session.post(url, json=payload, headers=headers, timeout=aiohttp.ClientTimeout(total=30)) as response:
                body = _json_object(await response.text())
                if response.status == 200:
                    uuid = (body.get("data") or {}).get("uuid")
                    _LOGGER.info("Supervisor accepted the discovery message (uuid %s); Home Assistant will offer Argus", uuid)
                    return uuid
                message = body.get("message")
                if 400 <= response.status < 500:
                    _LOGGER.error("Supervisor rejected the discovery message: HTTP %d %s", response.status, message or "")
                    return None
                problem = f"HTTP {response.status} {message or ''}".strip()
        except (aiohttp.ClientError, TimeoutError) as err:
            problem = f"{type(err).__name__}: {err}"

        _LOGGER.warning("Discovery attempt %d failed (%s); retrying in %.0f s", attempt, problem, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_delay)
        attempt += 1


def _json_object(text: str) -> dict[str, Any]:
    """Parse a Supervisor reply; anything but a JSON object becomes {}."""
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
