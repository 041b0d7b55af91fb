"""Checks for the add-on manifest, its Dockerfile and hacs.json, encoding the rules their readers apply.

Supervisor rules: `supervisor/addons/validate.py` and `supervisor/addons/options.py` in
github.com/home-assistant/supervisor (as read in 2026). The Supervisor drops
unknown keys and bad `map` entries with only a log line, and skips an add-on whose
config fails validation, so the repository then looks empty in the store. These
checks are stricter: an unknown key is reported too, because it is usually a typo.

HACS rules: `custom_components/hacs/utils/validate.py` (HACS_MANIFEST_JSON_SCHEMA) in
github.com/hacs/integration: `name` is required and no other keys than those listed
are allowed.

Each check returns a list of problems; an empty list means valid.
"""

import json
import re
from pathlib import Path
from typing import Any

ARCHES = {"aarch64", "amd64", "armhf", "armv7", "i386"}
STARTUP = {"initialize", "system", "services", "application", "once"}
BOOT = {"auto", "manual", "manual_only"}
MAP_TYPES = {
    "data", "config", "ssl", "addons", "backup", "share", "media",
    "homeassistant_config", "all_addon_configs", "addon_config",
}
SLUG = re.compile(r"^[-_.A-Za-z0-9]+$")
PORT_KEY = re.compile(r"^\d+(?:/(?:tcp|udp))?$")
WATCHDOG = re.compile(r"^(?:https?|\[PROTO:\w+\]|tcp)://\[HOST\]:(\[PORT:\d+\]|\d+).*$")
VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]*$")
# One option type: bool, email, url, port, device, str/password/int/float with an
# optional (min,max), match(regex) or list(a|b|c); a trailing ? makes it optional.
SCHEMA_ELEMENT = re.compile(
    r"^(?:bool|email|url|port"
    r"|device(?:\(subsystem=[a-z]+\))?"
    r"|(?P<kind>str|password|int|float)(?:\((?P<min>-?\d*\.?\d*),(?P<max>-?\d*\.?\d*)\))?"
    r"|match\((?P<match>.*)\)"
    r"|list\((?P<choices>.+)\))(?P<optional>\?)?$"
)
REQUIRED = {"name": str, "version": str, "slug": str, "description": str, "arch": list}
# Every other key the Supervisor's add-on config schema accepts.
OPTIONAL = {
    "machine", "url", "startup", "boot", "init", "advanced", "stage", "ports",
    "ports_description", "watchdog", "webui", "ingress", "ingress_port", "ingress_entry",
    "ingress_stream", "panel_icon", "panel_title", "panel_admin", "homeassistant",
    "host_network", "host_pid", "host_ipc", "host_uts", "host_dbus", "devices", "udev",
    "tmpfs", "map", "environment", "privileged", "apparmor", "full_access", "audio",
    "video", "gpio", "usb", "uart", "devicetree", "kernel_modules", "realtime",
    "hassio_api", "hassio_role", "homeassistant_api", "stdin", "legacy", "docker_api",
    "auth_api", "services", "discovery", "backup_exclude", "backup_pre", "backup_post",
    "restore_pre", "restore_post", "backup", "options", "schema", "image", "ulimits",
    "timeout", "journald", "breaking_versions",
}
HACS_KEYS = {
    "name": str, "content_in_root": bool, "country": (str, list), "filename": str,
    "hacs": str, "hide_default_branch": bool, "homeassistant": str,
    "persistent_directory": str, "render_readme": bool, "zip_release": bool,
}


def addon_config_problems(config: Any) -> list[str]:
    """Return every rule the add-on config.yaml data breaks."""
    if not isinstance(config, dict):
        return ["config.yaml must be a mapping"]
    problems = _required_problems(config)
    problems += [f"unknown key {key!r}" for key in config if key not in REQUIRED and key not in OPTIONAL]
    problems += _enum_problems(config)
    problems += _port_problems(config)
    problems += _map_problems(config.get("map", []))
    problems += _schema_problems(config.get("options", {}), config.get("schema", {}))
    return problems


def _required_problems(config: dict) -> list[str]:
    problems = [
        f"required key {key!r} missing or not a {kind.__name__}"
        for key, kind in REQUIRED.items()
        if not isinstance(config.get(key), kind)
    ]
    if isinstance(config.get("slug"), str) and not SLUG.match(config["slug"]):
        problems.append(f"slug {config['slug']!r} may contain only letters, digits, -, _ and .")
    if isinstance(config.get("version"), str) and not VERSION.match(config["version"]):
        problems.append(f"version {config['version']!r} is not a version tag")
    for arch in config.get("arch") or []:
        if arch not in ARCHES:
            problems.append(f"unknown arch {arch!r} (valid: {sorted(ARCHES)})")
    return problems


def _enum_problems(config: dict) -> list[str]:
    problems = []
    if config.get("startup", "application") not in STARTUP:
        problems.append(f"startup {config['startup']!r} is not one of {sorted(STARTUP)}")
    if config.get("boot", "auto") not in BOOT:
        problems.append(f"boot {config['boot']!r} is not one of {sorted(BOOT)}")
    for key in ("init", "host_network", "ingress", "hassio_api", "homeassistant_api"):
        if key in config and not isinstance(config[key], bool):
            problems.append(f"{key} must be true or false")
    discovery = config.get("discovery", [])
    if not isinstance(discovery, list) or not all(isinstance(name, str) for name in discovery):
        problems.append("discovery must be a list of service names")
    if "watchdog" in config and not WATCHDOG.match(str(config["watchdog"])):
        problems.append(f"watchdog {config['watchdog']!r} must look like tcp://[HOST]:[PORT:8765]")
    if "homeassistant" in config and not VERSION.match(str(config["homeassistant"])):
        problems.append(f"homeassistant {config['homeassistant']!r} is not a version")
    timeout = config.get("timeout", 10)
    if not isinstance(timeout, int) or not 10 <= timeout <= 300:
        problems.append(f"timeout {timeout!r} must be an integer from 10 to 300")
    return problems


def _port_problems(config: dict) -> list[str]:
    problems = []
    ports = config.get("ports", {})
    if not isinstance(ports, dict):
        return ["ports must map '8765/tcp' style keys to host ports"]
    for key, value in ports.items():
        if not PORT_KEY.match(str(key)):
            problems.append(f"port key {key!r} must be like '8765/tcp'")
        if value is not None and (not isinstance(value, int) or not 1 <= value <= 65535):
            problems.append(f"port {key!r} maps to {value!r}, not a port number or null")
    for key in config.get("ports_description", {}):
        if key not in ports:
            problems.append(f"ports_description names {key!r}, which is not in ports")
    watchdog = re.search(r"\[PORT:(\d+)\]", str(config.get("watchdog", "")))
    if watchdog and f"{watchdog.group(1)}/tcp" not in ports:
        problems.append(f"watchdog checks port {watchdog.group(1)}, which is not in ports")
    return problems


def _map_problems(entries: Any) -> list[str]:
    if not isinstance(entries, list):
        return ["map must be a list"]
    problems = []
    for entry in entries:
        if isinstance(entry, str):
            problems.append(f"map entry {entry!r} uses the old string form; use '- type: {entry.split(':')[0]}'")
            continue
        if not isinstance(entry, dict) or entry.get("type") not in MAP_TYPES:
            problems.append(f"map entry {entry!r} needs a type from {sorted(MAP_TYPES)}")
            continue
        if not isinstance(entry.get("read_only", True), bool):
            problems.append(f"map entry {entry['type']}: read_only must be true or false")
        if set(entry) - {"type", "read_only", "path"}:
            problems.append(f"map entry {entry['type']}: unknown keys {sorted(set(entry) - {'type', 'read_only', 'path'})}")
    return problems


def _schema_problems(options: Any, schema: Any) -> list[str]:
    if not isinstance(options, dict) or not isinstance(schema, dict):
        return ["options and schema must be mappings"]
    problems = [f"option {key!r} has no schema entry" for key in options if key not in schema]
    for key, element in schema.items():
        match = SCHEMA_ELEMENT.match(element) if isinstance(element, str) else None
        if match is None:
            problems.append(f"schema {key!r}: {element!r} is not a Supervisor option type")
            continue
        if not match.group("optional") and key not in options:
            problems.append(f"schema {key!r} is required but options has no default for it")
        if key in options:
            problems += _default_problems(key, options[key], element, match)
    return problems


def _default_problems(key: str, value: Any, element: str, match: re.Match) -> list[str]:
    kind = match.group("kind")
    if match.group("choices") is not None and value not in match.group("choices").split("|"):
        return [f"option {key!r} default {value!r} is not one of {element}"]
    if kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind == "int" and not isinstance(value, int)):
            return [f"option {key!r} default {value!r} is not {kind}"]
        low, high = match.group("min"), match.group("max")
        if (low and value < float(low)) or (high and value > float(high)):
            return [f"option {key!r} default {value!r} is outside {element}"]
    if kind in ("str", "password") and not isinstance(value, str):
        return [f"option {key!r} default {value!r} is not a string"]
    if element.startswith("bool") and not isinstance(value, bool):
        return [f"option {key!r} default {value!r} is not true or false"]
    if match.group("match") is not None and not re.fullmatch(match.group("match"), str(value)):
        return [f"option {key!r} default {value!r} does not match {element}"]
    return []


def translation_problems(config: dict, translations: Any) -> list[str]:
    """Return options without a translated name, and translated keys that do not exist."""
    if not isinstance(translations, dict):
        return ["translations file must be a mapping"]
    names = translations.get("configuration", {})
    problems = [f"option {key!r} has no translation" for key in config.get("schema", {}) if not (names.get(key) or {}).get("name")]
    problems += [f"translation for unknown option {key!r}" for key in names if key not in config.get("schema", {})]
    problems += [f"network translation for unknown port {key!r}" for key in translations.get("network", {}) if key not in config.get("ports", {})]
    return problems


def hacs_problems(manifest: Any) -> list[str]:
    """Return every rule hacs.json breaks."""
    if not isinstance(manifest, dict):
        return ["hacs.json must be a JSON object"]
    problems = [] if isinstance(manifest.get("name"), str) else ["hacs.json needs a string 'name'"]
    for key, value in manifest.items():
        if key not in HACS_KEYS:
            problems.append(f"hacs.json key {key!r} is not allowed (allowed: {sorted(HACS_KEYS)})")
        elif not isinstance(value, HACS_KEYS[key]):
            problems.append(f"hacs.json key {key!r} has the wrong type: {value!r}")
    return problems


def dockerfile_problems(text: str, context: Path) -> list[str]:
    """Return steps of an add-on Dockerfile that do not fit the build context `context`."""
    lines = _dockerfile_instructions(text)
    problems = []
    froms = [args for op, args in lines if op == "FROM"]
    if not froms:
        problems.append("no FROM line")
    for image in froms:
        if "BUILD_FROM" in image:
            problems.append(f"FROM {image} depends on BUILD_FROM; name the base image explicitly")
        elif not re.match(r"^ghcr\.io/home-assistant/\S+:(?!latest\b)[\w.-]+$", image):
            problems.append(f"FROM {image} is not a Home Assistant base image pinned by tag")
    if any(op == "ARG" and args.split("=")[0] == "BUILD_FROM" for op, args in lines):
        problems.append("ARG BUILD_FROM is declared; the base image must be explicit")

    for op, args in lines:
        if op in ("COPY", "ADD"):
            *sources, _ = [part for part in args.split() if not part.startswith("--")]
            for source in sources:
                path = (context / source).resolve()
                if not path.is_relative_to(context.resolve()):
                    problems.append(f"{op} source {source!r} is outside the build context {context}")
                elif not path.exists():
                    problems.append(f"{op} source {source!r} does not exist in {context}")
    return problems


def dockerfile_command(text: str) -> list[str]:
    """Return the exec-form CMD of a Dockerfile as a list."""
    commands = [args for op, args in _dockerfile_instructions(text) if op == "CMD"]
    if not commands:
        return []
    return json.loads(commands[-1])


def _dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    instructions = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, args = line.partition(" ")
            instructions.append((op.upper(), args.strip()))
    return instructions
